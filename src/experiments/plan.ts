// What a profile's course would train and evaluate, worked out from the profile's settings alone (no
// dataset opened, no file read), so that the paper profile can be inspected on a machine without its
// data or a GPU. The folders are those of protocol.ts and fullReference.ts (test/plan.test.ts holds
// the two together through coursePlan); image counts are estimates from the datasets' sizes.
import { relative } from 'node:path';
import { partSizes, SPLIT_DEFAULTS } from '../data/splits.js';
import { PAIR_COUNTS, TABLE1_COUNTS } from '../data/loaders/types.js';
import { distortionsOf, SYNTH_PROFILES } from '../data/synth/index.js';
import { configFrom } from '../model/index.js';
import { modelCost } from '../model/cost.js';
import { resolveTrainConfig } from '../train/index.js';
import { paths } from './paths.js';
import { datasetTrain } from './profiles.js';
import type { Profile } from './profiles.js';
import { densityModelRun, RGB_ONLY_CFG } from './density.js';
import { FULL_CFG, VARIANTS, splitDir, variantTag } from './protocol.js';
import { resultPath } from './results.js';
import { runModelConfig } from './run.js';
import { crossFirstTest } from './tsne.js';

export interface PlanEntry {
  /** the run's folder relative to the results root (an evaluation: its result file without .json) */
  id: string;
  kind: 'train' | 'evaluate';
  /** table2, pretrained-vs-scratch, table4, table5, fig11, table3, fig6, table6, density, tsne, gradcam */
  experiment: string;
  model: string;
  /** the set the model is (or was) trained on; null for a scorer that is not trained (NIQE) */
  train: string | null;
  split: number | 'all';
  test: string[];
  seed: number;
  /** the training's (an evaluation: its model's); null for an untrained scorer, as are epochs, lambda and selection */
  lr: number | null;
  epochs: number | null;
  lambda: number | null;
  /** validation: the best validation epoch is tested; last: the last epoch */
  selection: 'validation' | 'last' | null;
  /** ids whose trained model this entry needs */
  depends: string[];
  /** training images per epoch, estimated from the dataset's size (null: size unknown) */
  trainImages: number | null;
  /** training GFLOP from the cost model: images x epochs x training cost per image (null: unknown) */
  trainGflop: number | null;
}

const DEPTH_FULL = 'DGIQA full';

/** Image and group (reference or image) counts of a dataset, as far as the kit knows them without its files. */
function datasetSize(profile: Profile, id: string): { images: number; groups: number } | null {
  const family = id === 'synth-A' ? 'A' : id === 'synth-B' ? 'B' : undefined;
  if (family && profile.synth) {
    const s = SYNTH_PROFILES[profile.synth];
    // the embedded benchmark splits by scene: every distorted version of a scene on one side
    return { images: s.scenes * distortionsOf(family).length * s.levels.length, groups: s.scenes };
  }
  // a pair set: each pair a clean and a distorted image
  const pairs = (PAIR_COUNTS as Readonly<Record<string, number>>)[id];
  if (pairs !== undefined) return { images: 2 * pairs, groups: pairs };
  const images = (TABLE1_COUNTS as Readonly<Record<string, number>>)[id];
  // real sets: counted by image (their reference counts need the files; the fractions are alike)
  return images === undefined ? null : { images, groups: images };
}

/** A dataset's image count as the plan estimates it (null: unknown without its files). */
export function datasetImages(profile: Profile, id: string): number | null {
  return datasetSize(profile, id)?.images ?? null;
}

/** The parts of a split as image counts, from the splitter's own group sizes. */
function parts(profile: Profile, id: string): { train: number; val: number; test: number } | null {
  const size = datasetSize(profile, id);
  if (!size) return null;
  const g = partSizes(size.groups, SPLIT_DEFAULTS.testFraction, SPLIT_DEFAULTS.valFraction);
  const per = size.images / size.groups;
  const test = Math.round(g.test * per);
  const val = Math.round(g.val * per);
  return { train: size.images - test - val, val, test };
}

/** a dataset of unknown size is large enough to spare a validation part (every real dataset is) */
const UNKNOWN_VAL = 1;

/** Every training (and the evaluations of saved models) the profile's course runs, in the notebooks' order. */
export function planOf(profile: Profile): PlanEntry[] {
  const rel = (...p: string[]): string => relative(paths.results, resultPath(profile, ...p)).split('\\').join('/');
  const base = resolveTrainConfig(profile.train);
  const out: PlanEntry[] = [];
  const seen = new Set<string>();
  const cost = (overrides: Record<string, unknown>): number => modelCost(configFrom(runModelConfig(profile, overrides))).train.flops;
  // each entry's learning rate and epochs as its training resolves them: the profile's, its set's kind's
  // rate (datasetTrain), then the entry's own overrides (DGIQA-FR's); an evaluation shows its model's
  const add = (e: Omit<PlanEntry, 'lr' | 'epochs' | 'trainGflop' | 'lambda' | 'selection'> & { lambda?: number; val: number; flopsPerImage: number; overrides?: Record<string, unknown> }): void => {
    if (seen.has(e.id)) return; // a run another experiment shares is trained once
    seen.add(e.id);
    const { val, flopsPerImage, lambda, overrides, ...rest } = e;
    if (e.train === null) {
      out.push({ ...rest, lr: null, epochs: null, lambda: null, selection: null, trainGflop: null });
      return;
    }
    const c = resolveTrainConfig({ ...profile.train, ...datasetTrain(profile, e.train), ...overrides });
    const training = e.kind === 'train';
    const gflop = training && e.trainImages !== null ? (e.trainImages * c.numEpochs * c.cropsPerImage * flopsPerImage) / 1e9 : null;
    out.push({ ...rest, lr: c.lr, epochs: c.numEpochs, lambda: lambda ?? c.lambda, selection: val > 0 ? 'validation' : 'last', trainGflop: gflop });
  };
  const fullCost = cost({});
  const splitRun = (experiment: string, model: string, id: string, dataset: string, k: number, flops: number, lambda?: number): void => {
    const p = parts(profile, dataset);
    add({ id, kind: 'train', experiment, model, train: dataset, split: k, test: [dataset], seed: k, depends: [], trainImages: p?.train ?? null, val: p?.val ?? UNKNOWN_VAL, flopsPerImage: flops, ...(lambda === undefined ? {} : { lambda }) });
  };
  const protocolDir = (dataset: string, k: number): string => rel('protocol', dataset, splitDir(k));

  // Table 2: every split of every protocol dataset
  for (const dataset of profile.protocol) for (let k = 0; k < profile.splits; k++) splitRun('table2', DEPTH_FULL, protocolDir(dataset, k), dataset, k, fullCost);
  // notebook 04: split 0 again from seeded random backbones
  const first = profile.protocol[0];
  if (profile.pretrained && first !== undefined && profile.splits > 0) splitRun('pretrained-vs-scratch', `${DEPTH_FULL} (from scratch)`, rel('scratch', first, splitDir(0)), first, 0, fullCost);

  // Tables 4 and 5: each variant on the first splits of the ablation set; the full model's runs are
  // the protocol's where the ablation set is a protocol dataset (as sharedDir in protocol.ts)
  const { train: abl, cross } = profile.ablation;
  const shared = (k: number, own: string): string => (profile.protocol.includes(abl) && k < profile.splits ? protocolDir(abl, k) : own);
  const ablationDirs: { dir: string; name: string; flops: number }[] = [];
  for (const v of VARIANTS) {
    const flops = cost(v.model);
    for (let k = 0; k < profile.ablationSplits; k++) {
      const own = rel('ablation', `cfg${v.cfg}`, splitDir(k));
      const dir = v.cfg === FULL_CFG ? shared(k, own) : own;
      splitRun('table4', v.name, dir, abl, k, flops);
      ablationDirs.push({ dir, name: v.name, flops });
    }
  }
  // Table 5 from Table 4's split models, where the profile has no whole-set models for it (ablationCross)
  if (!profile.ablationCross) {
    for (const [i, a] of ablationDirs.entries()) {
      const k = i % profile.ablationSplits;
      add({ id: `${a.dir}/test-${cross}`, kind: 'evaluate', experiment: 'table5', model: a.name, train: abl, split: k, test: [cross], seed: k, depends: [a.dir], trainImages: null, val: parts(profile, abl)?.val ?? UNKNOWN_VAL, flopsPerImage: a.flops });
    }
  }

  // Fig. 11: the consistency-loss weight on the first lambdaSplits splits; the default lambda's runs are the protocol's
  for (const lambda of profile.lambdas) {
    for (let k = 0; k < profile.lambdaSplits; k++) {
      const own = rel('lambda', `lambda-${lambda}`, splitDir(k));
      splitRun('fig11', DEPTH_FULL, lambda === base.lambda ? shared(k, own) : own, abl, k, fullCost, lambda);
    }
  }

  // Table 3: one model per training set (all of it but split 0's validation part), tested on each pair's set
  const trainSets = [...new Set(profile.cross.map(([a]) => a))];
  for (const a of trainSets) {
    const tests = profile.cross.filter(([t]) => t === a).map(([, b]) => b);
    const p = parts(profile, a);
    const dir = rel('cross', `${a}__full`);
    add({ id: dir, kind: 'train', experiment: 'table3', model: DEPTH_FULL, train: a, split: 'all', test: [tests[0]!], seed: 0, depends: [], trainImages: p ? p.train + p.test : null, val: p?.val ?? UNKNOWN_VAL, flopsPerImage: fullCost });
    for (const b of tests.slice(1)) add({ id: `${dir}/test-${b}`, kind: 'evaluate', experiment: 'table3', model: DEPTH_FULL, train: a, split: 'all', test: [b], seed: 0, depends: [dir], trainImages: null, val: p?.val ?? UNKNOWN_VAL, flopsPerImage: fullCost });
  }

  // Table 5 as the paper ran it: each variant trained on all of a set (Table 3's recipe, in
  // cross/<set>__<tag>), tested on every test set; the full model's runs are Table 3's, listed above
  const x = profile.ablationCross;
  if (x && x.tests.length > 0) {
    const p = parts(profile, x.train);
    for (const v of VARIANTS) {
      const dir = rel('cross', `${x.train}__${variantTag(v.cfg)}`);
      const flops = cost(v.model);
      add({ id: dir, kind: 'train', experiment: 'table5', model: v.name, train: x.train, split: 'all', test: [x.tests[0]!], seed: 0, depends: [], trainImages: p ? p.train + p.test : null, val: p?.val ?? UNKNOWN_VAL, flopsPerImage: flops });
      for (const b of x.tests.slice(1)) add({ id: `${dir}/test-${b}`, kind: 'evaluate', experiment: 'table5', model: v.name, train: x.train, split: 'all', test: [b], seed: 0, depends: [dir], trainImages: null, val: p?.val ?? UNKNOWN_VAL, flopsPerImage: flops });
    }
  }

  // Fig. 6 on Table 3's model (cropsModel): one evaluation per crop count, each a file of its own
  const cm = profile.cropsModel;
  if (cm) {
    const model = rel('cross', `${cm.train}__full`);
    for (const n of profile.cropCounts) {
      add({ id: rel('crops', `${cm.train}__${cm.test}`, `crops-${n}`), kind: 'evaluate', experiment: 'fig6', model: DEPTH_FULL, train: cm.train, split: 'all', test: [cm.test], seed: 0, depends: [model], trainImages: null, val: parts(profile, cm.train)?.val ?? UNKNOWN_VAL, flopsPerImage: fullCost });
    }
  }

  // Table 6: DGIQA-FR on the first fullReferenceSplits splits of each set with references (train and
  // validation parts, last epoch), with its own training overrides; the trunk runs on the reference
  // too, so twice the cost per image. One split: its folder is the set's (fullReference.ts: frSplitDir)
  for (const id of profile.fullReference) {
    const p = parts(profile, id);
    for (let k = 0; k < Math.max(1, profile.fullReferenceSplits); k++) {
      const dir = profile.fullReferenceSplits > 1 ? rel('full-reference', id, splitDir(k)) : rel('full-reference', id);
      add({ id: dir, kind: 'train', experiment: 'table6', model: 'DGIQA-FR', train: id, split: k, test: [id], seed: k, depends: [], trainImages: p ? p.train + p.val : null, val: 0, lambda: 0, flopsPerImage: 2 * fullCost, overrides: profile.fullReferenceTrain });
    }
  }

  // The studies of trained models, one evaluation per saved result (density.ts, tsne.ts, report/explain.ts).
  // The split-0 model of a variant on the ablation set, and of the full model on a protocol set:
  const variantOf = (cfg: number): (typeof VARIANTS)[number] => VARIANTS.find((v) => v.cfg === cfg)!;
  const ablationSplit0 = (cfg: number): string => (cfg === FULL_CFG ? shared(0, rel('ablation', `cfg${cfg}`, splitDir(0))) : rel('ablation', `cfg${cfg}`, splitDir(0)));
  const valOf = (set: string): number => parts(profile, set)?.val ?? UNKNOWN_VAL;
  // Figs. 2 and 8: each scorer on each natural-distortion set
  for (const scorer of profile.densityScorers) {
    for (const set of profile.natural) {
      const id = rel('density', scorer, set);
      if (scorer === 'niqe') {
        add({ id, kind: 'evaluate', experiment: 'density', model: 'NIQE (classic, untrained)', train: null, split: 'all', test: [set], seed: 0, depends: [], trainImages: null, val: 0, flopsPerImage: 0 });
        continue;
      }
      const v = variantOf(scorer === 'dgiqa' ? FULL_CFG : RGB_ONLY_CFG);
      const run = densityModelRun(profile, scorer);
      const dir = run.kind === 'whole' ? rel('cross', `${run.train}__${variantTag(v.cfg)}`) : ablationSplit0(v.cfg);
      const train = run.kind === 'whole' ? run.train : abl;
      add({ id, kind: 'evaluate', experiment: 'density', model: v.name, train, split: run.kind === 'whole' ? 'all' : 0, test: [set], seed: 0, depends: [dir], trainImages: null, val: valOf(train), flopsPerImage: cost(v.model) });
    }
  }
  // Figs. 7 and 14: each t-SNE panel, from a protocol split-0 model or a Table 3 model
  for (const t of profile.tsne) {
    if (t.model === 'split0' && !profile.protocol.includes(t.train)) throw new Error(`profile ${profile.name}: t-SNE panel ${t.train} -> ${t.test} needs a split-0 model of ${t.train}, which is not a protocol dataset`);
    const dir = t.model === 'whole' ? rel('cross', `${t.train}__full`) : protocolDir(t.train, 0);
    if (t.model === 'whole') crossFirstTest(profile, t.train); // throws when Table 3 trains no such model
    add({ id: rel('tsne', `${t.train}__${t.test}`), kind: 'evaluate', experiment: 'tsne', model: DEPTH_FULL, train: t.train, split: t.model === 'whole' ? 'all' : 0, test: [t.test], seed: 0, depends: [dir], trainImages: null, val: valOf(t.train), flopsPerImage: fullCost });
  }
  // Figs. 5 and 15: Grad-CAM of the full model and of the model without depth input, split 0 of the ablation set
  add({ id: rel('gradcam', 'without-depth'), kind: 'evaluate', experiment: 'gradcam', model: `${DEPTH_FULL} vs ${variantOf(RGB_ONLY_CFG).name}`, train: abl, split: 0, test: [abl], seed: 0, depends: [ablationSplit0(FULL_CFG), ablationSplit0(RGB_ONLY_CFG)], trainImages: null, val: valOf(abl), flopsPerImage: fullCost });
  return out;
}

/** Counts and the estimated training compute of a plan. */
export function planTotals(plan: PlanEntry[]): { trainings: number; evaluations: number; byExperiment: Record<string, number>; gflop: number; unknown: number } {
  const trainings = plan.filter((e) => e.kind === 'train');
  const byExperiment: Record<string, number> = {};
  for (const e of trainings) byExperiment[e.experiment] = (byExperiment[e.experiment] ?? 0) + 1;
  return {
    trainings: trainings.length,
    evaluations: plan.length - trainings.length,
    byExperiment,
    gflop: trainings.reduce((s, e) => s + (e.trainGflop ?? 0), 0),
    unknown: trainings.filter((e) => e.trainGflop === null).length,
  };
}

/** What each experiment of a plan runs, as Markdown: trainings, evaluations, models, sets, splits (the README's paper plan). */
export function planSummary(plan: PlanEntry[]): string {
  const experiments = [...new Set(plan.map((e) => e.experiment))];
  const list = (xs: (string | null)[]): string => [...new Set(xs.map((x) => x ?? '- (untrained)'))].join(', ');
  const rows = experiments.map((x) => {
    const mine = plan.filter((e) => e.experiment === x);
    const splits = [...new Set(mine.map((e) => e.split))];
    const numeric = splits.filter((k): k is number => typeof k === 'number');
    const splitText = [...(numeric.length > 0 ? [numeric.length === 1 ? String(numeric[0]) : `${Math.min(...numeric)}-${Math.max(...numeric)}`] : []), ...(splits.includes('all') ? ['all'] : [])].join(', ');
    return `| ${x} | ${mine.filter((e) => e.kind === 'train').length} | ${mine.filter((e) => e.kind === 'evaluate').length} | ${list(mine.map((e) => e.model))} | ${list(mine.map((e) => e.train))} | ${list(mine.flatMap((e) => e.test))} | ${splitText} | ${list(mine.map((e) => e.selection))} |`;
  });
  const t = planTotals(plan);
  return [
    '| experiment | trainings | evaluations | models | trained on | tested on | splits | selection |',
    '| --- | ---: | ---: | --- | --- | --- | --- | --- |',
    ...rows,
    `| **total** | **${t.trainings}** | **${t.evaluations}** | | | | | |`,
  ].join('\n');
}
