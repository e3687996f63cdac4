// Tensor helpers shared by the convolution gradients: pads and crops, zero insertion, filter taps.
import { tf } from '../tf.js';

export type ConvInfo = tf.backend_util.Conv2DInfo;
export type Edges = Array<[number, number]>;

/** Pads (positive) or crops (negative) each axis by [before, after]. */
export function padCrop(x: tf.Tensor, edges: Edges): tf.Tensor {
  const begin = edges.map(([b]) => Math.max(0, -b));
  const size = x.shape.map((d, i) => d - begin[i] - Math.max(0, -edges[i][1]));
  const cropped = size.some((s, i) => s !== x.shape[i]) ? tf.slice(x, begin, size) : x;
  const pads = edges.map(([b, a]): [number, number] => [Math.max(0, b), Math.max(0, a)]);
  return pads.some(([b, a]) => b > 0 || a > 0) ? tf.pad(cropped, pads) : cropped;
}

/** Spreads an axis `step` apart, zeros between: [.., L, ..] -> [.., (L-1)*step+1, ..]. */
export function spreadAxis(x: tf.Tensor, axis: number, step: number): tf.Tensor {
  if (step === 1) return x;
  const shape = x.shape;
  const len = shape[axis];
  const split = [...shape.slice(0, axis + 1), 1, ...shape.slice(axis + 1)];
  const pads = split.map((_, i): [number, number] => (i === axis + 1 ? [0, step - 1] : [0, 0]));
  const merged = [...shape.slice(0, axis), len * step, ...shape.slice(axis + 1)];
  const spread = tf.reshape(tf.pad(tf.reshape(x, split), pads), merged);
  const size = merged.map((d, i) => (i === axis ? (len - 1) * step + 1 : d));
  return tf.slice(spread, merged.map(() => 0), size);
}

/** Reverses both spatial axes of a [kh, kw, a, b] filter (the kit's Reverse: whole a*b runs copied). */
export function flipTaps(f: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw] = f.shape;
  if (kh * kw === 1) return f;
  return tf.reverse(f, [0, 1]);
}

/** The [n, oh, ow, c] window of x (already padded) that filter tap (i, j) reads. */
export function tapWindow(x: tf.Tensor4D, c: ConvInfo, i: number, j: number): tf.Tensor4D {
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = c;
  const [n, , , ch] = x.shape;
  const r = i * c.dilationHeight;
  const q = j * c.dilationWidth;
  if (sh === 1 && sw === 1) return tf.slice(x, [0, r, q, 0], [n, oh, ow, ch]);
  return tf.stridedSlice(x, [0, r, q, 0], [n, r + (oh - 1) * sh + 1, q + (ow - 1) * sw + 1, ch], [1, sh, sw, 1]) as tf.Tensor4D;
}

/** x padded (or cropped) to exactly the rows and columns the convolution reads. */
export function paddedInput(x: tf.Tensor4D, c: ConvInfo): tf.Tensor4D {
  const needH = (c.outHeight - 1) * c.strideHeight + c.effectiveFilterHeight;
  const needW = (c.outWidth - 1) * c.strideWidth + c.effectiveFilterWidth;
  const { top, left } = c.padInfo;
  return padCrop(x, [[0, 0], [top, needH - top - c.inHeight], [left, needW - left - c.inWidth], [0, 0]]) as tf.Tensor4D;
}

/**
 * Pads of dy for the stride-1 correlation with the flipped filter that gives dx; `outH`/`outW` are
 * dy's spatial size after zero insertion. Negative entries are crops.
 */
export function transposedPads(c: ConvInfo, outH: number, outW: number): Edges {
  const { top, left } = c.padInfo;
  return [
    [0, 0],
    [c.effectiveFilterHeight - 1 - top, c.inHeight - outH + top],
    [c.effectiveFilterWidth - 1 - left, c.inWidth - outW + left],
    [0, 0],
  ];
}

/** Crops the negative pads away; returns the tensor and the remaining explicit padding. */
export function splitPads(x: tf.Tensor4D, edges: Edges): [tf.Tensor4D, tf.backend_util.ExplicitPadding] {
  const crops = edges.map(([b, a]): [number, number] => [Math.min(0, b), Math.min(0, a)]);
  const cropped = padCrop(x, crops) as tf.Tensor4D;
  const pads = edges.map(([b, a]) => [Math.max(0, b), Math.max(0, a)]) as tf.backend_util.ExplicitPadding;
  return [cropped, pads];
}

export function isNhwc(dataFormat: string | undefined): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC';
}

export function refuseNchw(kernel: string, dataFormat: string | undefined): void {
  if (!isNhwc(dataFormat)) {
    throw new Error(`${kernel} on wasm: only NHWC is supported (got ${dataFormat}); the kit computes in NHWC`);
  }
}

export function conv2dInfo(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: { strides: number | [number, number]; pad: tf.Conv2DAttrs['pad']; dimRoundingMode?: 'floor' | 'round' | 'ceil' },
  dilations: number | [number, number],
  depthwise: boolean,
): ConvInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape, filterShape, attrs.strides, dilations, attrs.pad, attrs.dimRoundingMode, depthwise, 'channelsLast');
}
