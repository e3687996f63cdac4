// Pixel planes and the one resampling filter the pipeline uses.
//
// Filter: bilinear with half-pixel centres and edge clamping, no antialiasing. This is exactly the
// filter of the official code: albumentations `SmallestMaxSize(384)` calls OpenCV's `cv2.resize`
// with its default `INTER_LINEAR`, and the depth map is brought to the image's size with
// `torch.nn.functional.interpolate(mode='bilinear', align_corners=False)`; both are this formula.
// It is computed here in float32 (OpenCV computes uint8 input in 11-bit fixed point and rounds to
// uint8: the results agree within one grey level). It is NOT torchvision's `Resize` default
// (bilinear WITH antialias on tensors since torchvision 0.17, a wider triangle filter when
// shrinking), and not sharp's `resize` (libvips reduces with the chosen kernel stretched over the
// shrink factor, i.e. antialiased, and JPEG shrink-on-load), so sharp is used only to decode.
// Doing it in JavaScript also keeps the result independent of the libvips version.

/** Interleaved samples of a width x height image with 1 or 3 channels, row-major from the top-left. */
export type Samples = Uint8Array | Uint16Array | Float32Array;

export interface Plane {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Samples;
}

/** Python's round() (half to even), as albumentations uses to compute the resized size. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The size after scaling so that the smaller side becomes `side`, as albumentations'
 * `SmallestMaxSize`: scale = side / min(w, h), each side rounded half-to-even. (torchvision's
 * `Resize(side)` truncates the longer side instead: they can differ by one pixel.)
 */
export function shortSideSize(width: number, height: number, side: number): { width: number; height: number } {
  const scale = side / Math.min(width, height);
  if (width <= height) return { width: side, height: Math.max(side, roundHalfEven(height * scale)) };
  return { width: Math.max(side, roundHalfEven(width * scale)), height: side };
}

interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

/** Source indices and weights along one axis: s = (d + 0.5) * src / dst - 0.5, clamped to [0, src - 1]. */
function axisTable(src: number, dst: number): AxisTable {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const scale = src / dst;
  for (let d = 0; d < dst; d++) {
    let s = (d + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    let lo = Math.floor(s);
    if (lo >= src - 1) {
      lo = src - 1;
      s = lo;
    }
    i0[d] = lo;
    i1[d] = Math.min(lo + 1, src - 1);
    w[d] = s - lo;
  }
  return { i0, i1, w };
}

/** Bilinear resize (see the header for the exact filter) to width x height; float32 output. */
export function resizeBilinear(src: Plane, width: number, height: number): Plane {
  if (!(width >= 1 && height >= 1 && Number.isInteger(width) && Number.isInteger(height))) {
    throw new Error(`resizeBilinear: bad target size ${width}x${height}`);
  }
  const c = src.channels;
  const sw = src.width;
  const sh = src.height;
  const s = src.data;
  const xs = axisTable(sw, width);
  const ys = axisTable(sh, height);
  // Horizontal pass over every source row, then vertical pass.
  const tmp = new Float32Array(sh * width * c);
  for (let y = 0; y < sh; y++) {
    const srow = y * sw * c;
    const trow = y * width * c;
    for (let x = 0; x < width; x++) {
      const a = srow + xs.i0[x]! * c;
      const b = srow + xs.i1[x]! * c;
      const wx = xs.w[x]!;
      const t = trow + x * c;
      for (let k = 0; k < c; k++) {
        const va = s[a + k]!;
        tmp[t + k] = va + (s[b + k]! - va) * wx;
      }
    }
  }
  const out = new Float32Array(height * width * c);
  const rowLen = width * c;
  for (let y = 0; y < height; y++) {
    const ra = ys.i0[y]! * rowLen;
    const rb = ys.i1[y]! * rowLen;
    const wy = ys.w[y]!;
    const o = y * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const va = tmp[ra + i]!;
      out[o + i] = va + (tmp[rb + i]! - va) * wy;
    }
  }
  return { width, height, channels: c, data: out };
}

/** Smallest and largest sample of a plane. */
export function minMax(data: Samples): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
