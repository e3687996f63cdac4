// The density study (Figs. 2 and 8, Sec. 5.2): clean and distorted images of the natural-distortion
// sets scored by DGIQA, by its RGB-only variant and by NIQE, each scorer's Gaussians and overlap.
// One saved result per scorer and set (density/<scorer>/<set>.json, a plan entry each), so a cluster
// runs them as separate tasks and the figures redraw from the files.
import { niqeOfFile } from '../classic/index.js';
import { mapLimit } from '../util/limit.js';
import { densitySeparation, predictRecords } from '../eval/index.js';
import type { DensitySeparation } from '../eval/index.js';
import type { Dgiqa } from '../model/index.js';
import { openPairs } from './datasets.js';
import type { BenchItem } from './datasets.js';
import type { DensityScorer, Profile } from './profiles.js';
import { FULL_CFG, VARIANTS, ablationSpecs, runAblations, runCross, variantTag } from './protocol.js';
import { readResult, resultPath, writeResult } from './results.js';
import { loadRunModel } from './run.js';

/** The RGB-only variant (no depth input, so no Depth-CAR): the paper's "without depth" model. */
export const RGB_ONLY_CFG = 5;

export const SCORER_LABELS: Readonly<Record<DensityScorer, string>> = {
  dgiqa: 'DGIQA',
  'rgb-only': 'DGIQA, RGB only',
  niqe: 'NIQE (lower is better)',
};

export interface DensityPanel extends DensitySeparation {
  dataset: string;
  subset: string;
  scorer: DensityScorer;
  clean: number[];
  distorted: number[];
  /** per distorted image: the index of its clean image in `clean`, and its level (null: the set has none) */
  pairs?: { clean: number; level: number | null }[];
}

/** The ablation variant a trained scorer is. */
function variantOf(scorer: Exclude<DensityScorer, 'niqe'>): (typeof VARIANTS)[number] {
  return VARIANTS.find((v) => v.cfg === (scorer === 'dgiqa' ? FULL_CFG : RGB_ONLY_CFG))!;
}

/**
 * Where a trained scorer's model is, relative to the profile (plan.ts lists the same folders): the
 * ablation set's split 0 of the variant, or the whole-set model of densityTrain (Table 3's full model,
 * Table 5's variant). Throws when the profile's course trains no such model.
 */
export function densityModelRun(profile: Profile, scorer: Exclude<DensityScorer, 'niqe'>): { kind: 'split0' } | { kind: 'whole'; train: string; test: string } {
  const set = profile.densityTrain;
  if (set === null) return { kind: 'split0' };
  const firstTest = scorer === 'dgiqa' ? profile.cross.find(([a]) => a === set)?.[1] : profile.ablationCross?.train === set ? profile.ablationCross.tests[0] : undefined;
  if (firstTest === undefined) {
    throw new Error(`profile ${profile.name}: the density study's ${scorer} model is trained on all of ${set}, but the course trains none (${scorer === 'dgiqa' ? 'no Table 3 pair trains on it' : 'Table 5 (ablationCross) does not train on it'})`);
  }
  return { kind: 'whole', train: set, test: firstTest };
}

async function scorerModel(profile: Profile, scorer: Exclude<DensityScorer, 'niqe'>): Promise<Dgiqa> {
  const v = variantOf(scorer);
  const run = densityModelRun(profile, scorer);
  if (run.kind === 'whole') {
    const tag = variantTag(v.cfg);
    await runCross(profile, run.train, run.test, v.model, tag); // trained here if missing
    return loadRunModel(resultPath(profile, 'cross', `${run.train}__${tag}`), profile, v.model);
  }
  await runAblations(profile);
  const k = VARIANTS.indexOf(v);
  return loadRunModel((await ablationSpecs(profile))[k * profile.ablationSplits]!.dir, profile, v.model);
}

export function densityFile(profile: Profile, scorer: DensityScorer, set: string): string {
  return resultPath(profile, 'density', scorer, `${set}.json`);
}

/** One scorer on one natural-distortion set: a panel per subset (distortion), saved. */
export async function densityOf(profile: Profile, scorer: DensityScorer, set: string): Promise<DensityPanel[]> {
  const file = densityFile(profile, scorer, set);
  const saved = await readResult<{ panels: DensityPanel[] }>(file);
  if (saved) return saved.panels;
  const { pairs } = await openPairs(set, profile);
  const model = scorer === 'niqe' ? null : await scorerModel(profile, scorer);
  // each image scored once, even where several pairs share a clean image
  const cache = new Map<string, number>();
  const score = async (items: BenchItem[]): Promise<number[]> => {
    const todo = [...new Map(items.filter((i) => !cache.has(i.image)).map((i) => [i.image, i])).values()];
    if (todo.length > 0) {
      const got = model
        ? (await predictRecords(model, todo, { crops: profile.evalCrops, seed: 0, evalShortSide: profile.evalShortSide, imagesPerBatch: 4 })).scores
        // NIQE on the file as it is, at full resolution, as its release computes it
        : await mapLimit(todo, 1, (i) => niqeOfFile(i.image));
      todo.forEach((i, k) => cache.set(i.image, got[k]!));
    }
    return items.map((i) => cache.get(i.image)!);
  };
  const panels: DensityPanel[] = [];
  try {
    for (const subset of [...new Set(pairs.map((p) => p.subset))]) {
      const chosen = pairs.filter((p) => p.subset === subset);
      const cleanItems = [...new Map(chosen.map((p) => [p.clean.image, p.clean])).values()];
      const clean = await score(cleanItems);
      const distorted = await score(chosen.map((p) => p.distorted));
      const cleanIndex = new Map(cleanItems.map((c, i) => [c.image, i]));
      const pairing = chosen.map((p) => ({ clean: cleanIndex.get(p.clean.image)!, level: p.distorted.level ?? null }));
      panels.push({ dataset: set, subset, scorer, clean, distorted, pairs: pairing, ...densitySeparation(clean, distorted) });
    }
  } finally {
    model?.dispose();
  }
  await writeResult(file, 'density', profile, `${set} scored by ${SCORER_LABELS[scorer]}`, { panels });
  return panels;
}

/** Whether a scorer's higher scores mean better quality (NIQE's lower ones do). */
export const HIGHER_IS_BETTER: Readonly<Record<DensityScorer, boolean>> = { dgiqa: true, 'rgb-only': true, niqe: false };

/**
 * Pairs in which the clean image scores better than its distorted version, in %: of the pairs at
 * `minLevel` and worse where the set has levels (the embedded benchmark), of every pair where it has
 * none (the real sets). null: the panel was saved without its pairing (an older kit).
 */
export function cleanAbovePct(panel: DensityPanel, minLevel = 3): { pct: number; above: number; n: number } | null {
  if (!panel.pairs) return null;
  let above = 0;
  let n = 0;
  panel.pairs.forEach((p, i) => {
    if (p.level !== null && p.level < minLevel) return;
    const c = panel.clean[p.clean]!;
    const d = panel.distorted[i]!;
    n++;
    if (HIGHER_IS_BETTER[panel.scorer] ? c > d : c < d) above++;
  });
  return n === 0 ? null : { pct: (100 * above) / n, above, n };
}

/** Figs. 2 and 8: every scorer of the profile on every natural-distortion set. */
export async function runDensity(profile: Profile): Promise<DensityPanel[]> {
  const panels: DensityPanel[] = [];
  for (const scorer of profile.densityScorers) for (const set of profile.natural) panels.push(...(await densityOf(profile, scorer, set)));
  return panels;
}
