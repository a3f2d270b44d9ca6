// The QoE KPI definitions in TypeScript: the reference that pins QoeSessionKpis (kql/V003, as changed by V006), so a
// definition lives in two places that tests hold together, and is written down once (README).
// Used by tests and by anyone who wants to compute a KPI outside Data Explorer.

export interface KpiEvent {
  SessionId: string;
  Seq: number | null;
  Timestamp: string; // ISO 8601
  ReceivedAt?: string;
  EventType: string;
  Source?: string;
  StartupMs?: number | null;
  StallMs?: number | null;
  BitrateKbps?: number | null;
  DroppedFrames?: number | null;
  Fatal?: boolean | null;
  ErrorCode?: string | null;
}

export interface SessionKpis {
  SessionId: string;
  Started: boolean;
  StartupMs: number | null;
  Ebvs: boolean;
  Vsf: boolean;
  PlaybackFailure: boolean;
  WatchMs: number;
  StallMs: number;
  StallCount: number;
  RebufferRatio: number | null;
  RebuffersPerHour: number | null;
  AvgBitrateKbps: number | null;
  UpSwitches: number;
  DownSwitches: number;
  DroppedFramesPerMin: number | null;
  ErrorCount: number;
}

const t = (iso: string) => Date.parse(iso);

/** Repeated beacons (same SessionId, Source and Seq) count once: the last one received wins. */
function dedupe(events: KpiEvent[]): KpiEvent[] {
  const byKey = new Map<string, KpiEvent>();
  const unkeyed: KpiEvent[] = [];
  for (const e of events) {
    if (e.Seq === null) {
      unkeyed.push(e);
      continue;
    }
    const key = `${e.SessionId}\u0000${e.Source ?? ''}\u0000${e.Seq}`;
    const prev = byKey.get(key);
    if (!prev || (e.ReceivedAt ?? '') >= (prev.ReceivedAt ?? '')) byKey.set(key, e);
  }
  return [...byKey.values(), ...unkeyed];
}

export function sessionKpis(events: KpiEvent[]): SessionKpis[] {
  const bySession = new Map<string, KpiEvent[]>();
  for (const e of dedupe(events)) {
    const list = bySession.get(e.SessionId) ?? [];
    list.push(e);
    bySession.set(e.SessionId, list);
  }
  return [...bySession.entries()].map(([id, list]) => oneSession(id, list.sort((a, b) => t(a.Timestamp) - t(b.Timestamp) || (a.Seq ?? 0) - (b.Seq ?? 0))));
}

function oneSession(SessionId: string, ev: KpiEvent[]): SessionKpis {
  const first = (type: string) => ev.find((e) => e.EventType === type);
  const requested = first('start');
  // First frame: the first `play`; a session without one (CMCD reporters) starts at its first `playing`.
  const firstFrame = first('play') ?? first('playing');
  const firstFatal = ev.find((e) => e.EventType === 'error' && e.Fatal === true);
  const Started = firstFrame !== undefined;
  const reported = ev.find((e) => e.EventType === 'play' && e.StartupMs != null)?.StartupMs ?? null;
  const StartupMs = !Started ? null : reported ?? (requested ? t(firstFrame!.Timestamp) - t(requested.Timestamp) : null);
  const Vsf = firstFatal !== undefined && (!Started || t(firstFatal.Timestamp) < t(firstFrame!.Timestamp));
  const PlaybackFailure = Started && firstFatal !== undefined && t(firstFatal.Timestamp) >= t(firstFrame!.Timestamp);
  const Ebvs = requested !== undefined && !Started && !Vsf;

  let pausedMs = 0;
  for (let i = 1; i < ev.length; i++) if (ev[i - 1]!.EventType === 'pause') pausedMs += t(ev[i]!.Timestamp) - t(ev[i - 1]!.Timestamp);
  const last = t(ev[ev.length - 1]!.Timestamp);
  const WatchMs = Started ? Math.max(last - t(firstFrame!.Timestamp) - pausedMs, 0) : 0;
  const stallEnds = ev.filter((e) => e.EventType === 'stall_end');
  // A stall no `stall_end` closes lasts until the session's next event.
  const implied = ev.flatMap((e, i) =>
    (e.EventType === 'stall_start' || e.EventType === 'waiting') && i + 1 < ev.length && ev[i + 1]!.EventType !== 'stall_end' ? [t(ev[i + 1]!.Timestamp) - t(e.Timestamp)] : [],
  ).filter((ms) => ms > 0);
  const StallMs = stallEnds.reduce((n, e) => n + (e.StallMs ?? 0), 0) + implied.reduce((n, ms) => n + ms, 0);

  const samples = ev.filter((e) => e.BitrateKbps != null);
  let bitrateMs = 0;
  let heldMs = 0;
  let UpSwitches = 0;
  let DownSwitches = 0;
  for (let i = 0; i < samples.length; i++) {
    const held = i + 1 < samples.length ? t(samples[i + 1]!.Timestamp) - t(samples[i]!.Timestamp) : 0;
    bitrateMs += samples[i]!.BitrateKbps! * held;
    heldMs += held;
    if (i > 0 && samples[i]!.EventType === 'quality_change') {
      if (samples[i]!.BitrateKbps! > samples[i - 1]!.BitrateKbps!) UpSwitches++;
      if (samples[i]!.BitrateKbps! < samples[i - 1]!.BitrateKbps!) DownSwitches++;
    }
  }
  const dropped = ev.reduce<number | null>((m, e) => (e.DroppedFrames == null ? m : Math.max(m ?? 0, e.DroppedFrames)), null);
  return {
    SessionId,
    Started,
    StartupMs,
    Ebvs,
    Vsf,
    PlaybackFailure,
    WatchMs,
    StallMs,
    StallCount: stallEnds.length + implied.length,
    RebufferRatio: WatchMs > 0 ? StallMs / WatchMs : null,
    RebuffersPerHour: WatchMs > 0 ? (stallEnds.length + implied.length) / (WatchMs / 3_600_000) : null,
    AvgBitrateKbps: heldMs > 0 ? bitrateMs / heldMs : samples.length ? samples[samples.length - 1]!.BitrateKbps! : null,
    UpSwitches,
    DownSwitches,
    DroppedFramesPerMin: WatchMs > 0 && dropped !== null ? dropped / (WatchMs / 60_000) : null,
    ErrorCount: ev.filter((e) => e.EventType === 'error').length,
  };
}

export interface AggregateKpis {
  Sessions: number;
  EbvsRate: number | null;
  VsfRate: number | null;
  PlaybackFailureRate: number | null;
  RebufferRatio: number | null;
  AvgBitrateKbps: number | null;
  ErrorsPerSession: number;
}

/** The aggregation QoeKpis does per bin and dimension value: ratios of sums, not means of ratios. */
export function aggregateKpis(sessions: SessionKpis[]): AggregateKpis {
  const attempts = sessions.filter((s) => s.Started || s.Ebvs || s.Vsf).length;
  const started = sessions.filter((s) => s.Started).length;
  const watch = sessions.reduce((n, s) => n + s.WatchMs, 0);
  const stall = sessions.reduce((n, s) => n + s.StallMs, 0);
  const withBitrate = sessions.filter((s) => s.AvgBitrateKbps !== null);
  const bw = withBitrate.reduce((n, s) => n + s.AvgBitrateKbps! * s.WatchMs, 0);
  const bwMs = withBitrate.reduce((n, s) => n + s.WatchMs, 0);
  return {
    Sessions: sessions.length,
    EbvsRate: attempts ? sessions.filter((s) => s.Ebvs).length / attempts : null,
    VsfRate: attempts ? sessions.filter((s) => s.Vsf).length / attempts : null,
    PlaybackFailureRate: started ? sessions.filter((s) => s.PlaybackFailure).length / started : null,
    RebufferRatio: watch > 0 ? stall / watch : null,
    AvgBitrateKbps: bwMs > 0 ? bw / bwMs : null,
    ErrorsPerSession: sessions.length ? sessions.reduce((n, s) => n + s.ErrorCount, 0) / sessions.length : 0,
  };
}
