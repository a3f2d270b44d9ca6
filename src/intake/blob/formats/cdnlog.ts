// CDN access logs: the requests that carry CMCD, one record each, with the log's client and agent.
import type { Readable } from 'node:stream';
import { errorMessage } from '../../../errors.js';
import { boundedRaw } from '../../../pipeline/values.js';
import { cmcdRecordFromUrl } from '../../cmcd/map.js';
import { reduceAddress } from '../../../enrich/client-ip.js';
import { byteLines, tooLongRecord, type FileRecord } from './framing.js';

/**
 * CDN access logs: W3C extended / CloudFront-style lines under a `#Fields:` header (tab or space
 * separated), or JSON lines with a `url`. Each request whose URL carries `CMCD=` becomes one
 * record (Source = cdnlog) with the log's time, client address, User-Agent and host; requests
 * without CMCD are not QoE data and are skipped.
 */
export async function* cdnlog(source: Readable, maxRecordBytes: number): AsyncGenerator<FileRecord> {
  let fields: string[] | undefined;
  let index = 0;
  for await (const { data, lineNo: line, bytes, tooLong } of byteLines(source, maxRecordBytes)) {
    if (tooLong !== undefined) {
      yield tooLongRecord(index++, line, `line ${line}`, tooLong, maxRecordBytes);
      continue;
    }
    const t = data.toString('utf8').trim();
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
        yield { index: index++, error: `line ${line}: invalid JSON (${errorMessage(err)})`, raw: boundedRaw(t), line, content: t, bytes };
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
      yield { index: index++, error: `line ${line}: a log line before any #Fields: header`, raw: boundedRaw(t), line, content: t, bytes };
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
    const clientIp = get('c-ip') ?? get('client_ip') ?? get('clientip');
    const sender = { clientIp, userAgent: ua ? safeDecode(ua) : undefined };
    yield record.error === undefined
      ? { index: index++, value: record.value, line, sender, content: t, bytes }
      : {
          index: index++,
          error: `line ${line}: ${record.error}`,
          raw: boundedRaw(withClientPrefix(t, clientIp)),
          line,
          content: withClientPrefix(t, clientIp),
          bytes,
        };
  }
}

/** The line as kept in the dead-letter store: its client field written as the client's prefix (boundedRaw scrubs any other address). */
function withClientPrefix(line: string, clientIp: string | undefined): string {
  if (!clientIp) return line;
  return line.split(clientIp).join(reduceAddress(clientIp) ?? '-');
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
