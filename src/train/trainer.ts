// The training loop: seeded, checkpointed every epoch (atomically), resumable to the same end point
// after a kill at any moment, stoppable with Ctrl-C, one run per folder (the folder's files and their
// commit protocol: runFolder.ts).
// All randomness is a function of (seed, epoch, step), so a run resumed from the checkpoint of epoch k
// replays epochs k+1... exactly as the uninterrupted run would have.
import { mkdirSync } from 'node:fs';
import { tf, backendInfo, trainingMemoryProblem, wasmHeapExhausted, wasmStepTooBig } from '../backend/index.js';
import { Dgiqa, configFrom, modelCost } from '../model/index.js';
import type { DgiqaConfig } from '../model/index.js';
import { loadPretrainedBackbones } from '../weights/index.js';
import { seedFor } from '../util/rng.js';
import { releaseAll } from '../util/release.js';
import { AdamW } from './adamw.js';
import { cosineLr } from './schedule.js';
import { chooseTrainEngine, createStepEngine } from './engine.js';
import type { StepEngine, TrainEngineName } from './engine.js';
import type { TrainConfig } from './config.js';
import { Progress } from './progress.js';
import { RunFolder } from './runFolder.js';
import type { RunState } from './runFolder.js';
import type { StepBatch, StepOptions, StepResult } from './step.js';
import { noteProgress } from '../util/progress.js';
import { faultPoint } from '../util/faults.js';
import { lockFolder } from '../util/lock.js';
import { StoppedError, handleInterrupts, stopRequested } from './stop.js';

/** A batch on the host, as the data pipeline makes it: NHWC float32, normalised. */
export interface HostBatch {
  rgb: Float32Array;
  depth: Float32Array | undefined;
  labels: Float32Array;
  n: number;
  size: number;
  /** DGIQA-FR: the reference crops, aligned with `rgb` */
  ref?: { rgb: Float32Array; depth: Float32Array | undefined };
}

export interface FitOptions {
  runDir: string;
  config: TrainConfig;
  /** the epoch's batches, in an order fixed by (seed, epoch) */
  batches: (epoch: number) => AsyncIterable<HostBatch>;
  /** images per epoch, for the progress bar */
  imagesPerEpoch: number;
  /**
   * evaluation after each epoch (metrics are logged with the epoch record); `engine` is what steps
   * the training, so an evaluation can run on the same one
   */
  evaluate?: (model: Dgiqa, epoch: number, engine: TrainEngineName) => Promise<Record<string, number>>;
  resume?: boolean;
  /** recorded in every result file: split, data, profile, ... */
  meta?: Record<string, unknown>;
  quiet?: boolean;
}

export interface FitResult {
  model: Dgiqa;
  state: RunState;
  epochs: Record<string, number>[];
  /** what stepped the training (ONNX Runtime only in a process's main thread) */
  engine: TrainEngineName;
}

/** What trains: the model, its optimizer and the engine that steps them. */
interface Trainee {
  model: Dgiqa;
  optimizer: AdamW;
  engine: StepEngine;
}

/** Train (or resume) a model; writes config, log, checkpoints and state under `runDir`. */
export async function fit(o: FitOptions): Promise<FitResult> {
  mkdirSync(o.runDir, { recursive: true });
  const release = await lockFolder(o.runDir);
  try {
    return await fitLocked(o);
  } finally {
    await release();
  }
}

async function fitLocked(o: FitOptions): Promise<FitResult> {
  handleInterrupts();
  const c = o.config;
  const info = await backendInfo();
  const header = { config: c, meta: o.meta ?? {}, backend: info.name, gpu: info.gpu, versions: { node: process.version, tfjs: tf.version_core } };
  const run = await RunFolder.open(o.runDir, c, header, o.resume ?? false);
  const { model, optimizer, engine } = await startTraining(o, run, info.name);
  let epochs: Record<string, number>[];
  // A failed run (a crash in the data, a non-finite loss) releases its tensors before it reports.
  try {
    epochs = await trainEpochs(o, run, { model, optimizer, engine });
  } catch (err) {
    // the run's error is the one reported: after a wasm abort the disposals throw as well
    await releaseAll([() => engine.dispose(), () => optimizer.dispose(), () => model.dispose()]);
    throw err;
  }
  await engine.dispose();
  optimizer.dispose();
  return { model, state: run.state, epochs, engine: engine.name };
}

const isBackbone = (name: string): boolean => name.startsWith('backbone.') || name.startsWith('depth_backbone.');

/**
 * What AdamW updates, and at what scale: every trainable parameter, the Swin backbones' (RGB and
 * depth) at `scale` times the rate. At scale 0 the backbones are left out altogether, so no gradient
 * is computed for them (as requires_grad=False in PyTorch; on the ONNX engine a demo training of 3
 * epochs then takes about 0.57 of the time, data/pretrained/README.md).
 */
function optimizerGroups(model: Dgiqa, scale: number): { params: Map<string, tf.Variable>; scales: Map<string, number> } {
  const params = new Map<string, tf.Variable>();
  const scales = new Map<string, number>();
  for (const [name, v] of model.store.trainableByName()) {
    if (isBackbone(name) && scale === 0) continue;
    params.set(name, v);
    if (isBackbone(name) && scale !== 1) scales.set(name, scale);
  }
  return { params, scales };
}

/** The model and optimizer a run starts from (its checkpoint when resumed), and the engine for them. */
async function startTraining(o: FitOptions, run: RunFolder, backend: string): Promise<Trainee> {
  const c = o.config;
  const modelConfig: DgiqaConfig = configFrom(c.model, 'train config "model"');
  const tooBig = trainingMemoryProblem(backend, modelCost(modelConfig, 1).params, 'this model');
  if (tooBig) throw new Error(`${run.dir}: ${tooBig}`);
  const model = run.started ? await run.loadModel(modelConfig) : await freshModel(modelConfig, c, o.quiet ?? false);
  const groups = optimizerGroups(model, c.backboneLrScale);
  const optimizer = new AdamW(groups.params, { weightDecay: c.weightDecay }, groups.scales);
  try {
    if (run.started) {
      await run.restoreOptimizer(optimizer);
      const state = run.state;
      if (!o.quiet) process.stderr.write(`resumed ${run.dir} after ${state.partial ? `step ${state.step} (inside epoch ${state.epoch + 1})` : `epoch ${state.epoch} (step ${state.step})`}\n`);
    }
    // after the resume: the engine starts from the model's and optimizer's state
    const choice = chooseTrainEngine(model);
    const engine = await createStepEngine(choice.name, model, optimizer);
    if (!o.quiet) process.stderr.write(`training step: ${engine.name === 'onnx' ? `ONNX Runtime, ${engine.threads} threads` : `TensorFlow.js (${backend})`} (${choice.why})\n`);
    return { model, optimizer, engine };
  } catch (err) {
    await releaseAll([() => optimizer.dispose(), () => model.dispose()]);
    throw err;
  }
}

/** A new run's model: seeded, with the pretrained backbones when the config names them. */
async function freshModel(modelConfig: DgiqaConfig, c: TrainConfig, quiet: boolean): Promise<Dgiqa> {
  const model = new Dgiqa(modelConfig, seedFor(c.seed, 0x1417));
  if (c.pretrained) {
    const r = await loadPretrainedBackbones(model, c.pretrained);
    if (!quiet) process.stderr.write(`pretrained backbones: ${r.mapped} tensors each from ${c.pretrained} (${r.layout} layout; skipped ${r.skipped.length}: head, final norm, buffers)\n`);
  } else if (!quiet) {
    process.stderr.write('backbones: seeded random initialisation (no ImageNet weights given); results say so\n');
  }
  return model;
}

/** One optimizer step on a host batch; its tensors live only for the step. */
async function stepOn(engine: StepEngine, hb: HostBatch, opts: StepOptions): Promise<StepResult> {
  const batch: StepBatch = tf.tidy(() => ({
    rgb: tf.tensor4d(hb.rgb, [hb.n, hb.size, hb.size, 3]),
    depth: hb.depth ? tf.tensor4d(hb.depth, [hb.n, hb.size, hb.size, 3]) : undefined,
    labels: tf.tensor1d(hb.labels),
    ...(hb.ref ? { ref: { rgb: tf.tensor4d(hb.ref.rgb, [hb.n, hb.size, hb.size, 3]), depth: hb.ref.depth ? tf.tensor4d(hb.ref.depth, [hb.n, hb.size, hb.size, 3]) : undefined } } : {}),
  }));
  const r = await engine.step(batch, opts);
  const owned: tf.Tensor[] = [batch.rgb, batch.labels];
  for (const t of [batch.depth, batch.ref?.rgb, batch.ref?.depth]) if (t) owned.push(t);
  tf.dispose(owned);
  return r;
}

/** The epochs left to run, from the run folder's last checkpoint (inside an epoch after a stop). */
async function trainEpochs(o: FitOptions, run: RunFolder, { model, optimizer, engine }: Trainee): Promise<Record<string, number>[]> {
  const c = o.config;
  const dir = run.dir;
  const checkpoint = async (next: RunState, logLine?: Record<string, unknown>): Promise<void> => {
    engine.sync();
    await run.commit(next, { model, optimizer, seed: c.seed }, logLine);
  };
  const epochs: Record<string, number>[] = [];
  // named after the run: parallel trainings interleave their lines
  const runName = typeof o.meta?.label === 'string' ? o.meta.label : dir;
  const tMax = c.numEpochs * c.tMaxFraction;
  const stepsPerEpoch = Math.max(1, Math.ceil(o.imagesPerEpoch / c.batchSize));
  for (let epoch = run.state.epoch; epoch < c.numEpochs; epoch++) {
    // annealed per step at the fractional epoch: short runs get the whole curve, and at whole
    // epochs the rate equals PyTorch's CosineAnnealingLR stepped per epoch
    let lr = cosineLr(epoch, c.lr, tMax, c.minLr);
    // the backbones' rate in this epoch (a function of the epoch alone, so a resumed run gets the same)
    for (const name of optimizer.params.keys()) if (isBackbone(name)) optimizer.setScale(name, epoch < c.backboneFrozenEpochs ? 0 : c.backboneLrScale);
    const progress = new Progress(`${runName}, epoch ${epoch + 1}/${c.numEpochs}`, o.imagesPerEpoch);
    // a run stopped inside this epoch goes on from where it stopped, with its sums so far
    const partial = run.state.partial ?? { batches: 0, seen: 0, sum: 0, seconds: 0 };
    let { seen, sum } = partial;
    let step = run.state.step;
    const t0 = performance.now() - partial.seconds * 1000;
    let inEpoch = 0;
    for await (const hb of o.batches(epoch)) {
      lr = cosineLr(epoch + Math.min(inEpoch++, stepsPerEpoch) / stepsPerEpoch, c.lr, tMax, c.minLr);
      // batches already trained on before a stop are drawn (the order and crops stay the same) and passed over
      if (inEpoch <= partial.batches) continue;
      let r: StepResult;
      try {
        r = await stepOn(engine, hb, { lr, lambda: c.lambda, rank: c.rankWeight, seed: seedFor(c.seed, epoch, step) });
      } catch (err) {
        // both engines run tfjs steps on wasm (the ONNX one records its graph from one); the checkpoint before stays
        if (tf.getBackend() === 'wasm' && wasmHeapExhausted(err)) throw new Error(wasmStepTooBig(dir, hb.n, hb.size, err));
        throw err;
      }
      faultPoint('step');
      if (!Number.isFinite(r.loss) || !r.gradsFinite) {
        const what = Number.isFinite(r.loss) ? 'non-finite gradient' : 'non-finite loss';
        throw new Error(`${dir}: ${what} at epoch ${epoch + 1}, step ${step + 1}; stopped without applying it, the checkpoint of epoch ${run.state.epoch} (step ${run.state.step}) is kept (resume with --resume; lower lr? bad labels?)`);
      }
      step++;
      seen += hb.n;
      sum += r.loss * hb.n;
      if (step % c.logEvery === 0) await run.appendLog({ kind: 'step', epoch: epoch + 1, step, lr, loss: r.loss, mse: r.mse, consistency: r.consistency });
      if (!o.quiet) progress.update(seen, seen, { loss: r.loss, lr });
      if (stopRequested()) {
        const at = { batches: inEpoch, seen, sum, seconds: (performance.now() - t0) / 1000 };
        await checkpoint({ ...run.state, step, partial: at });
        throw new StoppedError(`${dir}: stopped on request at epoch ${epoch + 1}, step ${step}; saved, continue with --resume`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    faultPoint('evaluate');
    engine.sync();
    const metrics = o.evaluate ? await o.evaluate(model, epoch, engine.name) : {};
    const record = { epoch: epoch + 1, step, lr, loss: sum / Math.max(seen, 1), images: seen, seconds, imagesPerSecond: seen / seconds, ...metrics };
    epochs.push(record);
    await checkpoint({ epoch: epoch + 1, step, pretrained: run.state.pretrained, finished: epoch + 1 === c.numEpochs }, { kind: 'epoch', engine: engine.name, ...(engine.threads === null ? {} : { threads: engine.threads }), ...record });
    noteProgress(`${runName}: epoch ${epoch + 1}/${c.numEpochs}, loss ${record.loss.toFixed(4)}, ${record.imagesPerSecond.toFixed(1)} img/s`);
    if (stopRequested() && epoch + 1 < c.numEpochs) throw new StoppedError(`${dir}: stopped on request after epoch ${epoch + 1}; saved, continue with --resume`);
  }
  return epochs;
}
