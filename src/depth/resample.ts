// The two resizes of the official Depth Anything path, written out because their edge handling
// matters and no library here matches it: OpenCV's INTER_CUBIC (a = -0.75, half-pixel centres,
// replicated borders) for the model input, and bilinear without antialiasing (torch's
// F.interpolate(align_corners=False), the same as OpenCV's INTER_LINEAR) for its output. sharp's
// cubic differs (Catmull-Rom, antialiased when shrinking); @huggingface/transformers' affine resize
// blends black in at the right and bottom edges. Checked against OpenCV in test/fixtures/cv2-resize.

const A = -0.75; // OpenCV's cubic coefficient

function cubicWeights(t: number): [number, number, number, number] {
  const w0 = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
  const w1 = ((A + 2) * t - (A + 3)) * t * t + 1;
  const w2 = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
  return [w0, w1, w2, 1 - w0 - w1 - w2];
}

const clamp = (i: number, n: number): number => (i < 0 ? 0 : i >= n ? n - 1 : i);

/** Per output index: the four source taps (clamped) and their weights. */
function cubicTaps(src: number, dst: number): { idx: Int32Array; w: Float64Array } {
  const idx = new Int32Array(dst * 4), w = new Float64Array(dst * 4);
  const scale = src / dst;
  for (let d = 0; d < dst; d++) {
    const f = (d + 0.5) * scale - 0.5;
    const s = Math.floor(f);
    const ws = cubicWeights(f - s);
    for (let k = 0; k < 4; k++) {
      idx[d * 4 + k] = clamp(s - 1 + k, src);
      w[d * 4 + k] = ws[k] as number;
    }
  }
  return { idx, w };
}

/** OpenCV INTER_CUBIC of an interleaved H x W x C float image (separable: rows, then columns). */
export function resizeCubic(src: ArrayLike<number>, height: number, width: number, channels: number, outHeight: number, outWidth: number): Float64Array {
  const tx = cubicTaps(width, outWidth), ty = cubicTaps(height, outHeight);
  const rows = new Float64Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < channels; c++) {
        let v = 0;
        for (let k = 0; k < 4; k++) v += (tx.w[x * 4 + k] as number) * (src[(y * width + (tx.idx[x * 4 + k] as number)) * channels + c] as number);
        rows[(y * outWidth + x) * channels + c] = v;
      }
    }
  }
  const out = new Float64Array(outHeight * outWidth * channels);
  const stride = outWidth * channels;
  for (let y = 0; y < outHeight; y++) {
    for (let k = 0; k < 4; k++) {
      const wy = ty.w[y * 4 + k] as number, from = (ty.idx[y * 4 + k] as number) * stride;
      for (let i = 0; i < stride; i++) out[y * stride + i] = (out[y * stride + i] as number) + wy * (rows[from + i] as number);
    }
  }
  return out;
}

function linearTaps(src: number, dst: number): { i0: Int32Array; i1: Int32Array; t: Float64Array } {
  const i0 = new Int32Array(dst), i1 = new Int32Array(dst), t = new Float64Array(dst);
  const scale = src / dst;
  for (let d = 0; d < dst; d++) {
    const f = Math.max(0, (d + 0.5) * scale - 0.5);
    const s = Math.min(Math.floor(f), src - 1);
    i0[d] = s;
    i1[d] = Math.min(s + 1, src - 1);
    t[d] = f - s;
  }
  return { i0, i1, t };
}

/** Bilinear resize of one H x W channel, align_corners=False, no antialiasing. */
export function resizeBilinear(src: ArrayLike<number>, height: number, width: number, outHeight: number, outWidth: number): Float64Array {
  const tx = linearTaps(width, outWidth), ty = linearTaps(height, outHeight);
  const out = new Float64Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    const r0 = (ty.i0[y] as number) * width, r1 = (ty.i1[y] as number) * width, b = ty.t[y] as number;
    for (let x = 0; x < outWidth; x++) {
      const x0 = tx.i0[x] as number, x1 = tx.i1[x] as number, a = tx.t[x] as number;
      const top = (src[r0 + x0] as number) * (1 - a) + (src[r0 + x1] as number) * a;
      const bottom = (src[r1 + x0] as number) * (1 - a) + (src[r1 + x1] as number) * a;
      out[y * outWidth + x] = top * (1 - b) + bottom * b;
    }
  }
  return out;
}
