// Anomaly detection on session KPIs, in TypeScript: the testable mirror of DetectSessionAnomalies
// (kql/V011). For every complete bin of the window, every KPI, all sessions together and every
// dimension value with enough attempts in the bin:
// - the baseline is the same time of day on each of the `historyDays` days before (the bin and
//   its two neighbours), so the daily rhythm is in the baseline and the window is never in it;
// - the bin is anomalous when it is worse (the KPI's direction only) with a one-sided z score at
//   or above the KPI's sensitivity, the variance including how much that time of day varies
//   from day to day, and the change is large enough to matter;
// - nothing is judged without `historyDays` of data before the window.
import { DIMENSIONS, KPIS, KPI_NAMES, mattersEnough, percentile, type KpiDefinition, type KpiName } from '../analytics/root-cause-kpis.js';
import type { QoeSession } from '../analytics/root-cause-sessions.js';
import {
  addSample,
  binomialUpperTail,
  contrast,
  emptyMoments,
  meanOf,
  normalQuantileUpper,
  varianceOfMean,
  type Moments,
} from '../analytics/root-cause-stats.js';
import { alertKey, type Anomaly } from './anomaly.js';

export const OVERALL = { dimension: 'Overall', value: 'all' } as const;

export interface SessionDetectionOptions {
  /** Bins in [windowStart, windowEnd) are evaluated; windowEnd already leaves the allowed lateness out. */
  windowStart: Date;
  windowEnd: Date;
  binMinutes: number;
  historyDays?: number;
  /** Attempts a series needs in a bin to be judged. */
  minAttempts?: number;
  kpis?: readonly KpiName[];
}

export interface SessionDetection {
  anomalies: Anomaly[];
  /** Set when the data does not reach back `historyDays` before the window: nothing was judged. */
  insufficientHistory?: true;
}

const DAY = 86_400_000;

/** Sessions of the window's bins and of the same time of day (the bin and its neighbours) on the days before. */
export function slotSessions(byBin: Map<number, QoeSession[]>, bin: number, binMs: number, historyDays: number): QoeSession[] {
  const out: QoeSession[] = [];
  for (let d = 1; d <= historyDays; d++) for (let o = -1; o <= 1; o++) out.push(...(byBin.get(bin - (d * DAY) / binMs + o) ?? []));
  return out;
}

export function indexByBin(sessions: QoeSession[], binMs: number): Map<number, QoeSession[]> {
  const byBin = new Map<number, QoeSession[]>();
  for (const s of sessions) {
    const b = Math.floor(s.at / binMs);
    const list = byBin.get(b);
    if (list) list.push(s);
    else byBin.set(b, [s]);
  }
  return byBin;
}

export function detectOnSessions(sessions: QoeSession[], o: SessionDetectionOptions): SessionDetection {
  const historyDays = o.historyDays ?? 14;
  const minAttempts = o.minAttempts ?? 30;
  const binMs = o.binMinutes * 60_000;
  const earliest = sessions.reduce((m, s) => Math.min(m, s.at), Infinity);
  if (!(earliest <= o.windowStart.getTime() - historyDays * DAY)) return { anomalies: [], insufficientHistory: true };
  const byBin = indexByBin(sessions, binMs);
  const anomalies: Anomaly[] = [];
  for (let bin = Math.ceil(o.windowStart.getTime() / binMs); (bin + 1) * binMs <= o.windowEnd.getTime(); bin++) {
    const win = byBin.get(bin) ?? [];
    const hist = slotSessions(byBin, bin, binMs, historyDays);
    for (const [series, { win: w, hist: h }] of seriesOf(win, hist, minAttempts)) {
      const [dimension, dimensionValue] = series.split('\u0000') as [string, string];
      for (const name of o.kpis ?? KPI_NAMES) {
        const kpi = KPIS[name];
        const judged = judgeBin(kpi, w, h);
        if (!judged) continue;
        const base = { timestamp: new Date(bin * binMs), kpi: name, dimension, dimensionValue };
        anomalies.push({
          ...base,
          value: judged.value,
          baseline: judged.baseline,
          score: judged.z,
          direction: kpi.worse > 0 ? 'up' : 'down',
          sessions: w.filter((s) => s.attempt).length,
          key: alertKey(base),
        });
      }
    }
  }
  return { anomalies };
}

/** Overall and every dimension value with enough attempts in the bin, with their history. */
function seriesOf(win: QoeSession[], hist: QoeSession[], minAttempts: number): Map<string, { win: QoeSession[]; hist: QoeSession[] }> {
  const all = new Map<string, { win: QoeSession[]; hist: QoeSession[] }>();
  const keys = (s: QoeSession) => [
    `${OVERALL.dimension}\u0000${OVERALL.value}`,
    ...DIMENSIONS.filter((d) => s.dims[d] !== '').map((d) => `${d}\u0000${s.dims[d]}`),
  ];
  for (const s of win) for (const k of keys(s)) (all.get(k) ?? all.set(k, { win: [], hist: [] }).get(k)!).win.push(s);
  for (const [k, v] of all) if (v.win.filter((s) => s.attempt).length < minAttempts) all.delete(k);
  for (const s of hist) for (const k of keys(s)) all.get(k)?.hist.push(s);
  return all;
}

/** The bin's verdict for one KPI, or undefined when it is not anomalous. */
function judgeBin(kpi: KpiDefinition, win: QoeSession[], hist: QoeSession[]): { value: number; baseline: number; z: number } | undefined {
  const ws = win.flatMap((s) => kpi.sample(s) ?? []);
  const hs = hist.flatMap((s) => {
    const v = kpi.sample(s);
    return v ? [{ v, day: Math.floor(s.at / DAY) }] : [];
  });
  if (ws.length === 0 || hs.length < 30) return undefined;
  const threshold = kpi.percentile
    ? percentile(
        hs.map((h) => h.v.x),
        kpi.percentile,
      )!
    : null;
  const x = (v: number) => (threshold !== null ? (v > threshold ? 1 : 0) : v);
  const wm = emptyMoments();
  const hm = emptyMoments();
  const days = new Map<number, Moments>();
  for (const v of ws) addSample(wm, x(v.x), v.w);
  for (const h of hs) {
    addSample(hm, x(h.v.x), h.v.w);
    addSample(days.get(h.day) ?? days.set(h.day, emptyMoments()).get(h.day)!, x(h.v.x), h.v.w);
  }
  const c = contrast(wm, hm, kpi.worse, kpi.proportion);
  const value =
    threshold !== null
      ? percentile(
          ws.map((v) => v.x),
          kpi.percentile!,
        )
      : c.window;
  const baseline = threshold ?? c.baseline;
  if (value === null || baseline === null || c.worseBy <= 0) return undefined;
  // Day-to-day variation of this time of day beyond sampling noise widens the test.
  const means = [...days.values()].flatMap((m) => (meanOf(m) === null ? [] : [{ mean: meanOf(m)!, v: varianceOfMean(m) }]));
  let between = 0;
  if (means.length >= 3) {
    const avg = means.reduce((n, m) => n + m.mean, 0) / means.length;
    const spread = means.reduce((n, m) => n + (m.mean - avg) ** 2, 0) / (means.length - 1);
    between = Math.max(0, spread - means.reduce((n, m) => n + m.v, 0) / means.length);
  }
  let z: number;
  if (kpi.proportion) {
    // Counts: the exact binomial tail at the baseline rate (widened by the day-to-day spread).
    const rate = Math.min(1, c.baseline! + (kpi.worse > 0 ? 1 : -1) * Math.sqrt(between));
    const bad = kpi.worse > 0 ? Math.round(wm.wx) : wm.n - Math.round(wm.wx);
    z = normalQuantileUpper(binomialUpperTail(bad, wm.n, kpi.worse > 0 ? rate : 1 - rate));
  } else {
    const se = c.z > 0 ? c.worseBy / c.z : 0;
    z = se > 0 || between > 0 ? c.worseBy / Math.sqrt(se * se + between) : 0;
  }
  if (z < kpi.zThreshold || !mattersEnough(kpi, value, baseline)) return undefined;
  return { value, baseline, z };
}
