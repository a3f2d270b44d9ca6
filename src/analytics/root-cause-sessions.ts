// The adapter between QoeEvents rows and the sessions detection and root cause work on. It is
// the one file to change when the KPI reference of issue 17 (docs/kpis.md, sessionsFromRows)
// lands: today it uses src/analytics/kpis.ts and a provisional QoE score.
import { sessionKpis, type KpiEvent } from './kpis.js';

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
 * Provisional composite score until docs/kpis.md publishes one: a failed start is 0; a started
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
const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : null;

/** QoeEvents rows (as the file sink or an export writes them) -> one QoeSession per SessionId. */
export function sessionsFromQoeRows(rows: Iterable<Record<string, unknown>>): QoeSession[] {
  const events: KpiEvent[] = [];
  const meta = new Map<string, { at: number; dims: Record<DimensionName, string> }>();
  for (const r of rows) {
    const sessionId = str(r.SessionId);
    const ts = Date.parse(str(r.Timestamp));
    if (!sessionId || Number.isNaN(ts)) continue;
    events.push({
      SessionId: sessionId,
      Seq: num(r.Seq),
      Timestamp: new Date(ts).toISOString(),
      ReceivedAt: str(r.ReceivedAt) || undefined,
      EventType: str(r.EventType),
      Source: str(r.Source) || undefined,
      StartupMs: num(r.StartupMs),
      StallMs: num(r.StallMs),
      BitrateKbps: num(r.BitrateKbps),
      DroppedFrames: num(r.DroppedFrames),
      Fatal: r.Fatal === true || r.Fatal === 'true',
      ErrorCode: str(r.ErrorCode) || null,
    });
    let m = meta.get(sessionId);
    if (!m) {
      m = { at: ts, dims: Object.fromEntries(DIMENSIONS.map((d) => [d, ''])) as Record<DimensionName, string> };
      meta.set(sessionId, m);
    }
    m.at = Math.min(m.at, ts);
    for (const d of DIMENSIONS) if (!m.dims[d]) m.dims[d] = str(r[d]);
  }
  return sessionKpis(events).map((k) => {
    const m = meta.get(k.SessionId)!;
    const base = {
      attempt: k.Started || k.Ebvs || k.Vsf,
      started: k.Started,
      vsf: k.Vsf,
      ebvs: k.Ebvs,
      playbackFailure: k.PlaybackFailure,
      startupMs: k.StartupMs,
      watchMs: k.WatchMs,
      stallMs: k.StallMs,
      avgBitrateKbps: k.AvgBitrateKbps,
    };
    return { sessionId: k.SessionId, at: m.at, dims: m.dims, ...base, qoeScore: provisionalQoeScore(base) };
  });
}
