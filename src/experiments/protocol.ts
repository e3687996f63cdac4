// The paper's protocols: 80/20 splits over 10 seeds (Table 2), cross-dataset tests (Table 3),
// ablations (Tables 4 and 5) and the consistency-loss sweep (Fig. 11).
import { join } from 'node:path';
import { applySplit, makeSplits, saveSplits } from '../data/splits.js';
import type { Split } from '../data/splits.js';
import { summarize } from '../eval/index.js';
import type { Summary } from '../eval/index.js';
import { Dgiqa, configFrom } from '../model/index.js';
import { openBenchmark } from './datasets.js';
import type { Benchmark } from './datasets.js';
import type { Profile } from './profiles.js';
import { readResult, resultPath, writeResult } from './results.js';
import { loadRunModel, runModelConfig, testModel, trainAndTest } from './run.js';
import type { RunResult, RunSpec } from './run.js';
import { trainAndTestAll, trainingParallelism } from './parallel.js';
import { noteProgress } from '../util/progress.js';

const SPLIT_SEED = 0;

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

/** The protocol's trainings of one dataset, one per split. */
export async function protocolSpecs(profile: Profile, dataset: string): Promise<{ b: Benchmark; specs: RunSpec[] }> {
  const b = await openBenchmark(dataset, profile);
  const specs = (await splitsFor(profile, b)).map((split): RunSpec => {
    const parts = applySplit(b.items, split);
    return { profile, dir: resultPath(profile, 'protocol', dataset, `split-${String(split.index).padStart(2, '0')}`), train: [...parts.train, ...parts.val], test: parts.test, label: `${dataset} split ${split.index}`, data: dataLabel(b), seed: split.index };
  });
  return { b, specs };
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

/** The training of a cross-dataset pair: one model per training set and variant, first tested on `b`. */
function crossSpec(profile: Profile, a: Benchmark, b: Benchmark, model: Record<string, unknown>, tag: string): RunSpec {
  return { profile, dir: resultPath(profile, 'cross', `${a.id}__${tag}`), train: a.items, test: b.items, label: `${a.id} -> ${b.id}`, data: `${dataLabel(a)} -> ${dataLabel(b)}`, model };
}

/** Train on all of one dataset, test on all of another (Table 3). */
export async function runCross(profile: Profile, train: string, test: string, model: Record<string, unknown> = {}, tag = 'full'): Promise<RunResult> {
  const a = await openBenchmark(train, profile);
  const b = await openBenchmark(test, profile);
  const dir = resultPath(profile, 'cross', `${train}__${tag}`);
  // one model per training set and variant; each test set is scored from it
  const trained = await trainAndTest(crossSpec(profile, a, b, model, tag));
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
  for (const [train, test] of firsts) specs.push(crossSpec(profile, await openBenchmark(train, profile), await openBenchmark(test, profile), {}, 'full'));
  return specs;
}

/** Every pair of `pairs` (default: the profile's Table 3): the models trained in parallel first. */
export async function runCrossAll(profile: Profile, pairs: [string, string][] = profile.cross): Promise<{ train: string; test: string; result: RunResult }[]> {
  await trainAndTestAll(await crossSpecs(profile, pairs));
  const out: { train: string; test: string; result: RunResult }[] = [];
  for (const [train, test] of pairs) out.push({ train, test, result: await runCross(profile, train, test) });
  return out;
}

/** The paper's ablation variants (Table 4 rows, read in Table 5's order). */
export const VARIANTS: { cfg: number; name: string; model: Record<string, unknown>; tcb: boolean; depthCar: boolean; dilation: boolean }[] = [
  { cfg: 1, name: 'DGIQA without Depth-CAR', model: { depthCar: false }, tcb: true, depthCar: false, dilation: true },
  { cfg: 2, name: 'DGIQA without dilation', model: { dilation: false }, tcb: true, depthCar: true, dilation: false },
  { cfg: 3, name: 'DGIQA without TCB', model: { tcb: false }, tcb: false, depthCar: true, dilation: true },
  { cfg: 4, name: 'DGIQA full', model: {}, tcb: true, depthCar: true, dilation: true },
];

export interface AblationRow {
  cfg: number;
  name: string;
  tcb: boolean;
  depthCar: boolean;
  dilation: boolean;
  /** learnable parameters at the paper's size and at the profile's size */
  paperParams: number;
  params: number;
  srocc: number;
  plcc: number;
  crossSrocc: number;
  crossPlcc: number;
}

/** Parameter count of a variant at the paper's size (built with zero weights, then released). */
export function paperParams(model: Record<string, unknown>): number {
  const m = new Dgiqa(configFrom(model));
  const n = m.numParams();
  m.dispose();
  return n;
}

/** The ablation variants' trainings, in VARIANTS' order: split 0 of the ablation set. */
export async function ablationSpecs(profile: Profile): Promise<RunSpec[]> {
  const a = await openBenchmark(profile.ablation.train, profile);
  const parts = applySplit(a.items, (await splitsFor(profile, a, 1))[0]);
  return VARIANTS.map((v): RunSpec => ({ profile, dir: resultPath(profile, 'ablation', `cfg${v.cfg}`), train: [...parts.train, ...parts.val], test: parts.test, label: `${v.name} on ${a.id}`, data: dataLabel(a), model: v.model }));
}

/** Tables 4 and 5: each variant trained on the ablation set's split 0, tested there and across datasets. */
export async function runAblations(profile: Profile): Promise<AblationRow[]> {
  const file = resultPath(profile, 'ablation', 'summary.json');
  const saved = await readResult<{ rows: AblationRow[] }>(file);
  if (saved) return saved.rows;
  const { train, cross } = profile.ablation;
  const a = await openBenchmark(train, profile);
  const b = await openBenchmark(cross, profile);
  const rows: AblationRow[] = [];
  const specs = await ablationSpecs(profile);
  const trained = await trainAndTestAll(specs);
  for (const [k, v] of VARIANTS.entries()) {
    const dir = specs[k]!.dir;
    const within = trained[k]!;
    const file2 = join(dir, `test-${cross}.json`);
    let across = await readResult<RunResult>(file2);
    if (!across) {
      const m = await loadRunModel(dir, profile, v.model);
      const r = await testModel(m, { profile, test: b.items, label: `${v.name}: ${train} -> ${cross}` });
      m.dispose();
      across = await writeResult(file2, 'run', profile, `${dataLabel(a)} -> ${dataLabel(b)}`, { ...r, trainSeconds: within.trainSeconds, pretrained: within.pretrained, trainConfig: within.trainConfig });
    }
    rows.push({ cfg: v.cfg, name: v.name, tcb: v.tcb, depthCar: v.depthCar, dilation: v.dilation, paperParams: paperParams({ ...v.model }), params: within.params, srocc: within.metrics.srocc, plcc: within.metrics.plcc, crossSrocc: across.metrics.srocc, crossPlcc: across.metrics.plcc });
  }
  await writeResult(file, 'ablation', profile, `${dataLabel(a)}; cross: ${dataLabel(b)}`, { rows, modelConfig: runModelConfig(profile) });
  return rows;
}

/** The lambda sweep's trainings, in the profile's order. */
export async function lambdaSpecs(profile: Profile): Promise<RunSpec[]> {
  const a = await openBenchmark(profile.ablation.train, profile);
  const parts = applySplit(a.items, (await splitsFor(profile, a, 1))[0]);
  return profile.lambdas.map((lambda) => ({ profile, dir: resultPath(profile, 'lambda', `lambda-${lambda}`), train: [...parts.train, ...parts.val], test: parts.test, label: `lambda ${lambda}`, data: dataLabel(a), trainOverrides: { lambda } }));
}

/** Fig. 11: the consistency-loss weight lambda swept on split 0 of the ablation set. */
export async function runLambdaSweep(profile: Profile): Promise<{ lambda: number; srocc: number; plcc: number }[]> {
  const a = await openBenchmark(profile.ablation.train, profile);
  const runs = await trainAndTestAll(await lambdaSpecs(profile));
  const rows = profile.lambdas.map((lambda, k) => ({ lambda, srocc: runs[k]!.metrics.srocc, plcc: runs[k]!.metrics.plcc }));
  await writeResult(resultPath(profile, 'lambda', 'summary.json'), 'lambda-sweep', profile, dataLabel(a), { rows });
  return rows;
}
