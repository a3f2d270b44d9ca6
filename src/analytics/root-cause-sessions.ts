// The adapter between QoeEvents rows and the sessions detection and root cause work on: the
// KPI reference (docs/kpis.md, sessionsFromRows) gives every number, score included.
import { sessionsFromRows, type KpiRow } from './session-kpis.js';

/** The dimensions detection and root cause work over (one import direction: the KPI catalog imports this file). */
export const DIMENSIONS = ['Country', 'Region', 'Asn', 'Cdn', 'Os', 'Browser', 'DeviceType', 'PlayerVersion', 'ContentId'] as const;
export type DimensionName = (typeof DIMENSIONS)[number];

export interface QoeSession {
  sessionId: string;
  /** First event of the session, ms since the epoch: the session's time bin. */
  at: number;
  /** Dimension values; "" when the session has none. */
  dims: Record<DimensionName, string>;
  attempt: boolean;
  started: boolean;
  vsf: boolean;
  ebvs: boolean;
  playbackFailure: boolean;
  startupMs: number | null;
  watchMs: number;
  stallMs: number;
  avgBitrateKbps: number | null;
  /** 0-100; null for sessions that never tried to play or left before the video started. */
  qoeScore: number | null;
}

/**
 * The synthetic incident generator's stand-in score (it makes sessions, not rows, so it cannot
 * run the reference's formula, which needs each session's rendition ladder): a failed start is 0; a started
 * session loses up to 30 for a slow start (above 1 s), up to 40 for rebuffering (10% = all 40),
 * up to 20 for a low bitrate (under 4 Mbps) and 50 for a playback failure.
 */
export function provisionalQoeScore(s: Omit<QoeSession, 'qoeScore' | 'sessionId' | 'at' | 'dims'>): number | null {
  if (s.vsf) return 0;
  if (!s.started) return null;
  const startup = Math.min(30, Math.max(0, ((s.startupMs ?? 0) - 1000) / 100));
  const rebuffer = s.watchMs > 0 ? Math.min(40, (s.stallMs / s.watchMs) * 400) : 0;
  const bitrate = s.avgBitrateKbps === null ? 0 : Math.min(20, Math.max(0, ((4000 - s.avgBitrateKbps) / 4000) * 20));
  return Math.max(0, 100 - startup - rebuffer - bitrate - (s.playbackFailure ? 50 : 0));
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v)).slice(0, 256);

/** QoeEvents rows (as the file sink or an export writes them) -> one QoeSession per play of the reference. */
export function sessionsFromQoeRows(rows: Iterable<Record<string, unknown>>, evaluationTime?: number): QoeSession[] {
  const kept: KpiRow[] = [];
  let latest = 0;
  for (const r of rows) {
    if (typeof r.SessionId !== 'string' || typeof r.Timestamp !== 'string' || typeof r.EventType !== 'string') continue;
    const t = Date.parse(r.Timestamp);
    if (Number.isNaN(t)) continue;
    latest = Math.max(latest, t);
    kept.push(r as unknown as KpiRow);
  }
  // An export is judged as of its last event: sessions still inside the inactivity timeout then are still starting.
  return sessionsFromRows(kept, { evaluationTime: evaluationTime ?? latest }).map((k) => ({
    sessionId: k.sessionId,
    at: Date.parse(k.firstSeenAt),
    dims: Object.fromEntries(DIMENSIONS.map((d) => [d, str(k.dimensions[d])])) as Record<DimensionName, string>,
    attempt: k.attempt,
    started: k.firstFrameAt !== null,
    vsf: k.vsf,
    ebvs: k.ebvs,
    playbackFailure: k.playbackFailure,
    startupMs: k.videoStartTimeMs,
    watchMs: k.playTimeMs,
    stallMs: k.stallMs,
    avgBitrateKbps: k.avgBitrateKbps,
    qoeScore: k.qoeScore,
  }));
}
