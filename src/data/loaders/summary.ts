// The one-object summaries `dgiqa data summary` prints as its last line.
import { relPath } from './files.js';
import type { LoadedDataset, LoadedPairs } from './types.js';

export interface DatasetSummary {
  dataset: string;
  count: number;
  /** Distinct reference images (0 for the authentic-distortion sets). */
  references: number;
  score01: { min: number; max: number; mean: number } | null;
  /** The first record in the official label file's order; `image` relative to the root. */
  first: { image: string; score01: number } | null;
}

export interface PairSummary {
  dataset: string;
  /** Number of clean/distorted pairs. */
  count: number;
  /** Distinct clean images. */
  references: number;
  /** Pairs carry no subjective score. */
  score01: null;
  subsets: Record<string, number>;
  /** The first pair: `image` the distorted file, `clean` its clean counterpart, relative to the root. */
  first: { image: string; clean: string } | null;
}

export function summarizeDataset(loaded: LoadedDataset): DatasetSummary {
  const { records } = loaded;
  const scores = records.map((r) => r.score01);
  const first = records[0];
  return {
    dataset: loaded.dataset,
    count: records.length,
    references: new Set(records.flatMap((r) => (r.reference === undefined ? [] : [r.reference]))).size,
    score01:
      scores.length === 0
        ? null
        : {
            min: scores.reduce((a, b) => Math.min(a, b), Infinity),
            max: scores.reduce((a, b) => Math.max(a, b), -Infinity),
            mean: scores.reduce((a, b) => a + b, 0) / scores.length,
          },
    first: first ? { image: first.relImage, score01: first.score01 } : null,
  };
}

export function summarizePairs(loaded: LoadedPairs): PairSummary {
  const { pairs, root } = loaded;
  const subsets: Record<string, number> = {};
  for (const p of pairs) {
    const key = p.subset ?? loaded.dataset;
    subsets[key] = (subsets[key] ?? 0) + 1;
  }
  const first = pairs[0];
  return {
    dataset: loaded.dataset,
    count: pairs.length,
    references: new Set(pairs.map((p) => p.clean)).size,
    score01: null,
    subsets,
    first: first ? { image: relPath(root, first.distorted), clean: relPath(root, first.clean) } : null,
  };
}
