/**
 * The small statistics the ablation needs: mean and sample standard deviation over seeds, and a paired
 * t-test of two arms run on the same seeds. Written out (about 60 lines) because no maintained npm package
 * gives Student's t distribution without pulling in a large numerics library; checked against SciPy.
 */

export interface MeanStd {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator, like numpy's ddof=1); NaN for n < 2. */
  std: number;
}

export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  if (n === 0) return { n, mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? NaN : Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, std };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 significant digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz, as in Numerical Recipes' betacf). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const guard = (v: number) => (Math.abs(v) < tiny ? tiny : v);
  let c = 1;
  let d = 1 / guard(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // the continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(|T| >= |t|) for Student's t with `df` degrees of freedom. */
export function studentTTwoSidedP(t: number, df: number): number {
  if (!(df > 0)) return NaN;
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

export interface PairedTTest {
  /** Pairs compared. */
  n: number;
  /** Mean of b - a over the pairs. */
  meanDifference: number;
  /** Sample standard deviation of the differences: the seed-to-seed spread of the effect. */
  stdDifference: number;
  t: number;
  df: number;
  /** Two-sided p-value; NaN with fewer than 2 pairs, 0 when every pair differs by the same non-zero amount. */
  p: number;
}

/** Paired t-test of b against a (same seeds, same order). */
export function pairedTTest(a: readonly number[], b: readonly number[]): PairedTTest {
  if (a.length !== b.length) throw new RangeError(`paired t-test: ${a.length} values against ${b.length}`);
  const d = b.map((v, i) => v - a[i]);
  const { n, mean, std } = meanStd(d);
  const df = n - 1;
  if (n < 2) return { n, meanDifference: mean, stdDifference: std, t: NaN, df, p: NaN };
  const t = std === 0 ? (mean === 0 ? 0 : Math.sign(mean) * Infinity) : mean / (std / Math.sqrt(n));
  return {
    n,
    meanDifference: mean,
    stdDifference: std,
    t,
    df,
    p: mean === 0 && std === 0 ? 1 : studentTTwoSidedP(t, df),
  };
}
