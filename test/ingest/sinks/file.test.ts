import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSink } from '../../../src/ingest/sinks/file.js';
import type { Batch } from '../../../src/ingest/sink.js';

const batch = (table: string, rows: string[]): Batch => ({
  id: Math.random().toString(36).slice(2),
  table,
  rows,
  bytes: rows.reduce((n, r) => n + r.length + 1, 0),
  createdAt: new Date(),
});

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('FileSink', () => {
  it('appends NDJSON per table per time window', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'filesink-'));
    let now = new Date('2026-11-23T10:00:05Z');
    const sink = new FileSink(dir, 60, () => now);
    await sink.write(batch('QoeEvents', ['{"a":1}', '{"a":2}']));
    await sink.write(batch('QoeEvents', ['{"a":3}']));
    now = new Date('2026-11-23T10:01:00Z');
    await sink.write(batch('QoeEvents', ['{"a":4}']));
    await sink.write(batch('Other', ['{"b":1}']));
    const files = (await readdir(path.join(dir, 'QoeEvents'))).sort();
    expect(files).toEqual(['QoeEvents-20261123T100000Z.ndjson', 'QoeEvents-20261123T100100Z.ndjson']);
    expect(await readFile(path.join(dir, 'QoeEvents', files[0]!), 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
    expect(await readFile(path.join(dir, 'Other', 'Other-20261123T100100Z.ndjson'), 'utf8')).toBe('{"b":1}\n');
  });

  it('never interleaves lines of concurrent batches', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'filesink-'));
    const sink = new FileSink(dir, 3600);
    const batches = Array.from({ length: 50 }, (_, i) =>
      batch(
        'T',
        Array.from({ length: 200 }, (_, j) => JSON.stringify({ i, j, pad: 'p'.repeat(100) })),
      ),
    );
    await Promise.all(batches.map((b) => sink.write(b)));
    const [file] = await readdir(path.join(dir, 'T'));
    const lines = (await readFile(path.join(dir, 'T', file!), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(50 * 200);
    // each batch's rows are contiguous
    const seq = lines.map((l) => JSON.parse(l) as { i: number; j: number });
    for (let k = 0; k < seq.length; k += 200) {
      expect(seq.slice(k, k + 200).every((r, j) => r.i === seq[k]!.i && r.j === j)).toBe(true);
    }
  });

  it('writes a tagged batch once: again under the same tag, concurrently, or after a restart, it adds nothing', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'filesink-'));
    let now = new Date('2026-11-23T10:00:05Z');
    const sink = new FileSink(dir, 60, () => now);
    const tagged = (tag: string, rows: string[]) => ({ ...batch('QoeEvents', rows), tag });
    await Promise.all([sink.write(tagged('blob-aaa', ['{"a":1}', '{"a":2}'])), sink.write(tagged('blob-aaa', ['{"a":1}', '{"a":2}']))]);
    await sink.write(tagged('blob-aaa', ['{"a":1}', '{"a":2}']));
    await sink.write(batch('QoeEvents', ['{"h":1}']));
    now = new Date('2026-11-23T10:05:00Z'); // a later window: the tag is still known
    const restarted = new FileSink(dir, 60, () => now);
    await restarted.write(tagged('blob-aaa', ['{"a":1}', '{"a":2}']));
    await restarted.write(tagged('blob-bbb', ['{"a":3}']));
    await restarted.write(tagged('weird/tag: with spaces', ['{"a":4}']));
    await restarted.write(tagged('weird/tag: with spaces', ['{"a":4}']));
    const files = (await readdir(path.join(dir, 'QoeEvents'))).sort();
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files.slice(0, 3)).toEqual([
      'QoeEvents-20261123T100000Z-blob-aaa.ndjson',
      'QoeEvents-20261123T100000Z.ndjson',
      'QoeEvents-20261123T100500Z-blob-bbb.ndjson',
    ]);
    const all = (await Promise.all(files.map((f) => readFile(path.join(dir, 'QoeEvents', f), 'utf8')))).join('');
    expect(all.trimEnd().split('\n').sort()).toEqual(['{"a":1}', '{"a":2}', '{"a":3}', '{"a":4}', '{"h":1}']);
  });
});
