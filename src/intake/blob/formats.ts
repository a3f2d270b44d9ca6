// Streaming record readers for dropped files: NDJSON, a JSON array, CSV with a header row (and
// gzip of any of them). Memory stays bounded by one record, never one file.
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse';
import { cmcdRecordFromUrl } from '../cmcd.js';

export type FileFormat = 'ndjson' | 'json-array' | 'csv' | 'cdnlog';

export interface FileRecord {
  /** Parsed record, or the reason it could not be parsed. */
  value?: unknown;
  error?: string;
  raw?: string;
  /** 1-based line (NDJSON, CSV) or element number (JSON array). */
  line: number;
  /** The client a CDN log line names (its address is reduced to a prefix like any other). */
  sender?: { clientIp?: string; userAgent?: string };
}

/** Unreadable as a whole: corrupt gzip, binary content. Dead-lettered whole, never retried. */
export class UnreadableFileError extends Error {
  override name = 'UnreadableFileError';
}

export function detectFormat(name: string, contentType: string | undefined): { format: FileFormat; gzip: boolean } {
  const lower = name.toLowerCase();
  const type = (contentType ?? '').toLowerCase();
  const gzip = lower.endsWith('.gz') || type.includes('gzip');
  const base = gzip && lower.endsWith('.gz') ? lower.slice(0, -3) : lower;
  if (/(^|[/._-])(cdn|access|edge)[-_]?logs?([/._-]|$)/.test(base) || base.endsWith('.log')) return { format: 'cdnlog', gzip };
  if (base.endsWith('.csv') || type.includes('csv')) return { format: 'csv', gzip };
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl') || type.includes('ndjson') || type.includes('jsonl')) return { format: 'ndjson', gzip };
  if (base.endsWith('.json') || type === 'application/json') return { format: 'json-array', gzip }; // sniffed again below
  return { format: 'ndjson', gzip };
}

const RAW_KEEP = 4096;

/** Refuses binary content early: NUL bytes do not occur in text telemetry. */
function textGuard(): Transform {
  let checked = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (checked < 64 * 1024) {
        const window = chunk.subarray(0, 64 * 1024 - checked);
        checked += window.length;
        if (window.includes(0)) return done(new UnreadableFileError('file is binary, not text (NUL bytes)'));
      }
      done(null, chunk);
    },
  });
}

async function* lines(source: Readable): AsyncGenerator<string> {
  let rest = '';
  source.setEncoding('utf8');
  for await (const chunk of source as AsyncIterable<string>) {
    rest += chunk;
    let nl: number;
    let start = 0;
    while ((nl = rest.indexOf('\n', start)) >= 0) {
      yield rest.slice(start, nl);
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  if (rest) yield rest;
}

async function* ndjson(source: Readable): AsyncGenerator<FileRecord> {
  let line = 0;
  for await (const text of lines(source)) {
    line++;
    const t = text.trim();
    if (!t) continue;
    try {
      yield { value: JSON.parse(t), line };
    } catch (err) {
      yield { error: `line ${line}: invalid JSON (${(err as Error).message})`, raw: t.slice(0, RAW_KEEP), line };
    }
  }
}

/**
 * Elements of a top-level JSON array, one at a time. Hand-written rather than a token-level
 * streaming parser because it only has to find element boundaries (depth, strings, escapes) and
 * leaves parsing to JSON.parse, which keeps it near JSON.parse speed.
 */
async function* jsonArray(source: Readable): AsyncGenerator<FileRecord> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let element = '';
  let index = 0;
  source.setEncoding('utf8');
  const emit = function* (): Generator<FileRecord> {
    const t = element.trim();
    element = '';
    if (!t) return;
    index++;
    try {
      yield { value: JSON.parse(t), line: index };
    } catch (err) {
      yield { error: `element ${index}: invalid JSON (${(err as Error).message})`, raw: t.slice(0, RAW_KEEP), line: index };
    }
  };
  for await (const chunk of source as AsyncIterable<string>) {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (!started) {
        if (c === 0x5b /* [ */) {
          started = true;
          from = i + 1;
        } else if (c > 0x20 && c !== 0xfeff) throw new UnreadableFileError('a .json file must hold one JSON array of records');
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d) depth--;
      else if (c === 0x5d) {
        if (depth === 0) {
          element += chunk.slice(from, i);
          yield* emit();
          return;
        }
        depth--;
      } else if (c === 0x2c && depth === 0) {
        element += chunk.slice(from, i);
        from = i + 1;
        yield* emit();
      }
    }
    if (started) element += chunk.slice(from);
  }
  if (started) throw new UnreadableFileError('JSON array is not closed (file truncated?)');
}

const NUMERIC = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** CSV cells are text; a beacon field wants numbers and booleans where they look like them. */
function csvValue(cell: string): unknown {
  if (cell === '') return undefined;
  if (NUMERIC.test(cell)) return Number(cell);
  if (cell === 'true' || cell === 'false') return cell === 'true';
  return cell;
}

async function* csv(source: Readable): AsyncGenerator<FileRecord> {
  const parser = source.pipe(parseCsv({ columns: false, relax_column_count: true, skip_empty_lines: true, bom: true, info: true }));
  let header: string[] | undefined;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = record.map((h) => h.trim());
      continue;
    }
    const value: Record<string, unknown> = {};
    header.forEach((h, i) => {
      const v = csvValue(record[i] ?? '');
      if (h && v !== undefined) value[h] = v;
    });
    yield { value, line: info.lines };
  }
}

/**
 * CDN access logs: W3C extended / CloudFront-style lines under a `#Fields:` header (tab or space
 * separated), or JSON lines with a `url`. Each request whose URL carries `CMCD=` becomes one
 * record (Source = cdnlog) with the log's time, client address, User-Agent and host; requests
 * without CMCD are not QoE data and are skipped.
 */
async function* cdnlog(source: Readable): AsyncGenerator<FileRecord> {
  let fields: string[] | undefined;
  let line = 0;
  for await (const text of lines(source)) {
    line++;
    const t = text.trim();
    if (!t) continue;
    if (t.startsWith('#')) {
      if (/^#Fields:/i.test(t)) fields = t.slice(8).trim().split(/\s+/);
      continue;
    }
    let get: (name: string) => string | undefined;
    if (t.startsWith('{')) {
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(t) as Record<string, unknown>;
      } catch (err) {
        yield { error: `line ${line}: invalid JSON (${(err as Error).message})`, raw: t.slice(0, RAW_KEEP), line };
        continue;
      }
      get = (name) => (obj[name] === undefined || obj[name] === null ? undefined : String(obj[name]));
    } else if (fields) {
      const cells = t.split(t.includes('\t') ? '\t' : /\s+/);
      const row = new Map(fields.map((f, i) => [f.toLowerCase(), cells[i]]));
      get = (name) => {
        const v = row.get(name.toLowerCase());
        return v === undefined || v === '-' ? undefined : v;
      };
    } else {
      yield { error: `line ${line}: a log line before any #Fields: header`, raw: t.slice(0, RAW_KEEP), line };
      continue;
    }
    const url = get('url') ?? get('uri') ?? get('request_uri') ?? joinUrl(get('cs-uri-stem'), get('cs-uri-query'));
    if (!url) continue;
    const date = get('date');
    const time = get('time');
    const ts = get('timestamp') ?? get('time_iso8601') ?? (date && time ? `${date}T${time}Z` : undefined);
    const host = get('cs(host)') ?? get('x-host-header') ?? get('host');
    const record = cmcdRecordFromUrl(url, { fallbackTs: ts, beacon: host ? { cdnHost: host } : undefined });
    if (!record) continue;
    const ua = get('cs(user-agent)') ?? get('user_agent') ?? get('useragent');
    const sender = { clientIp: get('c-ip') ?? get('client_ip') ?? get('clientip'), userAgent: ua ? safeDecode(ua) : undefined };
    yield record.error === undefined ? { value: record.value, line, sender } : { error: `line ${line}: ${record.error}`, raw: t.slice(0, RAW_KEEP), line };
  }
}

function joinUrl(stem: string | undefined, query: string | undefined): string | undefined {
  if (!stem) return undefined;
  return query ? `${stem}?${query}` : stem;
}

/** CloudFront percent-encodes the User-Agent in its logs. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Records of a file stream, by format; gzip undone on the way. Corrupt gzip / binary -> UnreadableFileError. */
export async function* readRecords(body: Readable, format: FileFormat, gzip: boolean): AsyncGenerator<FileRecord> {
  let source: Readable = body;
  if (gzip) {
    const gunzip = createGunzip();
    body.on('error', (err) => gunzip.destroy(err));
    source = body.pipe(gunzip);
  }
  const guarded = source.pipe(textGuard());
  source.on('error', (err) => guarded.destroy(err));
  const reader = format === 'csv' ? csv(guarded) : format === 'json-array' ? jsonArray(guarded) : format === 'cdnlog' ? cdnlog(guarded) : ndjson(guarded);
  try {
    yield* reader;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (err instanceof UnreadableFileError) throw err;
    if (code.startsWith('Z_') || /incorrect header check|unexpected end of file|invalid (block|distance|stored)/i.test((err as Error).message)) {
      throw new UnreadableFileError(`corrupt gzip: ${(err as Error).message}`);
    }
    if (code.startsWith('CSV_')) throw new UnreadableFileError(`invalid CSV: ${(err as Error).message}`);
    throw err;
  }
}
