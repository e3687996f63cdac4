// Shapes shared by the synthetic benchmark's modules.

/**
 * One labelled image. The same shape as the dataset loaders' records (src/data/loaders); defined
 * here too because the synthetic benchmark must not depend on the loaders.
 */
export interface SynthRecord {
  /** Absolute path of the distorted image. */
  image: string;
  /** Path relative to the family folder, e.g. `images/s003_haze_2.png` (stable across machines). */
  relImage: string;
  /** Absolute path of the clean image it was made from. */
  reference?: string;
  distortion?: string;
  /** 1 (mildest) .. 5 (strongest). */
  level?: number;
  /** The full-reference index before the monotone guard (see labels.ts). */
  raw: number;
  /** The label: 0..1, 1 best. */
  score01: number;
  /** The scene: images sharing it must stay on one side of a split. */
  refId?: string;
}

/** A clean/distorted pair for the density-separation study (natural distortions only). */
export interface SynthPair {
  clean: string;
  distorted: string;
  distortion: string;
  level: number;
  refId: string;
}

export type SynthFamily = 'A' | 'B';
export const SYNTH_FAMILIES: readonly SynthFamily[] = ['A', 'B'];

/** Interleaved RGB image with channel values in [0, 1] (values may leave it until saved). */
export interface RgbImage {
  width: number;
  height: number;
  data: Float32Array;
}

export interface SynthManifest {
  generator: 'dgiqa-synth';
  version: string;
  family: SynthFamily;
  familyDescription: string;
  seed: number;
  profile: string | null;
  note: string | null;
  size: { width: number; height: number };
  scenes: number;
  levels: number[];
  distortions: { name: string; natural: boolean; depthDependent: boolean; parameter: string; values: number[] }[];
  depth: {
    folder: string;
    format: 'png16-grey';
    quantity: string;
    unitsPerMeter: number;
    farMeters: number;
    modelMap: string;
  };
  label: { model: string; mapping: string; monotoneGuard: string; rawViolations: number };
  counts: { references: number; distorted: number; pairs: number };
  files: { labels: string; pairs: string; images: string; depth: string };
  versions: { generator: string; sharp: string; vips: string; node: string };
}
