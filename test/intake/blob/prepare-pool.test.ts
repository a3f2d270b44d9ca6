// The prepare threads: a batch prepared on a thread is byte for byte what this thread makes of it,
// answers find their batch however many are out, and a thread that cannot work fails its batches
// with the reason instead of hanging the work item.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { Enricher } from '../../../src/enrich/enricher.js';
import { readRecords } from '../../../src/intake/blob/formats/read.js';
import type { FileFormat } from '../../../src/intake/blob/formats/detect.js';
import { PreparePool } from '../../../src/intake/blob/prepare-pool.js';
import { BatchBuilder, chunkRows, inlinePreparer, type BatchPreparer, type RecordBatch } from '../../../src/intake/blob/prepare.js';
import type { IntakeContext } from '../../../src/pipeline/contract.js';
import { RecordPreparer } from '../../../src/pipeline/prepare.js';
import { decodeRows } from '../../../src/ingest/sink.js';
import { validBeacon } from '../../support/services.js';

const config = loadConfig({});
const limits = { maxStringLength: config.http.maxStringLength, maxUrlLength: config.http.maxUrlLength, maxExtraBytes: 8192 };
const ctx: IntakeContext = {
  source: 'blob',
  sourceRef: 'https://acct.blob.core.windows.net/telemetry/x',
  receivedAt: new Date('2026-12-02T10:00:00Z'),
  sender: {},
};

let pool: PreparePool;
let inline: BatchPreparer;

beforeAll(async () => {
  pool = new PreparePool(2, { enrich: config.enrich, limits });
  inline = inlinePreparer(new RecordPreparer(await Enricher.create(config.enrich), limits));
});
afterAll(() => pool.close());

async function batchOf(text: string, format: FileFormat): Promise<RecordBatch> {
  const b = new BatchBuilder();
  for await (const r of readRecords(Readable.from([Buffer.from(text)]), format, false, 4096)) b.add(r);
  return b.take();
}

// Valid beacons (one with an address where none belongs, one with a BOM and CR), not JSON, not an
// object, one over the cap, blank lines, a multi-byte character.
const ndjsonFile = [
  '\ufeff' + JSON.stringify(validBeacon({ sessionId: 'p-1', seq: 0 })) + '\r',
  JSON.stringify(validBeacon({ sessionId: 'p-1', seq: 1, contentId: 'café ☕' })),
  '',
  '{"sessionId": "p-1", "seq": ',
  '[1,2,3]',
  JSON.stringify(validBeacon({ sessionId: 'p-1', seq: 2, errorMessage: 'fetch from 203.0.113.77 failed' })),
  JSON.stringify({ sessionId: 'p-1', junk: 'x'.repeat(5000) }),
  '   ',
  JSON.stringify(validBeacon({ sessionId: 'p-1', seq: 3 })),
].join('\n');

describe('prepare threads', () => {
  it('prepare a batch to the same rows and rejects, byte for byte, as this thread', async () => {
    for (const [text, format] of [
      [ndjsonFile, 'ndjson'],
      ['sessionId,seq,eventType,timestamp\np-2,0,playing,2026-12-02T10:00:00Z\np-2,x,,\n', 'csv'],
    ] as const) {
      const here = await inline.prepare(await batchOf(text, format), ctx);
      const there = await pool.prepare(await batchOf(text, format), ctx);
      expect(Buffer.from(there.rows).toString()).toEqual(Buffer.from(here.rows).toString());
      expect(there.rowCount).toBe(here.rowCount);
      expect(there.rejected).toEqual(here.rejected);
    }
    const { rows: strings, rejected, encoded } = chunkRows([await pool.prepare(await batchOf(ndjsonFile, 'ndjson'), ctx)]);
    expect(strings).toEqual([]); // the reading thread never decodes them
    const rows = decodeRows(encoded!);
    expect(encoded!.count).toBe(4);
    expect(rows.map((r) => (JSON.parse(r) as { Seq: number }).Seq)).toEqual([0, 1, 2, 3]);
    expect(rows.join('\n')).toContain('café ☕');
    expect(rows.join('\n')).not.toContain('203.0.113.77');
    expect(Buffer.concat(encoded!.parts).toString()).toBe(rows.join('\n') + '\n');
    expect(rejected.map((r) => [r.line, r.errors[0]])).toEqual([
      [7, expect.stringMatching(/^line 7: \d+ bytes, longer than the 4096-byte limit/)],
      [4, expect.stringMatching(/^line 4: invalid JSON/)],
      [5, 'record must be a JSON object'],
    ]);
  });

  it('match every answer to its batch however many are out at once', async () => {
    const texts = Array.from({ length: 24 }, (_, i) =>
      Array.from({ length: 1 + (i % 5) * 40 }, (_, seq) => JSON.stringify(validBeacon({ sessionId: `m-${i}`, seq }))).join('\n'),
    );
    const answers = await Promise.all(texts.map(async (t) => pool.prepare(await batchOf(t, 'ndjson'), ctx)));
    answers.forEach((a, i) => {
      const rows = decodeRows(chunkRows([a]).encoded ?? { parts: [], count: 0 }).map(
        (r) => JSON.parse(r) as { SessionId: string; Seq: number },
      );
      expect(rows.length).toBe(1 + (i % 5) * 40);
      expect(new Set(rows.map((r) => r.SessionId))).toEqual(new Set([`m-${i}`]));
    });
  });

  it('fail their batches with the reason when the enricher cannot load, and never hang', async () => {
    const broken = new PreparePool(1, { enrich: { ...config.enrich, countryDb: '/nonexistent/country.mmdb' }, limits });
    try {
      const batch = await batchOf(ndjsonFile, 'ndjson');
      await expect(broken.prepare(batch, ctx)).rejects.toThrow(/enricher did not load/);
    } finally {
      await broken.close();
    }
    await expect(broken.prepare(await batchOf(ndjsonFile, 'ndjson'), ctx)).rejects.toThrow(/closed/);
  });
});
