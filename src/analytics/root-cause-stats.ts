// Sufficient statistics of a KPI over a set of sessions, and the tests that compare two sets.
// Every KPI the detector watches is a weighted mean of a per-session value x with a weight w
// (a rate: x in {0,1}, w = 1; rebuffering ratio: x = stall/play time, w = play time; average
// bitrate: x = bitrate, w = play time), so one mergeable accumulator serves all of them, and
// segments (a dimension value, a combination of three) are sums of cells.

export interface Moments {
  /** Sessions that count for this KPI (its denominator population). */
  n: number;
  w: number;
  wx: number;
  /** Second moments of w and w*x, for the variance of a ratio estimator. */
  w2: number;
  w2x: number;
  w2x2: number;
}

export const emptyMoments = (): Moments => ({ n: 0, w: 0, wx: 0, w2: 0, w2x: 0, w2x2: 0 });

/** n = -1 takes a sample out again. */
export function addSample(m: Moments, x: number, w: number, n = 1): void {
  m.n += n;
  m.w += w;
  m.wx += w * x;
  m.w2 += w * w;
  m.w2x += w * w * x;
  m.w2x2 += w * w * x * x;
}

export function addMoments(into: Moments, m: Moments): void {
  into.n += m.n;
  into.w += m.w;
  into.wx += m.wx;
  into.w2 += m.w2;
  into.w2x += m.w2x;
  into.w2x2 += m.w2x2;
}

export function subtractMoments(a: Moments, b: Moments): Moments {
  return { n: a.n - b.n, w: a.w - b.w, wx: a.wx - b.wx, w2: a.w2 - b.w2, w2x: a.w2x - b.w2x, w2x2: a.w2x2 - b.w2x2 };
}

export const meanOf = (m: Moments): number | null => (m.w > 0 ? m.wx / m.w : null);

/** Variance of the weighted mean (the linearised ratio estimator): sum w^2 (x - mean)^2 / W^2. */
export function varianceOfMean(m: Moments): number {
  if (m.w <= 0) return 0;
  const mean = m.wx / m.w;
  const ss = m.w2x2 - 2 * mean * m.w2x + mean * mean * m.w2;
  return Math.max(ss, 0) / (m.w * m.w);
}

/** Standard normal upper tail P(Z >= z) (Abramowitz-Stegun 26.2.17, error < 7.5e-8). */
export function normalUpperTail(z: number): number {
  if (z < 0) return 1 - normalUpperTail(-z);
  const t = 1 / (1 + 0.2316419 * z);
  const d = 0.3989422804014327 * Math.exp((-z * z) / 2);
  return d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
}

export interface Contrast {
  /** KPI in the window and in the baseline (null without data). */
  window: number | null;
  baseline: number | null;
  /** How much worse the window is, in KPI units (positive = worse, whichever the KPI's direction). */
  worseBy: number;
  /** z statistic of "window is worse" (one-sided); 0 when it cannot be computed. */
  z: number;
  /** One-sided p-value of that test. */
  p: number;
}

/**
 * Is the window worse than the baseline beyond chance? Rates (x in {0,1}, w = 1) use the pooled
 * two-proportion z-test; other KPIs a Welch-type z on the ratio estimators' variances.
 * `worse` is +1 when a higher value is worse, -1 when lower is worse.
 */
export function contrast(win: Moments, base: Moments, worse: 1 | -1, proportion: boolean): Contrast {
  const a = meanOf(win);
  const b = meanOf(base);
  if (a === null || b === null) return { window: a, baseline: b, worseBy: 0, z: 0, p: 1 };
  const worseBy = (a - b) * worse;
  let se: number;
  if (proportion) {
    const pooled = (win.wx + base.wx) / (win.w + base.w);
    se = Math.sqrt(pooled * (1 - pooled) * (1 / win.w + 1 / base.w));
  } else {
    se = Math.sqrt(varianceOfMean(win) + varianceOfMean(base));
  }
  if (!(se > 0)) return { window: a, baseline: b, worseBy, z: 0, p: worseBy > 0 ? 0.5 : 1 };
  const z = worseBy / se;
  return { window: a, baseline: b, worseBy, z, p: normalUpperTail(z) };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * P(X >= k) for X ~ Binomial(n, p), exactly: with few expected events (a rate of 1% over 60
 * attempts) the normal approximation's tail is far too thin and would page on noise.
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let logPmf = logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log(1 - p);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    const term = Math.exp(logPmf);
    sum += term;
    if (term < sum * 1e-12) break;
    logPmf += Math.log((n - i) / (i + 1)) + Math.log(p / (1 - p));
  }
  return Math.min(1, sum);
}

/** z with P(Z >= z) = p (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantileUpper(p: number): number {
  if (p <= 0) return 40;
  if (p >= 1) return -40;
  const q = 1 - p;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (q < lo) {
    const r = Math.sqrt(-2 * Math.log(q));
    return (
      (((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) /
      ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1)
    );
  }
  if (q > 1 - lo) {
    const r = Math.sqrt(-2 * Math.log(1 - q));
    return (
      -(((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) /
      ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1)
    );
  }
  const r = (q - 0.5) * (q - 0.5);
  const u = q - 0.5;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * u) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
