// One experiment unit: train on some items, score others with the official multi-crop protocol,
// save metrics and predictions. Reruns return the saved result; an interrupted training resumes.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { settingOn } from '../settings/index.js';
import { configFrom, resolveConfig, PRESETS } from '../model/index.js';
import type { Dgiqa } from '../model/index.js';
import { epochSamples, fit, readLog, resolveTrainConfig } from '../train/index.js';
import type { FitOptions, HostBatch } from '../train/index.js';
import { DecodePool, Prefetcher, defaultWorkers } from '../data/pipeline/index.js';
import { epochSkipOptions } from '../data/check/index.js';
import { computeMetrics, metricsByGroup, predictRecords, predictRecordsEach } from '../eval/index.js';
import type { Engine, Metrics } from '../eval/index.js';
import { loadModel, saveModel } from '../weights/index.js';
import { seedFor } from '../util/rng.js';
import { checkCacheDir } from './datasets.js';
import type { BenchItem } from './datasets.js';
import type { Profile } from './profiles.js';
import { KIT_ROOT, paths } from './paths.js';
import { readResult, writeResult } from './results.js';
import { noteProgress } from '../util/progress.js';

export interface RunSpec {
  profile: Profile;
  /** folder of this run under results/ */
  dir: string;
  train: BenchItem[];
  /**
   * validation part carved from the training data (never the test part): scored after every epoch,
   * and the epoch with the best validation SROCC is the model tested (model selection); empty or
   * absent: the last epoch is tested
   */
  val?: BenchItem[];
  test: BenchItem[];
  /** e.g. `synth-A split 3`, recorded in the result */
  label: string;
  data: string;
  /** model config overrides on the profile's preset (ablations) */
  model?: Record<string, unknown>;
  /** training overrides (lambda sweep) */
  trainOverrides?: Record<string, unknown>;
  seed?: number;
  /** start from seeded random backbones even where the profile has pretrained ones (notebook 04's comparison) */
  fromScratch?: boolean;
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
  /** what scored the test images: in a training, the engine that stepped it; else resolveEngine in src/eval/predict.ts */
  evalEngine?: Engine;
  evalCrops: number;
  evalSeed: number;
  modelConfig: Record<string, unknown>;
  trainConfig: Record<string, unknown>;
  /** model selection: the epoch tested (1-based) and every epoch's validation SROCC; absent without a validation part */
  selection?: { epoch: number; valSrocc: number; valCurve: number[]; valImages: number };
}

/** A trained run to test on another set (Table 5's tests of the ablation runs): the run, its model variant, its own result. */
export interface CrossTestEntry {
  spec: RunSpec;
  variant: { name: string; model: Record<string, unknown> };
  within: RunResult;
}

/** The best epoch's weights beside the run's last checkpoint. */
const BEST_FILE = 'best.safetensors';

/**
 * The backbone weights a run starts from: DGIQA_PRETRAINED, else the profile's own; '' from scratch.
 * The paper profile has no weights of its own and will not start from random backbones unless asked
 * (--from-scratch, DGIQA_FROM_SCRATCH=1): the paper fine-tunes ImageNet ones, and hours of GPU time on
 * random ones would reproduce another experiment.
 */
export function pretrainedFor(profile: Profile, fromScratch = false): string {
  if (fromScratch || settingOn('DGIQA_FROM_SCRATCH')) return '';
  if (paths.pretrained) return paths.pretrained;
  if (profile.pretrained) return resolve(KIT_ROOT, profile.pretrained);
  if (profile.name === 'paper') {
    throw new Error(`profile paper: no ImageNet backbones: set DGIQA_PRETRAINED to timm's swin_tiny_patch4_window7_224 weights (.safetensors or .pth), or pass --from-scratch (DGIQA_FROM_SCRATCH=1) to train from random ones on purpose`);
  }
  return '';
}

/**
 * A run's start, as train-config keys: the backbone weights (pretrainedFor) and, from random
 * backbones, the full learning rate for them: a small backboneLrScale is there to keep pretrained
 * features, and random ones have none to keep.
 */
export function startOf(profile: Profile, fromScratch = false): { pretrained: string; backboneLrScale?: number } {
  const pretrained = pretrainedFor(profile, fromScratch);
  return pretrained === '' ? { pretrained, backboneLrScale: 1 } : { pretrained };
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
  const config = resolveTrainConfig({ model: modelConfig, seed, ...p.train, ...spec.trainOverrides, ...startOf(p, spec.fromScratch) }, `${spec.label} train config`);
  resolveConfig(modelConfig); // fail early on a bad variant
  const pool = new DecodePool(Math.max(1, defaultWorkers()));
  try {
    const t0 = performance.now();
    const samples = epochSamples(spec.train, config.cropsPerImage);
    const batches = (epoch: number): AsyncIterable<HostBatch> =>
      new Prefetcher(samples, { mode: 'train', batchSize: config.batchSize, seed: seedFor(seed, epoch), size: p.cropSize, trainShortSide: p.trainShortSide, pool, ...epochSkipOptions(spec.dir, checkCacheDir()) });
    const runDir = join(spec.dir, 'run');
    const val = spec.val ?? [];
    const evaluate = val.length > 0 ? selectBest(runDir, val, p, pool) : undefined;
    const fitted = await fit({ runDir, config, batches, imagesPerEpoch: samples.length, resume: spec.resume ?? true, evaluate, meta: { label: spec.label, data: spec.data, trainImages: spec.train.length, valImages: val.length } });
    const trainSeconds = (performance.now() - t0) / 1000;
    let model = fitted.model;
    let selection: RunResult['selection'];
    if (evaluate) {
      // the best validation epoch, which may be the last: its weights were saved when it was scored
      const curve = (await readLog(runDir)).filter((r) => r.kind === 'epoch').map((r) => Number(r.valSrocc));
      const best = bestEpoch(curve);
      model.dispose();
      model = (await loadModel(join(runDir, BEST_FILE), model.config)).model;
      selection = { epoch: best + 1, valSrocc: curve[best]!, valCurve: curve, valImages: val.length };
    }
    // on the engine that trained it: ONNX Runtime (one thread) where the steps ran on it, 3.6x the
    // wasm backend's forward here; TensorFlow.js for a tfjs training, which may run in a worker thread
    // where ONNX Runtime cannot, so its result is the same in a worker and on the main thread
    const result = await testModel(model, spec, pool, spec.profile.evalCrops, fitted.engine);
    model.dispose();
    const picked = selection ? `; epoch ${selection.epoch} of ${config.numEpochs} picked on validation (SROCC ${selection.valSrocc.toFixed(3)})` : '';
    noteProgress(`${spec.label}: test SROCC ${result.metrics.srocc.toFixed(3)}, PLCC ${result.metrics.plcc.toFixed(3)} (${spec.test.length} images; trained in ${Math.round(trainSeconds)} s${picked})`);
    return await writeResult(resultFile, 'run', p, spec.data, { ...result, trainSeconds, pretrained: config.pretrained !== '', trainConfig: { ...config }, ...(selection ? { selection } : {}) });
  } finally {
    await pool.close();
  }
}

/** The first epoch (0-based) with the highest validation SROCC (a NaN, from constant predictions, counts as -1). */
export function bestEpoch(valSrocc: readonly number[]): number {
  let best = 0;
  const v = (x: number | undefined): number => (x !== undefined && Number.isFinite(x) ? x : -1);
  for (let i = 1; i < valSrocc.length; i++) if (v(valSrocc[i]) > v(valSrocc[best])) best = i;
  return best;
}

/**
 * The per-epoch hook of model selection: scores the validation part (on the training's engine, the
 * profile's validation crops) and, when the epoch beats every earlier one, saves its weights as best.safetensors. It runs
 * before the epoch's checkpoint is committed, and a resumed run replays an uncommitted epoch exactly,
 * so a kill at any point leaves best.safetensors equal to the best committed (or replayed) epoch.
 */
function selectBest(runDir: string, val: BenchItem[], profile: Profile, pool: DecodePool): NonNullable<FitOptions['evaluate']> {
  return async (model, epoch, engine) => {
    const earlier = existsSync(join(runDir, 'log.jsonl')) ? (await readLog(runDir)).filter((r) => r.kind === 'epoch' && Number(r.epoch) <= epoch).map((r) => Number(r.valSrocc)) : [];
    const pred = await predictRecords(model, val, { crops: profile.valCrops, seed: 0, evalShortSide: profile.evalShortSide, imagesPerBatch: Math.max(1, Math.floor(32 / profile.valCrops)), pool, engine });
    const m = computeMetrics(pred.scores, val.map((t) => t.score01));
    const curve = [...earlier, m.srocc];
    if (bestEpoch(curve) === curve.length - 1) await saveModel(model, join(runDir, BEST_FILE), { epoch: String(epoch + 1), valSrocc: String(m.srocc) });
    return { valSrocc: m.srocc, valPlcc: m.plcc };
  };
}

/** Score test items with a trained model and compute the metrics. */
export async function testModel(model: Dgiqa, spec: Pick<RunSpec, 'profile' | 'test' | 'label'>, pool?: DecodePool, crops = spec.profile.evalCrops, engine: Engine | 'auto' = 'auto'): Promise<TestResult> {
  return (await testModels([model], [spec.label], spec, pool, crops, engine))[0]!;
}

type TestResult = Omit<RunResult, 'trainSeconds' | 'pretrained' | 'trainConfig'>;

/** testModel for several models on the same test items, decoded once for all (predictRecordsEach); one label each. */
export async function testModels(models: readonly Dgiqa[], labels: readonly string[], spec: Pick<RunSpec, 'profile' | 'test'>, pool?: DecodePool, crops = spec.profile.evalCrops, engine: Engine | 'auto' = 'auto'): Promise<TestResult[]> {
  const evalSeed = 0;
  const preds = await predictRecordsEach(models, spec.test, { crops, seed: evalSeed, evalShortSide: spec.profile.evalShortSide, imagesPerBatch: Math.max(1, Math.floor(32 / crops)), ...(pool ? { pool } : {}), engine });
  const mos = spec.test.map((t) => t.score01);
  const typed = spec.test.every((t) => t.distortion !== undefined);
  return models.map((model, k): TestResult => {
    const pred = preds[k]!;
    const perDistortion: Record<string, number> = {};
    if (typed) for (const [g, m] of Object.entries(metricsByGroup(pred.scores, mos, spec.test.map((t) => t.distortion as string)))) perDistortion[g] = m.srocc;
    return {
      label: labels[k]!,
      metrics: computeMetrics(pred.scores, mos),
      perDistortion,
      predictions: spec.test.map((t, i) => ({ image: t.relImage, pred: pred.scores[i]!, mos: t.score01, ...(t.distortion ? { distortion: t.distortion } : {}) })),
      params: model.numParams(),
      evalSeconds: pred.seconds,
      evalEngine: pred.engine,
      evalCrops: crops,
      evalSeed,
      modelConfig: { ...model.config },
    };
  });
}

/** The trained model of a finished run: the epoch its test used (best.safetensors with a validation part, else its last checkpoint). */
export async function loadRunModel(dir: string, profile: Profile, overrides: Record<string, unknown> = {}): Promise<Dgiqa> {
  const best = join(dir, 'run', BEST_FILE);
  return (await loadModel(existsSync(best) ? best : join(dir, 'run', 'model.safetensors'), configFrom(runModelConfig(profile, overrides)))).model;
}
