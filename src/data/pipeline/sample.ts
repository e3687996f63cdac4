// One sample, start to finish: decode the image and its depth map, bring the depth map to the
// image's size, scale it to 0..255 by its min-max, then either a training crop (random 224 window of
// the full-resolution image, random horizontal and vertical flips, the same for RGB and depth) or
// the evaluation crops (smaller side resized to 384, N random 224 windows), normalized with the
// ImageNet statistics into NHWC float32. Pure functions of the job: the same job gives the same
// bytes on the main thread and in any worker.
import { Rng } from '../../util/rng.js';
import { CROP_SIZE, EVAL_CROPS, EVAL_SHORT_SIDE } from './constants.js';
import { drawEvalCrops, drawTrainCrop, evalView, trainView, writeCrop } from './crops.js';
import type { CropInfo, View } from './crops.js';
import { decodeDepth, decodeRgb, oneLine } from './decode.js';
import { minMax, resizeBilinear } from './planes.js';

export { drawEvalCrops, drawTrainCrop, evalSeedOf, evalView, normalizeValue, resizeView, sampleSeed, trainView, writeCrop } from './crops.js';
export type { CropInfo, View } from './crops.js';

/** What the pipeline needs of a record: absolute paths, and the label when there is one. */
export interface SampleRecord {
  image: string;
  /** The depth map (PNG, 8- or 16-bit; any size: it is resized to the image). */
  depth: string | undefined;
  score01?: number;
  /** Whose file name seeds the evaluation crops (default this image's; evalSeedOf): a reference cropped where its distorted version is. */
  cropKey?: string;
}

/** Everything that decides a sample's crops (and nothing else: not the batch, not the worker). */
export interface SampleJob {
  /** 'check': decode the image and the depth map in full and report their sizes (no crops). */
  mode: 'train' | 'eval' | 'check';
  image: string;
  depth: string | undefined;
  /** Seed of this sample's random numbers: `sampleSeed(seed, recordIndex)` in training, `evalSeedOf(seed, cropKey ?? image)` in evaluation. */
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
