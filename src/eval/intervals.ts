// Spread of a result over splits or seeds, for honest comparisons: a 95% interval of the mean and a
// paired comparison of two variants trained on the same splits. With 3 to 10 runs the normal
// approximation is too narrow, so both use Student's t (quantile and CDF from @stdlib: simple-statistics
// has no t distribution).
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { mean, sampleStandardDeviation } from 'simple-statistics';

export interface Interval {
  n: number;
  mean: number;
  /** bounds of the interval of the mean (NaN with fewer than 2 values) */
  lo: number;
  hi: number;
  level: number;
}

export interface PairedComparison {
  n: number;
  /** mean of a - b over the runs */
  meanDiff: number;
  lo: number;
  hi: number;
  /** two-sided p of the paired t-test (NaN with fewer than 2 runs or no spread) */
  p: number;
  /** the interval of the difference excludes 0 */
  significant: boolean;
  level: number;
}

function finite(name: string, values: readonly number[]): number[] {
  if (values.length === 0) throw new Error(`${name}: no values`);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`${name}: value ${bad} is ${values[bad]}, not a finite number`);
  return [...values];
}

/** Mean and its two-sided t interval at `level` (0.95: the 95% interval). */
export function meanInterval(values: readonly number[], level = 0.95): Interval {
  const v = finite('meanInterval', values);
  const m = mean(v);
  if (v.length < 2) return { n: v.length, mean: m, lo: NaN, hi: NaN, level };
  const half = tQuantile(1 - (1 - level) / 2, v.length - 1) * (sampleStandardDeviation(v) / Math.sqrt(v.length));
  return { n: v.length, mean: m, lo: m - half, hi: m + half, level };
}

/** a - b run by run (the same splits or seeds, in the same order): the paired t interval and p. */
export function pairedComparison(a: readonly number[], b: readonly number[], level = 0.95): PairedComparison {
  if (a.length !== b.length) throw new Error(`pairedComparison: ${a.length} runs against ${b.length}; pair the same splits`);
  const d = finite('pairedComparison', a.map((x, i) => x - (b[i] as number)));
  const iv = meanInterval(d, level);
  const sd = d.length < 2 ? NaN : sampleStandardDeviation(d);
  const p = d.length < 2 || !(sd > 0) ? NaN : 2 * (1 - tCdf(Math.abs(iv.mean) / (sd / Math.sqrt(d.length)), d.length - 1));
  return { n: d.length, meanDiff: iv.mean, lo: iv.lo, hi: iv.hi, p, significant: Number.isFinite(iv.lo) && (iv.lo > 0 || iv.hi < 0), level };
}
