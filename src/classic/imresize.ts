// MATLAB-compatible imresize (bicubic, antialiasing when shrinking) for one 2-D float64 plane, the
// way NIQE's computequality.m calls it between its two scales: imresize(im, 0.5). Row-major planes.

/** A row-major float64 plane. */
export interface Plane {
  data: Float64Array;
  width: number;
  height: number;
}

/** Keys' cubic convolution kernel with a = -0.5 (MATLAB's 'bicubic'). */
export function cubic(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}

/** Per output index: the (mirrored, 0-based) input indices it reads and their weights, `taps` each. */
export interface ResizeWeights {
  taps: number;
  index: Int32Array;
  weight: Float64Array;
}

/** The 1-D weights of MATLAB's imresize from inLength to outLength samples at `scale`. */
export function resizeWeights(inLength: number, outLength: number, scale: number): ResizeWeights {
  // Shrinking stretches the kernel by 1/scale, which interpolates and antialiases at once.
  const s = Math.min(scale, 1);
  const kernelWidth = 4 / s;
  const taps = Math.ceil(kernelWidth) + 2; // one spare tap each side; its weight is then 0
  const index = new Int32Array(outLength * taps);
  const weight = new Float64Array(outLength * taps);
  for (let i = 1; i <= outLength; i++) {
    // 1-based: output pixel centre i maps to input coordinate u (0.5 and 0.5 + scale align).
    const u = i / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    const row = (i - 1) * taps;
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const w = s * cubic(s * (u - (left + t)));
      weight[row + t] = w;
      sum += w;
      index[row + t] = mirror(left + t, inLength);
    }
    for (let t = 0; t < taps; t++) weight[row + t] /= sum;
  }
  return { taps, index, weight };
}

/** 1-based index j mirrored into 1..n as MATLAB's [1:n, n:-1:1] (edge repeated), returned 0-based. */
function mirror(j: number, n: number): number {
  const period = 2 * n;
  const m = (((j - 1) % period) + period) % period;
  return m < n ? m : period - 1 - m;
}

/**
 * imresize(plane, scale) with MATLAB's defaults: bicubic, antialiasing, output ceil(scale * size),
 * rows (dimension 1) resized first, then columns. Computed in float64.
 */
export function imresize(plane: Plane, scale: number): Plane {
  const { data, width, height } = plane;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`imresize: scale must be a positive number, got ${scale}`);
  if (width < 1 || height < 1 || data.length !== width * height) {
    throw new Error(`imresize: plane of ${data.length} values does not match ${width}x${height}`);
  }
  const outHeight = Math.ceil(scale * height);
  const outWidth = Math.ceil(scale * width);
  const rows = resizeWeights(height, outHeight, scale);
  const cols = resizeWeights(width, outWidth, scale);

  const mid = new Float64Array(outHeight * width);
  for (let i = 0; i < outHeight; i++) {
    for (let t = 0; t < rows.taps; t++) {
      const w = rows.weight[i * rows.taps + t];
      if (w === 0) continue;
      const src = rows.index[i * rows.taps + t] * width;
      for (let x = 0; x < width; x++) mid[i * width + x] += w * data[src + x];
    }
  }
  const out = new Float64Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    for (let k = 0; k < outWidth; k++) {
      let acc = 0;
      for (let t = 0; t < cols.taps; t++) acc += cols.weight[k * cols.taps + t] * mid[y * width + cols.index[k * cols.taps + t]];
      out[y * outWidth + k] = acc;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}
