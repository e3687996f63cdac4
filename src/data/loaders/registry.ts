// The loaders by command-line id. Kept apart from index.ts so that the CLI can load datasets
// without importing danfojs-node (and, through it, TensorFlow.js), which only the DataFrame needs.
import type { ImageRecord } from '../records.js';
import { loadCsiq } from './csiq.js';
import { loadFlare7k } from './flare7k.js';
import { loadGopro } from './gopro.js';
import { loadIhaze } from './ihaze.js';
import { loadKadid10k } from './kadid10k.js';
import { loadKoniq10k } from './koniq10k.js';
import { loadLive } from './live.js';
import { loadLivec } from './livec.js';
import { loadLivefb } from './livefb.js';
import { loadLol } from './lol.js';
import { loadFolderPairs } from './pairs.js';
import { loadTid2013 } from './tid2013.js';
import { DATASET_IDS, PAIR_DATASET_IDS } from './types.js';
import type { DatasetId, DatasetOptions, LoadedDataset, LoadedPairs, PairDatasetId, PairOptions } from './types.js';

export type BenchmarkLoader = (root: string, options?: DatasetOptions) => Promise<LoadedDataset>;
export type PairLoader = (root: string, options?: PairOptions) => Promise<LoadedPairs>;

export const LOADERS: Readonly<Record<DatasetId, BenchmarkLoader>> = {
  live: loadLive,
  csiq: loadCsiq,
  tid2013: loadTid2013,
  kadid10k: loadKadid10k,
  livec: loadLivec,
  koniq10k: loadKoniq10k,
  livefb: loadLivefb,
};

export const PAIR_LOADERS: Readonly<Record<PairDatasetId, PairLoader>> = {
  lol: loadLol,
  // D2G (Khan et al. 2021) ships low-light and well-lit images in two folders: the generic loader
  d2g: loadFolderPairs,
  ihaze: loadIhaze,
  gopro: loadGopro,
  flare7k: loadFlare7k,
  pairs: loadFolderPairs,
};

export function isDatasetId(id: string): id is DatasetId {
  return (DATASET_IDS as readonly string[]).includes(id);
}

export function isPairDatasetId(id: string): id is PairDatasetId {
  return (PAIR_DATASET_IDS as readonly string[]).includes(id);
}

function checkId(id: string): DatasetId {
  if (!isDatasetId(id)) {
    throw new Error(`unknown dataset "${id}" (benchmarks: ${DATASET_IDS.join(', ')}; pair sets: ${PAIR_DATASET_IDS.join(', ')})`);
  }
  return id;
}

/** Loads a benchmark with its notes (count explanations, scale, skipped rows). */
export async function readDataset(id: DatasetId | string, root: string, options: DatasetOptions = {}): Promise<LoadedDataset> {
  return LOADERS[checkId(id)](root, options);
}

/** A benchmark's records, in the official label file's order. */
export async function loadRecords(id: DatasetId | string, root: string, options: DatasetOptions = {}): Promise<ImageRecord[]> {
  return (await readDataset(id, root, options)).records;
}

/** A natural-distortion set's clean/distorted pairs, with notes. */
export async function loadPairs(id: PairDatasetId | string, root: string, options: PairOptions = {}): Promise<LoadedPairs> {
  if (!isPairDatasetId(id)) throw new Error(`unknown pair dataset "${id}" (${PAIR_DATASET_IDS.join(', ')})`);
  return PAIR_LOADERS[id](root, options);
}
