// NIQE, the "completely blind" image quality analyzer (Mittal, Soundararajan, Bovik, IEEE SPL 2013),
// from its definition in the official MATLAB release (computequality.m, computefeature.m,
// estimateaggdparam.m): MSCN coefficients at two scales, 18 AGGD features per block and scale, a
// multivariate Gaussian (MVG) over the blocks, and its distance to the pristine MVG (Eq. 10).
import { readFileSync } from 'node:fs';
import gamma from '@stdlib/math-base-special-gamma';
import sharp from 'sharp';
import { imresize, type Plane } from './imresize.js';

/** The pristine MVG: 36 means and a 36x36 covariance of the features of pristine patches. */
export interface NiqeModel {
  mu: Float64Array;
  /** row-major 36x36 */
  cov: Float64Array;
  source: string;
}

export interface NiqeOptions {
  /** side of the square blocks at full scale (the release's 96); must be even */
  blockSize?: number;
  model?: NiqeModel;
}

export const NIQE_FEATURES = 36;

// The package's own copy of the model: dist/src/classic -> the kit's root (not KIT_ROOT, which
// DGIQA_HOME may move to a workspace that lacks the kit's files).
const MODEL_URL = new URL('../../../data/classic/niqe-pristine.json', import.meta.url);

let cachedModel: NiqeModel | undefined;

/** The published pristine model (data/classic/niqe-pristine.json, or the JSON file at `path`). */
export function loadNiqeModel(path?: string): NiqeModel {
  if (path === undefined && cachedModel) return cachedModel;
  const file = path ?? MODEL_URL;
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const where = String(file);
  if (typeof raw !== 'object' || raw === null) throw new Error(`NIQE model ${where}: not a JSON object`);
  const { mu, cov, source } = raw as { mu?: unknown; cov?: unknown; source?: unknown };
  const n = NIQE_FEATURES;
  const isRow = (v: unknown, len: number): v is number[] =>
    Array.isArray(v) && v.length === len && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!isRow(mu, n)) throw new Error(`NIQE model ${where}: mu must be ${n} finite numbers`);
  if (!Array.isArray(cov) || cov.length !== n || !cov.every((r) => isRow(r, n))) {
    throw new Error(`NIQE model ${where}: cov must be ${n}x${n} finite numbers`);
  }
  const model: NiqeModel = {
    mu: Float64Array.from(mu),
    cov: Float64Array.from((cov as number[][]).flat()),
    source: typeof source === 'string' ? source : '',
  };
  if (path === undefined) cachedModel = model;
  return model;
}

/**
 * MATLAB's Y of YCbCr for 8-bit RGB, rounded as rgb2ycbcr does for uint8:
 * Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255. One channel (gray) is read as R = G = B.
 */
export function lumaY(rgb: Uint8Array, width: number, height: number, channels: number): Float64Array {
  const n = width * height;
  if (!Number.isInteger(channels) || channels < 1) throw new Error(`lumaY: channels must be a positive integer, got ${channels}`);
  if (rgb.length !== n * channels) throw new Error(`lumaY: ${rgb.length} bytes do not match ${width}x${height}x${channels}`);
  const g = channels >= 3 ? 1 : 0;
  const b = channels >= 3 ? 2 : 0;
  const y = new Float64Array(n);
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    // Math.round rounds halves up, as MATLAB does for these positive values.
    y[i] = Math.round(16 + (65.481 * rgb[p] + 128.553 * rgb[p + g] + 24.966 * rgb[p + b]) / 255);
  }
  return y;
}

/** 1-D taps of fspecial('gaussian', 7, 7/6) normalised to sum 1; the 7x7 window is their outer product. */
export function gaussianTaps(): Float64Array {
  const sigma = 7 / 6;
  const taps = new Float64Array(7);
  let sum = 0;
  for (let k = -3; k <= 3; k++) {
    taps[k + 3] = Math.exp(-(k * k) / (2 * sigma * sigma));
    sum += taps[k + 3];
  }
  for (let k = 0; k < 7; k++) taps[k] /= sum;
  return taps;
}

/** imfilter(im, window, 'replicate') with the separable 7x7 Gaussian window. */
function gaussianFilter(im: Float64Array, width: number, height: number, taps: Float64Array): Float64Array {
  const r = (taps.length - 1) / 2;
  const tmp = new Float64Array(im.length);
  const out = new Float64Array(im.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -r; k <= r; k++) acc += taps[k + r] * im[y * width + Math.min(width - 1, Math.max(0, x + k))];
      tmp[y * width + x] = acc;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -r; k <= r; k++) acc += taps[k + r] * tmp[Math.min(height - 1, Math.max(0, y + k)) * width + x];
      out[y * width + x] = acc;
    }
  }
  return out;
}

/** Mean subtracted contrast normalised coefficients (paper Eq. 1, with the release's C = 1). */
export function mscn(plane: Plane): Float64Array {
  const { data, width, height } = plane;
  const taps = gaussianTaps();
  const mu = gaussianFilter(data, width, height, taps);
  const sq = data.map((v) => v * v);
  const mu2 = gaussianFilter(sq, width, height, taps);
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    // |.| guards against tiny negative variances from rounding.
    const sigma = Math.sqrt(Math.abs(mu2[i] - mu[i] * mu[i]));
    out[i] = (data[i] - mu[i]) / (sigma + 1);
  }
  return out;
}

export interface AggdParams {
  alpha: number;
  betaL: number;
  betaR: number;
}

// r(gamma) = Gamma(2/g)^2 / (Gamma(1/g) Gamma(3/g)) on the release's grid 0.2:0.001:10.
let aggdGrid: { gam: Float64Array; r: Float64Array } | undefined;
function grid(): { gam: Float64Array; r: Float64Array } {
  if (!aggdGrid) {
    const gam = new Float64Array(9801);
    const r = new Float64Array(gam.length);
    for (let k = 0; k < gam.length; k++) {
      const g = 0.2 + k * 0.001;
      gam[k] = g;
      r[k] = gamma(2 / g) ** 2 / (gamma(1 / g) * gamma(3 / g));
    }
    aggdGrid = { gam, r };
  }
  return aggdGrid;
}

/** Moment-matching fit of an asymmetric generalised Gaussian (the release's estimateaggdparam.m). */
export function aggdFit(x: ArrayLike<number>): AggdParams {
  let leftSq = 0, nLeft = 0, rightSq = 0, nRight = 0, absSum = 0, sqSum = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const v2 = v * v;
    if (v < 0) { leftSq += v2; nLeft++; } else if (v > 0) { rightSq += v2; nRight++; }
    absSum += Math.abs(v);
    sqSum += v2;
  }
  const leftStd = Math.sqrt(leftSq / nLeft);
  const rightStd = Math.sqrt(rightSq / nRight);
  const gammaHat = leftStd / rightStd;
  const meanAbs = absSum / x.length;
  const rHat = (meanAbs * meanAbs) / (sqSum / x.length);
  const rHatNorm = (rHat * (gammaHat ** 3 + 1) * (gammaHat + 1)) / (gammaHat ** 2 + 1) ** 2;
  const { gam, r } = grid();
  // First minimiser, as min/argmin pick; a NaN rHatNorm (one-sided block) leaves the first grid value.
  let best = 0, bestErr = Infinity;
  for (let k = 0; k < r.length; k++) {
    const e = (r[k] - rHatNorm) ** 2;
    if (e < bestErr) { bestErr = e; best = k; }
  }
  const alpha = gam[best];
  const scale = Math.sqrt(gamma(1 / alpha) / gamma(3 / alpha));
  return { alpha, betaL: leftStd * scale, betaR: rightStd * scale };
}

// Neighbour products along horizontal, vertical and both diagonals (circshift of the block).
const SHIFTS: readonly (readonly [number, number])[] = [[0, 1], [1, 0], [1, 1], [1, -1]];

/** The 18 features of one MSCN block: AGGD shape and scale, then 4 x (shape, mean, betaL, betaR). */
function blockFeatures(block: Float64Array, side: number, out: number[]): void {
  const f = aggdFit(block);
  out.push(f.alpha, (f.betaL + f.betaR) / 2);
  const prod = new Float64Array(block.length);
  for (const [dy, dx] of SHIFTS) {
    for (let y = 0; y < side; y++) {
      const sy = (y - dy + side) % side;
      for (let x = 0; x < side; x++) prod[y * side + x] = block[y * side + x] * block[sy * side + ((x - dx + side) % side)];
    }
    const p = aggdFit(prod);
    const mean = (p.betaR - p.betaL) * (gamma(2 / p.alpha) / gamma(1 / p.alpha)); // paper Eq. 8
    out.push(p.alpha, mean, p.betaL, p.betaR);
  }
}

/** Features of every block at both scales: one row of 36 per block. */
export function niqeFeatures(plane: Float64Array, width: number, height: number, blockSize = 96): number[][] {
  if (plane.length !== width * height) throw new Error(`NIQE: plane of ${plane.length} values does not match ${width}x${height}`);
  if (!Number.isInteger(blockSize) || blockSize < 2 || blockSize % 2 !== 0) {
    throw new Error(`NIQE: blockSize must be a positive even integer, got ${blockSize}`);
  }
  const bw = Math.floor(width / blockSize);
  const bh = Math.floor(height / blockSize);
  if (bw < 1 || bh < 1) throw new Error(`NIQE: the image (${width}x${height}) is smaller than one ${blockSize}x${blockSize} block`);
  // Crop to whole blocks from the top-left.
  const cw = bw * blockSize;
  const ch = bh * blockSize;
  const cropped = new Float64Array(cw * ch);
  for (let y = 0; y < ch; y++) cropped.set(plane.subarray(y * width, y * width + cw), y * cw);

  const rows: number[][] = Array.from({ length: bw * bh }, () => []);
  let im: Plane = { data: cropped, width: cw, height: ch };
  for (const scale of [1, 2]) {
    const coeffs = mscn(im);
    const side = blockSize / scale;
    const block = new Float64Array(side * side);
    for (let by = 0; by < bh; by++) {
      for (let bx = 0; bx < bw; bx++) {
        for (let y = 0; y < side; y++) {
          const src = (by * side + y) * im.width + bx * side;
          block.set(coeffs.subarray(src, src + side), y * side);
        }
        blockFeatures(block, side, rows[by * bw + bx]);
      }
    }
    if (scale === 1) im = imresize(im, 0.5);
  }
  return rows;
}

/** The test image's MVG: NaN-ignoring means, and the covariance of the rows free of NaN. */
export function mvg(rows: number[][]): { mu: Float64Array; cov: Float64Array } {
  const n = NIQE_FEATURES;
  const mu = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0, c = 0;
    for (const r of rows) if (!Number.isNaN(r[j])) { s += r[j]; c++; }
    mu[j] = s / c;
  }
  const clean = rows.filter((r) => r.every((v) => !Number.isNaN(v)));
  if (clean.length === 0) throw new Error('NIQE: no block has finite features (is the image flat?)');
  const m = new Float64Array(n);
  for (const r of clean) for (let j = 0; j < n; j++) m[j] += r[j] / clean.length;
  const cov = new Float64Array(n * n);
  for (const r of clean) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cov[i * n + j] += (r[i] - m[i]) * (r[j] - m[j]);
  }
  // n - 1, except for a single block where MATLAB's nancov divides by 1.
  const denom = Math.max(clean.length - 1, 1);
  for (let k = 0; k < cov.length; k++) cov[k] /= denom;
  return { mu, cov };
}

/** Moore-Penrose pseudo-inverse of a symmetric n x n matrix, by cyclic Jacobi eigendecomposition. */
export function symmetricPinv(matrix: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, total = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { total += a[i * n + j] ** 2; if (i !== j) off += a[i * n + j] ** 2; }
    if (off <= 1e-30 * total) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // Rotation that zeroes a[p][q]: t = tan of the angle, the smaller root.
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let maxAbs = 0;
  for (let i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i * n + i]));
  // MATLAB pinv's tolerance: max(size) * eps(norm(A)); eigenvalues below it count as zero.
  const tol = n * 2 ** (Math.floor(Math.log2(maxAbs)) - 52);
  const out = new Float64Array(n * n);
  for (let e = 0; e < n; e++) {
    const lambda = a[e * n + e];
    if (Math.abs(lambda) <= tol) continue;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] += (v[i * n + e] * v[j * n + e]) / lambda;
  }
  return out;
}

/**
 * NIQE of a gray or Y plane in 0..255 (row-major float64): the distance between the pristine MVG
 * and the MVG of the image's blocks (paper Eq. 10). Lower is better.
 */
export function niqe(plane: Float64Array, width: number, height: number, options: NiqeOptions = {}): number {
  const model = options.model ?? loadNiqeModel();
  const n = NIQE_FEATURES;
  if (model.mu.length !== n || model.cov.length !== n * n) throw new Error(`NIQE: the model must have ${n} means and a ${n}x${n} covariance`);
  const dist = mvg(niqeFeatures(plane, width, height, options.blockSize ?? 96));
  const pooled = new Float64Array(n * n);
  for (let k = 0; k < pooled.length; k++) pooled[k] = (model.cov[k] + dist.cov[k]) / 2;
  const inv = symmetricPinv(pooled, n);
  const d = model.mu.map((m, j) => m - dist.mu[j]);
  let q = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) q += d[i] * inv[i * n + j] * d[j];
  return Math.sqrt(q);
}

/** NIQE of an image file on MATLAB's Y channel (8-bit decode by sharp; alpha dropped). */
export async function niqeOfFile(path: string, options: NiqeOptions = {}): Promise<number> {
  try {
    // 8 bits a channel, as the release reads images (a 16-bit PNG is scaled down, not misread)
    const { data, info } = await sharp(path).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return niqe(lumaY(data, info.width, info.height, info.channels), info.width, info.height, options);
  } catch (err) {
    throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
