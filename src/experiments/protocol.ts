// The paper's protocols: 80/20 splits over 10 seeds (Table 2), cross-dataset tests (Table 3),
// ablations (Tables 4 and 5) and the consistency-loss sweep (Fig. 11).
import { join } from 'node:path';
import { applySplit, makeSplits, saveSplits } from '../data/splits.js';
import type { Split } from '../data/splits.js';
import { computeMetrics, meanInterval, pairedComparison, summarize } from '../eval/index.js';
import type { PairedComparison, Summary } from '../eval/index.js';
import { Dgiqa, configFrom } from '../model/index.js';
import { openBenchmark } from './datasets.js';
import type { BenchItem, Benchmark } from './datasets.js';
import { DISTORTIONS } from '../data/synth/index.js';
import { resolveTrainConfig, trainsOnOnnx } from '../train/index.js';
import { datasetTrain } from './profiles.js';
import type { Profile } from './profiles.js';
import { readResult, resultPath, savedOrPending, writeResult } from './results.js';
import { loadRunModel, runModelConfig, testModel, testModels, trainAndTest } from './run.js';
import type { CrossTestEntry, RunResult, RunSpec } from './run.js';
import { runJobs, trainAndTestAll, trainingParallelism } from './parallel.js';
import type { Job } from './parallel.js';
import { noteProgress } from '../util/progress.js';

const SPLIT_SEED = 0;

/** A set's training overrides (its kind's learning rate), as the spec's field: absent when none, so the demo's specs stay as they were. */
function trainOf(profile: Profile, dataset: string, extra: Record<string, unknown> = {}): Pick<RunSpec, 'trainOverrides'> {
  const o = { ...datasetTrain(profile, dataset), ...extra };
  return Object.keys(o).length > 0 ? { trainOverrides: o } : {};
}

function dataLabel(b: Benchmark): string {
  return b.kind === 'embedded' ? `embedded benchmark ${b.id} (not comparable with the paper)` : `${b.id} (official files)`;
}

export async function splitsFor(profile: Profile, b: Benchmark, count = profile.splits): Promise<Split[]> {
  const splits = makeSplits(b.items, { seed: SPLIT_SEED, numSplits: count, dataset: b.id });
  await saveSplits(resultPath(profile, 'splits', b.id), splits);
  return splits;
}

export interface ProtocolSummary {
  dataset: string;
  splits: number;
  srocc: Summary;
  plcc: Summary;
  runs: { split: number; srocc: number; plcc: number; krocc: number; rmse: number }[];
  perDistortion: Record<string, number>;
  seconds: number;
}

/** A split's run folder name (`split-00`, ...), shared by every experiment that trains one split and by the plan. */
export const splitDir = (index: number): string => `split-${String(index).padStart(2, '0')}`;

/** The protocol's trainings of one dataset, one per split. */
export async function protocolSpecs(profile: Profile, dataset: string): Promise<{ b: Benchmark; specs: RunSpec[] }> {
  const b = await openBenchmark(dataset, profile);
  const specs = (await splitsFor(profile, b)).map((split): RunSpec => {
    const parts = applySplit(b.items, split);
    return { profile, dir: resultPath(profile, 'protocol', dataset, splitDir(split.index)), train: parts.train, val: parts.val, test: parts.test, label: `${dataset} split ${split.index}`, data: dataLabel(b), seed: split.index, ...trainOf(profile, dataset) };
  });
  return { b, specs };
}

/**
 * Notebook 04's comparison: split 0 of the first protocol dataset trained from seeded random backbones,
 * beside the protocol's run from the pretrained ones. None when the profile has no pretrained backbones.
 */
export async function scratchSpecs(profile: Profile): Promise<RunSpec[]> {
  const dataset = profile.protocol[0];
  if (!profile.pretrained || dataset === undefined) return [];
  const [first] = (await protocolSpecs(profile, dataset)).specs;
  if (!first) return [];
  return [{ ...first, dir: resultPath(profile, 'scratch', dataset, splitDir(0)), label: `${first.label} from scratch`, fromScratch: true }];
}

/** The from-scratch run of scratchSpecs (trained once, then read back), or null without pretrained backbones. */
export async function runScratch(profile: Profile): Promise<RunResult | null> {
  const [spec] = await scratchSpecs(profile);
  return spec ? trainAndTest(spec) : null;
}

/** Train and test on each split of one dataset; mean, median and std over the splits. */
export async function runProtocol(profile: Profile, dataset: string, log: (l: string) => void = (l) => process.stderr.write(l + '\n')): Promise<ProtocolSummary> {
  const file = resultPath(profile, 'protocol', dataset, 'summary.json');
  const saved = await readResult<ProtocolSummary>(file);
  if (saved) return saved;
  const { b, specs } = await protocolSpecs(profile, dataset);
  const parallel = trainingParallelism();
  const line = `${dataset}: ${specs.length} splits, train ${specs[0]?.train.length ?? 0}, test ${specs[0]?.test.length ?? 0} images each, ${parallel} training${parallel > 1 ? 's' : ''} at a time`;
  log(line);
  noteProgress(line);
  const runs = await trainAndTestAll(specs, parallel);
  const perDistortion: Record<string, number> = {};
  const types = new Set(runs.flatMap((r) => Object.keys(r.perDistortion)));
  for (const t of types) perDistortion[t] = summarize(runs.map((r) => r.perDistortion[t]).filter(Number.isFinite)).mean;
  return writeResult(file, 'protocol', profile, dataLabel(b), {
    dataset,
    splits: runs.length,
    srocc: summarize(runs.map((r) => r.metrics.srocc)),
    plcc: summarize(runs.map((r) => r.metrics.plcc)),
    runs: runs.map((r, i) => ({ split: i, srocc: r.metrics.srocc, plcc: r.metrics.plcc, krocc: r.metrics.krocc, rmse: r.metrics.rmse })),
    perDistortion,
    seconds: runs.reduce((a, r) => a + r.trainSeconds + r.evalSeconds, 0),
  });
}

/**
 * The training of a cross-dataset pair: one model per training set and variant, first tested on `b`.
 * It trains on all of `a` but split 0's validation part, which picks the epoch (never `b`).
 */
async function crossSpec(profile: Profile, a: Benchmark, b: Benchmark, model: Record<string, unknown>, tag: string): Promise<RunSpec> {
  const parts = applySplit(a.items, (await splitsFor(profile, a, Math.max(1, profile.splits)))[0]!);
  return { profile, dir: resultPath(profile, 'cross', `${a.id}__${tag}`), train: [...parts.train, ...parts.test], val: parts.val, test: b.items, label: `${a.id} -> ${b.id}`, data: `${dataLabel(a)} -> ${dataLabel(b)}`, model, ...trainOf(profile, a.id) };
}

/** Train on all of one dataset, test on all of another (Table 3). */
export async function runCross(profile: Profile, train: string, test: string, model: Record<string, unknown> = {}, tag = 'full'): Promise<RunResult> {
  const a = await openBenchmark(train, profile);
  const b = await openBenchmark(test, profile);
  const dir = resultPath(profile, 'cross', `${train}__${tag}`);
  // one model per training set and variant; each test set is scored from it
  const trained = await trainAndTest(await crossSpec(profile, a, b, model, tag));
  if (trained.label === `${train} -> ${test}`) return trained;
  const file = resultPath(profile, 'cross', `${train}__${tag}`, `test-${test}.json`);
  const saved = await readResult<RunResult>(file);
  if (saved) return saved;
  const m = await loadRunModel(dir, profile, model);
  const r = await testModel(m, { profile, test: b.items, label: `${train} -> ${test}` });
  m.dispose();
  return writeResult(file, 'run', profile, `${dataLabel(a)} -> ${dataLabel(b)}`, { ...r, trainSeconds: trained.trainSeconds, pretrained: trained.pretrained, trainConfig: trained.trainConfig });
}

/** The cross-dataset trainings: one model per training set of `pairs`, first tested on its first pair's test set. */
export async function crossSpecs(profile: Profile, pairs: [string, string][] = profile.cross): Promise<RunSpec[]> {
  const firsts = pairs.filter(([train], i) => pairs.findIndex(([t]) => t === train) === i);
  const specs: RunSpec[] = [];
  for (const [train, test] of firsts) specs.push(await crossSpec(profile, await openBenchmark(train, profile), await openBenchmark(test, profile), {}, 'full'));
  return specs;
}

/** Every pair of `pairs` (default: the profile's Table 3): the models trained in parallel first. */
export async function runCrossAll(profile: Profile, pairs: [string, string][] = profile.cross): Promise<{ train: string; test: string; result: RunResult }[]> {
  await trainAndTestAll(await crossSpecs(profile, pairs));
  const out: { train: string; test: string; result: RunResult }[] = [];
  for (const [train, test] of pairs) out.push({ train, test, result: await runCross(profile, train, test) });
  return out;
}

/** The paper's ablation variants (Table 4 rows, read in Table 5's order), then the kit's RGB-only model. */
export const VARIANTS: { cfg: number; name: string; model: Record<string, unknown>; tcb: boolean; depthCar: boolean; dilation: boolean; depth: boolean }[] = [
  { cfg: 1, name: 'DGIQA without Depth-CAR', model: { depthCar: false }, tcb: true, depthCar: false, dilation: true, depth: true },
  { cfg: 2, name: 'DGIQA without dilation', model: { dilation: false }, tcb: true, depthCar: true, dilation: false, depth: true },
  { cfg: 3, name: 'DGIQA without TCB', model: { tcb: false }, tcb: false, depthCar: true, dilation: true, depth: true },
  { cfg: 4, name: 'DGIQA full', model: {}, tcb: true, depthCar: true, dilation: true, depth: true },
  // not a row of the paper's tables: the model of its Grad-CAM figures "without depth", trained like the rest
  { cfg: 5, name: 'RGB only (no depth input)', model: { useDepth: false, depthCar: false }, tcb: true, depthCar: false, dilation: true, depth: false },
];

/** The variant every other is compared with. */
export const FULL_CFG = 4;

/** A variant's whole-set model in cross/<set>__<tag>: the full model's is Table 3's own (`full`). */
export const variantTag = (cfg: number): string => (cfg === FULL_CFG ? 'full' : `cfg${cfg}`);

/**
 * Table 5's trainings where the profile trains each variant on all of a set (`ablationCross`), first
 * tested on its first test set; the full model is Table 3's, listed here only when Table 3 lacks it.
 */
export async function ablationCrossSpecs(profile: Profile): Promise<RunSpec[]> {
  const x = profile.ablationCross;
  const first = x?.tests[0];
  if (!x || first === undefined) return [];
  const a = await openBenchmark(x.train, profile);
  const b = await openBenchmark(first, profile);
  const inTable3 = profile.cross.some(([t]) => t === x.train);
  const specs: RunSpec[] = [];
  for (const v of VARIANTS) if (v.cfg !== FULL_CFG || !inTable3) specs.push(await crossSpec(profile, a, b, v.model, variantTag(v.cfg)));
  return specs;
}

/** One variant's run on one split: within the ablation set and on its cross-dataset test set. */
export interface AblationRun { split: number; srocc: number; plcc: number; crossSrocc: number; crossPlcc: number; depthDependentSrocc: number; depthIndependentSrocc: number }

export interface AblationRow {
  cfg: number;
  name: string;
  tcb: boolean;
  depthCar: boolean;
  dilation: boolean;
  /** false: the RGB-only model */
  depth: boolean;
  /** learnable parameters at the paper's size and at the profile's size */
  paperParams: number;
  params: number;
  /** means over the splits */
  srocc: number;
  plcc: number;
  crossSrocc: number;
  crossPlcc: number;
  /** 95% t intervals of the means over the splits */
  sroccCi: [number, number];
  plccCi: [number, number];
  crossSroccCi: [number, number];
  /** this variant minus the full model, split by split (absent on the full model's row) */
  vsFull?: { srocc: PairedComparison; crossSrocc: PairedComparison };
  runs: AblationRun[];
  /** Table 5 as the paper ran it (profile.ablationCross): the variant's whole-set model on each test set; cross* are its first */
  crossTests?: { train: string; test: string; srocc: number; plcc: number }[];
}

/** Parameter count of a variant at the paper's size (built with zero weights, then released). */
export function paperParams(model: Record<string, unknown>): number {
  const m = new Dgiqa(configFrom(model));
  const n = m.numParams();
  m.dispose();
  return n;
}

/** The first `count` protocol splits of the ablation set (default `profile.ablationSplits`), with their parts. */
async function ablationSplits(profile: Profile, count = profile.ablationSplits): Promise<{ a: Benchmark; parts: { index: number; train: BenchItem[]; val: BenchItem[]; test: BenchItem[] }[] }> {
  const a = await openBenchmark(profile.ablation.train, profile);
  // as many splits as the protocol's (or the ablations') are made, so that each split is the protocol's own
  const splits = await splitsFor(profile, a, Math.max(profile.splits, profile.ablationSplits, count));
  return { a, parts: splits.slice(0, count).map((split) => ({ index: split.index, ...applySplit(a.items, split) })) };
}

/**
 * Where split k's training of a model with the default training config lives: the protocol's run when
 * the ablation set is a protocol dataset (the same split, seed, model and config: one training, not two).
 */
function sharedDir(profile: Profile, a: Benchmark, index: number, own: string): string {
  return profile.protocol.includes(a.id) && index < profile.splits ? resultPath(profile, 'protocol', a.id, splitDir(index)) : own;
}

/** The ablation variants' trainings, variant by variant, split by split (the full model's are the protocol's own). */
export async function ablationSpecs(profile: Profile): Promise<RunSpec[]> {
  const { a, parts } = await ablationSplits(profile);
  return VARIANTS.flatMap((v) => parts.map((p): RunSpec => {
    const own = resultPath(profile, 'ablation', `cfg${v.cfg}`, splitDir(p.index));
    const dir = v.cfg === FULL_CFG ? sharedDir(profile, a, p.index, own) : own;
    return { profile, dir, train: p.train, val: p.val, test: p.test, label: v.cfg === FULL_CFG && dir !== own ? `${a.id} split ${p.index}` : `${v.name} on ${a.id} split ${p.index}`, data: dataLabel(a), model: v.model, seed: p.index, ...trainOf(profile, a.id) };
  }));
}

const interval = (values: number[]): [number, number] => {
  const iv = meanInterval(values);
  return [iv.lo, iv.hi];
};

/** SROCC of a run's predictions on the distortions whose `depthDependent` flag is `dependent` (NaN without any). */
function sroccWhere(r: RunResult, dependent: boolean): number {
  const types = new Set(DISTORTIONS.filter((d) => d.depthDependent === dependent).map((d) => d.name));
  const picked = r.predictions.filter((x) => x.distortion !== undefined && types.has(x.distortion));
  return picked.length < 3 ? NaN : computeMetrics(picked.map((x) => x.pred), picked.map((x) => x.mos)).srocc;
}

/**
 * Table 5's test of one trained ablation run on the cross-dataset set `b`, saved beside the run as
 * test-<b>.json (read back when there); `within` is the run's own result. `dgiqa job` runs it alone.
 */
export async function ablationCrossTest(profile: Profile, spec: RunSpec, v: { name: string; model: Record<string, unknown> }, within: RunResult, a: Benchmark, b: Benchmark): Promise<RunResult> {
  return (await ablationCrossTestsOf(profile, [{ spec, variant: v, within }], a, b))[0]!;
}

/** ablationCrossTest for several runs, `b` decoded once for all of them (testModels). */
export async function ablationCrossTestsOf(profile: Profile, entries: readonly CrossTestEntry[], a: Benchmark, b: Benchmark): Promise<RunResult[]> {
  const { saved: out, pending: todo } = await savedOrPending<RunResult>(entries.map((e) => crossTestFile(e, b)));
  const models: Dgiqa[] = [];
  try {
    for (const i of todo) models.push(await loadRunModel(entries[i]!.spec.dir, profile, entries[i]!.variant.model));
    const labels = todo.map((i) => `${entries[i]!.variant.name}: ${a.id} -> ${b.id}`);
    const tested = models.length > 0 ? await testModels(models, labels, { profile, test: b.items }, undefined, profile.ablationCrossCrops) : [];
    for (const [k, i] of todo.entries()) {
      const { within } = entries[i]!;
      out[i] = await writeResult(crossTestFile(entries[i]!, b), 'run', profile, `${dataLabel(a)} -> ${dataLabel(b)}`, { ...tested[k]!, trainSeconds: within.trainSeconds, pretrained: within.pretrained, trainConfig: within.trainConfig });
    }
  } finally {
    for (const m of models) m.dispose();
  }
  return out as RunResult[];
}

/** Where a run's Table 5 test on `b` is saved: beside the run. */
const crossTestFile = (e: CrossTestEntry, b: Benchmark): string => join(e.spec.dir, `test-${b.id}.json`);

/** At most this many models in one pass of ablationCrossTestsOf (the demo model is 7 MB; the paper's 220 MB). */
const CROSS_TEST_GROUP = 8;

/**
 * Table 5's tests of the split models, in the training lanes where trainings run in processes (ONNX
 * Runtime): its Node binding runs a session on the thread that calls it, so tests side by side in one
 * process took turns (notebook 07 spent 6 of the demo's 34 minutes on them). Each lane tests a group
 * of runs on one decoding of `b`. Elsewhere they run here, as a worker thread would test on
 * TensorFlow.js and give other numbers than the main thread. Saved tests are read back.
 */
export async function ablationCrossTests(profile: Profile, entries: CrossTestEntry[], a: Benchmark, b: Benchmark): Promise<RunResult[]> {
  const { saved: out, pending } = await savedOrPending<RunResult>(entries.map((e) => crossTestFile(e, b)));
  const lanes = trainsOnOnnx() ? trainingParallelism() : 1;
  const groupCount = Math.max(Math.min(lanes, pending.length), Math.ceil(pending.length / CROSS_TEST_GROUP));
  const groups = Array.from({ length: groupCount }, (_, g) => pending.filter((_, k) => k % groupCount === g));
  const jobs = groups.map((g): Job<RunResult[]> => {
    const chosen = g.map((i) => entries[i]!);
    return {
      task: { kind: 'cross-test', profile, entries: chosen, a, b },
      label: `Table 5 tests on ${b.id} (${chosen.map((e) => e.spec.label).join('; ')})`,
      local: () => ablationCrossTestsOf(profile, chosen, a, b),
    };
  });
  const done = await runJobs(jobs, lanes);
  groups.forEach((g, k) => g.forEach((i, j) => (out[i] = done[k]![j]!)));
  return out as RunResult[];
}

/** Tables 4 and 5 (and the RGB-only model): each variant trained on the first splits of the ablation set, tested there and across datasets. */
export async function runAblations(profile: Profile): Promise<AblationRow[]> {
  const file = resultPath(profile, 'ablation', 'summary.json');
  const saved = await readResult<{ rows: AblationRow[] }>(file);
  if (saved) return saved.rows;
  const { train, cross } = profile.ablation;
  const x = profile.ablationCross;
  const a = await openBenchmark(train, profile);
  // with whole-set models for Table 5, the split models are not tested across datasets
  const b = x ? null : await openBenchmark(cross, profile);
  const specs = await ablationSpecs(profile);
  const trained = await trainAndTestAll(specs);
  const perVariant = profile.ablationSplits;
  const variantAt = (i: number): (typeof VARIANTS)[number] => VARIANTS[Math.floor(i / perVariant)]!;
  const acrossAll = b ? await ablationCrossTests(profile, specs.map((spec, i) => ({ spec, variant: variantAt(i), within: trained[i]! })), a, b) : [];
  const runsOf = new Map<number, AblationRun[]>();
  for (const [k, v] of VARIANTS.entries()) {
    const runs: AblationRun[] = [];
    for (let j = 0; j < perVariant; j++) {
      const spec = specs[k * perVariant + j]!;
      const within = trained[k * perVariant + j]!;
      const across = b ? acrossAll[k * perVariant + j]!.metrics : { srocc: NaN, plcc: NaN };
      runs.push({ split: spec.seed ?? j, srocc: within.metrics.srocc, plcc: within.metrics.plcc, crossSrocc: across.srocc, crossPlcc: across.plcc, depthDependentSrocc: sroccWhere(within, true), depthIndependentSrocc: sroccWhere(within, false) });
    }
    runsOf.set(v.cfg, runs);
  }
  // Table 5 from whole-set models: one model per variant, so one value per test set (no interval)
  const testsOf = new Map<number, NonNullable<AblationRow['crossTests']>>();
  if (x) {
    await trainAndTestAll(await ablationCrossSpecs(profile));
    for (const v of VARIANTS) {
      const rs: NonNullable<AblationRow['crossTests']> = [];
      for (const t of x.tests) {
        const r = await runCross(profile, x.train, t, v.model, variantTag(v.cfg));
        rs.push({ train: x.train, test: t, srocc: r.metrics.srocc, plcc: r.metrics.plcc });
      }
      testsOf.set(v.cfg, rs);
    }
  }
  const full = runsOf.get(FULL_CFG)!;
  const rows = VARIANTS.map((v, k): AblationRow => {
    const runs = runsOf.get(v.cfg)!;
    const col = (key: keyof AblationRun, rs = runs): number[] => rs.map((r) => r[key]);
    const tests = testsOf.get(v.cfg);
    const crossCol = (rs: AblationRun[], cfg: number): number[] => (x ? [testsOf.get(cfg)?.[0]?.srocc ?? NaN] : col('crossSrocc', rs));
    const vsFull = v.cfg === FULL_CFG ? undefined : { srocc: pairedComparison(col('srocc'), col('srocc', full)), crossSrocc: pairedComparison(crossCol(runs, v.cfg), crossCol(full, FULL_CFG)) };
    return {
      cfg: v.cfg, name: v.name, tcb: v.tcb, depthCar: v.depthCar, dilation: v.dilation, depth: v.depth,
      paperParams: paperParams({ ...v.model }), params: trained[k * perVariant]!.params,
      srocc: meanInterval(col('srocc')).mean, plcc: meanInterval(col('plcc')).mean,
      crossSrocc: tests ? tests[0]?.srocc ?? NaN : meanInterval(col('crossSrocc')).mean, crossPlcc: tests ? tests[0]?.plcc ?? NaN : meanInterval(col('crossPlcc')).mean,
      sroccCi: interval(col('srocc')), plccCi: interval(col('plcc')), crossSroccCi: tests ? [NaN, NaN] : interval(col('crossSrocc')),
      ...(vsFull ? { vsFull } : {}),
      runs,
      ...(tests ? { crossTests: tests } : {}),
    };
  });
  const crossText = x ? `cross: ${x.train} whole-set models on ${x.tests.join(', ')}` : `cross: ${dataLabel(b!)}`;
  await writeResult(file, 'ablation', profile, `${dataLabel(a)}; ${crossText}; ${perVariant} splits per variant`, { rows, modelConfig: runModelConfig(profile) });
  return rows;
}

export interface LambdaRow {
  lambda: number;
  srocc: number;
  plcc: number;
  sroccCi: [number, number];
  plccCi: [number, number];
  /** this lambda minus the profile's default lambda, split by split (absent on the default's row) */
  vsDefault?: PairedComparison;
  runs: { split: number; srocc: number; plcc: number }[];
}

/** The lambda sweep's trainings, lambda by lambda, split by split (the default lambda's are the protocol's own). */
export async function lambdaSpecs(profile: Profile): Promise<RunSpec[]> {
  const { a, parts } = await ablationSplits(profile, profile.lambdaSplits);
  const defaultLambda = resolveTrainConfig(profile.train).lambda;
  return profile.lambdas.flatMap((lambda) => parts.map((p): RunSpec => {
    const own = resultPath(profile, 'lambda', `lambda-${lambda}`, splitDir(p.index));
    const dir = lambda === defaultLambda ? sharedDir(profile, a, p.index, own) : own;
    // the default lambda is left out of the overrides, so that its config is the protocol's, byte for byte
    return { profile, dir, train: p.train, val: p.val, test: p.test, label: dir === own ? `lambda ${lambda} split ${p.index}` : `${a.id} split ${p.index}`, data: dataLabel(a), seed: p.index, ...trainOf(profile, a.id, lambda === defaultLambda ? {} : { lambda }) };
  }));
}

/** Fig. 11: the consistency-loss weight lambda swept over the first splits of the ablation set. */
export async function runLambdaSweep(profile: Profile): Promise<LambdaRow[]> {
  const a = await openBenchmark(profile.ablation.train, profile);
  const runs = await trainAndTestAll(await lambdaSpecs(profile));
  const per = profile.lambdaSplits;
  const defaultLambda = resolveTrainConfig(profile.train).lambda;
  const base = profile.lambdas.indexOf(defaultLambda);
  const sroccs = profile.lambdas.map((_, k) => runs.slice(k * per, (k + 1) * per).map((r) => r.metrics.srocc));
  const rows = profile.lambdas.map((lambda, k): LambdaRow => {
    const mine = runs.slice(k * per, (k + 1) * per);
    const s = mine.map((r) => r.metrics.srocc);
    const pl = mine.map((r) => r.metrics.plcc);
    return {
      lambda, srocc: meanInterval(s).mean, plcc: meanInterval(pl).mean, sroccCi: interval(s), plccCi: interval(pl),
      ...(base >= 0 && k !== base ? { vsDefault: pairedComparison(s, sroccs[base]!) } : {}),
      runs: mine.map((r, j) => ({ split: j, srocc: r.metrics.srocc, plcc: r.metrics.plcc })),
    };
  });
  await writeResult(resultPath(profile, 'lambda', 'summary.json'), 'lambda-sweep', profile, `${dataLabel(a)}; ${per} splits per lambda`, { rows, defaultLambda });
  return rows;
}
