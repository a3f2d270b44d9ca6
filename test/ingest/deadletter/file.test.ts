import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileDeadLetterStore } from '../../../src/ingest/deadletter/file.js';
import { glob } from '../../support/files.js';

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('FileDeadLetterStore', () => {
  it('keeps rejected records with their reasons, as readable JSON', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dl-'));
    const store = new FileDeadLetterStore(dir);
    await store.writeRejected({
      source: 'http',
      sourceRef: null,
      receivedAt: new Date('2026-11-23T10:00:00Z'),
      records: [
        { index: 1, errors: ['sessionId: Required'], record: { event: 'play' } },
        { index: 2, errors: ['line 3: invalid JSON'], raw: '{"x":' },
      ],
    });
    const files = await glob(dir, /rejected\/.*\.json$/);
    expect(files).toHaveLength(1);
    const doc = JSON.parse(await readFile(files[0]!, 'utf8'));
    expect(doc).toMatchObject({ kind: 'rejected', source: 'http', count: 2 });
    expect(doc.records[0]).toEqual({ index: 1, errors: ['sessionId: Required'], record: { event: 'play' } });
    expect(doc.records[1].raw).toBe('{"x":');
  });

  it('keeps a failed batch with its rows verbatim and the reason', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dl-'));
    const store = new FileDeadLetterStore(dir);
    const rows = ['{"SessionId":"s1","Seq":1}', '{"SessionId":"s1","Seq":2}'];
    await store.writeFailedBatch({ id: 'b1', table: 'QoeEvents', rows, bytes: 60, createdAt: new Date() }, 'sink kusto failed: 500');
    const files = await glob(dir, /batches\/QoeEvents\/.*b1\.json$/);
    expect(files).toHaveLength(1);
    const doc = JSON.parse(await readFile(files[0]!, 'utf8'));
    expect(doc).toMatchObject({ kind: 'batch', batchId: 'b1', table: 'QoeEvents', reason: 'sink kusto failed: 500', count: 2 });
    expect(doc.rows.map((r: unknown) => JSON.stringify(r))).toEqual(rows);
  });

  it('keeps a note for a record too deep to serialize instead of failing', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dl-'));
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    await new FileDeadLetterStore(dir).writeRejected({
      source: 'http',
      sourceRef: null,
      receivedAt: new Date(),
      records: [{ index: 0, errors: ['too deep'], record: deep }],
    });
    const [file] = await glob(dir, /\.json$/);
    const doc = JSON.parse(await readFile(file!, 'utf8'));
    // kept bounded: the first 32 levels (deeper ones written as "…"), never the 100,000
    expect(doc.records[0]).toMatchObject({ index: 0, errors: ['too deep'] });
    expect(JSON.stringify(doc.records[0]).length).toBeLessThan(4096);
  });
});
