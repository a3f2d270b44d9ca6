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
