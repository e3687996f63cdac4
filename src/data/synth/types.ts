// Shapes shared by the synthetic benchmark's modules.

import type { ImagePair, ImageRecord } from '../records.js';

/**
 * One labelled image, the loaders' record: relImage relative to the family folder (e.g.
 * `images/s003_haze_2.png`), level 1 (mildest) .. 5, raw the full-reference index before the
 * monotone guard (labels.ts), score01 the label, refId the scene.
 */
export type SynthRecord = ImageRecord;

/** A clean/distorted pair for the density-separation study (natural distortions only). */
export interface SynthPair extends ImagePair {
  /** `synth-A` or `synth-B`; `subset` is the distortion type. */
  dataset: string;
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
    disparityScale: number;
    farMeters: number;
    modelMap: string;
  };
  label: { model: string; mapping: string; monotoneGuard: string; rawViolations: number };
  counts: { references: number; distorted: number; pairs: number };
  files: { labels: string; pairs: string; images: string; depth: string };
  versions: { generator: string; sharp: string; vips: string; node: string };
}
