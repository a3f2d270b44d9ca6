// Which reader a dropped file gets: by name and content type, and gzip by its magic bytes too.
import { Readable } from 'node:stream';

export type FileFormat = 'ndjson' | 'json-array' | 'csv' | 'cdnlog';

export function detectFormat(name: string, contentType: string | undefined): { format: FileFormat; gzip: boolean } {
  const lower = name.toLowerCase();
  const type = (contentType ?? '').toLowerCase();
  const gzip = lower.endsWith('.gz') || type.includes('gzip');
  const base = gzip && lower.endsWith('.gz') ? lower.slice(0, -3) : lower;
  if (/(^|[/._-])(cdn|access|edge)[-_]?logs?([/._-]|$)/.test(base) || base.endsWith('.log')) return { format: 'cdnlog', gzip };
  if (base.endsWith('.csv') || type.includes('csv')) return { format: 'csv', gzip };
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl') || type.includes('ndjson') || type.includes('jsonl'))
    return { format: 'ndjson', gzip };
  if (base.endsWith('.json') || type === 'application/json') return { format: 'json-array', gzip }; // sniffed again below
  return { format: 'ndjson', gzip };
}

/**
 * Looks at the first bytes for the gzip magic number and hands back a stream with those bytes
 * still in front. Catches gzip that neither the name nor the content type announce (uploaded with
 * Content-Encoding: gzip, or misnamed), which would otherwise be refused as binary.
 */
export async function sniffGzip(body: Readable): Promise<{ gzip: boolean; stream: Readable }> {
  const source = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let bytes = 0;
  while (bytes < 2) {
    const next = await source.next();
    if (next.done) break;
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    bytes += chunk.length;
  }
  const start = Buffer.concat(head, bytes);
  const rest = async function* (): AsyncGenerator<Buffer> {
    try {
      if (bytes > 0) yield start;
      for (;;) {
        const next = await source.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await source.return?.(); // stopped early (a bad file): let go of the download
    }
  };
  return { gzip: bytes >= 2 && start[0] === 0x1f && start[1] === 0x8b, stream: Readable.from(rest(), { objectMode: false }) };
}
