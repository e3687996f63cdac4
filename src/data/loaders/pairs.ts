// Pairing a folder of clean images with a folder of distorted ones, and the generic two-folder
// loader (`pairs`: D2G and any other set arranged that way). Files pair by name: the file name
// without extension, up to case, with a role word (gt, hazy, input, low, ...) removed where the
// set puts one in the name (I-HAZE `01_indoor_GT.jpg` / `01_indoor_hazy.jpg`, Flare7K
// `gt_000000.png` / `input_000000.png`).
import { isAbsolute, join } from 'node:path';
import type { ImagePair } from '../records.js';
import { stem } from './build.js';
import { DataError, DirIndex, checkRoot, isDirectory, isImageName } from './files.js';
import type { LoadedPairs, PairOptions } from './types.js';

/** Words that name a file's role rather than its content. */
const ROLE_WORDS = [
  'gt', 'groundtruth', 'clean', 'clear', 'high', 'normal', 'sharp', 'ref', 'reference', 'hq',
  'hazy', 'haze', 'input', 'low', 'blur', 'blurry', 'distorted', 'dist', 'degraded', 'lq',
];
const ROLE_PATTERN = new RegExp(`^(?:(?:${ROLE_WORDS.join('|')})[_-])|(?:[_-](?:${ROLE_WORDS.join('|')}))$`, 'g');

/** The pairing key of a file name: its stem, lower case, without a leading or trailing role word. */
export function pairKey(name: string): string {
  const key = stem(name).toLowerCase();
  const stripped = key.replace(ROLE_PATTERN, '');
  return stripped === '' ? key : stripped;
}

export interface FolderPairing {
  pairs: ImagePair[];
  unmatchedClean: string[];
  unmatchedDistorted: string[];
}

/** Image files of `dir` by pairing key; two files with one key are an error. */
function keyed(index: DirIndex, dir: string): Map<string, string> {
  const names = index.names(dir);
  if (names === undefined) throw new DataError(dir, 'missing (expected a folder of images)');
  const byKey = new Map<string, string>();
  for (const name of names.filter(isImageName)) {
    const key = pairKey(name);
    const other = byKey.get(key);
    if (other !== undefined) throw new DataError(dir, `${other} and ${name} both pair as "${key}"`);
    byKey.set(key, name);
  }
  return byKey;
}

/** Pairs the images of two folders by name, in natural name order of the distorted folder. */
export function pairFolders(
  index: DirIndex,
  cleanDir: string,
  distortedDir: string,
  dataset: string,
  subset?: string,
): FolderPairing {
  const clean = keyed(index, cleanDir);
  const distorted = keyed(index, distortedDir);
  const collator = new Intl.Collator('en', { numeric: true });
  const keys = [...distorted.keys()].sort(collator.compare);
  const pairs: ImagePair[] = [];
  const unmatchedDistorted: string[] = [];
  for (const key of keys) {
    const c = clean.get(key);
    if (c === undefined) {
      unmatchedDistorted.push(distorted.get(key)!);
      continue;
    }
    const pair: ImagePair = { clean: join(cleanDir, c), distorted: join(distortedDir, distorted.get(key)!), dataset };
    if (subset !== undefined) pair.subset = subset;
    pairs.push(pair);
  }
  const unmatchedClean = [...clean.keys()].filter((k) => !distorted.has(k)).map((k) => clean.get(k)!);
  return { pairs, unmatchedClean, unmatchedDistorted };
}

/** One info line: the pair count and what did not pair. */
export function pairingNote(label: string, r: FolderPairing): string {
  let line = `${label}: ${r.pairs.length} pairs`;
  if (r.unmatchedDistorted.length > 0) {
    line += `; ${r.unmatchedDistorted.length} distorted image(s) without a clean one (${r.unmatchedDistorted.slice(0, 3).join(', ')})`;
  }
  if (r.unmatchedClean.length > 0) line += `; ${r.unmatchedClean.length} clean image(s) without a distorted one`;
  return line;
}

/** Collects pairings into a load result: notes per subset, an error when nothing paired. */
export class PairCollector {
  readonly index = new DirIndex();
  readonly pairs: ImagePair[] = [];
  readonly notes: string[] = [];

  constructor(
    readonly dataset: LoadedPairs['dataset'],
    readonly root: string,
  ) {}

  /** Pairs two folders; adds a note unless `quiet` (the caller then reports a sum). */
  add(cleanDir: string, distortedDir: string, subset?: string, quiet = false): FolderPairing {
    const r = pairFolders(this.index, cleanDir, distortedDir, this.dataset, subset);
    this.pairs.push(...r.pairs);
    if (!quiet) this.notes.push(pairingNote(subset ?? this.dataset, r));
    return r;
  }

  finish(layout: string, expected?: string): LoadedPairs {
    if (this.pairs.length === 0) throw new DataError(this.root, `no image pairs found (expected ${layout})`);
    const notes = [...this.notes];
    if (expected) notes.push(`${this.pairs.length} pairs in all (${expected})`);
    return { dataset: this.dataset, root: this.root, pairs: this.pairs, notes };
  }
}

/**
 * The folder that holds a layout: `root` itself or, as archives often add one level
 * (`LOLdataset/`, `GOPRO_Large/`), one of its subfolders. `probe` tests a candidate.
 */
export function layoutRoot(index: DirIndex, root: string, probe: (dir: string) => boolean): string | undefined {
  if (probe(root)) return root;
  for (const name of index.names(root) ?? []) {
    const dir = join(root, name);
    if (isDirectory(dir) && probe(dir)) return dir;
  }
  return undefined;
}

const CLEAN_NAMES = ['clean', 'gt', 'reference', 'ref', 'high', 'sharp', 'normal', 'clear', 'target'];
const DISTORTED_NAMES = ['distorted', 'input', 'low', 'hazy', 'blur', 'degraded', 'dist', 'lq'];

const PAIRS_LAYOUT = 'two folders of same-named images: clean/ (or gt/, high/, ...) and distorted/ (or input/, low/, ...), or the clean and distorted options';

/** Any two folders of same-named clean and distorted images (D2G and others). */
export async function loadFolderPairs(rootDir: string, options: PairOptions = {}): Promise<LoadedPairs> {
  const root = checkRoot(rootDir, PAIRS_LAYOUT);
  const collector = new PairCollector('pairs', root);
  const pick = (given: string | undefined, names: readonly string[], role: string): string => {
    if (given !== undefined) {
      const dir = isAbsolute(given) ? given : join(root, given);
      if (!isDirectory(dir)) throw new DataError(dir, `missing (expected the ${role} folder)`);
      return dir;
    }
    const found = collector.index.findDir(root, names);
    if (found === undefined) throw new DataError(root, `no ${role} folder (expected ${PAIRS_LAYOUT})`);
    return found;
  };
  const clean = pick(options.clean, CLEAN_NAMES, 'clean');
  const distorted = pick(options.distorted, DISTORTED_NAMES, 'distorted');
  collector.add(clean, distorted);
  collector.notes.push(`clean images from ${clean}, distorted from ${distorted}`);
  return collector.finish(PAIRS_LAYOUT);
}
