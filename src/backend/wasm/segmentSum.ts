// UnsortedSegmentSum (gather's gradient): a one-hot [segments, n] matrix times the rows.
import { tf } from '../tf.js';

/** Largest one-hot matrix (elements) UnsortedSegmentSum builds at once; 64 MB of float32. */
const MAX_ONE_HOT = 1 << 24;

/** UnsortedSegmentSum through XNNPACK matmuls, one-hot chunks of at most MAX_ONE_HOT elements. */
export function unsortedSegmentSum(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  const n = segmentIds.size;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.rank)];
  if (n === 0 || numSegments === 0) return tf.zeros(outShape, x.dtype);
  const rest = x.size / n;
  const rows = tf.reshape(x.dtype === 'float32' ? x : tf.cast(x, 'float32'), [n, rest]);
  const ids = tf.reshape(tf.cast(segmentIds, 'int32'), [n]);
  const chunk = Math.max(1, Math.floor(MAX_ONE_HOT / numSegments));
  let sum: tf.Tensor | undefined;
  for (let start = 0; start < n; start += chunk) {
    const len = Math.min(chunk, n - start);
    // oneHot (native on wasm) leaves ids outside [0, numSegments) out, as UnsortedSegmentSum drops
    // them; a broadcast equal() would do the same ~40x slower.
    const oneHot = tf.transpose(tf.cast(tf.oneHot(tf.slice(ids, [start], [len]), numSegments), 'float32'));
    const part = tf.matMul(oneHot, tf.slice(rows, [start, 0], [len, rest]));
    sum = sum === undefined ? part : tf.add(sum, part);
  }
  const out = tf.reshape(sum as tf.Tensor, outShape);
  return x.dtype === 'float32' ? out : tf.cast(tf.round(out), x.dtype);
}
