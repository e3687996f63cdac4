// Density separation of clean and distorted images (DGIQA, arXiv 2505.24002, Section 5.2): the
// predicted scores of each group are fitted with a Gaussian, and the criterion is the overlap of
// the two densities (area under the smaller curve, in %); a good model keeps it small. We also
// report the distance between the means in pooled standard deviations.
import { mean } from 'simple-statistics';

export interface Gaussian {
  mean: number;
  /** Maximum-likelihood standard deviation: divides by n, not n - 1. */
  std: number;
}

export interface DensitySeparation {
  n_clean: number;
  n_distorted: number;
  mean_clean: number;
  mean_distorted: number;
  std_clean: number;
  std_distorted: number;
  /** 100 * integral of min(pdf_clean, pdf_distorted): 100 for identical fits, towards 0 when apart. */
  overlap_pct: number;
  /** |mean_clean - mean_distorted| / sqrt((n_c s_c^2 + n_d s_d^2) / (n_c + n_d)), ML variances. */
  separation: number;
}

// ---------------------------------------------------------------------------------------------
// erfc and the normal CDF to ~1e-15 relative: simple-statistics' errorFunction is a fit good to
// about 1e-7 and its CDF a lookup table, too coarse to check an exact overlap to 1e-10.

const SQRT_PI = Math.sqrt(Math.PI);

/** Complementary error function, relative error about 1e-15 on the whole real line. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 1) {
    // erf(x) = 2/sqrt(pi) exp(-x^2) sum_k 2^k x^(2k+1) / (1*3*...*(2k+1)): positive terms, no cancellation.
    let term = x;
    let sum = x;
    for (let k = 1; k < 200 && term > 1e-17 * sum; k++) {
      term *= (2 * x * x) / (2 * k + 1);
      sum += term;
    }
    return 1 - ((2 / SQRT_PI) * Math.exp(-x * x) * sum);
  }
  if (x > 27) return 0; // below the smallest double
  // Continued fraction erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
  // evaluated by the modified Lentz method (under 200 terms for x >= 1); keeps full relative
  // precision deep in the tail, where 1 - erf(x) would lose it.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / SQRT_PI / f;
}

/** Standard normal CDF, Phi(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

// P(lo < Z < hi) for a standard normal Z, taking the difference on the side of the smaller tail.
function normalMass(lo: number, hi: number): number {
  if (!(hi > lo)) return 0;
  if (lo >= 0) return normalCdf(-lo) - normalCdf(-hi);
  if (hi <= 0) return normalCdf(hi) - normalCdf(lo);
  return 1 - normalCdf(lo) - normalCdf(-hi);
}

/** Normal density at x. */
export function normalPdf(x: number, g: Gaussian): number {
  const z = (x - g.mean) / g.std;
  return Math.exp(-0.5 * z * z) / (g.std * Math.sqrt(2 * Math.PI));
}

/** Maximum-likelihood Gaussian of the values (std divides by n). */
export function fitGaussian(values: readonly number[], name = 'values'): Gaussian {
  if (values.length === 0) throw new Error(`fitGaussian: ${name} is empty`);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`fitGaussian: ${name}[${i}] is ${String(v)}, not a finite number`);
  });
  const m = mean(values as number[]);
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  return { mean: m, std: Math.sqrt(ss / values.length) };
}

/**
 * Overlap of two Gaussian densities, 100 * integral of min(pdf1, pdf2), in %, exactly: the
 * densities cross where a quadratic vanishes, and between the crossings the area of each piece is
 * a difference of normal CDFs. Both stds must be positive.
 */
export function gaussianOverlapPct(g1: Gaussian, g2: Gaussian): number {
  for (const g of [g1, g2]) {
    if (!Number.isFinite(g.mean) || !Number.isFinite(g.std) || !(g.std > 0)) {
      throw new Error(`gaussianOverlapPct: needs a finite mean and a positive std, got mean ${g.mean}, std ${g.std}`);
    }
  }
  // Let `a` be the narrower one and work in its standard units u = (x - mean_a) / std_a, where the
  // other is N(delta, r^2) with r >= 1.
  const [a, b] = g1.std <= g2.std ? [g1, g2] : [g2, g1];
  const r = b.std / a.std;
  const delta = (b.mean - a.mean) / a.std;
  if (r === 1) {
    if (delta === 0) return 100;
    // Equal widths cross once, at the midpoint; each contributes the tail beyond it.
    return 100 * 2 * normalCdf(-Math.abs(delta) / 2);
  }
  // pdf_a = pdf_b  <=>  (r^2 - 1) u^2 + 2 delta u - (delta^2 + 2 r^2 ln r) = 0, whose discriminant
  // 4 r^2 (delta^2 + 2 (r^2 - 1) ln r) is positive: two crossings.
  const qa = (b.std - a.std) * (b.std + a.std) / (a.std * a.std); // r^2 - 1 without cancellation
  const qb = 2 * delta;
  const qc = -(delta * delta + 2 * r * r * Math.log(r));
  const root = 2 * r * Math.sqrt(delta * delta + 2 * qa * Math.log(r));
  // Roots in the form that stays accurate when qa is tiny (nearly equal widths).
  const q = -0.5 * (qb + (qb >= 0 ? root : -root));
  const u1 = q / qa;
  const u2 = qc / q;
  const lo = Math.min(u1, u2);
  const hi = Math.max(u1, u2);
  // Between the crossings the narrow density is the taller, so the minimum is the wide one there;
  // outside them it is the narrow one's tails.
  const overlap = normalCdf(lo) + normalCdf(-hi) + normalMass((lo - delta) / r, (hi - delta) / r);
  return 100 * Math.min(1, overlap);
}

/**
 * The Section 5.2 criterion for predicted scores of clean and of distorted images: Gaussian fits
 * by maximum likelihood, their overlap in %, and the separation of their means in pooled stds.
 * Each group needs at least 2 scores that are not all equal (a zero-width Gaussian has no density).
 */
export function densitySeparation(clean: readonly number[], distorted: readonly number[]): DensitySeparation {
  const gc = fitGaussian(clean, 'clean');
  const gd = fitGaussian(distorted, 'distorted');
  for (const [name, g, n] of [['clean', gc, clean.length], ['distorted', gd, distorted.length]] as const) {
    if (!(g.std > 0)) {
      throw new Error(`densitySeparation: the ${n} ${name} score(s) are all equal, a Gaussian cannot be fitted`);
    }
  }
  const nc = clean.length;
  const nd = distorted.length;
  const pooled = Math.sqrt((nc * gc.std ** 2 + nd * gd.std ** 2) / (nc + nd));
  return {
    n_clean: nc,
    n_distorted: nd,
    mean_clean: gc.mean,
    mean_distorted: gd.mean,
    std_clean: gc.std,
    std_distorted: gd.std,
    overlap_pct: gaussianOverlapPct(gc, gd),
    separation: Math.abs(gc.mean - gd.mean) / pooled,
  };
}
