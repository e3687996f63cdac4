// One sample, start to finish: decode the image and its depth map, bring the depth map to the
// image's size, scale it to 0..255 by its min-max, then either a training crop (random 224 window of
// the full-resolution image, random horizontal and vertical flips, the same for RGB and depth) or
// the evaluation crops (smaller side resized to 384, N random 224 windows), normalized with the
// ImageNet statistics into NHWC float32. Pure functions of the job: the same job gives the same
// bytes on the main thread and in any worker.
import { Rng } from '../../util/rng.js';
import { CROP_SIZE, EVAL_CROPS, EVAL_SHORT_SIDE, IMAGENET_MEAN, IMAGENET_STD } from './constants.js';
import { decodeDepth, decodeRgb, oneLine } from './decode.js';
import { minMax, resizeBilinear, shortSideSize } from './planes.js';
import type { Plane } from './planes.js';

/** What the pipeline needs of a record: absolute paths, and the label when there is one. */
export interface SampleRecord {
  image: string;
  /** The depth map (PNG, 8- or 16-bit; any size: it is resized to the image). */
  depth: string | undefined;
  score01?: number;
}

/** Everything that decides a sample's crops (and nothing else: not the batch, not the worker). */
export interface SampleJob {
  /** 'check': decode the image and the depth map in full and report their sizes (no crops). */
  mode: 'train' | 'eval' | 'check';
  image: string;
  depth: string | undefined;
  /** Seed of this sample's random numbers: `sampleSeed(seed, recordIndex)`. */
  seed: number;
  /** Crop side (224). */
  size: number;
  /** Training: flip horizontally / vertically with p = 0.5 each (the draws happen either way). */
  hflip: boolean;
  vflip: boolean;
  /** Evaluation: crops per image and the smaller side the image is resized to first. */
  crops: number;
  evalShortSide: number;
  /** Training: the smaller side the image is resized to before the crop (0: full resolution). */
  trainShortSide: number;
  /** Without a depth map: the depth input is what a constant map gives (all zeros before normalization). */
  allowMissingDepth: boolean;
}

/** Where a crop came from, in the coordinates of the (possibly resized) view it was cut from. */
export interface CropInfo {
  x: number;
  y: number;
  hflip: boolean;
  vflip: boolean;
  /** Size of the view the window lies in (the image, or the image after an upscale / the 384 resize). */
  viewWidth: number;
  viewHeight: number;
}

export interface SampleResult {
  /** n crops, NHWC, n * size * size * 3 floats each. */
  rgb: Float32Array;
  depth: Float32Array;
  n: number;
  crops: CropInfo[];
  /** Size of the decoded image. */
  width: number;
  height: number;
  /** Training only: the image was smaller than the crop on a side and was upscaled (smaller side = size). */
  upscaled: boolean;
  /** The record had no depth map and `allowMissingDepth` let it through. */
  missingDepth: boolean;
  /** 'check' jobs: size of the depth map as stored (before any resize to the image). */
  depthWidth?: number;
  depthHeight?: number;
}

/** Defaults of a job's tunables. */
export const SAMPLE_DEFAULTS = {
  size: CROP_SIZE,
  hflip: true,
  vflip: true,
  crops: EVAL_CROPS,
  evalShortSide: EVAL_SHORT_SIDE,
  trainShortSide: 0,
  allowMissingDepth: false,
} as const;

/**
 * The seed of one sample's random numbers, from the epoch (or evaluation) seed and the sample's
 * index in the record list: independent of batch order and of which worker runs it. (A murmur3
 * finalizer over both words.)
 */
export function sampleSeed(seed: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  h = (h ^ Math.imul(index >>> 0, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Per-channel affine maps v -> v * SCALE[c] + BIAS[c], i.e. (v / 255 - mean) / std. */
const SCALE = IMAGENET_STD.map((s) => 1 / (255 * s));
const BIAS = IMAGENET_MEAN.map((m, c) => -m / IMAGENET_STD[c]!);
const [S0, S1, S2] = SCALE as [number, number, number];
const [B0, B1, B2] = BIAS as [number, number, number];

/** The normalized value of an 8-bit (0..255) sample in channel c: (v / 255 - mean[c]) / std[c]. */
export function normalizeValue(v: number, channel: 0 | 1 | 2): number {
  return v * SCALE[channel]! + BIAS[channel]!;
}

/** The decoded pair: RGB 0..255 and the depth map at the image's size with its min and max. */
export interface View {
  rgb: Plane;
  /** null: no depth map (allowMissingDepth); the depth input is then a constant map's. */
  depth: Plane | null;
  depthMin: number;
  depthMax: number;
}

/** Decodes a sample's image and depth map; the depth map is resized to the image (bilinear). */
export async function loadView(image: string, depth: string | undefined, allowMissingDepth: boolean): Promise<View> {
  if (depth === undefined && !allowMissingDepth) {
    throw new Error(`${image}: no depth map given (pass allowMissingDepth only for an RGB-only model)`);
  }
  // Both decodes run at once; when both fail, the image's error is the one reported (deterministic).
  const [r, d] = await Promise.allSettled([decodeRgb(image), depth === undefined ? Promise.resolve(null) : decodeDepth(depth, image)]);
  if (r.status === 'rejected') throw r.reason;
  if (d.status === 'rejected') throw d.reason;
  const rgb = r.value;
  const rawDepth = d.value;
  if (rawDepth === null) return { rgb, depth: null, depthMin: 0, depthMax: 0 };
  const dm = rawDepth.width === rgb.width && rawDepth.height === rgb.height ? rawDepth : resizeBilinear(rawDepth, rgb.width, rgb.height);
  const { min, max } = minMax(dm.data);
  return { rgb, depth: dm, depthMin: min, depthMax: max };
}

/** The same view resized to width x height (both modalities, bilinear); min and max carry over. */
export function resizeView(view: View, width: number, height: number): View {
  if (view.rgb.width === width && view.rgb.height === height) return view;
  return {
    rgb: resizeBilinear(view.rgb, width, height),
    depth: view.depth === null ? null : resizeBilinear(view.depth, width, height),
    depthMin: view.depthMin,
    depthMax: view.depthMax,
  };
}

/**
 * Writes the window (x, y, size) of the view, flipped as asked, normalized, into `rgbOut` and
 * `depthOut` at crop slot `slot` (NHWC). Depth: d255 = (d - min) * 255 / (max - min) (0 for a
 * constant map), repeated to 3 channels, then normalized like RGB.
 */
export function writeCrop(view: View, crop: CropInfo, size: number, rgbOut: Float32Array, depthOut: Float32Array, slot: number): void {
  const { rgb } = view;
  const w = rgb.width;
  const src = rgb.data;
  const base = slot * size * size * 3;
  const { x, y, hflip, vflip } = crop;
  if (x < 0 || y < 0 || x + size > w || y + size > rgb.height) {
    throw new Error(`crop ${size}x${size} at (${x}, ${y}) outside a ${w}x${rgb.height} view`);
  }
  const dx = hflip ? -1 : 1;
  for (let i = 0; i < size; i++) {
    const sy = vflip ? y + size - 1 - i : y + i;
    let p = sy * w + (hflip ? x + size - 1 : x);
    let o = base + i * size * 3;
    for (let j = 0; j < size; j++, p += dx, o += 3) {
      const q = p * 3;
      rgbOut[o] = src[q]! * S0 + B0;
      rgbOut[o + 1] = src[q + 1]! * S1 + B1;
      rgbOut[o + 2] = src[q + 2]! * S2 + B2;
    }
  }
  const d = view.depth;
  const range = view.depthMax - view.depthMin;
  if (d === null || !(range > 0)) {
    for (let o = base; o < base + size * size * 3; o += 3) {
      depthOut[o] = B0;
      depthOut[o + 1] = B1;
      depthOut[o + 2] = B2;
    }
    return;
  }
  const k = 255 / range;
  const lo = view.depthMin;
  const dd = d.data;
  for (let i = 0; i < size; i++) {
    const sy = vflip ? y + size - 1 - i : y + i;
    let p = sy * w + (hflip ? x + size - 1 : x);
    let o = base + i * size * 3;
    for (let j = 0; j < size; j++, p += dx, o += 3) {
      const v = (dd[p]! - lo) * k;
      depthOut[o] = v * S0 + B0;
      depthOut[o + 1] = v * S1 + B1;
      depthOut[o + 2] = v * S2 + B2;
    }
  }
}

/** Training window: x, y uniform over every position (as random.randint(0, W - size)), then two flips. */
export function drawTrainCrop(rng: Rng, viewWidth: number, viewHeight: number, size: number, hflip: boolean, vflip: boolean): CropInfo {
  const x = rng.int(viewWidth - size + 1);
  const y = rng.int(viewHeight - size + 1);
  const h = rng.next() < 0.5;
  const v = rng.next() < 0.5;
  return { x, y, hflip: hflip && h, vflip: vflip && v, viewWidth, viewHeight };
}

/** Evaluation windows, drawn x then y per crop as the official get_random_crops; no flips. */
export function drawEvalCrops(rng: Rng, viewWidth: number, viewHeight: number, size: number, n: number): CropInfo[] {
  const crops: CropInfo[] = [];
  for (let i = 0; i < n; i++) {
    const x = rng.int(viewWidth - size + 1);
    const y = rng.int(viewHeight - size + 1);
    crops.push({ x, y, hflip: false, vflip: false, viewWidth, viewHeight });
  }
  return crops;
}

/** Training view: the full-resolution image, or, when a side is under `size`, upscaled so the smaller side is `size`. */
export function trainView(view: View, size: number): { view: View; upscaled: boolean } {
  const { width, height } = view.rgb;
  if (width >= size && height >= size) return { view, upscaled: false };
  const to = shortSideSize(width, height, size);
  return { view: resizeView(view, to.width, to.height), upscaled: true };
}

/** Evaluation view: smaller side resized to `shortSide` (albumentations SmallestMaxSize, bilinear). */
export function evalView(view: View, shortSide: number): View {
  const to = shortSideSize(view.rgb.width, view.rgb.height, shortSide);
  return resizeView(view, to.width, to.height);
}

/**
 * A full decode of both files, which is what catches a truncated file (a header alone reads fine).
 * Sizes are reported, not compared: the caller decides what a depth map of another size means.
 */
async function checkJob(job: SampleJob): Promise<SampleResult> {
  const [r, d] = await Promise.allSettled([decodeRgb(job.image), job.depth === undefined ? Promise.resolve(null) : decodeDepth(job.depth, job.image)]);
  if (r.status === 'rejected') throw r.reason;
  if (d.status === 'rejected') throw d.reason;
  const empty = new Float32Array(0);
  return {
    rgb: empty, depth: new Float32Array(0), n: 0, crops: [],
    width: r.value.width, height: r.value.height, upscaled: false, missingDepth: d.value === null,
    ...(d.value === null ? {} : { depthWidth: d.value.width, depthHeight: d.value.height }),
  };
}

/** Runs one job. Every error is one line that names the image file. */
export async function runJob(job: SampleJob): Promise<SampleResult> {
  try {
    if (job.mode === 'check') return await checkJob(job);
    const view = await loadView(job.image, job.depth, job.allowMissingDepth);
    const rng = new Rng(job.seed);
    const { size } = job;
    let v: View;
    let crops: CropInfo[];
    let upscaled = false;
    if (job.mode === 'train') {
      const t = trainView(job.trainShortSide > 0 ? evalView(view, job.trainShortSide) : view, size);
      v = t.view;
      upscaled = t.upscaled;
      crops = [drawTrainCrop(rng, v.rgb.width, v.rgb.height, size, job.hflip, job.vflip)];
    } else {
      if (job.evalShortSide < size) throw new Error(`evalShortSide ${job.evalShortSide} is smaller than the crop size ${size}`);
      v = evalView(view, job.evalShortSide);
      crops = drawEvalCrops(rng, v.rgb.width, v.rgb.height, size, job.crops);
    }
    const n = crops.length;
    const rgb = new Float32Array(n * size * size * 3);
    const depth = new Float32Array(n * size * size * 3);
    crops.forEach((c, i) => writeCrop(v, c, size, rgb, depth, i));
    return {
      rgb, depth, n, crops,
      width: view.rgb.width, height: view.rgb.height,
      upscaled, missingDepth: view.depth === null,
    };
  } catch (err) {
    const msg = oneLine(err);
    throw new Error(msg.includes(job.image) ? msg : `${job.image}: ${msg}`);
  }
}
