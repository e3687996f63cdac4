// The record every benchmark loader returns, one per labelled image, and its table form (a
// danfojs-node DataFrame, what notebooks display and filter).
import { DataFrame } from 'danfojs-node';

/** One labelled image of an IQA benchmark. */
export interface ImageRecord {
  /** Absolute path of the (distorted) image. */
  image: string;
  /** `image` relative to the dataset root, with forward slashes. */
  relImage: string;
  /** Absolute path of the pristine reference image (synthetic-distortion sets only). */
  reference?: string;
  /** Distortion type, a short slug (`jp2k`, `gaussian_blur`, ...). */
  distortion?: string;
  /** Ordinal distortion level (1 = mildest) where the dataset defines one. */
  level?: number;
  /** A dataset-specific distortion parameter (LIVE's info.txt: bit rate or blur/noise sigma). */
  param?: number;
  /** The score as the dataset's label file gives it. */
  raw: number;
  /** `raw` mapped linearly to [0, 1] from the dataset's documented range; 1 is the best. */
  score01: number;
  /** Reference content id: images sharing it must stay on one side of a train/test split. */
  refId?: string;
}

/** A clean image and a distorted view of the same scene (natural-distortion sets). */
export interface ImagePair {
  /** Absolute path of the clean (ground-truth, well-lit, sharp, haze-free) image. */
  clean: string;
  /** Absolute path of the distorted image. */
  distorted: string;
  dataset: string;
  /** Part of the dataset (LOL `our485`/`eval15`, GoPro `train`/`test`, Flare7K `real`/`synthetic`). */
  subset?: string;
}

/** Column order of `toDataFrame`; absent optional fields become null. */
export const RECORD_COLUMNS = [
  'image', 'relImage', 'reference', 'distortion', 'level', 'param', 'raw', 'score01', 'refId',
] as const;

export type RecordColumn = (typeof RECORD_COLUMNS)[number];

/** The records as a DataFrame with the columns of RECORD_COLUMNS, in record order. */
export function toDataFrame(records: readonly ImageRecord[]): DataFrame {
  if (records.length === 0) return new DataFrame([], { columns: [...RECORD_COLUMNS] });
  const columns: Record<string, (string | number | null)[]> = {};
  for (const name of RECORD_COLUMNS) columns[name] = records.map((r) => r[name] ?? null);
  return new DataFrame(columns);
}

/** The records back from a DataFrame made by `toDataFrame` (null cells become absent fields). */
export function fromDataFrame(df: DataFrame): ImageRecord[] {
  const missing = RECORD_COLUMNS.filter((c) => !df.columns.includes(c));
  if (missing.length > 0) throw new Error(`DataFrame lacks record column(s): ${missing.join(', ')}`);
  const cols = new Map<string, unknown[]>(RECORD_COLUMNS.map((c) => [c, df.column(c).values as unknown[]]));
  const records: ImageRecord[] = [];
  for (let i = 0; i < df.shape[0]; i++) {
    const get = (c: RecordColumn): unknown => cols.get(c)![i];
    const rec: ImageRecord = {
      image: String(get('image')),
      relImage: String(get('relImage')),
      raw: Number(get('raw')),
      score01: Number(get('score01')),
    };
    const str = (c: 'reference' | 'distortion' | 'refId'): void => {
      const v = get(c);
      if (v !== null && v !== undefined) rec[c] = String(v);
    };
    const num = (c: 'level' | 'param'): void => {
      const v = get(c);
      if (v !== null && v !== undefined && !Number.isNaN(Number(v))) rec[c] = Number(v);
    };
    str('reference');
    str('distortion');
    str('refId');
    num('level');
    num('param');
    records.push(rec);
  }
  return records;
}

/**
 * An input left out of a run (`skipBad`), or the first one that stopped it: `file` is what is wrong
 * (the label file for a bad row, else the image or depth map), `problem` says what. The one-line
 * error is `${file}: ${problem}`.
 */
export interface BadInput {
  file: string;
  problem: string;
}

/** The one-line message of a bad input. */
export function badMessage(bad: BadInput): string {
  return `${bad.file}: ${bad.problem}`;
}
