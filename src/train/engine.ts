// What runs a training step: TensorFlow.js (trainStep, any backend) or ONNX Runtime (onnxEngine.ts,
// the same step traced and compiled). Chosen once per training; the trainer and `bench` see one
// interface. On the CPU the ONNX engine is the default where it can run: about 3x the wasm backend's
// step on this project's machine, and one training uses every core (README, "Measured here").
import { isMainThread } from 'node:worker_threads';
import { onDeviceBackend, tf } from '../backend/index.js';
import type { Dgiqa } from '../model/index.js';
import { setting } from '../settings/index.js';
import type { AdamW } from './adamw.js';
import { OnnxTrainStep } from './onnxEngine.js';
import { trainStep } from './step.js';
import type { StepBatch, StepOptions, StepResult } from './step.js';

export type TrainEngineName = 'onnx' | 'tfjs';

export interface StepEngine {
  readonly name: TrainEngineName;
  /** ONNX Runtime's threads; null for TensorFlow.js */
  readonly threads: number | null;
  step(batch: StepBatch, opts: StepOptions): Promise<StepResult>;
  /** brings the model's and optimizer's tensors up to date (before a checkpoint or an evaluation) */
  sync(): void;
  dispose(): Promise<void>;
}

/** Why a model cannot train on ONNX Runtime here, or undefined when it can. */
export function onnxTrainingProblem(model: Dgiqa): string | undefined {
  if (onDeviceBackend()) return `the ${tf.getBackend()} backend trains on TensorFlow.js, on its device`;
  if (!isMainThread) return 'ONNX Runtime runs on the main thread only, and this is a worker thread';
  if (model.dropoutDraws() > 0) return 'the model draws dropout masks, which a traced graph would freeze';
  return undefined;
}

/** The engine DGIQA_TRAIN_ENGINE asks for (auto: ONNX Runtime where it can run), and why. */
export function chooseTrainEngine(model: Dgiqa): { name: TrainEngineName; why: string } {
  const asked = setting('DGIQA_TRAIN_ENGINE') ?? 'auto';
  if (asked === 'tfjs') return { name: 'tfjs', why: 'DGIQA_TRAIN_ENGINE=tfjs' };
  const problem = onnxTrainingProblem(model);
  if (problem && asked === 'onnx') throw new Error(`DGIQA_TRAIN_ENGINE=onnx: ${problem}`);
  return problem ? { name: 'tfjs', why: problem } : { name: 'onnx', why: asked === 'onnx' ? 'DGIQA_TRAIN_ENGINE=onnx' : 'auto: ONNX Runtime on the CPU' };
}

/** True when trainings are meant to run one at a time on the main thread, each with every core. */
export function trainsOnOnnx(): boolean {
  return (setting('DGIQA_TRAIN_ENGINE') ?? 'auto') !== 'tfjs' && !onDeviceBackend();
}

class TfjsEngine implements StepEngine {
  readonly name = 'tfjs';
  readonly threads = null;
  constructor(private readonly model: Dgiqa, private readonly optimizer: AdamW) {}
  async step(batch: StepBatch, opts: StepOptions): Promise<StepResult> {
    return trainStep(this.model, this.optimizer, batch, opts);
  }
  sync(): void {}
  async dispose(): Promise<void> {}
}

/** The step engine `name` for a model and its optimizer (their current state is where it starts). */
export async function createStepEngine(name: TrainEngineName, model: Dgiqa, optimizer: AdamW, threads?: number): Promise<StepEngine> {
  if (name === 'tfjs') return new TfjsEngine(model, optimizer);
  const count = threads ?? setting('DGIQA_TRAIN_THREADS');
  return OnnxTrainStep.create(model, optimizer, count === undefined ? {} : { threads: count });
}
