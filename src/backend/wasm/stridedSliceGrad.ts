// StridedSlice's gradient (tfjs-core has none): dy spread back to the sliced positions of a zero tensor.
import { tf } from '../tf.js';
import { spreadAxis } from './tensorOps.js';
import type { Edges } from './tensorOps.js';

/** d(x) of a strided slice of an x of shape xShape, given the slice's gradient dy. */
export function stridedSliceGrad(dy: tf.Tensor, xShape: number[], a: tf.StridedSliceAttrs): tf.Tensor {
  const info = tf.slice_util.sliceInfo(
    xShape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
  // Per input axis, how many elements the slice took (the op's shape before shrinking and new axes).
  const sizes = xShape.map((_, i) => {
    const s = info.strides[i];
    const len = info.end[i] - info.begin[i];
    if (len === 0 || len < 0 !== s < 0) return 0;
    return Math.trunc(len / s) + (len % s !== 0 ? 1 : 0);
  });
  if (sizes.some((s) => s === 0)) return tf.zeros(xShape, dy.dtype);
  let g = tf.reshape(dy, sizes);
  const reversed = sizes.map((_, i) => i).filter((i) => info.strides[i] < 0);
  if (reversed.length > 0) g = tf.reverse(g, reversed);
  const edges: Edges = [];
  for (let i = 0; i < xShape.length; i++) {
    const s = info.strides[i];
    const step = Math.abs(s);
    const first = s > 0 ? info.begin[i] : info.begin[i] + (sizes[i] - 1) * s;
    g = spreadAxis(g, i, step);
    edges.push([first, xShape[i] - first - ((sizes[i] - 1) * step + 1)]);
  }
  return tf.pad(g, edges);
}
