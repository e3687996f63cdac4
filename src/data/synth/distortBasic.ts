// The classic synthetic distortions of IQA benchmarks (LIVE, CSIQ, TID2013, KADID-10k style).
// Each takes the clean image and one strength value and returns a new image; random fields come
// from an Rng seeded per scene and type, identical across levels, so a stronger level adds to the
// same pattern instead of drawing a new one (this keeps labels monotone in level).
import sharp from 'sharp';
import { Rng } from '../../util/rng.js';
import { cloneImage, convolveSeparable, fromBytes, gaussianBlur, toBytes } from './image.js';
import type { RgbImage } from './types.js';

export function blur(img: RgbImage, sigma: number): RgbImage {
  return gaussianBlur(img, sigma);
}

/** Additive white Gaussian noise, independent per channel; sigma in [0, 1] units; `noise` is N(0, 1). */
export function whiteNoise(img: RgbImage, sigma: number, noise: Float32Array): RgbImage {
  const out = cloneImage(img);
  for (let i = 0; i < out.data.length; i++) out.data[i] = (out.data[i] as number) + sigma * (noise[i] as number);
  return out;
}

/** Round trip through sharp's JPEG encoder (libjpeg-turbo / mozjpeg in libvips) at a quality. */
export async function jpeg(img: RgbImage, quality: number): Promise<RgbImage> {
  const raw = { raw: { width: img.width, height: img.height, channels: 3 as const } };
  const encoded = await sharp(toBytes(img), raw)
    .jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false, optimiseCoding: true, trellisQuantisation: false })
    .toBuffer();
  const decoded = await sharp(encoded).raw().toBuffer();
  return fromBytes(new Uint8Array(decoded), img.width, img.height);
}

function meanLuma(img: RgbImage): number {
  const d = img.data;
  let s = 0;
  for (let i = 0; i < d.length; i += 3) s += 0.299 * (d[i] as number) + 0.587 * (d[i + 1] as number) + 0.114 * (d[i + 2] as number);
  return s / (d.length / 3);
}

/** Contrast reduction towards the mean luminance: out = m + k (x - m), k < 1. */
export function contrast(img: RgbImage, k: number): RgbImage {
  const m = meanLuma(img);
  const out = cloneImage(img);
  for (let i = 0; i < out.data.length; i++) out.data[i] = m + k * ((out.data[i] as number) - m);
  return out;
}

/** Saturation change keeping each pixel's luminance: s = 1 unchanged, 0 grey, > 1 more colourful. */
export function saturation(img: RgbImage, s: number): RgbImage {
  const out = cloneImage(img);
  const d = out.data;
  for (let i = 0; i < d.length; i += 3) {
    const y = 0.299 * (d[i] as number) + 0.587 * (d[i + 1] as number) + 0.114 * (d[i + 2] as number);
    for (let c = 0; c < 3; c++) d[i + c] = y + s * ((d[i + c] as number) - y);
  }
  return out;
}

/** Block averaging (the mosaic of a too-small image shown large). */
export function pixelate(img: RgbImage, block: number): RgbImage {
  const { width: w, height: h } = img;
  const out = cloneImage(img);
  for (let by = 0; by < h; by += block) {
    for (let bx = 0; bx < w; bx += block) {
      const ye = Math.min(h, by + block), xe = Math.min(w, bx + block);
      const n = (ye - by) * (xe - bx);
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let y = by; y < ye; y++) for (let x = bx; x < xe; x++) s += img.data[(y * w + x) * 3 + c] as number;
        s /= n;
        for (let y = by; y < ye; y++) for (let x = bx; x < xe; x++) out.data[(y * w + x) * 3 + c] = s;
      }
    }
  }
  return out;
}

/**
 * Uniform quantization of each channel to n levels, no dithering: banding, false contours and hue
 * shifts. The level tables use n = 2^k + 1, so every grid is a subset of the finer one before it
 * and no pixel's error shrinks from one level to the next.
 */
export function quantize(img: RgbImage, levels: number): RgbImage {
  const out = cloneImage(img);
  const q = levels - 1;
  for (let i = 0; i < out.data.length; i++) {
    const v = Math.min(1, Math.max(0, out.data[i] as number));
    out.data[i] = Math.round(v * q) / q;
  }
  return out;
}

/** Impulse noise: a fraction `density` of pixels set to black or white (nested across levels). */
export function saltPepper(img: RgbImage, density: number, seed: number): RgbImage {
  const rng = new Rng(seed);
  const out = cloneImage(img);
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const black = rng.next() < 0.5;
    if (u < density) {
      const v = black ? 0 : 1;
      out.data[3 * i] = v; out.data[3 * i + 1] = v; out.data[3 * i + 2] = v;
    }
  }
  return out;
}

/**
 * Ringing: an ideal low-pass (sinc) truncated by a rectangular window, applied separably. The
 * truncation gives the Gibbs overshoot, halos parallel to every edge, as in JPEG 2000 at low rates.
 * `cutoff` is in cycles per pixel (0.5 = no filtering).
 */
export function ringing(img: RgbImage, cutoff: number): RgbImage {
  const r = Math.ceil(2.5 / cutoff);
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = i === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * i) / (Math.PI * i);
    k[i + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = (k[i] as number) / sum;
  return { width: img.width, height: img.height, data: convolveSeparable(img.data, img.width, img.height, 3, k) };
}

/** Over-exposure: a gain with clipping at white (highlights burn out). */
export function overexpose(img: RgbImage, gain: number): RgbImage {
  const out = cloneImage(img);
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(1, (out.data[i] as number) * gain);
  return out;
}
