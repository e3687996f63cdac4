// Small image operations on typed arrays (interleaved RGB floats or one-channel planes).
import type { RgbImage } from './types.js';

export function newImage(width: number, height: number): RgbImage {
  return { width, height, data: new Float32Array(width * height * 3) };
}

export function cloneImage(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, data: img.data.slice() };
}

/** Rounds to 8 bits as the saved PNG will (so labels are computed on what the user gets). */
export function toBytes(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round((img.data[i] as number) * 255);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

export function fromBytes(bytes: Uint8Array, width: number, height: number): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (bytes[i] as number) / 255;
  return { width, height, data };
}

export function clampImage(img: RgbImage): RgbImage {
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    d[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return img;
}

/** Normalized 1-D Gaussian taps, radius ceil(3 sigma). */
export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = (k[i] as number) / sum;
  return k;
}

/**
 * Separable convolution of interleaved planes with a symmetric odd kernel, borders mirrored
 * (mirroring keeps image means, unlike zero padding). `channels` planes are interleaved in `src`.
 * The interior of each row and column runs without index lookups: this loop is most of the
 * generator's time.
 */
export function convolveSeparable(
  src: Float32Array,
  width: number,
  height: number,
  channels: number,
  kernel: Float32Array,
): Float32Array {
  const r = (kernel.length - 1) >> 1;
  const taps = kernel.length;
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const mirror = (i: number, n: number): number => {
    // Reflect without repeating the edge pixel; loop for kernels wider than the image.
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
    return i;
  };
  const C = channels;
  // Horizontal pass.
  for (let y = 0; y < height; y++) {
    const row = y * width * C;
    for (let x = 0; x < width; x++) {
      const interior = x - r >= 0 && x + r < width;
      for (let c = 0; c < C; c++) {
        let acc = 0;
        if (interior) {
          let p = row + (x - r) * C + c;
          for (let k = 0; k < taps; k++, p += C) acc += (kernel[k] as number) * (src[p] as number);
        } else {
          for (let k = 0; k < taps; k++) acc += (kernel[k] as number) * (src[row + mirror(x - r + k, width) * C + c] as number);
        }
        tmp[row + x * C + c] = acc;
      }
    }
  }
  // Vertical pass: each output row reads the `taps` source rows side by side, in memory order.
  const stride = width * C;
  const rows = new Int32Array(taps);
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < taps; k++) rows[k] = mirror(y - r + k, height) * stride;
    const o = y * stride;
    for (let i = 0; i < stride; i++) {
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += (kernel[k] as number) * (tmp[(rows[k] as number) + i] as number);
      out[o + i] = acc;
    }
  }
  return out;
}

export function gaussianBlur(img: RgbImage, sigma: number): RgbImage {
  if (sigma <= 0) return cloneImage(img);
  return { width: img.width, height: img.height, data: convolveSeparable(img.data, img.width, img.height, 3, gaussianKernel(sigma)) };
}

/** BT.601 luma, the Y of YIQ (as SSIM's reference implementation converts colour images). */
export function luminance(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const y = new Float32Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    y[i] = 0.299 * (d[3 * i] as number) + 0.587 * (d[3 * i + 1] as number) + 0.114 * (d[3 * i + 2] as number);
  }
  return y;
}

/** Bilinear sample of channel c at (x, y), coordinates clamped to the image. */
export function sampleBilinear(img: RgbImage, x: number, y: number, c: number): number {
  const { width: w, height: h, data } = img;
  const xc = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
  const yc = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = x0 + 1 < w ? x0 + 1 : x0;
  const y1 = y0 + 1 < h ? y0 + 1 : y0;
  const fx = xc - x0;
  const fy = yc - y0;
  const a = data[(y0 * w + x0) * 3 + c] as number;
  const b = data[(y0 * w + x1) * 3 + c] as number;
  const p = data[(y1 * w + x0) * 3 + c] as number;
  const q = data[(y1 * w + x1) * 3 + c] as number;
  return (a * (1 - fx) + b * fx) * (1 - fy) + (p * (1 - fx) + q * fx) * fy;
}
