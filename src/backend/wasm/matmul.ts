// BatchMatMul run the way matmulPlan picks: wasm's kernel reaches XNNPACK's speed only for one
// untransposed 2-D product; with transposes (every matmul gradient) or batches it drops 10-50x.
import { tf } from '../tf.js';
import { attrsOf, replaceKernel, runOps } from './kernels.js';
import { planMatMul } from './matmulPlan.js';

/** The product of a and b as matrices (leading axes all 1), its transposes arranged for XNNPACK. */
function matMul2d(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const a2 = tf.reshape(a, a.shape.slice(-2));
  const b2 = tf.reshape(b, b.shape.slice(-2));
  // (aᵀ b)ᵀ = bᵀ a: for a weight gradient xᵀ dy, transpose the narrower of x and dy (wasm's transpose
  // slows with the row length: ~3 ns an element at 16 columns, ~7 at 128), and bᵀ aᵀ = (a b)ᵀ.
  const [, colsA] = a2.shape as [number, number];
  const [, colsB] = b2.shape as [number, number];
  if (transposeA && (transposeB || colsB < colsA)) {
    return tf.transpose(tf.matMul(transposeB ? b2 : tf.transpose(b2), a2));
  }
  return tf.matMul(transposeA ? tf.transpose(a2) : a2, transposeB ? tf.transpose(b2) : b2);
}

/**
 * out[i] = a[i] b[i] for a batch of small matrices, as a depthwise convolution: the batch is the
 * channel axis, a's rows the image rows, its columns a 1 x K filter's taps, b's columns the channel
 * multiplier: x[0, m, k, i] = a[i, m, k], filter[0, k, i, n] = b[i, k, n], y[0, m, 0, i*N + n].
 */
function depthwiseBatchMatMul(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const a3 = tf.reshape(a, [-1, ra, ca]);
  const b3 = tf.reshape(b, [-1, rb, cb]);
  const batch = a3.shape[0];
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const n = transposeB ? rb : cb;
  const x = tf.reshape(tf.transpose(a3, transposeA ? [2, 1, 0] : [1, 2, 0]), [1, m, k, batch]) as tf.Tensor4D;
  const filter = tf.reshape(tf.transpose(b3, transposeB ? [2, 0, 1] : [1, 0, 2]), [1, k, batch, n]) as tf.Tensor4D;
  const y = tf.depthwiseConv2d(x, filter, 1, 'valid');
  return tf.transpose(tf.reshape(y, [m, batch, n]), [1, 0, 2]);
}

export function batchMatMulKernel(): tf.KernelConfig {
  return replaceKernel('BatchMatMul', (stock) => (args) => {
    const { a, b } = args.inputs;
    const { transposeA, transposeB } = attrsOf<tf.BatchMatMulAttrs>(args.attrs);
    if (a === undefined || b === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return stock(args);
    }
    const plan = planMatMul(a.shape, b.shape, transposeA, transposeB);
    if (plan === 'stock') return stock(args);
    return runOps('BatchMatMul', args.inputs, ({ a: ta, b: tb }) => {
      const outer = tf.backend_util.assertAndGetBroadcastShape(ta.shape.slice(0, -2), tb.shape.slice(0, -2));
      const rows = transposeA ? ta.shape[ta.rank - 1] : ta.shape[ta.rank - 2];
      const cols = transposeB ? tb.shape[tb.rank - 2] : tb.shape[tb.rank - 1];
      let out: tf.Tensor;
      if (plan === 'transpose') {
        out = matMul2d(ta, tb, transposeA, transposeB);
      } else if (plan === 'fold') {
        // One right matrix for the whole batch: stack the left matrices' rows, one 2-D product.
        const b2 = tf.reshape(tb, tb.shape.slice(-2));
        out = tf.matMul(tf.reshape(ta, [-1, ta.shape[ta.rank - 1]]), transposeB ? tf.transpose(b2) : b2);
      } else if (plan === 'depthwise') {
        out = depthwiseBatchMatMul(ta, tb, transposeA, transposeB);
      } else {
        const as = tf.unstack(tf.reshape(ta, [-1, ...ta.shape.slice(-2)]));
        const bs = tf.unstack(tf.reshape(tb, [-1, ...tb.shape.slice(-2)]));
        out = tf.stack(as.map((ai, i) => matMul2d(ai, bs[i], transposeA, transposeB)));
      }
      return tf.reshape(out, [...outer, rows, cols]);
    });
  });
}
