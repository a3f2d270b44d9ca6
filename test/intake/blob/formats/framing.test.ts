// Caps and ranges over raw bytes: an over-long record is rejected with its reason and the reader
// goes on with the next; consecutive byte ranges cover every line of a file exactly once.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteLines, cutRange, type FileRecord } from '../../../../src/intake/blob/formats/framing.js';
import { readRecords } from '../../../../src/intake/blob/formats/read.js';
import type { FileFormat } from '../../../../src/intake/blob/formats/detect.js';
import { toCandidate } from '../../../../src/intake/blob/prepare.js';

const chunked = (bytes: Buffer, size: number) =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));

async function read(bytes: Buffer, format: FileFormat, max: number, chunk = 64 * 1024): Promise<FileRecord[]> {
  const out: FileRecord[] = [];
  // as the prepare step sees them (an NDJSON line parsed)
  for await (const r of readRecords(chunked(bytes, chunk), format, false, max)) out.push({ ...r, ...toCandidate(r) });
  return out;
}

/** The lines of one range of `text`, read the way the worker reads it: a download from `start`, cut. */
async function rangeLines(text: Buffer, start: number, end: number, chunk: number): Promise<string[]> {
  const cut = chunked(text.subarray(start), chunk).pipe(cutRange({ skipFirstLine: start > 0, length: end - start }));
  const out: string[] = [];
  for await (const l of byteLines(cut, 1 << 20)) out.push(l.data.toString());
  return out;
}

describe('record caps', () => {
  it('rejects one 32 MB NDJSON line with its reason, without keeping it, and reads the records around it', async () => {
    const big = Buffer.alloc(32 * 1024 * 1024, 0x61);
    const file = Buffer.concat([Buffer.from('{"a":1}\n{"s":"'), big, Buffer.from('"}\n{"a":3}\n')]);
    const out = await read(file, 'ndjson', 1024 * 1024);
    expect(out.map((r) => r.value)).toEqual([{ a: 1 }, undefined, { a: 3 }]);
    expect(out[1]).toMatchObject({
      line: 2,
      raw: '',
      error: expect.stringMatching(/^line 2: 33554440 bytes, longer than the 1048576-byte limit \(skipped\)$/),
    });
  });

  it('rejects an over-long JSON-array element and a CSV line over the cap, and goes on', async () => {
    const arr = await read(Buffer.from(`[{"a":1},{"s":"${'x'.repeat(5000)}"},{"a":3}]`), 'json-array', 1024, 100);
    expect(arr.map((r) => r.value)).toEqual([{ a: 1 }, undefined, { a: 3 }]);
    expect(arr[1]!.error).toMatch(/^element 2: \d+ bytes, longer than the 1024-byte limit/);
    const csv = await read(Buffer.from(`sessionId,seq\ns,1\ns,${'9'.repeat(5000)}\ns,3\n`), 'csv', 1024, 100);
    expect(csv.map((r) => r.value ?? r.error)).toEqual([
      { sessionId: 's', seq: 1 },
      expect.stringMatching(/^line 3: 5002 bytes, longer than/),
      { sessionId: 's', seq: 3 },
    ]);
    expect(csv.map((r) => r.line)).toEqual([2, 3, 4]);
  });
});

describe('byte ranges', () => {
  it('cover every line exactly once, whatever the range size and chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ maxLength: 12 }).map((s) => s.replace(/\n/g, '')),
          { maxLength: 30 },
        ),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        async (lines, rangeSize, chunk, trailingNewline) => {
          const text = Buffer.from(lines.join('\n') + (trailingNewline && lines.length ? '\n' : ''));
          const got: string[] = [];
          for (let start = 0; start < text.length; start += rangeSize)
            got.push(...(await rangeLines(text, start, Math.min(start + rangeSize, text.length), chunk)));
          const expected: string[] = [];
          for await (const l of byteLines(Readable.from([text]), 1 << 20)) expected.push(l.data.toString());
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 300, seed: 15 },
    );
  });

  it('puts the CSV header in front of a range', async () => {
    const cut = Readable.from([Buffer.from('s,1\ns,2\ns,3\n')]).pipe(
      cutRange({ skipFirstLine: true, length: 5, header: Buffer.from('sessionId,seq\n') }),
    );
    const out: FileRecord[] = [];
    for await (const r of readRecords(cut, 'csv', false, 1024)) out.push(r);
    expect(out.map((r) => r.value)).toEqual([{ sessionId: 's', seq: 2 }]);
  });
});
