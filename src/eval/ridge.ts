// Ridge regression in closed form: the linear probe's fit (src/pretrain/probe.ts). Our own because
// simple-statistics fits one variable and the probe fits hundreds; a Cholesky solve is a few lines.

export interface RidgeModel {
  /** per-feature mean and standard deviation of the training rows (features are standardised on them) */
  mean: Float64Array;
  std: Float64Array;
  /** weights on the standardised features */
  weights: Float64Array;
  /** the training labels' mean (the intercept, not penalised) */
  bias: number;
}

/**
 * Fit y ~ bias + w . z, z the features standardised on these rows, minimising |y - bias - Zw|^2 +
 * alpha |w|^2. A feature constant over the rows gets std 1 (it standardises to 0 and weighs nothing).
 */
export function fitRidge(x: readonly (readonly number[])[], y: readonly number[], alpha: number): RidgeModel {
  const n = x.length;
  if (n === 0 || n !== y.length) throw new Error(`ridge: need as many labels as rows (at least one), got ${n} rows and ${y.length} labels`);
  if (!(alpha > 0)) throw new Error(`ridge: alpha must be > 0, got ${alpha}`);
  const d = x[0]!.length;
  if (x.some((r) => r.length !== d)) throw new Error('ridge: every row needs the same number of features');
  if (!x.every((r) => r.every(Number.isFinite)) || !y.every(Number.isFinite)) throw new Error('ridge: features and labels must be finite');
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const r of x) for (let j = 0; j < d; j++) mean[j] += r[j]! / n;
  for (const r of x) for (let j = 0; j < d; j++) std[j] += (r[j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) std[j] = std[j]! > 1e-24 ? Math.sqrt(std[j]!) : 1;
  const bias = y.reduce((s, v) => s + v, 0) / n;
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const r = x[i]!;
    for (let j = 0; j < d; j++) z[j] = (r[j]! - mean[j]!) / std[j]!;
    const yc = y[i]! - bias;
    for (let j = 0; j < d; j++) {
      b[j] += z[j]! * yc;
      for (let k = 0; k <= j; k++) a[j * d + k] += z[j]! * z[k]!;
    }
  }
  for (let j = 0; j < d; j++) a[j * d + j] += alpha;
  return { mean, std, weights: choleskySolve(a, b, d), bias };
}

export function predictRidge(m: RidgeModel, row: readonly number[]): number {
  if (row.length !== m.weights.length) throw new Error(`ridge: the model has ${m.weights.length} features, the row ${row.length}`);
  let s = m.bias;
  for (let j = 0; j < row.length; j++) s += m.weights[j]! * ((row[j]! - m.mean[j]!) / m.std[j]!);
  return s;
}

/** Solve A w = b for a symmetric positive definite A, of which only the lower triangle is read. */
function choleskySolve(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j]!;
    for (let k = 0; k < j; k++) s -= l[j * d + k]! ** 2;
    if (!(s > 0)) throw new Error('ridge: the system is not positive definite');
    const ljj = Math.sqrt(s);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j]!;
      for (let k = 0; k < j; k++) t -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = t / ljj;
    }
  }
  const v = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let t = b[i]!;
    for (let k = 0; k < i; k++) t -= l[i * d + k]! * v[k]!;
    v[i] = t / l[i * d + i]!;
  }
  const w = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let t = v[i]!;
    for (let k = i + 1; k < d; k++) t -= l[k * d + i]! * w[k]!;
    w[i] = t / l[i * d + i]!;
  }
  return w;
}
