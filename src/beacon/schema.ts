// The public contract: QoE beacon schema version 1 (documented in docs/beacon-schema.md).
// Built once per process from the configured limits, then reused for every record.
import { z } from 'zod';

export const EVENT_TYPES = [
  'start', // play requested (startup timer starts)
  'play', // first frame rendered / playback started (carries startupMs)
  'playing', // playback resumed after pause, seek or stall
  'pause',
  'seek', // seek started
  'seeked',
  'waiting', // buffer ran dry (dash.js "waiting"); alias of stall_start
  'stall_start',
  'stall_end', // carries stallMs
  'quality_change', // carries bitrateKbps, width, height
  'error', // carries errorCode, errorMessage, fatal
  'heartbeat', // periodic sample of playhead, buffer, throughput, dropped frames
  'end', // session ended (ended, page hidden/unloaded, player reset)
  'request', // CMCD request mode: the CMCD a media request carried (query argument, headers, CDN log)
  'response', // CMCD `rr` (response received): one media response, timings in Extra, all keys in Cmcd
  'other', // any other CMCD event (mute, backgrounded, ads, custom, ...): Cmcd.e says which
] as const;
export type BeaconEventType = (typeof EVENT_TYPES)[number];

export const STREAM_TYPES = ['vod', 'live'] as const;
export const STREAMING_FORMATS = ['dash', 'hls', 'smooth', 'progressive', 'other'] as const;

export interface BeaconLimits {
  maxStringLength: number;
  maxUrlLength: number;
}

// Client timestamps before 2000 or after 2100 are clock garbage, not data.
const MIN_TS = Date.UTC(2000, 0, 1);
const MAX_TS = Date.UTC(2100, 0, 1);

export function createBeaconSchema(limits: BeaconLimits) {
  const str = z.string().max(limits.maxStringLength);
  const id = z.string().min(1).max(Math.min(limits.maxStringLength, 256));
  const url = z.string().max(limits.maxUrlLength);
  const nonNeg = z.number().nonnegative().max(1e12); // finite, and no absurd magnitudes
  const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
  // Every check here must be expressible in JSON Schema: the hot path validates with the JSON
  // Schema generated from this zod schema (see validate.ts), so no refine() or transform().
  const timestamp = z.union([
    z.number().min(MIN_TS).max(MAX_TS),
    z.iso.datetime({ offset: true }).regex(/^20\d\d-/, 'year must be 2000..2099'),
  ]);

  return z.object({
    /** Schema version; 1 when absent. */
    v: z.literal(1).optional(),
    sessionId: id,
    seq: count.optional(),
    event: z.enum(EVENT_TYPES),
    /** Client time: epoch milliseconds or an ISO 8601 string with offset. */
    ts: timestamp,
    viewerId: id.optional(),
    contentId: id.optional(),
    manifestUrl: url.optional(),
    streamType: z.enum(STREAM_TYPES).optional(),
    streamingFormat: z.enum(STREAMING_FORMATS).optional(),
    playerName: str.optional(),
    playerVersion: str.optional(),
    /** Seconds from the start of the content (or of the live window). */
    playhead: z.number().min(-1e9).max(1e12).optional(),
    bitrateKbps: nonNeg.optional(),
    topBitrateKbps: nonNeg.optional(),
    width: count.max(100_000).optional(),
    height: count.max(100_000).optional(),
    bufferMs: nonNeg.optional(),
    throughputKbps: nonNeg.optional(),
    startupMs: nonNeg.optional(),
    stallMs: nonNeg.optional(),
    droppedFrames: count.optional(),
    errorCode: z.union([str, z.number().int()]).optional(),
    errorMessage: str.optional(),
    fatal: z.boolean().optional(),
    /** CDN name when the player knows it, e.g. from a response header. */
    cdn: str.optional(),
    /** Host that served the last media segment, for CDN host rules. */
    cdnHost: str.optional(),
    /** Response headers of the last segment (server, via, x-cache, x-served-by, ...), for CDN hints. */
    cdnHeaders: z.record(z.string().max(64), str).optional(),
    /** CMCD keys as an object (CTA-5004 names), e.g. {"br": 3200, "bl": 12000}. */
    cmcd: z.record(z.string().max(64), z.unknown()).optional(),
  });
}

export type BeaconSchema = ReturnType<typeof createBeaconSchema>;
export type Beacon = z.output<BeaconSchema>;

/** Field names of the schema; anything else a record carries goes to the Extra column. */
export const BEACON_FIELDS: ReadonlySet<string> = new Set(Object.keys(createBeaconSchema({ maxStringLength: 16, maxUrlLength: 64 }).shape));

/** Readable per-record errors: "field: message". */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.slice(0, 10).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
}
