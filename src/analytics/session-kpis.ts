// Per-session QoE KPIs: the executable form of docs/kpis.md (sections 1-4). Every rule here is a
// sentence there; change the page first, then test/analytics/golden/, then this file and the KQL.
import type { QoeEvent } from '../beacon/qoe-event.js';

/** The row columns the KPIs read (a QoeEvents row has them all; missing ones count as null). */
export type KpiRow = Pick<QoeEvent, 'Timestamp' | 'EventType' | 'SessionId'> &
  Partial<
    Pick<
      QoeEvent,
      | 'ReceivedAt'
      | 'Seq'
      | 'Source'
      | 'StartupMs'
      | 'StallMs'
      | 'BitrateKbps'
      | 'TopBitrateKbps'
      | 'DroppedFrames'
      | 'Fatal'
      | 'ErrorCode'
      | DimensionColumn
    >
  >;

/** Breakdown dimensions (issue 18's root cause reads them), in the KQL column names. */
export const SESSION_DIMENSION_COLUMNS = [
  'Country',
  'Region',
  'Asn',
  'Cdn',
  'Os',
  'Browser',
  'DeviceType',
  'PlayerVersion',
  'ContentId',
  'StreamType',
] as const;
export type DimensionColumn = (typeof SESSION_DIMENSION_COLUMNS)[number];
export type SessionDimensions = { [K in DimensionColumn]: string | number | null };

export interface SessionKpis {
  sessionId: string;
  source: string;
  firstSeenAt: string;
  lastSeenAt: string;
  attempt: boolean;
  firstFrameAt: string | null;
  videoStartTimeMs: number | null;
  vsf: boolean;
  vsfKind: 'technical' | 'business' | null;
  ebvs: boolean;
  starting: boolean;
  ended: boolean;
  playEndAt: string | null;
  playbackFailure: boolean;
  stallCount: number;
  stallMs: number;
  playTimeMs: number;
  rebufferingRatio: number | null;
  avgBitrateKbps: number | null;
  bitrateUpSwitches: number;
  bitrateDownSwitches: number;
  droppedFrames: number | null;
  errorCount: number;
  qoeScore: number | null;
  dimensions: SessionDimensions;
}

export type SessionKpiField = Exclude<keyof SessionKpis, 'dimensions'>;

/**
 * Reference field -> KQL session column (docs/kpis.md section 2). The KQL side's test compares
 * this list with its session function's columns, so a KPI on one side only fails a test.
 */
export const SESSION_KPI_COLUMNS = {
  sessionId: 'SessionId',
  source: 'Source',
  firstSeenAt: 'FirstSeen',
  lastSeenAt: 'LastSeen',
  attempt: 'Attempt',
  firstFrameAt: 'FirstFrameAt',
  videoStartTimeMs: 'VideoStartTimeMs',
  vsf: 'Vsf',
  vsfKind: 'VsfKind',
  ebvs: 'Ebvs',
  starting: 'Starting',
  ended: 'Ended',
  playEndAt: 'PlayEndAt',
  playbackFailure: 'PlaybackFailure',
  stallCount: 'StallCount',
  stallMs: 'StallMs',
  playTimeMs: 'PlayTimeMs',
  rebufferingRatio: 'RebufferingRatio',
  avgBitrateKbps: 'AvgBitrateKbps',
  bitrateUpSwitches: 'BitrateUpSwitches',
  bitrateDownSwitches: 'BitrateDownSwitches',
  droppedFrames: 'DroppedFrames',
  errorCount: 'ErrorCount',
  qoeScore: 'QoeScore',
} as const satisfies Record<SessionKpiField, string>;

/** Error codes (lower-cased) of a refusal on purpose: a VSF with one is a business failure. */
export const BUSINESS_ERROR_CODES: readonly string[] = [
  '401',
  '403',
  '451',
  'http-401',
  'http-403',
  'http-451',
  'geo-blocked',
  'not-entitled',
  'entitlement',
  'concurrency-limit',
  'blackout',
  'parental-control',
  'subscription-required',
];
export const BUSINESS_ERROR_PREFIX = 'business:';

export function isBusinessErrorCode(code: string | null | undefined): boolean {
  if (!code) return false;
  const c = code.toLowerCase();
  return c.startsWith(BUSINESS_ERROR_PREFIX) || BUSINESS_ERROR_CODES.includes(c);
}

/** Five minutes: JSON heartbeats come every 10 s, dash.js CMCD `t` reports every 30 s. */
export const DEFAULT_INACTIVITY_TIMEOUT_MS = 300_000;

export interface SessionOptions {
  /** When the KPIs are evaluated (server time): decides inactivity. Default: now. */
  evaluationTime?: Date | string | number;
  /** Silence after which a session has ended, and longer intervals count for nothing. */
  inactivityTimeoutMs?: number;
}

interface Row {
  r: KpiRow;
  t: number; // Timestamp, epoch ms
}

const toMs = (v: Date | string | number) => (v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v));
const iso = (ms: number) => new Date(ms).toISOString();
const isFatalError = (r: KpiRow) => r.EventType === 'error' && r.Fatal === true;
const isTerminal = (r: KpiRow) => r.EventType === 'end' || isFatalError(r);
// `request`/`response` bitrates describe a download, which may run ahead of what is shown.
const isBitrateSample = (r: KpiRow) => r.BitrateKbps != null && r.EventType !== 'request' && r.EventType !== 'response';

/** Section 1.3: Timestamp, then Seq (rows without after), then EventType. */
function byPlayOrder(a: Row, b: Row): number {
  if (a.t !== b.t) return a.t - b.t;
  const sa = a.r.Seq ?? null;
  const sb = b.r.Seq ?? null;
  if (sa !== sb) return sa === null ? 1 : sb === null ? -1 : sa - sb;
  return a.r.EventType < b.r.EventType ? -1 : a.r.EventType > b.r.EventType ? 1 : 0;
}

/**
 * QoeEvents rows -> one KPI object per session (SessionId, Source), in order of first row.
 * Rows without a SessionId or a parseable Timestamp belong to no session and are skipped.
 */
export function sessionsFromRows(rows: Iterable<KpiRow>, opts: SessionOptions = {}): SessionKpis[] {
  const evaluationMs = toMs(opts.evaluationTime ?? Date.now());
  const timeoutMs = opts.inactivityTimeoutMs ?? DEFAULT_INACTIVITY_TIMEOUT_MS;
  const bySession = new Map<string, Map<string, Row[]>>(); // SessionId -> Source -> rows
  for (const r of rows) {
    const t = Date.parse(r.Timestamp);
    if (!r.SessionId || !Number.isFinite(t)) continue;
    let bySource = bySession.get(r.SessionId);
    if (!bySource) bySession.set(r.SessionId, (bySource = new Map()));
    const source = r.Source ?? '';
    const list = bySource.get(source);
    if (list) list.push({ r, t });
    else bySource.set(source, [{ r, t }]);
  }
  const out: SessionKpis[] = [];
  for (const bySource of bySession.values())
    for (const list of bySource.values()) out.push(oneSession(withoutRepeats(list.sort(byPlayOrder)), evaluationMs, timeoutMs));
  return out.sort(
    (a, b) =>
      (a.firstSeenAt < b.firstSeenAt ? -1 : a.firstSeenAt > b.firstSeenAt ? 1 : 0) ||
      (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0) ||
      (a.source < b.source ? -1 : 1),
  );
}

/** Section 1.2: a repeat (same Seq, Timestamp and EventType) counts once; sorted, repeats are neighbours. */
function withoutRepeats(sorted: Row[]): Row[] {
  const out = [sorted[0]!];
  for (let i = 1; i < sorted.length; i++) if (byPlayOrder(sorted[i - 1]!, sorted[i]!) !== 0) out.push(sorted[i]!);
  return out;
}

type State = 'startup' | 'playing' | 'paused' | 'seeking' | 'waiting' | 'stalled' | 'ended';

function oneSession(all: Row[], evaluationMs: number, timeoutMs: number): SessionKpis {
  // Section 1.4: the play ends at its first `end` or fatal error.
  const terminalAt = all.findIndex((x) => isTerminal(x.r));
  const play = terminalAt < 0 ? all : all.slice(0, terminalAt + 1);
  const terminal = terminalAt < 0 ? undefined : play[terminalAt]!.r;
  // A CMCD `sta=p` becomes `play` (with msd), `stall_end` (with bsd) or `playing`: all three mean playing.
  let firstFrame = play.findIndex((x) => x.r.EventType === 'play');
  if (firstFrame < 0) firstFrame = play.findIndex((x) => x.r.EventType === 'playing' || x.r.EventType === 'stall_end');
  const started = firstFrame >= 0;

  let state: State = 'startup';
  let playTimeMs = 0;
  let stallMs = 0;
  let stallCount = 0;
  let openStallMs = 0; // intervals of the open stall so far
  let held: number | null = null; // bitrate held since the last sample
  let bitrateMs = 0;
  let bitrateWeightMs = 0;
  let up = 0;
  let down = 0;
  let droppedPrev: number | null = null;
  let droppedFrames: number | null = null;
  let topBitrate: number | null = null;
  let errorCount = 0;

  for (let i = 0; i < play.length; i++) {
    const { r, t } = play[i]!;
    let playedMs = 0; // play time of the interval that ends at this row
    const heldBefore = held;
    if (i > 0) {
      // Section 1.6: the interval belongs to the state at the earlier row; over the timeout it counts 0.
      const gap = t - play[i - 1]!.t;
      const dt = gap > timeoutMs ? 0 : gap;
      if (state === 'playing') playedMs = dt;
      else if (state === 'stalled') openStallMs += dt;
    }
    playTimeMs += playedMs;
    if (heldBefore !== null) {
      bitrateMs += heldBefore * playedMs;
      bitrateWeightMs += playedMs;
    }
    if (isBitrateSample(r)) {
      const kbps = r.BitrateKbps!;
      if (started && i > firstFrame && held !== null) {
        if (kbps > held) up++;
        else if (kbps < held) down++;
      }
      held = kbps;
    }
    if (r.TopBitrateKbps != null) topBitrate = Math.max(topBitrate ?? 0, r.TopBitrateKbps);
    if (r.DroppedFrames != null) {
      // A cumulative counter: the first sample is the baseline; a decrease is a reset.
      if (droppedPrev === null) droppedFrames = 0;
      else droppedFrames! += r.DroppedFrames >= droppedPrev ? r.DroppedFrames - droppedPrev : r.DroppedFrames;
      droppedPrev = r.DroppedFrames;
    }
    if (r.EventType === 'error') errorCount++;
    if (!started || i < firstFrame) continue; // startup: nothing is a stall
    if (i === firstFrame) {
      state = 'playing';
      continue;
    }
    const closeStall = () => {
      if (state === 'stalled') stallMs += openStallMs;
    };
    switch (r.EventType) {
      case 'play':
      case 'playing':
        closeStall();
        state = 'playing';
        break;
      case 'pause':
        closeStall();
        state = 'paused';
        break;
      case 'seek':
        closeStall();
        state = 'seeking';
        break;
      case 'end':
        closeStall();
        state = 'ended';
        break;
      case 'error':
        if (r.Fatal === true) {
          closeStall();
          state = 'ended';
        }
        break;
      case 'stall_start':
        if (state !== 'stalled') {
          state = 'stalled';
          stallCount++;
          openStallMs = 0;
        }
        break;
      case 'stall_end':
        if (state === 'stalled') {
          stallMs += r.StallMs ?? openStallMs;
          state = 'playing';
        } else if (r.StallMs != null) {
          // Its start was never reported (a CMCD target of `t` reports only): a stall of StallMs that
          // ended here, its time taken out of the play time of the interval before it.
          const cut = Math.min(r.StallMs, playedMs);
          stallCount++;
          stallMs += r.StallMs;
          playTimeMs -= cut;
          if (heldBefore !== null) {
            bitrateMs -= heldBefore * cut;
            bitrateWeightMs -= cut;
          }
          state = 'playing';
        }
        break;
      case 'waiting':
        if (state !== 'stalled') state = 'waiting';
        break;
      default: // heartbeat, seeked, quality_change, request, response, other: no state change
    }
  }
  if (state === 'stalled') stallMs += openStallMs; // quit during a stall

  // Section 1.5: heard from last by the server (a row without ReceivedAt: its Timestamp).
  let lastReceived = -Infinity;
  for (const x of all) {
    const ms = x.r.ReceivedAt ? Date.parse(x.r.ReceivedAt) : NaN;
    lastReceived = Math.max(lastReceived, Number.isFinite(ms) ? ms : x.t);
  }
  const inactive = evaluationMs - lastReceived >= timeoutMs;
  const vsf = terminal !== undefined && isFatalError(terminal) && !started;
  const playbackFailure = terminal !== undefined && isFatalError(terminal) && started;
  const attempt = started || vsf || play.some((x) => x.r.EventType === 'start');
  const ended = terminal !== undefined || inactive;
  const undecided = attempt && !started && !vsf;
  const lastSeen = play[play.length - 1]!.t;

  let videoStartTimeMs: number | null = null;
  if (started) {
    const ff = play[firstFrame]!;
    const start = play.find((x) => x.r.EventType === 'start');
    if (ff.r.EventType === 'play' && ff.r.StartupMs != null) videoStartTimeMs = ff.r.StartupMs;
    else if (start && start.t <= ff.t) videoStartTimeMs = ff.t - start.t;
  }
  const rebufferingRatio = playTimeMs + stallMs > 0 ? stallMs / (playTimeMs + stallMs) : null;
  const avgBitrateKbps = bitrateWeightMs > 0 ? bitrateMs / bitrateWeightMs : null;

  return {
    sessionId: all[0]!.r.SessionId,
    source: all[0]!.r.Source ?? '',
    firstSeenAt: iso(play[0]!.t),
    lastSeenAt: iso(lastSeen),
    attempt,
    firstFrameAt: started ? iso(play[firstFrame]!.t) : null,
    videoStartTimeMs,
    vsf,
    vsfKind: vsf ? (isBusinessErrorCode(terminal!.ErrorCode) ? 'business' : 'technical') : null,
    ebvs: undecided && ended,
    starting: undecided && !ended,
    ended,
    playEndAt: !started ? null : terminal ? iso(play[terminalAt]!.t) : inactive ? iso(lastSeen) : null,
    playbackFailure,
    stallCount,
    stallMs,
    playTimeMs,
    rebufferingRatio,
    avgBitrateKbps,
    bitrateUpSwitches: up,
    bitrateDownSwitches: down,
    droppedFrames,
    errorCount,
    qoeScore: qoeScore({ attempt, started, vsf, playbackFailure, videoStartTimeMs, rebufferingRatio, avgBitrateKbps, topBitrate }),
    dimensions: dimensionsOf(all),
  };
}

/** Section 4: 100 * success * cbrt(startup * smooth * quality); null when no video was seen and nothing failed. */
export function qoeScore(s: {
  attempt: boolean;
  started: boolean;
  vsf: boolean;
  playbackFailure: boolean;
  videoStartTimeMs: number | null;
  rebufferingRatio: number | null;
  avgBitrateKbps: number | null;
  topBitrate: number | null;
}): number | null {
  if (s.vsf || s.playbackFailure) return 0;
  if (!s.attempt || !s.started) return null;
  const startup = s.videoStartTimeMs === null ? 1 : 1 / (1 + Math.max(0, s.videoStartTimeMs - 1000) / 4000);
  const smooth = s.rebufferingRatio === null ? 1 : 1 / (1 + 20 * s.rebufferingRatio);
  const quality = s.avgBitrateKbps === null || !s.topBitrate ? 1 : Math.min(1, s.avgBitrateKbps / s.topBitrate);
  return 100 * Math.cbrt(startup * smooth * quality);
}

/** Each dimension: the earliest row's non-empty value (all rows, play order). */
function dimensionsOf(all: Row[]): SessionDimensions {
  const out = {} as SessionDimensions;
  for (const col of SESSION_DIMENSION_COLUMNS) {
    const found = all.find((x) => x.r[col] !== null && x.r[col] !== undefined && x.r[col] !== '');
    out[col] = found ? (found.r[col] as string | number) : null;
  }
  return out;
}
