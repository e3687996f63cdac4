// The full-reference model that labels the synthetic benchmark.
//
//   q = MS-SSIM(Y_ref, Y_dist) * C^LAMBDA_CHROMA
//
// MS-SSIM: Wang, Simoncelli and Bovik (2003), on BT.601 luma in 0..255, Gaussian window sigma 1.5
// (11 taps), K1 = 0.01, K2 = 0.03, five scales with the published weights, 2x2 mean downsampling,
// mirrored borders and the mean over all pixels (the reference code keeps only 'valid' windows).
// Negative contrast-structure terms are clipped to 0 before the powers.
// C: the chromatic similarity of FSIMc (Zhang et al. 2011): the pixel mean of
// S_I * S_Q with S_X = (2 X1 X2 + T) / (X1^2 + X2^2 + T) on the I and Q channels of YIQ, T = 200.
// Luma-only SSIM is blind to colour loss; the chroma factor makes desaturation and colour noise count.
import { convolveSeparable, gaussianKernel } from './image.js';
import type { RgbImage } from './types.js';

const MS_SSIM_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];
const K1 = 0.01;
const K2 = 0.03;
const L = 255;
const T_CHROMA = 200;
export const LAMBDA_CHROMA = 0.5;

export const LABEL_MODEL =
  `score = 1 - (1 - q)^0.5 with q = MS-SSIM_w(Y) * C_w^${LAMBDA_CHROMA}, every map pooled with the observer's weights w = 1 / depth (nearness); MS-SSIM on BT.601 luma (0..255, Gaussian window sigma 1.5, 5 scales, ` +
  `weights ${MS_SSIM_WEIGHTS.join('/')}), C = mean FSIMc chroma similarity on YIQ I and Q (T = ${T_CHROMA})`;

interface Plane { w: number; h: number; data: Float32Array }

function lumaPlane(img: RgbImage): Plane {
  const n = img.width * img.height;
  const y = new Float32Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    y[i] = L * (0.299 * (d[3 * i] as number) + 0.587 * (d[3 * i + 1] as number) + 0.114 * (d[3 * i + 2] as number));
  }
  return { w: img.width, h: img.height, data: y };
}

function downsample(p: Plane): Plane {
  const w = p.w >> 1, h = p.h >> 1;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 2 * y * p.w + 2 * x;
      out[y * w + x] = 0.25 * ((p.data[i] as number) + (p.data[i + 1] as number) + (p.data[i + p.w] as number) + (p.data[i + p.w + 1] as number));
    }
  }
  return { w, h, data: out };
}

const WINDOW = gaussianKernel(1.5);

/** What SSIM needs of the reference at one scale: its plane and its filtered mean and E[x^2]. */
interface RefScale { plane: Plane; mean: Float32Array; sq: Float32Array }

function refScale(a: Plane): RefScale {
  const n = a.w * a.h;
  const stacked = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) { const x = a.data[i] as number; stacked[2 * i] = x; stacked[2 * i + 1] = x * x; }
  const f = convolveSeparable(stacked, a.w, a.h, 2, WINDOW);
  const mean = new Float32Array(n), sq = new Float32Array(n);
  for (let i = 0; i < n; i++) { mean[i] = f[2 * i] as number; sq[i] = f[2 * i + 1] as number; }
  return { plane: a, mean, sq };
}

/** Mean luminance term l and contrast-structure term cs of SSIM at one scale, pooled with weights w (sum 1) or uniformly. */
function ssimTerms(ref: RefScale, b: Plane, w?: Float32Array): { l: number; cs: number } {
  const a = ref.plane;
  const n = a.w * a.h;
  // The distorted image's three filtered planes in one interleaved pass: b, b^2, ab.
  const stacked = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const x = a.data[i] as number, y = b.data[i] as number;
    stacked[3 * i] = y; stacked[3 * i + 1] = y * y; stacked[3 * i + 2] = x * y;
  }
  const f = convolveSeparable(stacked, a.w, a.h, 3, WINDOW);
  const C1 = (K1 * L) ** 2, C2 = (K2 * L) ** 2;
  let lSum = 0, csSum = 0;
  for (let i = 0; i < n; i++) {
    const mx = ref.mean[i] as number, my = f[3 * i] as number;
    const vx = (ref.sq[i] as number) - mx * mx, vy = (f[3 * i + 1] as number) - my * my, cxy = (f[3 * i + 2] as number) - mx * my;
    const wi = w ? (w[i] as number) : 1 / n;
    lSum += wi * ((2 * mx * my + C1) / (mx * mx + my * my + C1));
    csSum += wi * ((2 * cxy + C2) / (vx + vy + C2));
  }
  return { l: lSum, cs: csSum };
}

function yiqChroma(img: RgbImage): { i: Float32Array; q: Float32Array } {
  const n = img.width * img.height;
  const I = new Float32Array(n), Q = new Float32Array(n);
  const d = img.data;
  for (let k = 0; k < n; k++) {
    const R = L * (d[3 * k] as number), G = L * (d[3 * k + 1] as number), B = L * (d[3 * k + 2] as number);
    I[k] = 0.596 * R - 0.274 * G - 0.322 * B;
    Q[k] = 0.211 * R - 0.523 * G + 0.312 * B;
  }
  return { i: I, q: Q };
}

/**
 * The full-reference model bound to one clean image: its pyramid and filtered statistics are
 * computed once and reused for every distorted version (60 per scene).
 */
export class ReferenceQuality {
  private readonly scales: RefScale[] = [];
  private readonly chroma: { i: Float32Array; q: Float32Array };
  /** per scale, the attention weights (summing to 1) the maps are pooled with; empty: uniform pooling */
  private readonly weights: Float32Array[] = [];

  /**
   * attention: where the observer looks, one non-negative weight per pixel (the benchmark's observer
   * weighs each pixel by its nearness, 1 / depth); omitted: every pixel counts alike (plain MS-SSIM)
   */
  constructor(readonly ref: RgbImage, attention?: Float32Array) {
    const minSide = Math.min(ref.width, ref.height);
    if (minSide >> (MS_SSIM_WEIGHTS.length - 1) < 11) {
      throw new Error(`fullReferenceQuality: images of ${minSide} px are too small for 5-scale MS-SSIM (need at least 176)`);
    }
    let a = lumaPlane(ref);
    if (attention && attention.length !== ref.width * ref.height) throw new Error(`fullReferenceQuality: ${attention.length} attention weights for a ${ref.width}x${ref.height} image`);
    let w: Plane | undefined = attention ? { w: ref.width, h: ref.height, data: Float32Array.from(attention) } : undefined;
    for (let s = 0; s < MS_SSIM_WEIGHTS.length; s++) {
      this.scales.push(refScale(a));
      if (w) this.weights.push(normalised(w.data));
      if (s < MS_SSIM_WEIGHTS.length - 1) {
        a = downsample(a);
        if (w) w = downsample(w); // the weights follow the pyramid, pixel for pixel
      }
    }
    this.chroma = yiqChroma(ref);
  }

  msssim(dist: RgbImage): number {
    this.checkSize(dist);
    let b = lumaPlane(dist);
    let q = 1;
    for (let s = 0; s < MS_SSIM_WEIGHTS.length; s++) {
      const { l, cs } = ssimTerms(this.scales[s] as RefScale, b, this.weights[s]);
      const w = MS_SSIM_WEIGHTS[s] as number;
      q *= Math.pow(Math.max(0, cs), w);
      if (s === MS_SSIM_WEIGHTS.length - 1) q *= Math.pow(Math.max(0, l), w);
      else b = downsample(b);
    }
    return q;
  }

  chromaSimilarity(dist: RgbImage): number {
    this.checkSize(dist);
    const { i: I2, q: Q2 } = yiqChroma(dist);
    const { i: I1, q: Q1 } = this.chroma;
    const w = this.weights[0];
    let sum = 0;
    for (let k = 0; k < I1.length; k++) {
      const i1 = I1[k] as number, i2 = I2[k] as number, q1 = Q1[k] as number, q2 = Q2[k] as number;
      sum += (w ? (w[k] as number) : 1 / I1.length) * ((2 * i1 * i2 + T_CHROMA) / (i1 * i1 + i2 * i2 + T_CHROMA)) * ((2 * q1 * q2 + T_CHROMA) / (q1 * q1 + q2 * q2 + T_CHROMA));
    }
    return sum;
  }

  /** The index q in [0, 1] (1: identical). Pass images as saved (8-bit values). */
  score(dist: RgbImage): number {
    const q = this.msssim(dist) * Math.pow(Math.max(0, this.chromaSimilarity(dist)), LAMBDA_CHROMA);
    return Math.min(1, Math.max(0, q));
  }

  private checkSize(dist: RgbImage): void {
    if (dist.width !== this.ref.width || dist.height !== this.ref.height) {
      throw new Error(`fullReferenceQuality: sizes differ (${this.ref.width}x${this.ref.height} vs ${dist.width}x${dist.height})`);
    }
  }
}

/**
 * Exponent of the observer's response to the index's loss: perceived degradation grows as a power
 * below 1 of the physical one (Stevens' power law), so that the many small losses near q = 1 (mild
 * blur, JPEG, pixelation) spread over the scale as they do in human opinion scores, instead of
 * crowding within 0.02 of the top.
 */
export const PERCEIVED_EXPONENT = 0.5;

/** The benchmark's score in [0, 1]: 1 - (1 - q)^PERCEIVED_EXPONENT (monotone in q: the same ranks). */
export function perceivedQuality(q: number): number {
  return 1 - Math.pow(Math.min(1, Math.max(0, 1 - q)), PERCEIVED_EXPONENT);
}

/** One-off form of ReferenceQuality.score. */
export function fullReferenceQuality(ref: RgbImage, dist: RgbImage, attention?: Float32Array): number {
  return new ReferenceQuality(ref, attention).score(dist);
}

/** Weights scaled to sum to 1 (all-zero weights are refused: the observer must look somewhere). */
function normalised(w: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < w.length; i++) {
    const v = w[i] as number;
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`fullReferenceQuality: attention weight ${i} is ${v}, not a finite number >= 0`);
    sum += v;
  }
  if (!(sum > 0)) throw new Error('fullReferenceQuality: the attention weights are all zero');
  const out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = (w[i] as number) / sum;
  return out;
}

/**
 * The benchmark's observer looks at what is near: each pixel weighs 1 / depth (nearness), so a
 * degradation of the foreground costs more than the same degradation of a far wall. Depth thereby
 * carries information about quality exactly where a distortion varies with depth (haze, defocus);
 * for distortions that are the same everywhere (noise, JPEG, blur, ...) the weights barely matter.
 */
export function nearnessAttention(depthMetres: Float32Array): Float32Array {
  const w = new Float32Array(depthMetres.length);
  for (let i = 0; i < w.length; i++) w[i] = 1 / Math.max(0.5, depthMetres[i] as number);
  return w;
}
