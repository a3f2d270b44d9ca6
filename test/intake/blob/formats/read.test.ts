import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Candidate as FileRecord } from '../../../../src/pipeline/contract.js';
import { detectFormat, type FileFormat } from '../../../../src/intake/blob/formats/detect.js';
import { readRecords } from '../../../../src/intake/blob/formats/read.js';
import { toCandidate } from '../../../../src/intake/blob/prepare.js';
import { UnreadableFileError } from '../../../../src/errors.js';

async function read(content: string | Buffer, format: FileFormat, gzip = false, chunk = 7, compress = gzip): Promise<FileRecord[]> {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const payload = compress ? zlib.gzipSync(bytes) : bytes;
  // small chunks: record boundaries fall inside chunks and inside strings
  const chunks = Array.from({ length: Math.ceil(payload.length / chunk) }, (_, i) => payload.subarray(i * chunk, (i + 1) * chunk));
  const out: FileRecord[] = [];
  // as the prepare step sees them (an NDJSON line parsed)
  for await (const r of readRecords(Readable.from(chunks), format, gzip)) out.push(toCandidate(r));
  return out;
}

describe('file formats', () => {
  it('detects format and gzip from name and content type', () => {
    expect(detectFormat('a/b/events.ndjson.gz', undefined)).toEqual({ format: 'ndjson', gzip: true });
    expect(detectFormat('x.jsonl', 'application/octet-stream')).toEqual({ format: 'ndjson', gzip: false });
    expect(detectFormat('x.csv', undefined)).toEqual({ format: 'csv', gzip: false });
    expect(detectFormat('x.json', undefined)).toEqual({ format: 'json-array', gzip: false });
    expect(detectFormat('export', 'application/gzip')).toEqual({ format: 'ndjson', gzip: true });
  });

  it('reads NDJSON with line numbers, reporting a bad line and keeping the rest', async () => {
    const out = await read('{"a":1}\n\n{"a":\n{"a":3}\r\n', 'ndjson');
    expect(out.map((r) => [r.line, r.value])).toEqual([
      [1, { a: 1 }],
      [3, undefined],
      [4, { a: 3 }],
    ]);
    expect(out[1]!.error).toMatch(/^line 3: invalid JSON/);
  });

  it('streams a JSON array element by element, strings with brackets, commas and escapes included', async () => {
    const records = [{ s: 'a],[b{"}' }, { n: [1, [2, { x: '\\"' }]] }, { e: 'quote \\" and \\\\' }, {}];
    const out = await read(JSON.stringify(records, null, 1), 'json-array', true, 5);
    expect(out.map((r) => r.value)).toEqual(records);
    expect(out.map((r) => r.line)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a truncated JSON array and a .json file that is no array', async () => {
    await expect(read('[{"a":1},{"a":2}', 'json-array')).rejects.toBeInstanceOf(UnreadableFileError);
    await expect(read('{"a":1}', 'json-array')).rejects.toBeInstanceOf(UnreadableFileError);
  });

  it('reads CSV by header, with numbers and booleans typed and quoted cells kept', async () => {
    const csv =
      'sessionId,seq,event,ts,errorMessage,fatal,bitrateKbps\ns1,1,play,1795428000000,,false,3200\ns1,2,error,1795428001000,"bad, ""quoted"" thing",true,\n';
    const out = await read(csv, 'csv', true);
    expect(out.map((r) => r.value)).toEqual([
      { sessionId: 's1', seq: 1, event: 'play', ts: 1795428000000, fatal: false, bitrateKbps: 3200 },
      { sessionId: 's1', seq: 2, event: 'error', ts: 1795428001000, errorMessage: 'bad, "quoted" thing', fatal: true },
    ]);
    expect(out.map((r) => r.line)).toEqual([2, 3]);
  });

  it('recognises gzip by its magic bytes when neither name nor content type say so (Content-Encoding: gzip)', async () => {
    const gz = zlib.gzipSync(Buffer.from('{"a":1}\n{"a":2}\n'));
    expect((await read(gz, 'ndjson', false, 7, false)).map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect((await read(gz, 'ndjson', false, 1, false)).map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(await read('', 'ndjson')).toEqual([]);
  });

  it('calls corrupt gzip and binary files unreadable', async () => {
    const gz = zlib.gzipSync(Buffer.from('{"a":1}\n'.repeat(1000)));
    const mid = Math.floor(gz.length / 2);
    gz.writeUInt8(gz.readUInt8(mid) ^ 0xff, mid);
    gz.writeUInt8(gz.readUInt8(mid + 1) ^ 0xff, mid + 1);
    await expect(read(gz, 'ndjson', true, 64, false)).rejects.toBeInstanceOf(UnreadableFileError);
    await expect(read(Buffer.from('not gzip at all'), 'ndjson', true, 7, false)).rejects.toBeInstanceOf(UnreadableFileError);
    await expect(read(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'ndjson')).rejects.toThrow(/binary/);
  });

  it('calls a file dominated by invalid UTF-8 binary even without NUL bytes, before reading a record of it, but keeps a stray Latin-1 byte', async () => {
    let x = 12345;
    const noise = Buffer.alloc(200 * 1024, 0).map(() => 0x80 + ((x = (x * 1103515245 + 12345) >>> 0) % 0x7f));
    const got: FileRecord[] = [];
    const reading = (async () => {
      for await (const r of readRecords(Readable.from([Buffer.from('{"a":1}\n'), noise]), 'ndjson', false)) got.push(r);
    })();
    await expect(reading).rejects.toThrow(/binary, not text \(\d+% of its first 4096 bytes are not UTF-8 text\)/);
    expect(got).toEqual([]);
    const latin1 = Buffer.concat([Buffer.from('{"contentId":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"a":2}\n')]);
    expect((await read(latin1, 'ndjson')).map((r) => r.value)).toEqual([{ contentId: 'caf\ufffd' }, { a: 2 }]);
  });
});
