// Beacon (validated) + request dimensions -> the canonical QoeEvent row, keys in column order.
import type { Beacon } from './schema.js';
import { SCHEMA_VERSION, type QoeEvent, type Source } from './qoe-event.js';

/** What enrichment found out about the sender: once per request or file. */
export interface SenderDimensions {
  country: string | null;
  region: string | null;
  city: string | null;
  asn: number | null;
  asnOrg: string | null;
  clientIpPrefix: string | null;
  os: string | null;
  osVersion: string | null;
  browser: string | null;
  browserVersion: string | null;
  deviceType: string | null;
}

/** What enrichment found out about one record. */
export interface RecordDimensions {
  contentId: string | null;
  cdn: string | null;
  manifestUrl: string | null;
}

export interface RowOrigin {
  source: Source;
  sourceRef: string | null;
  /** Server receive time, ISO 8601 UTC. */
  receivedAt: string;
}

const opt = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

const DAY_MS = 86_400_000;
let cachedDay = NaN;
let cachedDayText = '';

/** ISO 8601 UTC with milliseconds. The date part is cached per day: beacons arrive in time order. */
export function toIso(ts: number | string): string {
  const ms = typeof ts === 'number' ? Math.floor(ts) : Date.parse(ts);
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayText = new Date(day * DAY_MS).toISOString().slice(0, 11); // "2026-11-23T"
  }
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  return `${cachedDayText}${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

export function buildQoeEvent(
  b: Beacon,
  extra: Record<string, unknown> | null,
  d: SenderDimensions,
  r: RecordDimensions,
  o: RowOrigin,
): QoeEvent {
  return {
    Timestamp: toIso(b.ts),
    ReceivedAt: o.receivedAt,
    EventType: b.event,
    SessionId: b.sessionId,
    Seq: opt(b.seq),
    ViewerId: opt(b.viewerId),
    ContentId: r.contentId,
    ManifestUrl: r.manifestUrl,
    StreamType: opt(b.streamType),
    StreamingFormat: opt(b.streamingFormat),
    PlayerName: opt(b.playerName),
    PlayerVersion: opt(b.playerVersion),
    Playhead: opt(b.playhead),
    BitrateKbps: opt(b.bitrateKbps),
    TopBitrateKbps: opt(b.topBitrateKbps),
    Width: opt(b.width),
    Height: opt(b.height),
    BufferMs: opt(b.bufferMs),
    ThroughputKbps: opt(b.throughputKbps),
    StartupMs: opt(b.startupMs),
    StallMs: opt(b.stallMs),
    DroppedFrames: opt(b.droppedFrames),
    ErrorCode: b.errorCode === undefined ? null : String(b.errorCode),
    ErrorMessage: opt(b.errorMessage),
    Fatal: opt(b.fatal),
    Country: d.country,
    Region: d.region,
    City: d.city,
    Asn: d.asn,
    AsnOrg: d.asnOrg,
    ClientIpPrefix: d.clientIpPrefix,
    Os: d.os,
    OsVersion: d.osVersion,
    Browser: d.browser,
    BrowserVersion: d.browserVersion,
    DeviceType: d.deviceType,
    Cdn: r.cdn,
    Source: o.source,
    SourceRef: o.sourceRef,
    Cmcd: b.cmcd ?? null,
    Extra: extra,
    SchemaVersion: SCHEMA_VERSION,
  };
}
