// Forward kernels rebuilt from faster tfjs ops where wasm's own is 10-60x slower for the model's cases.
import { tf } from '../tf.js';
import { attrsOf, replaceKernel, runOps } from './kernels.js';

/**
 * Sum over leading axes (bias and LayerNorm-scale gradients: [N, C] -> [C]) as N times an average
 * pool over the N rows (XNNPACK, one pass), where wasm's Sum transposes the input first (~10x
 * slower); a ones-vector matmul would be no better, XNNPACK packing x as its weights. Other sums: stock.
 */
export function sumKernel(): tf.KernelConfig {
  return replaceKernel('Sum', (stock) => (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype !== 'float32') return stock(args);
    const { axis, keepDims } = attrsOf<tf.SumAttrs>(args.attrs);
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const lead = axes.length;
    const rows = x.shape.slice(0, lead).reduce((p, d) => p * d, 1);
    if (lead === 0 || lead === x.shape.length || rows === 1 || !axes.every((a, i) => a === i)) return stock(args);
    return runOps('Sum', args.inputs, ({ x: t }) => {
      const rest = t.shape.slice(lead);
      const cols = rest.reduce((p, d) => p * d, 1);
      const mean = tf.avgPool(tf.reshape(t, [1, rows, 1, cols]) as tf.Tensor4D, [rows, 1], 1, 'valid');
      return tf.reshape(tf.mul(mean, rows), keepDims ? [...axes.map(() => 1), ...rest] : rest);
    });
  });
}

/**
 * Tile that only repeats size-1 axes (a broadcast: BatchNorm's gradient tiles its [1, 1, 1, C]
 * statistics) as x * ones: wasm's Tile costs ~60 ns an element, a broadcasting multiply ~1.
 */
export function tileKernel(): tf.KernelConfig {
  return replaceKernel('Tile', (stock) => (args) => {
    const x = args.inputs.x;
    const { reps } = attrsOf<tf.TileAttrs>(args.attrs);
    if (x === undefined || x.dtype !== 'float32' || !reps.every((r, i) => r === 1 || x.shape[i] === 1)) return stock(args);
    return runOps('Tile', args.inputs, ({ x: t }) => tf.mul(t, tf.fill(t.shape.map((d, i) => d * reps[i]), 1)));
  });
}
