// Aggregates over per-session KPIs (docs/kpis.md section 5): ratios of sums, never means of ratios.
// The same function serves the `npm run kpis` totals, a time bin, or one dimension value (issue 18).
import type { DimensionColumn, SessionKpis } from './session-kpis.js';

export interface AggregateKpis {
  sessions: number;
  attempts: number;
  /** Attempts whose outcome is known: started, VSF or EBVS (the denominator of VSF and EBVS rates). */
  decidedAttempts: number;
  starting: number;
  plays: number;
  endedPlays: number;
  vsf: number;
  vsfTechnical: number;
  vsfBusiness: number;
  ebvs: number;
  playbackFailures: number;
  vsfRate: number | null;
  vsfTechnicalRate: number | null;
  vsfBusinessRate: number | null;
  ebvsRate: number | null;
  playbackFailureRate: number | null;
  videoStartTimeMeanMs: number | null;
  videoStartTimeP50Ms: number | null;
  videoStartTimeP95Ms: number | null;
  stallCount: number;
  stallMs: number;
  playTimeMs: number;
  rebufferingRatio: number | null;
  avgBitrateKbps: number | null;
  droppedFramesPerMin: number | null;
  qoeScoreMean: number | null;
  peakConcurrentPlays: number;
}

const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

/** Nearest-rank percentile (p in 0..100) of the values; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function aggregateKpis(sessions: readonly SessionKpis[]): AggregateKpis {
  const count = (f: (s: SessionKpis) => boolean) => sessions.reduce((n, s) => n + (f(s) ? 1 : 0), 0);
  const sum = (f: (s: SessionKpis) => number) => sessions.reduce((n, s) => n + f(s), 0);
  const attempts = count((s) => s.attempt);
  const starting = count((s) => s.starting);
  const decided = attempts - starting;
  const plays = count((s) => s.firstFrameAt !== null);
  const endedPlays = count((s) => s.firstFrameAt !== null && s.ended);
  const vsf = count((s) => s.vsf);
  const vsfBusiness = count((s) => s.vsfKind === 'business');
  const ebvs = count((s) => s.ebvs);
  const playbackFailures = count((s) => s.playbackFailure);
  const startups = sessions.flatMap((s) => (s.videoStartTimeMs === null ? [] : [s.videoStartTimeMs]));
  const stallMs = sum((s) => s.stallMs);
  const playTimeMs = sum((s) => s.playTimeMs);
  const withBitrate = sessions.filter((s) => s.avgBitrateKbps !== null);
  const withDropped = sessions.filter((s) => s.droppedFrames !== null);
  const scores = sessions.flatMap((s) => (s.qoeScore === null ? [] : [s.qoeScore]));
  return {
    sessions: sessions.length,
    attempts,
    decidedAttempts: decided,
    starting,
    plays,
    endedPlays,
    vsf,
    vsfTechnical: vsf - vsfBusiness,
    vsfBusiness,
    ebvs,
    playbackFailures,
    vsfRate: ratio(vsf, decided),
    vsfTechnicalRate: ratio(vsf - vsfBusiness, decided),
    vsfBusinessRate: ratio(vsfBusiness, decided),
    ebvsRate: ratio(ebvs, decided),
    playbackFailureRate: ratio(playbackFailures, endedPlays),
    videoStartTimeMeanMs: ratio(
      startups.reduce((n, v) => n + v, 0),
      startups.length,
    ),
    videoStartTimeP50Ms: percentile(startups, 50),
    videoStartTimeP95Ms: percentile(startups, 95),
    stallCount: sum((s) => s.stallCount),
    stallMs,
    playTimeMs,
    rebufferingRatio: ratio(stallMs, playTimeMs + stallMs),
    avgBitrateKbps: ratio(
      withBitrate.reduce((n, s) => n + s.avgBitrateKbps! * s.playTimeMs, 0),
      withBitrate.reduce((n, s) => n + s.playTimeMs, 0),
    ),
    droppedFramesPerMin: ratio(
      withDropped.reduce((n, s) => n + s.droppedFrames!, 0),
      withDropped.reduce((n, s) => n + s.playTimeMs, 0) / 60_000,
    ),
    qoeScoreMean: ratio(
      scores.reduce((n, v) => n + v, 0),
      scores.length,
    ),
    peakConcurrentPlays: peakConcurrentPlays(sessions),
  };
}

/** Plays in progress at `at`: first frame at or before it, and not yet ended (playEndAt null or later). */
export function concurrentPlays(sessions: readonly SessionKpis[], at: Date | string | number): number {
  const t = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  let n = 0;
  for (const s of sessions) {
    if (s.firstFrameAt === null || Date.parse(s.firstFrameAt) > t) continue;
    if (s.playEndAt === null || t < Date.parse(s.playEndAt)) n++;
  }
  return n;
}

/** The most plays in progress at once: evaluated at every first frame (where the count can rise). */
export function peakConcurrentPlays(sessions: readonly SessionKpis[]): number {
  // A sweep: +1 at a first frame, -1 at a play's end; at equal times the end goes first (t < playEndAt).
  const edges: Array<[number, number]> = [];
  for (const s of sessions) {
    if (s.firstFrameAt === null) continue;
    edges.push([Date.parse(s.firstFrameAt), 1]);
    if (s.playEndAt !== null) edges.push([Date.parse(s.playEndAt), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (now += d));
  return peak;
}

/**
 * Aggregates per value of one dimension (issue 18's breakdowns). A session without a value is in
 * the "" group, so no session drops out of a breakdown.
 */
export function aggregateByDimension(sessions: readonly SessionKpis[], dimension: DimensionColumn): Map<string, AggregateKpis> {
  const groups = new Map<string, SessionKpis[]>();
  for (const s of sessions) {
    const value = s.dimensions[dimension] === null ? '' : String(s.dimensions[dimension]);
    const list = groups.get(value);
    if (list) list.push(s);
    else groups.set(value, [s]);
  }
  return new Map([...groups].map(([value, list]) => [value, aggregateKpis(list)]));
}
