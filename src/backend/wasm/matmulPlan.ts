// How to run a BatchMatMul so that XNNPACK does the work. The thresholds are timings of the wasm
// backend 4.22.0 on the model's shapes (window attention, weight gradients).

/** Batched products with at least this many multiply-adds per matrix run faster one XNNPACK call each. */
const LOOP_MIN_MACS = 1 << 21;
/**
 * Many small products (window attention: 49x32 by 32x49, thousands of them) run 2-3x faster as one
 * depthwise convolution (XNNPACK) than in wasm's batched loop, transposes included; from this batch.
 */
const DEPTHWISE_MIN_BATCH = 16;

export type MatMulPlan = 'stock' | 'transpose' | 'fold' | 'loop' | 'depthwise';

/** How to run a BatchMatMul so that XNNPACK does it: the wasm kernel is fast only for plain 2-D. */
export function planMatMul(a: number[], b: number[], transposeA: boolean, transposeB: boolean): MatMulPlan {
  const outerA = a.slice(0, -2);
  const outerB = b.slice(0, -2);
  const batchA = outerA.reduce((p, d) => p * d, 1);
  const batchB = outerB.reduce((p, d) => p * d, 1);
  if (batchA === 1 && batchB === 1) return transposeA || transposeB ? 'transpose' : 'stock';
  if (batchB === 1 && !transposeA) return 'fold';
  const rowsA = transposeA ? a[a.length - 1] : a[a.length - 2];
  const inner = transposeA ? a[a.length - 2] : a[a.length - 1];
  const colsB = transposeB ? b[b.length - 2] : b[b.length - 1];
  const sameBatch = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (sameBatch && rowsA * inner * colsB >= LOOP_MIN_MACS) return 'loop';
  if (sameBatch && batchA >= DEPTHWISE_MIN_BATCH) return 'depthwise';
  return 'stock';
}
