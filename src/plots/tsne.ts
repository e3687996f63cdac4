// Exact t-SNE (van der Maaten and Hinton, JMLR 2008) for the feature maps of Figs. 7 and 14:
// O(n^2) per iteration, fine for a few hundred images. Affinities from a per-point binary search on
// the Gaussian precision to match the perplexity, symmetrised; gradient descent with early
// exaggeration, momentum and per-parameter gains (the original paper's recipe). Deterministic: the
// only randomness is the initial layout, drawn from a seeded Rng.
import { Rng } from '../util/rng.js';

export interface TsneOptions {
  /** Effective number of neighbours (typical 5-50); lowered to (n - 1) / 3 when n is small. */
  perplexity?: number;
  iterations?: number;
  seed?: number;
  /** Output dimensions (2 for a scatter plot). */
  dims?: number;
  learningRate?: number;
  /** Factor on P during the first `exaggerationIters` iterations, which forms the clusters. */
  exaggeration?: number;
  exaggerationIters?: number;
}

export interface TsneResult {
  /** One row of `dims` coordinates per input row. */
  embedding: number[][];
  /** The perplexity actually used (after the small-n limit). */
  perplexity: number;
  /** KL(P || Q) at the end, the quantity t-SNE minimises. */
  kl: number;
}

// Defaults as in the t-SNE paper and common implementations.
const DEFAULTS = {
  perplexity: 30,
  iterations: 1000,
  seed: 0,
  dims: 2,
  learningRate: 200,
  exaggeration: 12,
  exaggerationIters: 250,
  initialMomentum: 0.5,
  finalMomentum: 0.8,
  initStd: 1e-4,
  minGain: 0.01,
  searchTol: 1e-5,
  searchSteps: 50,
} as const;

export function tsne(features: number[][], opts: TsneOptions = {}): TsneResult {
  const n = features.length;
  if (n < 2) throw new Error(`tsne: needs at least 2 points, got ${n}`);
  const d = features[0]!.length;
  features.forEach((row, i) => {
    if (row.length !== d) throw new Error(`tsne: row ${i} has ${row.length} features, row 0 has ${d}`);
    row.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new Error(`tsne: features[${i}][${j}] is ${String(v)}, not a finite number`);
    });
  });
  const requested = opts.perplexity ?? DEFAULTS.perplexity;
  if (!(requested > 0)) throw new Error(`tsne: perplexity must be positive, got ${requested}`);
  // Each point needs about 3 * perplexity neighbours for the search to have a solution.
  const perplexity = Math.max(1, Math.min(requested, (n - 1) / 3));
  const iterations = opts.iterations ?? DEFAULTS.iterations;
  const dims = opts.dims ?? DEFAULTS.dims;
  const eta = opts.learningRate ?? DEFAULTS.learningRate;
  const exaggeration = opts.exaggeration ?? DEFAULTS.exaggeration;
  const exIters = Math.min(opts.exaggerationIters ?? DEFAULTS.exaggerationIters, iterations);

  const P = jointProbabilities(squaredDistances(features), n, perplexity);

  const rng = new Rng(opts.seed ?? DEFAULTS.seed);
  const Y = new Float64Array(n * dims);
  for (let k = 0; k < Y.length; k++) Y[k] = DEFAULTS.initStd * rng.normal();
  const update = new Float64Array(n * dims);
  const gains = new Float64Array(n * dims).fill(1);
  const grad = new Float64Array(n * dims);
  const num = new Float64Array(n * n);

  for (let it = 0; it < iterations; it++) {
    const exag = it < exIters ? exaggeration : 1;
    const momentum = it < exIters ? DEFAULTS.initialMomentum : DEFAULTS.finalMomentum;
    const sumNum = studentT(Y, n, dims, num);
    // dC/dy_i = 4 sum_j (p_ij - q_ij) (1 + |y_i - y_j|^2)^-1 (y_i - y_j)
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const w = num[i * n + j]!;
        const mult = 4 * (exag * P[i * n + j]! - w / sumNum) * w;
        for (let c = 0; c < dims; c++) grad[i * dims + c]! += mult * (Y[i * dims + c]! - Y[j * dims + c]!);
      }
    }
    for (let k = 0; k < Y.length; k++) {
      // Gains grow where the gradient keeps pointing against the last step, shrink where it flips.
      const g = grad[k]!;
      gains[k] = Math.max(DEFAULTS.minGain, Math.sign(g) !== Math.sign(update[k]!) ? gains[k]! + 0.2 : gains[k]! * 0.8);
      update[k] = momentum * update[k]! - eta * gains[k]! * g;
      Y[k]! += update[k]!;
    }
    centre(Y, n, dims);
  }

  const sumNum = studentT(Y, n, dims, num);
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const p = P[i * n + j]!;
      const q = Math.max(num[i * n + j]! / sumNum, 1e-12);
      kl += p * Math.log(p / q);
    }
  }
  const embedding = Array.from({ length: n }, (_, i) => Array.from(Y.subarray(i * dims, (i + 1) * dims)));
  return { embedding, perplexity, kl };
}

function squaredDistances(x: number[][]): Float64Array {
  const n = x.length;
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = x[i]!;
    for (let j = i + 1; j < n; j++) {
      const b = x[j]!;
      let s = 0;
      for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
      D[i * n + j] = s;
      D[j * n + i] = s;
    }
  }
  return D;
}

/**
 * p_ij = (p_j|i + p_i|j) / 2n, where p_j|i is a Gaussian around x_i whose precision beta_i is found
 * by bisection so that the entropy of p_.|i is log(perplexity).
 */
function jointProbabilities(D: Float64Array, n: number, perplexity: number): Float64Array {
  const target = Math.log(perplexity);
  const cond = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Subtracting the nearest distance keeps exp() from underflowing for far-apart features.
    let dMin = Infinity;
    for (let j = 0; j < n; j++) if (j !== i) dMin = Math.min(dMin, D[i * n + j]!);
    let beta = 1;
    let lo = 0;
    let hi = Infinity;
    for (let step = 0; step < DEFAULTS.searchSteps; step++) {
      let sum = 0;
      let weighted = 0;
      for (let j = 0; j < n; j++) {
        const dij = j === i ? 0 : D[i * n + j]! - dMin;
        row[j] = j === i ? 0 : Math.exp(-beta * dij);
        sum += row[j]!;
        weighted += row[j]! * dij;
      }
      // Entropy of the normalised row, in nats: log(sum) + beta * E[d].
      const entropy = Math.log(sum) + (beta * weighted) / sum;
      for (let j = 0; j < n; j++) cond[i * n + j] = row[j]! / sum;
      const diff = entropy - target;
      if (Math.abs(diff) < DEFAULTS.searchTol) break;
      if (diff > 0) {
        lo = beta; // too flat: sharpen
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = (beta + lo) / 2;
      }
    }
  }
  const P = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) P[i * n + j] = Math.max((cond[i * n + j]! + cond[j * n + i]!) / (2 * n), 1e-12);
    }
  }
  return P;
}

/** Fills num with (1 + |y_i - y_j|^2)^-1 (zero on the diagonal) and returns its sum. */
function studentT(Y: Float64Array, n: number, dims: number, num: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    num[i * n + i] = 0;
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0; c < dims; c++) s += (Y[i * dims + c]! - Y[j * dims + c]!) ** 2;
      const w = 1 / (1 + s);
      num[i * n + j] = w;
      num[j * n + i] = w;
      sum += 2 * w;
    }
  }
  return sum;
}

function centre(Y: Float64Array, n: number, dims: number): void {
  for (let c = 0; c < dims; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += Y[i * dims + c]!;
    m /= n;
    for (let i = 0; i < n; i++) Y[i * dims + c]! -= m;
  }
}
