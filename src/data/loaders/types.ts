// Shapes shared by the loaders: what a load returns, and the options the loaders accept.
import type { BadInput, ImagePair, ImageRecord } from '../records.js';

/** The benchmark datasets of the paper's Table 1, by their command-line ids. */
export const DATASET_IDS = ['live', 'csiq', 'tid2013', 'kadid10k', 'livec', 'koniq10k', 'livefb'] as const;
export type DatasetId = (typeof DATASET_IDS)[number];

/** The natural-distortion sets (clean/distorted pairs) and the generic two-folder loader. */
export const PAIR_DATASET_IDS = ['lol', 'd2g', 'ihaze', 'gopro', 'flare7k', 'pairs'] as const;
export type PairDatasetId = (typeof PAIR_DATASET_IDS)[number];

/** A benchmark as loaded: its records in the official file's order, and what the loader noticed. */
export interface LoadedDataset {
  dataset: DatasetId;
  /** The absolute dataset root. */
  root: string;
  records: ImageRecord[];
  /**
   * Info lines for the user: the score scale used, why the count differs from the paper's Table 1,
   * rows dropped and why. `dgiqa data summary` prints them.
   */
  notes: string[];
  /** Label rows left out with `skipBad` or `skipMissing` (empty otherwise: a bad row is an error). */
  bad: BadInput[];
}

export interface LoadedPairs {
  dataset: PairDatasetId;
  root: string;
  pairs: ImagePair[];
  notes: string[];
}

/** Options every benchmark loader understands. */
export interface CommonOptions {
  /**
   * Drop label rows whose image file is missing (counted in the notes) instead of failing. Off by
   * default: a partial copy of a dataset should not pass silently.
   */
  skipMissing?: boolean;
  /**
   * Leave out, and record in `bad`, every label row that is bad data: image missing, empty or
   * behind a path leaving the dataset root, score not a number or far outside the scale
   * (RANGE_SLACK), an image listed twice (the first row is kept). Off by default: each is an error
   * naming the label file and the row.
   */
  skipBad?: boolean;
}

/** Options of all loaders together; each loader reads its own (see its file). */
export interface DatasetOptions extends CommonOptions {
  /** LIVE: keep the 203 entries of dmos.mat that are copies of the references (`orgs == 1`). */
  includeReferenceCopies?: boolean;
  /** LIVE: read `dmos_realigned.mat` (`dmos_new`) instead of `dmos.mat` (`dmos`). */
  realigned?: boolean;
  /** KonIQ-10k: the score column, `MOS_zscore` (default, 0-100) or `MOS` (1-5). */
  scoreColumn?: 'MOS' | 'MOS_zscore';
  /** KonIQ-10k: the image folder (default `1024x768`, else `512x384` when only that one exists). */
  imageDir?: string;
  /** LIVE Challenge: keep the 7 training images (`Images/trainingImages/`) the protocol leaves out. */
  keepTrainingImages?: boolean;
}

export interface PairOptions {
  /** GoPro: the distorted folder, `blur` (default) or `blur_gamma`. */
  blurFolder?: 'blur' | 'blur_gamma';
  /** Generic loader: the clean folder, relative to the root or absolute. */
  clean?: string;
  /** Generic loader: the distorted folder, relative to the root or absolute. */
  distorted?: string;
}

/** Pairs of the natural-distortion sets as released (their loaders' notes); D2G's count is not known to the kit. */
export const PAIR_COUNTS: Readonly<Partial<Record<PairDatasetId, number>>> = { lol: 500, ihaze: 35, gopro: 3214, flare7k: 200 };

/** Image counts of the paper's Table 1, which each loader compares its count with. */
export const TABLE1_COUNTS: Readonly<Record<DatasetId, number>> = {
  live: 982,
  csiq: 866,
  tid2013: 3000,
  kadid10k: 10125,
  livec: 1162,
  koniq10k: 10073,
  livefb: 39810,
};
