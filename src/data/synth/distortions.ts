// The distortion table: each type's strength at levels 1..5 and which family uses it.
//
// Both families share the paper's natural distortions (haze, low light, lens flare, motion blur),
// the depth-dependent defocus, blur, noise, JPEG and contrast. Family A adds colour saturation,
// pixelation and quantization; family B adds salt-and-pepper, ringing and over-exposure: a model
// trained on one family meets three distortion types it never saw when tested on the other.
import { deriveSeed } from '../../util/rng.js';
import * as basic from './distortBasic.js';
import * as natural from './distortNatural.js';
import type { RgbImage, SynthFamily } from './types.js';

export interface DistortionInput {
  clean: RgbImage;
  /** z-depth in metres per pixel. */
  depth: Float32Array;
  family: SynthFamily;
  /** Seed of this (scene, type): the same for all levels. */
  seed: number;
}

export interface Distortion {
  name: string;
  families: readonly SynthFamily[];
  natural: boolean;
  depthDependent: boolean;
  /** What `values` holds, for the manifest and the README. */
  parameter: string;
  /** Strength at levels 1..5 (mildest first). */
  values: readonly number[];
  /** Per-scene state shared across levels (blur stacks, flare layouts). */
  prepare?: (input: DistortionInput) => unknown;
  apply: (input: DistortionInput, value: number, state: unknown) => RgbImage | Promise<RgbImage>;
}

const AIRLIGHT: Record<SynthFamily, readonly number[]> = { A: [0.86, 0.86, 0.88], B: [0.8, 0.86, 0.94] };

/** Largest defocus radius (pixels) at level 5; the blur stack covers it. */
const DEFOCUS_RADII = [2, 3.5, 5.5, 8, 11];
const DEFOCUS_SIGMAS = [0, 0.5, 1, 1.5, 2, 2.75, 3.5, 4.5, 6, 7.8];

interface DefocusState { stack: natural.BlurStack; focus: number; spread: number }

export const DISTORTIONS: readonly Distortion[] = [
  {
    name: 'gaussian_blur', families: ['A', 'B'], natural: false, depthDependent: false,
    parameter: 'Gaussian sigma (px)', values: [0.7, 1.3, 2.2, 3.5, 5.5],
    apply: (i, v) => basic.blur(i.clean, v),
  },
  {
    name: 'white_noise', families: ['A', 'B'], natural: false, depthDependent: false,
    parameter: 'noise sigma (0..1 scale)', values: [0.02, 0.04, 0.07, 0.11, 0.17],
    prepare: (i) => natural.normalField(i.clean.data.length, i.seed),
    apply: (i, v, s) => basic.whiteNoise(i.clean, v, s as Float32Array),
  },
  {
    name: 'jpeg', families: ['A', 'B'], natural: false, depthDependent: false,
    parameter: 'JPEG quality (sharp/libjpeg, 4:2:0)', values: [45, 25, 14, 8, 3],
    apply: (i, v) => basic.jpeg(i.clean, v),
  },
  {
    name: 'contrast', families: ['A', 'B'], natural: false, depthDependent: false,
    parameter: 'contrast factor towards the mean luminance', values: [0.72, 0.52, 0.37, 0.26, 0.17],
    apply: (i, v) => basic.contrast(i.clean, v),
  },
  {
    name: 'saturation', families: ['A'], natural: false, depthDependent: false,
    parameter: 'saturation factor (1 = unchanged, 0 = grey)', values: [0.6, 0.4, 0.22, 0.1, 0],
    apply: (i, v) => basic.saturation(i.clean, v),
  },
  {
    name: 'pixelate', families: ['A'], natural: false, depthDependent: false,
    parameter: 'block size (px)', values: [2, 3, 5, 7, 10],
    apply: (i, v) => basic.pixelate(i.clean, v),
  },
  {
    name: 'quantization', families: ['A'], natural: false, depthDependent: false,
    parameter: 'levels per channel (nested grids)', values: [33, 17, 9, 5, 3],
    apply: (i, v) => basic.quantize(i.clean, v),
  },
  {
    name: 'salt_pepper', families: ['B'], natural: false, depthDependent: false,
    parameter: 'fraction of pixels replaced', values: [0.008, 0.02, 0.045, 0.08, 0.13],
    apply: (i, v) => basic.saltPepper(i.clean, v, i.seed),
  },
  {
    name: 'ringing', families: ['B'], natural: false, depthDependent: false,
    parameter: 'truncated-sinc cutoff (cycles/px)', values: [0.24, 0.16, 0.11, 0.08, 0.06],
    apply: (i, v) => basic.ringing(i.clean, v),
  },
  {
    name: 'overexposure', families: ['B'], natural: false, depthDependent: false,
    parameter: 'gain before clipping', values: [1.2, 1.4, 1.65, 1.95, 2.3],
    apply: (i, v) => basic.overexpose(i.clean, v),
  },
  {
    name: 'haze', families: ['A', 'B'], natural: true, depthDependent: true,
    parameter: 'transmission at the median depth', values: [0.8, 0.62, 0.45, 0.3, 0.18],
    apply: (i, v) => natural.haze(i.clean, i.depth, v, AIRLIGHT[i.family]),
  },
  {
    name: 'defocus', families: ['A', 'B'], natural: false, depthDependent: true,
    parameter: 'largest blur radius (px), reached at half the depth range from the focal plane', values: DEFOCUS_RADII,
    prepare: (i): DefocusState => {
      // Family A focuses near (the foreground is sharp), family B far (the foreground blurs).
      const focus = natural.quantileOf(i.depth, i.family === 'A' ? 0.2 : 0.7);
      const spread = Math.max(0.5, (natural.quantileOf(i.depth, 0.95) - natural.quantileOf(i.depth, 0.05)) / 2);
      return { stack: natural.blurStack(i.clean, DEFOCUS_SIGMAS), focus, spread };
    },
    apply: (i, v, s) => {
      const st = s as DefocusState;
      return natural.defocus(st.stack, i.depth, st.focus, st.spread, v);
    },
  },
  {
    name: 'low_light', families: ['A', 'B'], natural: true, depthDependent: false,
    parameter: 'exposure gain (read noise grows as it falls)', values: [0.55, 0.38, 0.25, 0.15, 0.08],
    prepare: (i) => natural.normalField(i.clean.data.length, i.seed),
    apply: (i, v, s) => natural.lowLight(i.clean, v, 0.004 + 0.012 * (0.55 - v), s as Float32Array),
  },
  {
    name: 'lens_flare', families: ['A', 'B'], natural: true, depthDependent: false,
    parameter: 'flare intensity', values: [0.3, 0.5, 0.75, 1.05, 1.45],
    prepare: (i) => natural.flareField(i.clean.width, i.clean.height, natural.flareLayout(i.clean.width, i.clean.height, i.seed)),
    apply: (i, v, s) => natural.lensFlare(i.clean, s as Float32Array, v),
  },
  {
    name: 'motion_blur', families: ['A', 'B'], natural: true, depthDependent: false,
    parameter: 'blur length (px)', values: [3, 6, 10, 15, 22],
    prepare: (i) => deriveSeed(i.seed, 'angle') / 4294967296 * Math.PI,
    apply: (i, v, s) => natural.motionBlur(i.clean, v, s as number),
  },
];

export function distortionsOf(family: SynthFamily): Distortion[] {
  return DISTORTIONS.filter((d) => d.families.includes(family));
}

export const NATURAL_DISTORTIONS = DISTORTIONS.filter((d) => d.natural).map((d) => d.name);
