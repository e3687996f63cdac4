// One experiment unit: train on some items, score others with the official multi-crop protocol,
// save metrics and predictions. Reruns return the saved result; an interrupted training resumes.
import { join } from 'node:path';
import { configFrom, resolveConfig, PRESETS } from '../model/index.js';
import type { Dgiqa } from '../model/index.js';
import { fit, resolveTrainConfig } from '../train/index.js';
import type { HostBatch } from '../train/index.js';
import { DecodePool, Prefetcher, defaultWorkers } from '../data/pipeline/index.js';
import { epochSkipOptions } from '../data/check/index.js';
import { computeMetrics, metricsByGroup, predictRecords } from '../eval/index.js';
import type { Engine, Metrics } from '../eval/index.js';
import { loadModel } from '../weights/index.js';
import { seedFor } from '../util/rng.js';
import type { BenchItem } from './datasets.js';
import type { Profile } from './profiles.js';
import { paths } from './paths.js';
import { readResult, writeResult } from './results.js';
import { noteProgress } from '../util/progress.js';

export interface RunSpec {
  profile: Profile;
  /** folder of this run under results/ */
  dir: string;
  train: BenchItem[];
  test: BenchItem[];
  /** e.g. `synth-A split 3`, recorded in the result */
  label: string;
  data: string;
  /** model config overrides on the profile's preset (ablations) */
  model?: Record<string, unknown>;
  /** training overrides (lambda sweep) */
  trainOverrides?: Record<string, unknown>;
  seed?: number;
  /** continue a run found in `dir` (default true: protocols rerun cheaply); false refuses to overwrite one */
  resume?: boolean;
}

export interface RunResult {
  label: string;
  metrics: Metrics;
  /** SROCC per distortion type, where the test set has types */
  perDistortion: Record<string, number>;
  predictions: { image: string; pred: number; mos: number; distortion?: string }[];
  params: number;
  pretrained: boolean;
  trainSeconds: number;
  evalSeconds: number;
  /** what scored the test images: tfjs in a training (any thread), else resolveEngine in src/eval/predict.ts */
  evalEngine?: Engine;
  evalCrops: number;
  evalSeed: number;
  modelConfig: Record<string, unknown>;
  trainConfig: Record<string, unknown>;
}

/** The model config of a run: the profile's preset plus the run's overrides. */
export function runModelConfig(profile: Profile, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(PRESETS[profile.model] ?? {}), ...overrides };
}

export async function trainAndTest(spec: RunSpec): Promise<RunResult> {
  const resultFile = join(spec.dir, 'result.json');
  const saved = await readResult<RunResult>(resultFile);
  if (saved) return saved;
  const p = spec.profile;
  const seed = spec.seed ?? 0;
  const modelConfig = runModelConfig(p, spec.model);
  const config = resolveTrainConfig({ model: modelConfig, seed, pretrained: paths.pretrained, ...p.train, ...spec.trainOverrides }, `${spec.label} train config`);
  resolveConfig(modelConfig); // fail early on a bad variant
  const pool = new DecodePool(Math.max(1, defaultWorkers()));
  try {
    const t0 = performance.now();
    const batches = (epoch: number): AsyncIterable<HostBatch> =>
      new Prefetcher(spec.train, { mode: 'train', batchSize: config.batchSize, seed: seedFor(seed, epoch), size: p.cropSize, pool, ...epochSkipOptions(spec.dir) });
    const { model } = await fit({ runDir: join(spec.dir, 'run'), config, batches, imagesPerEpoch: spec.train.length, resume: spec.resume ?? true, meta: { label: spec.label, data: spec.data, trainImages: spec.train.length } });
    const trainSeconds = (performance.now() - t0) / 1000;
    // tfjs, wherever the training ran: a worker thread cannot use ONNX Runtime, and one engine keeps
    // a training's result the same in a worker and on the main thread
    const result = await testModel(model, spec, pool, spec.profile.evalCrops, 'tfjs');
    model.dispose();
    noteProgress(`${spec.label}: test SROCC ${result.metrics.srocc.toFixed(3)}, PLCC ${result.metrics.plcc.toFixed(3)} (${spec.test.length} images; trained in ${Math.round(trainSeconds)} s)`);
    return await writeResult(resultFile, 'run', p, spec.data, { ...result, trainSeconds, pretrained: config.pretrained !== '', trainConfig: { ...config } });
  } finally {
    await pool.close();
  }
}

/** Score test items with a trained model and compute the metrics. */
export async function testModel(model: Dgiqa, spec: Pick<RunSpec, 'profile' | 'test' | 'label'>, pool?: DecodePool, crops = spec.profile.evalCrops, engine: Engine | 'auto' = 'auto'): Promise<Omit<RunResult, 'trainSeconds' | 'pretrained' | 'trainConfig'>> {
  const evalSeed = 0;
  const pred = await predictRecords(model, spec.test, { crops, seed: evalSeed, evalShortSide: spec.profile.evalShortSide, imagesPerBatch: Math.max(1, Math.floor(32 / crops)), ...(pool ? { pool } : {}), engine });
  const mos = spec.test.map((t) => t.score01);
  const metrics = computeMetrics(pred.scores, mos);
  const typed = spec.test.every((t) => t.distortion !== undefined);
  const perDistortion: Record<string, number> = {};
  if (typed) for (const [k, m] of Object.entries(metricsByGroup(pred.scores, mos, spec.test.map((t) => t.distortion as string)))) perDistortion[k] = m.srocc;
  return {
    label: spec.label,
    metrics,
    perDistortion,
    predictions: spec.test.map((t, i) => ({ image: t.relImage, pred: pred.scores[i], mos: t.score01, ...(t.distortion ? { distortion: t.distortion } : {}) })),
    params: model.numParams(),
    evalSeconds: pred.seconds,
    evalEngine: pred.engine,
    evalCrops: crops,
    evalSeed,
    modelConfig: { ...model.config },
  };
}

/** The trained model of a finished run (its last checkpoint). */
export async function loadRunModel(dir: string, profile: Profile, overrides: Record<string, unknown> = {}): Promise<Dgiqa> {
  return (await loadModel(join(dir, 'run', 'model.safetensors'), configFrom(runModelConfig(profile, overrides)))).model;
}
