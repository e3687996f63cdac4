// The dataset loaders' public API: one loader per benchmark of the paper's Table 1 and per
// natural-distortion set, looked up by the command-line ids, and the DataFrame form of a load.
import type { DataFrame } from 'danfojs-node';
import { toDataFrame } from '../records.js';
import { loadRecords } from './registry.js';
import type { DatasetId, DatasetOptions } from './types.js';

/** A benchmark as a DataFrame (columns: RECORD_COLUMNS). */
export async function loadDataset(id: DatasetId | string, root: string, options: DatasetOptions = {}): Promise<DataFrame> {
  return toDataFrame(await loadRecords(id, root, options));
}

export {
  LOADERS, PAIR_LOADERS, isDatasetId, isPairDatasetId, loadPairs, loadRecords, readDataset,
} from './registry.js';
export type { BenchmarkLoader, PairLoader } from './registry.js';
export { loadCsiq } from './csiq.js';
export { loadFlare7k, FLARE7K_SUBSETS } from './flare7k.js';
export { loadGopro, GOPRO_SPLITS } from './gopro.js';
export { loadIhaze } from './ihaze.js';
export { loadLol, LOL_SUBSETS } from './lol.js';
export { loadFolderPairs, pairFolders, pairKey } from './pairs.js';
export { loadKadid10k } from './kadid10k.js';
export { loadKoniq10k } from './koniq10k.js';
export { loadLive } from './live.js';
export { loadLivec } from './livec.js';
export { loadLivefb } from './livefb.js';
export { loadTid2013 } from './tid2013.js';
export { DATASET_IDS, PAIR_DATASET_IDS, TABLE1_COUNTS } from './types.js';
export type { CommonOptions, DatasetId, DatasetOptions, LoadedDataset, LoadedPairs, PairDatasetId, PairOptions } from './types.js';
export { LIVE_FOLDERS, LIVE_SCALE } from './live.js';
export { CSIQ_SCALE } from './csiq.js';
export { TID2013_DISTORTIONS, TID2013_SCALE } from './tid2013.js';
export { KADID10K_DISTORTIONS, KADID10K_SCALE } from './kadid10k.js';
export { LIVEC_SCALE, LIVEC_TRAINING_IMAGES } from './livec.js';
export { KONIQ_SCALES } from './koniq10k.js';
export { LIVEFB_SCALE } from './livefb.js';
export { toScore01 } from './scale.js';
export type { ScoreScale } from './scale.js';
export { DataError } from './files.js';
export { summarizeDataset, summarizePairs } from './summary.js';
export type { DatasetSummary, PairSummary } from './summary.js';
export { RECORD_COLUMNS, fromDataFrame, toDataFrame } from '../records.js';
export type { ImagePair, ImageRecord } from '../records.js';
