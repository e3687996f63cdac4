// Agreement between predicted quality scores and subjective scores (MOS), as IQA papers report it:
// SROCC, PLCC, KROCC (Kendall's tau-b), RMSE, and PLCC after the standard 4-parameter logistic
// mapping (VQEG). DGIQA (arXiv 2505.24002) reports SROCC and PLCC, mean over 10 random 80/20 splits.
//
// Conventions, shared by every function here:
// - Inputs are equal-length arrays of finite numbers; NaN, infinities, empty input or a length
//   mismatch throw an Error that names the argument and index.
// - A correlation that is undefined (fewer than 2 pairs, or a constant input) is NaN, as in
//   scipy.stats; callers that need a number decide what a constant predictor is worth.
// - Ties are exact equality of the floating-point values.
import { mean, median, sampleCorrelation, sampleStandardDeviation } from 'simple-statistics';

export interface Metrics {
  n: number;
  srocc: number;
  plcc: number;
  krocc: number;
  rmse: number;
  plcc_logistic: number;
}

export interface LogisticParams {
  b1: number;
  b2: number;
  b3: number;
  /** Always reported as |b4|: the model only uses its absolute value. */
  b4: number;
}

export interface LogisticFit {
  params: LogisticParams;
  /** Sum of squared residuals at the returned parameters. */
  sse: number;
  iterations: number;
  /** False when the iteration limit was reached before the SSE stopped decreasing. */
  converged: boolean;
}

export interface Summary {
  n: number;
  mean: number;
  median: number;
  /** Sample standard deviation (divides by n - 1); NaN for a single value. */
  std: number;
}

/** Fewer points than this leave the 4-parameter logistic fit meaningless (it could interpolate). */
export const LOGISTIC_MIN_POINTS = 5;

function checkFinite(name: string, values: readonly number[]): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`${name}[${i}] is ${String(v)}, not a finite number`);
    }
  }
}

function checkPairs(fn: string, x: readonly number[], y: readonly number[], xName = 'pred', yName = 'mos'): void {
  if (x.length !== y.length) {
    throw new Error(`${fn}: ${xName} has ${x.length} values but ${yName} has ${y.length}`);
  }
  if (x.length === 0) throw new Error(`${fn}: no values`);
  checkFinite(`${fn}: ${xName}`, x);
  checkFinite(`${fn}: ${yName}`, y);
}

function isConstant(x: readonly number[]): boolean {
  return x.every((v) => v === x[0]);
}

// Pearson correlation without input checks; NaN where it is undefined.
function pearson(x: readonly number[], y: readonly number[]): number {
  if (x.length < 2 || isConstant(x) || isConstant(y)) return NaN;
  // Rounding can push |r| a hair past 1 for perfectly linear data.
  return Math.max(-1, Math.min(1, sampleCorrelation(x as number[], y as number[])));
}

/** Ranks 1..n, tied values sharing the average of the ranks they span (scipy's rankdata 'average'). */
export function averageRanks(values: readonly number[]): number[] {
  checkFinite('averageRanks: values', values);
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson's linear correlation coefficient. */
export function plcc(pred: readonly number[], mos: readonly number[]): number {
  checkPairs('plcc', pred, mos);
  return pearson(pred, mos);
}

/** Spearman's rank correlation: Pearson's correlation of the average ranks (ties handled). */
export function srocc(pred: readonly number[], mos: readonly number[]): number {
  checkPairs('srocc', pred, mos);
  return pearson(averageRanks(pred), averageRanks(mos));
}

// Number of inversions of `a` (pairs i < j with a[i] > a[j]), by merge sort; sorts `a` in place.
function countInversions(a: number[]): number {
  let buf = new Array<number>(a.length);
  let src = a;
  let inversions = 0;
  for (let width = 1; width < src.length; width *= 2) {
    for (let lo = 0; lo < src.length; lo += 2 * width) {
      const mid = Math.min(lo + width, src.length);
      const hi = Math.min(lo + 2 * width, src.length);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (src[j]! < src[i]!) {
          inversions += mid - i; // src[j] jumps over every remaining left element
          buf[k++] = src[j++]!;
        } else {
          buf[k++] = src[i++]!;
        }
      }
      while (i < mid) buf[k++] = src[i++]!;
      while (j < hi) buf[k++] = src[j++]!;
    }
    [src, buf] = [buf, src];
  }
  if (src !== a) for (let i = 0; i < a.length; i++) a[i] = src[i]!;
  return inversions;
}

// Sum of t(t-1)/2 over runs of equal values in an already sorted array.
function tiedPairs(sorted: readonly number[]): number {
  let total = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      total += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return total;
}

/**
 * Kendall's tau-b, (C - D) / sqrt((n0 - n1)(n0 - n2)), with n1, n2 the pairs tied in pred and in
 * mos. O(n log n) by Knight's method (sort by pred then mos; discordant pairs are the inversions
 * of mos in that order), so whole datasets of 10k images cost milliseconds.
 */
export function krocc(pred: readonly number[], mos: readonly number[]): number {
  checkPairs('krocc', pred, mos);
  const n = pred.length;
  if (n < 2) return NaN;
  const order = pred.map((_, i) => i).sort((a, b) => pred[a]! - pred[b]! || mos[a]! - mos[b]!);
  const x = order.map((i) => pred[i]!);
  const y = order.map((i) => mos[i]!);
  const n0 = (n * (n - 1)) / 2;
  const n1 = tiedPairs(x);
  // Pairs tied in both: runs of equal (pred, mos) in this lexicographic order.
  let n3 = 0;
  let run = 1;
  for (let i = 1; i <= n; i++) {
    if (i < n && x[i] === x[i - 1] && y[i] === y[i - 1]) run++;
    else {
      n3 += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  // Within a pred tie, mos is ascending, so those pairs add no inversions.
  const discordant = countInversions(y);
  const n2 = tiedPairs(y); // y is now sorted
  const denom = Math.sqrt((n0 - n1) * (n0 - n2));
  if (denom === 0) return NaN;
  // C - D = (pairs tied in neither) - 2D, and pairs tied in neither = n0 - n1 - n2 + n3.
  return (n0 - n1 - n2 + n3 - 2 * discordant) / denom;
}

/** Root mean squared error of pred against mos, on their own scales (the kit's scores are in [0, 1]). */
export function rmse(pred: readonly number[], mos: readonly number[]): number {
  checkPairs('rmse', pred, mos);
  let sum = 0;
  for (let i = 0; i < pred.length; i++) sum += (pred[i]! - mos[i]!) ** 2;
  return Math.sqrt(sum / pred.length);
}

// ---------------------------------------------------------------------------------------------
// The 4-parameter logistic mapping: f(x) = (b1 - b2) / (1 + exp(-(x - b3) / |b4|)) + b2.

function sigmoid(z: number): number {
  // Two branches so that exp never overflows.
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** The logistic mapping at x. */
export function logistic4(x: number, p: LogisticParams): number {
  return p.b2 + (p.b1 - p.b2) * sigmoid((x - p.b3) / Math.abs(p.b4));
}

// Solves the 4x4 system A d = g by Gaussian elimination with partial pivoting; null if singular.
function solve4(a: number[][], g: number[]): number[] | null {
  const m = a.map((row, i) => [...row, g[i]!]);
  for (let c = 0; c < 4; c++) {
    let p = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (m[p]![c] === 0 || !Number.isFinite(m[p]![c]!)) return null;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < 4; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < 5; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const d = [0, 0, 0, 0];
  for (let r = 3; r >= 0; r--) {
    let s = m[r]![4]!;
    for (let k = r + 1; k < 4; k++) s -= m[r]![k]! * d[k]!;
    d[r] = s / m[r]![r]!;
  }
  return d.every(Number.isFinite) ? d : null;
}

function sseOf(pred: readonly number[], mos: readonly number[], p: LogisticParams): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (mos[i]! - logistic4(pred[i]!, p)) ** 2;
  return s;
}

export interface LogisticFitOptions {
  /** Starting point; defaults to the initialization described at fitLogistic. */
  init?: LogisticParams;
  maxIterations?: number;
}

/**
 * Least-squares fit of the logistic mapping from pred to mos, by Levenberg-Marquardt with
 * Marquardt's diagonal scaling (so the step does not depend on the units of pred and mos).
 *
 * Initialization (the usual one in IQA code): b1 = max(mos), b2 = min(mos), b3 = mean(pred),
 * b4 = std(pred) / 4; b1 and b2 are swapped when pred and mos are negatively correlated, so the
 * curve starts with the right direction. Stops when an accepted step lowers the SSE by less than
 * 1e-15 relative (or the SSE reaches 0), or after maxIterations (default 1000).
 * Needs at least 5 points and a non-constant pred.
 *
 * On convex data (e.g. mos ~ pred^2) the best fit can run off to b1 -> infinity, an exponential
 * tail; the SSE then creeps down for ever and `converged` is false, with a PLCC already stable to
 * ~1e-7. On data with no monotone trend it is a local method like scipy's curve_fit, and the two
 * may stop in different local minima; on IQA-like data they agree (checked on 20 random sets).
 */
export function fitLogistic(pred: readonly number[], mos: readonly number[], options: LogisticFitOptions = {}): LogisticFit {
  checkPairs('fitLogistic', pred, mos);
  if (pred.length < LOGISTIC_MIN_POINTS) {
    throw new Error(`fitLogistic: needs at least ${LOGISTIC_MIN_POINTS} points, got ${pred.length}`);
  }
  if (isConstant(pred)) throw new Error('fitLogistic: pred is constant, the logistic mapping is undefined');
  const maxIterations = options.maxIterations ?? 1000;
  let p: LogisticParams;
  if (options.init) p = { ...options.init };
  else {
    const hi = Math.max(...mos);
    const lo = Math.min(...mos);
    const increasing = isConstant(mos) || sampleCorrelation(pred as number[], mos as number[]) >= 0;
    p = {
      b1: increasing ? hi : lo,
      b2: increasing ? lo : hi,
      b3: mean(pred as number[]),
      b4: sampleStandardDeviation(pred as number[]) / 4,
    };
  }
  let sse = sseOf(pred, mos, p);
  let lambda = 1e-3;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    // Normal equations J^T J and J^T r, with analytic derivatives of f.
    const jtj = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
    const jtr = [0, 0, 0, 0];
    const s4 = Math.abs(p.b4);
    const sign4 = p.b4 < 0 ? -1 : 1;
    for (let i = 0; i < pred.length; i++) {
      const u = pred[i]! - p.b3;
      const s = sigmoid(u / s4);
      const ds = (p.b1 - p.b2) * s * (1 - s);
      const j = [s, 1 - s, -ds / s4, (-ds * u * sign4) / (s4 * s4)];
      const r = mos[i]! - (p.b2 + (p.b1 - p.b2) * s);
      for (let a = 0; a < 4; a++) {
        jtr[a]! += j[a]! * r;
        for (let b = 0; b < 4; b++) jtj[a]![b]! += j[a]! * j[b]!;
      }
    }
    const floor = 1e-12 * Math.max(...jtj.map((row, r) => row[r]!));
    let accepted = false;
    // Raise lambda until a step lowers the SSE (or lambda grows absurd: we are at a minimum).
    while (lambda < 1e16) {
      // Marquardt's scaling; the floor keeps a parameter the data does not see (a zero column of
      // J, e.g. a saturated curve) from making the system singular.
      const a = jtj.map((row, r) => row.map((v, c) => (r === c ? v + lambda * Math.max(v, floor) : v)));
      const d = solve4(a, jtr);
      if (d) {
        const q = { b1: p.b1 + d[0]!, b2: p.b2 + d[1]!, b3: p.b3 + d[2]!, b4: p.b4 + d[3]! };
        const next = q.b4 === 0 ? Infinity : sseOf(pred, mos, q);
        if (next <= sse) {
          const gain = sse - next;
          p = q;
          const before = sse;
          sse = next;
          lambda = Math.max(lambda / 10, 1e-12);
          accepted = true;
          if (sse === 0 || gain <= 1e-15 * before) converged = true;
          break;
        }
      }
      lambda *= 10;
    }
    if (!accepted) converged = true; // no descent direction left
    if (converged) break;
  }
  return { params: { ...p, b4: Math.abs(p.b4) }, sse, iterations, converged };
}

/**
 * PLCC after mapping pred through the fitted logistic (the VQEG practice that removes the
 * non-linearity between a model's scale and MOS). NaN when the fit is impossible (fewer than 5
 * points, constant pred or mos) or the fitted curve is flat.
 */
export function plccLogistic(pred: readonly number[], mos: readonly number[]): number {
  checkPairs('plccLogistic', pred, mos);
  if (pred.length < LOGISTIC_MIN_POINTS || isConstant(pred) || isConstant(mos)) return NaN;
  const { params } = fitLogistic(pred, mos);
  return pearson(
    pred.map((x) => logistic4(x, params)),
    mos,
  );
}

/** Every metric of one test set: what `dgiqa metrics` prints. */
export function computeMetrics(pred: readonly number[], mos: readonly number[]): Metrics {
  checkPairs('computeMetrics', pred, mos);
  return {
    n: pred.length,
    srocc: srocc(pred, mos),
    plcc: plcc(pred, mos),
    krocc: krocc(pred, mos),
    rmse: rmse(pred, mos),
    plcc_logistic: plccLogistic(pred, mos),
  };
}

/**
 * computeMetrics per group (e.g. per distortion type), keys in order of first appearance.
 * A group with a single image gets NaN correlations, like any undefined correlation.
 */
export function metricsByGroup(
  pred: readonly number[],
  mos: readonly number[],
  groups: readonly string[],
): Record<string, Metrics> {
  checkPairs('metricsByGroup', pred, mos);
  if (groups.length !== pred.length) {
    throw new Error(`metricsByGroup: pred has ${pred.length} values but groups has ${groups.length}`);
  }
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const list = members.get(g);
    if (list) list.push(i);
    else members.set(g, [i]);
  });
  const out: Record<string, Metrics> = {};
  for (const [g, idx] of members) {
    out[g] = computeMetrics(
      idx.map((i) => pred[i]!),
      idx.map((i) => mos[i]!),
    );
  }
  return out;
}

/** Mean, median and sample standard deviation of a metric over splits (the paper's protocol). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarize: no values');
  checkFinite('summarize: values', values);
  const v = values as number[];
  return {
    n: v.length,
    mean: mean(v),
    median: median(v),
    std: v.length < 2 ? NaN : sampleStandardDeviation(v),
  };
}
