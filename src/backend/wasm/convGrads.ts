// Conv2D and depthwise-conv gradients (NHWC) from matmuls, forward convolutions and slices.
import { tf } from '../tf.js';
import { flipTaps, padCrop, paddedInput, splitPads, spreadAxis, tapWindow, transposedPads } from './tensorOps.js';
import type { ConvInfo, Edges } from './tensorOps.js';

/**
 * dW of a conv2d. Stride 1: one matmul per filter tap. Strided: a convolution of x (batch and
 * channels swapped) with dy as the filter, as wasm's strided slices are ~30x slower than its convs.
 * 1x1 and non-overlapping filters (patch embedding): a single matmul.
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, c: ConvInfo): tf.Tensor4D {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = c;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = c;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c;
  const { top, left } = c.padInfo;
  const m = n * oh * ow;
  const dy2 = tf.reshape(dy, [m, co]);

  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && oh === h && ow === w) {
    return tf.reshape(tf.matMul(tf.transpose(tf.reshape(x, [m, ci])), dy2), [1, 1, ci, co]);
  }
  if (kh === sh && kw === sw && dh === 1 && dw === 1 && top === 0 && left === 0) {
    // Each input pixel feeds exactly one output: the patches are a reshape, [m, kh*kw*ci].
    const used = oh * kh === h && ow * kw === w ? x : tf.slice(x, [0, 0, 0, 0], [n, oh * kh, ow * kw, ci]);
    const rows = tf.transpose(tf.reshape(used, [n * oh, kh, ow, kw * ci]), [0, 2, 1, 3]);
    const patches = tf.transpose(tf.reshape(rows, [m, kh * kw * ci]));
    return tf.reshape(tf.matMul(patches, dy2), [kh, kw, ci, co]);
  }
  if (sh > 1 || sw > 1) {
    // dW[i, j, a, b] = sum over n, p, q of x[n, p*s + i - top, q*s + j - left, a] dy[n, p, q, b]: a conv
    // over x as [ci, h, w, n] with filter dy as [oh, ow, n, co], dilated by the stride (d is 1 here).
    const needH = (oh - 1) * sh + kh;
    const needW = (ow - 1) * sw + kw;
    const edges: Edges = [[0, 0], [top, needH - top - h], [left, needW - left - w], [0, 0]];
    const [xt, pads] = splitPads(tf.transpose(x, [3, 1, 2, 0]), edges);
    const filter = tf.transpose(dy, [1, 2, 0, 3]);
    return tf.transpose(tf.conv2d(xt, filter, 1, pads, 'NHWC', [sh, sw]), [1, 2, 0, 3]);
  }
  // Channels first, each tap's window is a contiguous [ci, m] matrix: no im2col buffer, and matmuls
  // without transposes (the only fast kind on wasm).
  const xcf = tf.transpose(paddedInput(x, c), [3, 0, 1, 2]) as tf.Tensor4D;
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const win = tf.slice(xcf, [0, 0, i * dh, j * dw], [ci, n, oh, ow]);
      taps.push(tf.matMul(tf.reshape(win, [ci, m]), dy2));
    }
  }
  return tf.reshape(tf.stack(taps), [kh, kw, ci, co]);
}

/**
 * dx of a stride-1 conv2d (any dilation). Large images: a forward conv of dy with the flipped,
 * transposed filter (XNNPACK). Few pixels and many channels (where repacking that big filter costs
 * more than the product): one matmul to per-tap columns, then shifted adds (col2im).
 */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, c: ConvInfo): tf.Tensor4D {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = c;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = c;
  const { dilationHeight: dh, dilationWidth: dw } = c;
  const { top, left } = c.padInfo;
  if (c.strideHeight !== 1 || c.strideWidth !== 1) throw new Error('conv2dInputGrad: stride 1 only');
  const m = n * oh * ow;
  const dy2 = tf.reshape(dy, [m, co]);

  if (kh === 1 && kw === 1 && top === 0 && left === 0 && oh === h && ow === w) {
    const wt = tf.transpose(tf.reshape(filter, [ci, co]));
    return tf.reshape(tf.matMul(dy2, wt), [n, h, w, ci]);
  }
  if (co <= m) {
    const flipped = flipTaps(tf.transpose(filter, [0, 1, 3, 2]));
    const [dyc, pads] = splitPads(dy, transposedPads(c, oh, ow));
    return tf.conv2d(dyc, flipped, 1, pads, 'NHWC', [dh, dw]);
  }
  const cols = tf.matMul(tf.reshape(filter, [kh * kw * ci, co]), tf.transpose(dy2)); // [taps*ci, m]
  const hp = oh + (kh - 1) * dh;
  const wp = ow + (kw - 1) * dw;
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const slab = tf.reshape(tf.slice(cols, [(i * kw + j) * ci, 0], [ci, m]), [ci, n, oh, ow]);
      parts.push(tf.pad(slab, [[0, 0], [0, 0], [i * dh, hp - oh - i * dh], [j * dw, wp - ow - j * dw]]));
    }
  }
  const grid = parts.length === 1 ? parts[0] : tf.addN(parts);
  // Row q of the padded grid is input row q - top.
  const dxcf = padCrop(grid, [[0, 0], [0, 0], [-top, h + top - hp], [-left, w + left - wp]]);
  return tf.transpose(dxcf, [1, 2, 3, 0]) as tf.Tensor4D;
}

// ---------------------------------------------------------------------------------------------
// Depthwise conv gradients (NHWC). The model has none; elementwise per tap is plenty.

export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, c: ConvInfo, mult: number): tf.Tensor4D {
  const { batchSize: n, inChannels: ci, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = c;
  const xp = paddedInput(x, c);
  const dy5 = mult === 1 ? dy : tf.reshape(dy, [n, oh, ow, ci, mult]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const win = tapWindow(xp, c, i, j);
      const prod = mult === 1 ? tf.mul(win, dy5) : tf.mul(tf.expandDims(win, 4), dy5);
      taps.push(tf.sum(prod, [0, 1, 2]));
    }
  }
  return tf.reshape(tf.stack(taps), [kh, kw, ci, mult]);
}

export function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, c: ConvInfo): tf.Tensor4D {
  const [kh, kw, ci, mult] = filter.shape;
  const { batchSize: n, inHeight: h, inWidth: w, strideHeight: sh, strideWidth: sw } = c;
  // Zero insertion turns a strided conv's transpose into a stride-1 correlation.
  const up = spreadAxis(spreadAxis(dy, 1, sh), 2, sw) as tf.Tensor4D;
  const flipped = tf.reshape(flipTaps(filter), [kh, kw, ci * mult, 1]) as tf.Tensor4D;
  const [dyc, pads] = splitPads(up, transposedPads(c, up.shape[1], up.shape[2]));
  const dx = tf.depthwiseConv2d(dyc, flipped, 1, pads, 'NHWC', [c.dilationHeight, c.dilationWidth]);
  return mult === 1 ? dx : tf.sum(tf.reshape(dx, [n, h, w, ci, mult]), 4);
}
