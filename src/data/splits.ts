// Train / validation / test splits: the paper's protocol of 80/20 splits repeated over 10 seeds.
//
// Synthetic-distortion sets are split by reference content (every distorted version of a scene on
// one side), so a test score never rewards recognising a scene seen in training; authentic sets,
// where every image is its own content, are split by image. The validation part, for model
// selection, is carved from the training part. A split is a list of image keys (relImage where the
// record has one, so the files move between machines), saved as JSON.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { deriveSeed, Rng } from '../util/rng.js';

/** The part of a record a split needs (the loaders' records and the synthetic ones have it). */
export interface SplitItem {
  image: string;
  relImage?: string;
  refId?: string;
}

export type SplitUnit = 'reference' | 'image';

export interface SplitOptions {
  /** Base seed; split k uses deriveSeed(seed, 'split', k). */
  seed: number;
  numSplits?: number;
  testFraction?: number;
  /** Fraction of the training groups moved to validation. */
  valFraction?: number;
  /** 'auto': by reference when every item has a refId, else by image. */
  by?: SplitUnit | 'auto';
  dataset?: string;
}

export const SPLIT_DEFAULTS = { numSplits: 10, testFraction: 0.2, valFraction: 0.1 } as const;

export interface Split {
  format: 'dgiqa-split';
  version: 1;
  dataset: string | null;
  index: number;
  baseSeed: number;
  seed: number;
  by: SplitUnit;
  testFraction: number;
  valFraction: number;
  counts: { train: number; val: number; test: number; groups: { train: number; val: number; test: number } };
  train: string[];
  val: string[];
  test: string[];
}

export const itemKey = (item: SplitItem): string => item.relImage ?? item.image;

function resolveUnit(items: readonly SplitItem[], by: SplitUnit | 'auto'): SplitUnit {
  const allRef = items.every((r) => r.refId !== undefined && r.refId !== '');
  if (by === 'auto') return allRef ? 'reference' : 'image';
  if (by === 'reference' && !allRef) throw new Error('splits: by reference needs a refId on every record');
  return by;
}

/** Item keys per group, groups in sorted order (so the input order never changes a split). */
function groupItems(items: readonly SplitItem[], unit: SplitUnit): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const item of items) {
    const key = itemKey(item);
    if (seen.has(key)) throw new Error(`splits: image ${key} appears twice`);
    seen.add(key);
    const g = unit === 'reference' ? (item.refId as string) : key;
    const list = groups.get(g);
    if (list) list.push(key);
    else groups.set(g, [key]);
  }
  return new Map([...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** Test and validation group counts of a split (also what `dgiqa plan` estimates a split's parts with). */
export function partSizes(groups: number, testFraction: number, valFraction: number): { test: number; val: number } {
  if (groups < 2) throw new Error(`splits: need at least 2 groups (references or images) to split, found ${groups}`);
  const test = Math.min(groups - 1, Math.max(1, Math.round(testFraction * groups)));
  const train = groups - test;
  // Keep at least one validation group when the training part can spare it (two stay for training).
  let val = Math.round(valFraction * train);
  if (valFraction > 0 && val === 0 && train >= 3) val = 1;
  return { test, val: Math.min(val, train - 1) };
}

function buildSplit(
  groups: Map<string, string[]>, testNames: Set<string>, valNames: Set<string>,
  meta: { dataset: string | null; index: number; baseSeed: number; seed: number; by: SplitUnit; testFraction: number; valFraction: number },
): Split {
  const train: string[] = [], val: string[] = [], test: string[] = [];
  let gTrain = 0, gVal = 0, gTest = 0;
  for (const [name, keys] of groups) {
    if (testNames.has(name)) { test.push(...keys); gTest++; }
    else if (valNames.has(name)) { val.push(...keys); gVal++; }
    else { train.push(...keys); gTrain++; }
  }
  return {
    format: 'dgiqa-split', version: 1, ...meta,
    counts: { train: train.length, val: val.length, test: test.length, groups: { train: gTrain, val: gVal, test: gTest } },
    train, val, test,
  };
}

/** `numSplits` random splits, reproducible from the seed. */
export function makeSplits(items: readonly SplitItem[], opts: SplitOptions): Split[] {
  const numSplits = opts.numSplits ?? SPLIT_DEFAULTS.numSplits;
  const testFraction = opts.testFraction ?? SPLIT_DEFAULTS.testFraction;
  const valFraction = opts.valFraction ?? SPLIT_DEFAULTS.valFraction;
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`splits: testFraction must be in (0, 1), got ${testFraction}`);
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`splits: valFraction must be in [0, 1), got ${valFraction}`);
  const by = resolveUnit(items, opts.by ?? 'auto');
  const groups = groupItems(items, by);
  const names = [...groups.keys()];
  const sizes = partSizes(names.length, testFraction, valFraction);
  const splits: Split[] = [];
  for (let index = 0; index < numSplits; index++) {
    const seed = deriveSeed(opts.seed, 'split', index);
    const order = new Rng(seed).shuffle(names.slice());
    const testNames = new Set(order.slice(0, sizes.test));
    const valNames = new Set(order.slice(sizes.test, sizes.test + sizes.val));
    splits.push(buildSplit(groups, testNames, valNames, { dataset: opts.dataset ?? null, index, baseSeed: opts.seed, seed, by, testFraction, valFraction }));
  }
  return splits;
}

/**
 * A given train/test division (e.g. KonIQ-10k's official one), with the validation part carved
 * at random from its training side.
 */
export function fixedSplit(items: readonly SplitItem[], isTest: (item: SplitItem) => boolean, opts: Omit<SplitOptions, 'numSplits' | 'testFraction'>): Split {
  const valFraction = opts.valFraction ?? SPLIT_DEFAULTS.valFraction;
  const by = resolveUnit(items, opts.by ?? 'auto');
  const groups = groupItems(items, by);
  const testNames = new Set<string>();
  for (const item of items) {
    const g = by === 'reference' ? (item.refId as string) : itemKey(item);
    if (isTest(item)) testNames.add(g);
  }
  for (const item of items) {
    const g = by === 'reference' ? (item.refId as string) : itemKey(item);
    if (testNames.has(g) && !isTest(item)) throw new Error(`splits: reference ${g} has images on both sides of the given split`);
  }
  const trainNames = [...groups.keys()].filter((g) => !testNames.has(g));
  const seed = deriveSeed(opts.seed, 'split', 'fixed');
  const order = new Rng(seed).shuffle(trainNames);
  const valNames = new Set(order.slice(0, Math.min(order.length - 1, Math.round(valFraction * order.length))));
  const testFraction = testNames.size / Math.max(1, groups.size);
  return buildSplit(groups, testNames, valNames, { dataset: opts.dataset ?? null, index: 0, baseSeed: opts.seed, seed, by, testFraction, valFraction });
}

/** The records of each part; a key the records lack means the split belongs to other data. */
export function applySplit<T extends SplitItem>(items: readonly T[], split: Split): { train: T[]; val: T[]; test: T[] } {
  const byKey = new Map(items.map((r) => [itemKey(r), r] as const));
  const pick = (keys: string[], part: string): T[] =>
    keys.map((k) => {
      const r = byKey.get(k);
      if (!r) throw new Error(`splits: ${part} image ${k} of split ${split.index} (${split.dataset ?? 'unnamed dataset'}) is not among the records`);
      return r;
    });
  return { train: pick(split.train, 'train'), val: pick(split.val, 'val'), test: pick(split.test, 'test') };
}

export const splitFileName = (index: number): string => `split-${String(index).padStart(2, '0')}.json`;

/** Writes split-00.json, split-01.json, ... into `dir`; returns the paths. */
export async function saveSplits(dir: string, splits: readonly Split[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const s of splits) {
    const path = join(dir, splitFileName(s.index));
    await writeFileAtomic(path, JSON.stringify(s) + '\n');
    paths.push(path);
  }
  return paths;
}

export async function loadSplit(file: string): Promise<Split> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not a readable split file (${err instanceof Error ? err.message : String(err)})`);
  }
  const s = data as Partial<Split>;
  if (s.format !== 'dgiqa-split' || !Array.isArray(s.train) || !Array.isArray(s.val) || !Array.isArray(s.test)) {
    throw new Error(`${file}: not a dgiqa split (expected format "dgiqa-split" with train, val and test lists)`);
  }
  return s as Split;
}

/** All split-NN.json files of a folder, in index order. */
export async function loadSplits(dir: string): Promise<Split[]> {
  const names = (await readdir(dir)).filter((n) => /^split-\d+\.json$/.test(n)).sort();
  if (names.length === 0) throw new Error(`${dir}: no split-NN.json files`);
  return Promise.all(names.map((n) => loadSplit(join(dir, n))));
}
