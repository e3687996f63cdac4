// Notebook 08's pieces: the density panels of Figs. 2 and 8 from runDensity's saved result, the
// table of their numbers, and the example images with predicted scores (Figs. 9 and 16).
import { densitySeparation, predictRecords } from '../eval/index.js';
import { openPairs } from '../experiments/datasets.js';
import type { BenchItem, PairItem } from '../experiments/datasets.js';
import type { DensityPanel as ResultPanel } from '../experiments/density.js';
import { SCORER_LABELS, cleanAbovePct } from '../experiments/density.js';
import { referenceModel } from '../experiments/analysis.js';
import type { Profile } from '../experiments/profiles.js';
import { readResult, resultPath, writeResult } from '../experiments/results.js';
import { imageGridFigure } from '../plots/index.js';
import type { DensityPanel as PlotPanel, Figure, TableRow } from '../plots/index.js';
import { thumbnail } from './data.js';
import type { CourseTable } from './paperTables.js';
import { datasetLabel, kitSource } from './paperTables.js';

function plotPanel(title: string, clean: number[], distorted: number[]): PlotPanel {
  const s = densitySeparation(clean, distorted);
  return {
    dataset: title, clean, distorted, overlapPct: s.overlap_pct,
    fitted: { mean_clean: s.mean_clean, std_clean: s.std_clean, mean_distorted: s.mean_distorted, std_distorted: s.std_distorted },
  };
}

/** Panels in reading order: by dataset, then distortion, then scorer (the scorers side by side in a row). */
function ordered(panels: ResultPanel[]): ResultPanel[] {
  const rank = <T>(xs: T[]): Map<T, number> => new Map([...new Set(xs)].map((x, i) => [x, i]));
  const d = rank(panels.map((p) => p.dataset));
  const s = rank(panels.map((p) => p.subset));
  const c = rank(panels.map((p) => p.scorer));
  return [...panels].sort((a, b) => d.get(a.dataset)! - d.get(b.dataset)! || s.get(a.subset)! - s.get(b.subset)! || c.get(a.scorer)! - c.get(b.scorer)!);
}

/** Fig. 8: one panel per dataset, natural distortion (subset) and scorer. */
export function densityBySubset(panels: ResultPanel[]): PlotPanel[] {
  return ordered(panels).map((p) => plotPanel(`${datasetLabel(p.dataset)}: ${p.subset} · ${SCORER_LABELS[p.scorer]}`, p.clean, p.distorted));
}

/** Each dataset and scorer with its subsets' scores pooled (Fig. 2's panels, the table's "all" rows). */
function pooled(panels: ResultPanel[]): { dataset: string; scorer: ResultPanel['scorer']; clean: number[]; distorted: number[] }[] {
  const keys = [...new Map(ordered(panels).map((p) => [`${p.dataset}\n${p.scorer}`, p])).values()];
  return keys.map(({ dataset, scorer }) => {
    const mine = panels.filter((p) => p.dataset === dataset && p.scorer === scorer);
    return { dataset, scorer, clean: mine.flatMap((p) => p.clean), distorted: mine.flatMap((p) => p.distorted) };
  });
}

/**
 * Fig. 2: one panel per dataset and scorer, all its natural distortions pooled. (In the embedded
 * benchmark the subsets share their clean scenes: pooling repeats the clean scores, which leaves their
 * Gaussian fit unchanged.)
 */
export function densityByDataset(panels: ResultPanel[]): PlotPanel[] {
  return pooled(panels).map((p) => plotPanel(`${datasetLabel(p.dataset)}: all natural distortions · ${SCORER_LABELS[p.scorer]}`, p.clean, p.distorted));
}

export function densityTable(profile: string, panels: ResultPanel[]): CourseTable {
  type Above = ReturnType<typeof cleanAbovePct>;
  const row = (dataset: string, subset: string, scorer: ResultPanel['scorer'], clean: number[], distorted: number[], above: Above): TableRow => {
    const s = densitySeparation(clean, distorted);
    return {
      scorer: SCORER_LABELS[scorer], dataset: datasetLabel(dataset), subset, n_clean: s.n_clean, n_distorted: s.n_distorted, mean_clean: s.mean_clean, std_clean: s.std_clean,
      mean_distorted: s.mean_distorted, std_distorted: s.std_distorted, overlap_pct: s.overlap_pct, separation: s.separation,
      clean_above_pct: above ? above.pct : NaN, pairs_counted: above ? above.n : NaN,
      source: kitSource(profile, [dataset]),
    };
  };
  // the pooled row's share: over every counted pair of the dataset's subsets
  const pooledAbove = (dataset: string, scorer: ResultPanel['scorer']): Above => {
    const parts = panels.filter((p) => p.dataset === dataset && p.scorer === scorer).map((p) => cleanAbovePct(p));
    if (parts.length === 0 || parts.some((x) => x === null)) return null;
    const above = parts.reduce((a, x) => a + x!.above, 0);
    const n = parts.reduce((a, x) => a + x!.n, 0);
    return { pct: (100 * above) / n, above, n };
  };
  const rows = [
    ...ordered(panels).map((p) => row(p.dataset, p.subset, p.scorer, p.clean, p.distorted, cleanAbovePct(p))),
    ...pooled(panels).map((p) => row(p.dataset, 'all (Fig. 2)', p.scorer, p.clean, p.distorted, pooledAbove(p.dataset, p.scorer))),
  ];
  const d = 3;
  return {
    name: 'fig08-overlap',
    title: 'Density separation of predicted scores, clean vs distorted (Figs. 2 and 8): Gaussian fits and overlap, per scorer',
    rows,
    columns: [
      { key: 'scorer' }, { key: 'dataset' }, { key: 'subset' }, { key: 'n_clean' }, { key: 'n_distorted' },
      { key: 'mean_clean', digits: d }, { key: 'std_clean', digits: d }, { key: 'mean_distorted', digits: d }, { key: 'std_distorted', digits: d },
      { key: 'overlap_pct', label: 'overlap (%)', digits: 1 }, { key: 'separation', label: 'separation (pooled std)', digits: 2 },
      { key: 'clean_above_pct', label: 'clean scored better (% of pairs)', digits: 1 }, { key: 'pairs_counted', label: 'pairs counted' }, { key: 'source' },
    ],
    notes: [
      'Overlap: 100 x the area under the smaller of the two fitted Gaussians; a scorer that tells clean from distorted keeps it small.',
      'Scorers: DGIQA (the full model), its RGB-only variant (no depth input), and NIQE (Mittal et al. 2013; untrained, lower is better: its clean mean sits below the distorted one). The overlap does not depend on the direction of a score.',
      'Clean scored better: the pairs in which the clean image gets the better score than its distorted version (higher for DGIQA, lower for NIQE), of the pairs at level 3 and worse where the set has levels (the embedded benchmark), of every pair where it has none.',
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Example images with their predicted scores.

export interface ExampleImage {
  figure: 'fig09' | 'fig16';
  dataset: string;
  subset: string;
  kind: 'clean' | 'distorted';
  level?: number;
  image: string;
  relImage: string;
  score: number;
}

/**
 * Rows of one figure: per subset, one clean image (the `skipCleans`-th, so Figs. 9 and 16 show other
 * scenes) followed by its distorted views, every level when they fit in `perRow` cells, else levels
 * spread evenly up to the worst; sets without levels (one distorted view per clean) fill the row
 * with further scenes.
 */
export function exampleRows(pairs: PairItem[], skipCleans: number, perRow: number): { subset: string; items: { item: BenchItem; kind: 'clean' | 'distorted'; level?: number }[] }[] {
  const subsets = [...new Set(pairs.map((p) => p.subset))];
  return subsets.map((subset) => {
    const mine = pairs.filter((p) => p.subset === subset);
    const cleans = [...new Set(mine.map((p) => p.clean.image))];
    const cells: { item: BenchItem; kind: 'clean' | 'distorted'; level?: number }[] = [];
    for (const clean of cleans.slice(Math.min(skipCleans, cleans.length - 1))) {
      if (cells.length >= perRow - 1) break;
      const views = mine.filter((p) => p.clean.image === clean).sort((a, b) => (a.distorted.level ?? 0) - (b.distorted.level ?? 0));
      const room = perRow - cells.length - 1;
      cells.push({ item: views[0]!.clean, kind: 'clean' });
      for (const v of spread(views, room)) cells.push({ item: v.distorted, kind: 'distorted', ...(v.distorted.level !== undefined ? { level: v.distorted.level } : {}) });
    }
    return { subset, items: cells };
  });
}

/** Up to n of the items, evenly spaced and always including the last (the worst level). */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  if (n <= 1) return items.slice(-1);
  return Array.from({ length: n }, (_, k) => items[Math.round((k * (items.length - 1)) / (n - 1))]!);
}

/** The titles of Figs. 9 and 16, after the paper's captions. */
export const EXAMPLE_TITLES = {
  fig09: 'Fig. 9: predicted quality of a clean image and its distorted views, per natural distortion',
  fig16: 'Fig. 16: more examples: another scene per natural distortion, every level',
} as const;

/**
 * Figs. 9 and 16: clean and distorted images of the natural-distortion sets scored by the reference
 * model (the ablation study's full model), with the profile's evaluation crops. Saved under
 * results/<profile>/examples/, so the figures redraw without the model.
 */
export async function runExamples(profile: Profile, perRow = 6): Promise<ExampleImage[]> {
  const file = resultPath(profile, 'examples', 'summary.json');
  const saved = await readResult<{ examples: ExampleImage[] }>(file);
  if (saved) return saved.examples;
  const chosen: Omit<ExampleImage, 'score'>[] = [];
  const items: BenchItem[] = [];
  for (const id of profile.natural) {
    const { pairs } = await openPairs(id, profile);
    for (const [figure, skip] of [['fig09', 0], ['fig16', 1]] as const) {
      for (const row of exampleRows(pairs, skip, perRow)) {
        for (const c of row.items) {
          chosen.push({ figure, dataset: id, subset: row.subset, kind: c.kind, image: c.item.image, relImage: c.item.relImage, ...(c.level !== undefined ? { level: c.level } : {}) });
          items.push(c.item);
        }
      }
    }
  }
  // Each image scored once (the crops are drawn per position in the list, so a repeated image
  // would get other crops and a slightly different score).
  const unique = [...new Map(items.map((it) => [it.image, it])).values()];
  const model = await referenceModel(profile);
  let scores: number[];
  try {
    scores = (await predictRecords(model, unique, { crops: profile.evalCrops, seed: 0, evalShortSide: profile.evalShortSide, imagesPerBatch: 4 })).scores;
  } finally {
    model.dispose();
  }
  const scoreOf = new Map(unique.map((it, i) => [it.image, scores[i]!]));
  const examples = chosen.map((c) => ({ ...c, score: scoreOf.get(c.image)! }));
  await writeResult(file, 'examples', profile, profile.natural.join(', '), { examples });
  return examples;
}

/** The example images of one figure as a grid: one row per distortion, captions with the predicted score. */
export async function examplesFigure(examples: ExampleImage[], figure: 'fig09' | 'fig16', title?: string): Promise<Figure> {
  const mine = examples.filter((e) => e.figure === figure);
  if (mine.length === 0) throw new Error(`examplesFigure: no examples for ${figure}`);
  const perRow = Math.max(...[...new Set(mine.map((e) => `${e.dataset}/${e.subset}`))].map((k) => mine.filter((e) => `${e.dataset}/${e.subset}` === k).length));
  const images = [];
  for (const e of mine) {
    const what = e.kind === 'clean' ? 'clean' : `${e.subset}${e.level !== undefined ? ` L${e.level}` : ''}`;
    images.push({ title: `${what}: ${e.score.toFixed(3)}`, pngBase64: await thumbnail(e.image) });
  }
  const sets = [...new Set(mine.map((e) => datasetLabel(e.dataset)))].join(', ');
  return imageGridFigure(images, perRow, {
    name: `${figure}-examples`,
    title: title ?? `${EXAMPLE_TITLES[figure]} (${sets}; score 0 worst, 1 best; full model of the ablations)`,
    cellSize: 200,
  });
}
