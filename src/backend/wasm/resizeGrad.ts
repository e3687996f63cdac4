// ResizeBilinear's gradient: the exact adjoint of the forward resize, as two small matmuls.
import { tf } from '../tf.js';

/**
 * The [inSize, outSize] transpose of the interpolation matrix, with the cpu forward kernel's
 * formulas (which the wasm kernel matches): source = ratio * (o + 0.5) - 0.5 with half-pixel centers.
 */
function interpolationT(outSize: number, inSize: number, alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor2D {
  const aligned = alignCorners && outSize > 1;
  const ratio = aligned ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const at = new Float32Array(inSize * outSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    const lo = Math.max(0, Math.floor(src));
    const hi = Math.min(inSize - 1, Math.ceil(src));
    const frac = src - lo;
    at[lo * outSize + o] += 1 - frac;
    at[hi * outSize + o] += frac;
  }
  return tf.tensor2d(at, [inSize, outSize]);
}

/** d(images) of a bilinear resize of `images` (NHWC) whose output gradient is dy. */
export function resizeBilinearGrad(images: tf.Tensor, dy: tf.Tensor, alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  const [, oh, ow] = dy.shape;
  const ahT = interpolationT(oh, h, alignCorners, halfPixelCenters);
  const awT = interpolationT(ow, w, alignCorners, halfPixelCenters);
  // Rows: [oh, n*ow*c] -> [h, n*ow*c]; then columns: [ow, h*n*c] -> [w, h*n*c].
  const rows = tf.matMul(ahT, tf.reshape(tf.transpose(dy, [1, 0, 2, 3]), [oh, n * ow * c]));
  const colsIn = tf.reshape(tf.transpose(tf.reshape(rows, [h, n, ow, c]), [2, 0, 1, 3]), [ow, h * n * c]);
  const cols = tf.matMul(awT, colsIn);
  return tf.transpose(tf.reshape(cols, [w, h, n, c]), [2, 1, 0, 3]);
}
