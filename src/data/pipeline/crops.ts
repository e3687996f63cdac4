// Crops without files: the view (RGB and depth planes), the windows drawn from a seed, and the
// normalized NHWC floats written from them. No decoding and no Node API here, so the same code cuts
// the crops in the pipeline's workers and in the browser page (src/browser), which decodes with the
// browser's own image decoders.
import { Rng } from '../../util/rng.js';
import { IMAGENET_MEAN, IMAGENET_STD } from './constants.js';
import { resizeBilinear, shortSideSize } from './planes.js';
import type { Plane } from './planes.js';

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

/**
 * The seed of one image's evaluation crops, from the evaluation seed and the image's file name (its
 * last path component): not its place in a list, so an image scores the same alone, in a folder or in
 * a whole dataset, and in a browser that only knows the file's name. Two files share windows where
 * the caller passes the same path for both (a reference cropped where its distorted version was:
 * SampleRecord.cropKey). FNV-1a over the name's UTF-16 code units, then `sampleSeed`.
 */
export function evalSeedOf(seed: number, path: string): number {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return sampleSeed(seed, h);
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
