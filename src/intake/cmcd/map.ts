// Decoded CMCD keys -> beacon-v1-shaped records, so CMCD goes through the same schema and pipeline
// as JSON beacons (CTA-5004 v1, CTA-5004-B v2). Pure: no Azure, no I/O, nothing from enrich/.
import { CMCD_PARAM } from '@svta/cml-cmcd';
import { errorMessage } from '../../errors.js';
import { isPlainObject } from '../../pipeline/values.js';
import { cmcdFromQuery, decodeCmcdLine, type CmcdKeys } from './decode.js';

/** A beacon-v1-shaped record made from CMCD, or the reason it cannot be one. */
export type CmcdRecord = { value: Record<string, unknown>; error?: undefined } | { value?: undefined; error: string };

export interface CmcdMapOptions {
  /** Event time when the CMCD carries no `ts` (request mode, CDN logs): epoch ms or ISO 8601. */
  fallbackTs?: number | string;
  /** Beacon fields that win over the ones derived from CMCD (for example `cdnHost` from a CDN log line). */
  beacon?: Record<string, unknown>;
}

/** CTA-5004-B `e` (with `sta` for play-state changes) -> beacon event. */
const EVENT_FOR: Record<string, string> = {
  e: 'error',
  bc: 'quality_change',
  rr: 'response',
};

const EVENT_FOR_STATE: Record<string, string> = {
  s: 'start', // starting: play requested
  p: 'playing', // 'play' when it carries msd, 'stall_end' when it carries bsd (see eventFor)
  k: 'seek',
  r: 'stall_start', // rebuffering
  w: 'waiting',
  a: 'pause',
  e: 'end', // ended
  q: 'end', // quit before the end
  f: 'error', // fatal error
};

const STREAM_TYPES: Record<string, string> = { v: 'vod', l: 'live', ll: 'live' };
const STREAMING_FORMATS: Record<string, string> = { d: 'dash', h: 'hls', s: 'smooth', o: 'other', e: 'other' };

// Plausible ranges. A value outside is not copied to a column (it stays in Cmcd, and the record
// says so in Extra.cmcdWarnings): one player bug must not skew a column's percentiles.
const MAX_KBPS = 10_000_000; // 10 Gbit/s
const MAX_BUFFER_MS = 86_400_000; // a day
const MAX_STARTUP_MS = 3_600_000; // an hour
const MAX_STALL_MS = 86_400_000;
const MAX_RESPONSE_MS = 600_000; // ttfb, ttfbb, ttlb: ten minutes; dash.js 5.2 sends an epoch-like ttfb in `rr`

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A number from a bare number or an item `{value, params}`. */
function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (isPlainObject(v) && typeof v.value === 'number') return v.value;
  return undefined;
}

/** True when an object type (`ot`) names video or is unknown: a scalar (v1) value then counts as video. */
function videoOrUnknown(ot: unknown): boolean {
  return ot === undefined || ot === 'v' || ot === 'av';
}

/**
 * The video value of a key: v1 scalar (for a video or unknown object type), or from a v2 inner
 * list with object-type tokens, `(3000;v 96;a)` -> 3000: the `v` entry, else `av`, else an
 * untagged one when the object type allows.
 */
function videoValue(v: unknown, ot: unknown): number | undefined {
  if (typeof v === 'number') return videoOrUnknown(ot) ? v : undefined;
  const items = Array.isArray(v) ? v : isPlainObject(v) ? [v] : [];
  let av: number | undefined;
  let untagged: number | undefined;
  for (const item of items) {
    const n = numberOf(item);
    if (n === undefined) continue;
    const params = isPlainObject(item) && isPlainObject(item.params) ? item.params : undefined;
    if (params?.v === true) return n;
    if (params?.av === true) av ??= n;
    else if (!params || !(params.a || params.c || params.tt || params.m || params.i || params.k || params.o)) untagged ??= n;
  }
  return av ?? (videoOrUnknown(ot) ? untagged : undefined);
}

/** Sum of a list of durations (bsd: one entry per starvation period), or a scalar. */
function sumOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (!Array.isArray(v)) return numberOf(v);
  let sum: number | undefined;
  for (const item of v) {
    const n = numberOf(item);
    if (n !== undefined) sum = (sum ?? 0) + n;
  }
  return sum;
}

function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#:]+|\[[^\]]+\])/i.exec(url);
  return m?.[1]?.toLowerCase();
}

/** The beacon fields derived from CMCD keys, and warnings about values kept out of them. */
class Derived {
  readonly out: Record<string, unknown> = {};
  warnings: string[] | undefined;

  set(field: string, value: unknown): void {
    if (value !== undefined) this.out[field] = value;
  }

  /** `value` when it is a finite number in [0, max] (an integer when asked); otherwise a warning. */
  bounded(key: string, value: number | undefined, max: number, integer = false): number | undefined {
    if (value === undefined) return undefined;
    if (Number.isFinite(value) && value >= 0 && value <= max && (!integer || Number.isInteger(value))) return value;
    (this.warnings ??= []).push(`${key}=${value} is not plausible; kept in Cmcd only`);
    return undefined;
  }
}

/**
 * The beacon event of a CMCD report. `msd` (sent once per session, "starting" to "playing") and
 * `bsd` (sent once a rebuffering is over) mark the first frame and the end of a stall, on a play
 * state change to playing and on a time-interval report alike (CTA-5004-B §8.2.2 puts both on
 * `t` reports): the KPIs count first frames from `play` and stall time from `stall_end`.
 */
function eventFor(k: CmcdKeys): string {
  const e = k.e;
  if (e === undefined) return 'request'; // request mode: query or headers of a media request
  if (e === 'ps' || e === 't') {
    const playing = e === 'ps' ? k.sta === 'p' : k.sta === undefined || k.sta === 'p';
    if (playing && k.msd !== undefined) return 'play';
    if (playing && k.bsd !== undefined) return 'stall_end';
    if (e === 't') return 'heartbeat';
    return (typeof k.sta === 'string' && EVENT_FOR_STATE[k.sta]) || 'other';
  }
  return (typeof e === 'string' && EVENT_FOR[e]) || 'other';
}

/** Beacon fields (not event, ts, seq) derived from CMCD keys: columns for what CMCD knows. */
function deriveFields(k: CmcdKeys, d: Derived): void {
  const ot = k.ot;
  d.set('sessionId', str(k.sid));
  d.set('contentId', str(k.cid));
  d.set('streamType', typeof k.st === 'string' ? STREAM_TYPES[k.st] : undefined);
  d.set('streamingFormat', typeof k.sf === 'string' ? STREAMING_FORMATS[k.sf] : undefined);
  const pt = numberOf(k.pt);
  d.set('playhead', pt !== undefined && Number.isFinite(pt) && Math.abs(pt) <= 1e15 ? pt / 1000 : undefined);
  d.set('bitrateKbps', d.bounded('br', videoValue(k.br, ot) ?? videoValue(k.pb, ot), MAX_KBPS));
  d.set('topBitrateKbps', d.bounded('tb', videoValue(k.tb, ot), MAX_KBPS));
  d.set('bufferMs', d.bounded('bl', videoValue(k.bl, ot), MAX_BUFFER_MS));
  d.set('throughputKbps', d.bounded('mtp', videoValue(k.mtp, undefined), MAX_KBPS));
  // msd is the time from starting to playing: a report still starting (or preloading) cannot know
  // it. dash.js 5.2.1 sends msd=1 on its `sta=s` report; that is not a startup time.
  if (k.msd !== undefined && (k.sta === 's' || k.sta === 'd'))
    (d.warnings ??= []).push(`msd=${String(k.msd)} reported while sta=${k.sta}; not a startup time`);
  else d.set('startupMs', d.bounded('msd', numberOf(k.msd), MAX_STARTUP_MS));
  d.set('stallMs', d.bounded('bsd', sumOf(k.bsd), MAX_STALL_MS));
  d.set('droppedFrames', d.bounded('dfa', numberOf(k.dfa), Number.MAX_SAFE_INTEGER, true));
  const ec = Array.isArray(k.ec) ? k.ec.map((x) => plainString(x)).find((x) => x !== undefined) : plainString(k.ec);
  d.set('errorCode', ec);
  d.set('cdn', str(k.cdn));
  d.set('cdnHost', str(k.h) ?? hostOf(k.url));
}

function plainString(v: unknown): string | undefined {
  if (typeof v === 'string') return v || undefined;
  if (isPlainObject(v) && typeof v.value === 'string') return v.value || undefined;
  return undefined;
}

function responseTimings(k: CmcdKeys, d: Derived): void {
  d.set('ttfbMs', d.bounded('ttfb', numberOf(k.ttfb), MAX_RESPONSE_MS));
  d.set('ttfbbMs', d.bounded('ttfbb', numberOf(k.ttfbb), MAX_RESPONSE_MS));
  d.set('ttlbMs', d.bounded('ttlb', numberOf(k.ttlb), MAX_RESPONSE_MS));
}

/**
 * Decoded CMCD keys -> a beacon-v1-shaped record with `cmcd` set to the keys, or the reason it
 * cannot be one (no `sid`). The pipeline validates it with the beacon schema like any beacon.
 */
export function cmcdToBeacon(keys: CmcdKeys, opts: CmcdMapOptions = {}): CmcdRecord {
  const d = new Derived();
  deriveFields(keys, d);
  responseTimings(keys, d);
  const record: Record<string, unknown> = { v: 1, event: eventFor(keys) };
  // sn counts per reporting mode and target (CTA-5004-B). Only event reports' sn becomes Seq: a
  // request-mode sn (CDN logs, forwarded media requests) of the same sid starts at 0 too, and
  // SessionId + Seq is the dedupe key downstream, so it stays in Cmcd.sn.
  if (keys.e !== undefined) {
    const seq = d.bounded('sn', numberOf(keys.sn), Number.MAX_SAFE_INTEGER, true);
    if (seq !== undefined) record.seq = seq;
  }
  const ts = numberOf(keys.ts) ?? opts.fallbackTs;
  if (ts !== undefined) record.ts = ts;
  Object.assign(record, d.out);
  if (keys.sta === 'f') record.fatal = true;
  if (d.warnings) record.cmcdWarnings = d.warnings;
  record.cmcd = keys;
  if (opts.beacon) Object.assign(record, opts.beacon);
  if (record.sessionId === undefined) {
    return {
      error:
        'sid: missing (or not a string); a CMCD report needs a session id (dash.js: list "sid" in the reporting target\'s enabledKeys)',
    };
  }
  return { value: record };
}

/** One CMCD line (event-report body line, or a CMCD string from anywhere) -> record. */
export function cmcdRecordFromLine(line: string, opts: CmcdMapOptions & { requestCmcd?: CmcdKeys } = {}): CmcdRecord {
  let keys: CmcdKeys;
  try {
    keys = decodeCmcdLine(line);
  } catch (err) {
    return { error: errorMessage(err) };
  }
  return guarded(() => cmcdToBeacon(opts.requestCmcd ? { ...opts.requestCmcd, ...keys } : keys, opts));
}

/** Mapping one record's keys never throws past the record: a surprise becomes its error. */
function guarded(map: () => CmcdRecord): CmcdRecord {
  try {
    return map();
  } catch (err) {
    return { error: `cannot be mapped (${errorMessage(err)})` };
  }
}

/**
 * A URL (absolute, or path and query, as CDN logs write it) with a `CMCD=` query argument ->
 * record; null when the URL carries no CMCD. For CDN log lines: pass the log time as
 * `fallbackTs` (v1 CMCD has no `ts`) and what the log knows as `beacon` (say `{cdnHost}`).
 */
export function cmcdRecordFromUrl(url: string, opts: CmcdMapOptions = {}): CmcdRecord | null {
  const q = url.indexOf('?');
  let query = q >= 0 ? url.slice(q + 1) : url.startsWith(`${CMCD_PARAM}=`) ? url : '';
  const hash = query.indexOf('#');
  if (hash >= 0) query = query.slice(0, hash);
  if (!query) return null;
  let keys: CmcdKeys | null;
  try {
    keys = cmcdFromQuery(query);
  } catch (err) {
    return { error: errorMessage(err) };
  }
  return keys ? guarded(() => cmcdToBeacon(keys, opts)) : null;
}

/**
 * A JSON beacon with CMCD: the request's CMCD goes into its `cmcd` (the beacon's own keys win),
 * and fields the beacon lacks are filled from CMCD (session, content, bitrate, buffer, stall, ...;
 * never event, ts or seq). Beacon fields always win. Returns the beacon unchanged when there is
 * no CMCD; a non-object is returned as is (the schema refuses it).
 */
export function withCmcd(beacon: unknown, requestCmcd?: CmcdKeys): unknown {
  if (!isPlainObject(beacon)) return beacon;
  const own = beacon.cmcd;
  if (own === undefined && !requestCmcd) return beacon;
  if (own !== undefined && !isPlainObject(own)) return beacon; // not an object: the schema says why
  const keys = (requestCmcd ? { ...requestCmcd, ...own } : own) as CmcdKeys;
  const d = new Derived();
  deriveFields(keys, d);
  const out: Record<string, unknown> = { ...beacon, cmcd: keys };
  for (const [field, value] of Object.entries(d.out)) if (out[field] === undefined) out[field] = value;
  if (d.warnings && out.cmcdWarnings === undefined) out.cmcdWarnings = d.warnings;
  return out;
}
