import { describe, expect, it } from 'vitest';
import { GroupCommitBatcher, type BatcherOptions } from '../../src/ingest/batcher.js';
import { NotDurableError } from '../../src/errors.js';
import { batchDocument, type DeadLetterStore, type RejectedEntry } from '../../src/ingest/deadletter/store.js';
import { PermanentError } from '../../src/ingest/retry.js';
import { batchRows, rowCount, type Batch, type Sink } from '../../src/ingest/sink.js';

class MemorySink implements Sink {
  readonly name = 'memory';
  batches: Batch[] = [];
  calls = 0;
  constructor(private readonly behave: (b: Batch, call: number) => Promise<void> = async () => {}) {}
  async write(batch: Batch): Promise<void> {
    const call = ++this.calls;
    await this.behave(batch, call);
    this.batches.push({ ...batch, rows: [...batch.rows] });
  }
}

class MemoryDeadLetter implements DeadLetterStore {
  readonly name = 'memory-dl';
  batches: Array<{ batch: Batch; reason: string }> = [];
  rejected: RejectedEntry[] = [];
  constructor(private readonly fail = false) {}
  async writeRejected(entry: RejectedEntry) {
    if (this.fail) throw new Error('dead-letter down');
    this.rejected.push(entry);
  }
  async writeFailedBatch(batch: Batch, reason: string) {
    if (this.fail) throw new Error('dead-letter down');
    this.batches.push({ batch, reason });
  }
}

const opts = (o: Partial<BatcherOptions> = {}): BatcherOptions => ({
  maxRecords: 1000,
  maxBytes: 1 << 20,
  maxDelayMs: 20,
  retry: { maxAttempts: 3, baseMs: 1, maxMs: 2 },
  ...o,
});

describe('GroupCommitBatcher', () => {
  it('shares batches between concurrent submitters: far fewer sink writes than requests', async () => {
    const sink = new MemorySink(() => new Promise((r) => setTimeout(r, 5)));
    const batcher = new GroupCommitBatcher(sink, new MemoryDeadLetter(), opts());
    const n = 300;
    await Promise.all(Array.from({ length: n }, (_, i) => batcher.submit('T', [`{"i":${i}}`])));
    expect(sink.calls).toBeLessThanOrEqual(5);
    const all = sink.batches.flatMap((b) => b.rows);
    expect(all).toHaveLength(n);
    expect(new Set(all).size).toBe(n);
  });

  it('resolves a submit only after the batch holding its rows was written', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sink = new MemorySink(() => gate);
    const batcher = new GroupCommitBatcher(sink, new MemoryDeadLetter(), opts({ maxDelayMs: 1 }));
    let done = false;
    const p = batcher.submit('T', ['{"a":1}']).then((o) => {
      done = true;
      return o;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(sink.calls).toBe(1);
    expect(done).toBe(false);
    release();
    const outcome = await p;
    expect(done).toBe(true);
    expect(outcome[0]!.via).toBe('sink');
    expect(sink.batches[0]!.rows).toEqual(['{"a":1}']);
  });

  it('seals at max records and at max bytes, keeping every row once and in order', async () => {
    const sink = new MemorySink();
    const batcher = new GroupCommitBatcher(sink, new MemoryDeadLetter(), opts({ maxRecords: 10, maxDelayMs: 1000 }));
    const rows = Array.from({ length: 25 }, (_, i) => `{"i":${i}}`);
    const submitted = batcher.submit('T', rows);
    await new Promise((r) => setTimeout(r, 20));
    // two full batches went at once; the last five wait for the delay timer, which flush() cuts short
    expect(sink.batches.map((b) => b.rows.length)).toEqual([10, 10]);
    await batcher.flush();
    await submitted;
    expect(sink.batches.map((b) => b.rows.length)).toEqual([10, 10, 5]);
    expect(sink.batches.flatMap((b) => b.rows)).toEqual(rows);

    const bySize = new MemorySink();
    const b2 = new GroupCommitBatcher(bySize, new MemoryDeadLetter(), opts({ maxBytes: 1024, maxDelayMs: 1 }));
    const big = Array.from({ length: 10 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(300) }));
    await b2.submit('T', big);
    expect(bySize.batches.length).toBeGreaterThanOrEqual(4);
    for (const b of bySize.batches) expect(b.bytes).toBeLessThanOrEqual(1024);
    expect(bySize.batches.flatMap((b) => b.rows)).toEqual(big);
  });

  it('keeps tables apart', async () => {
    const sink = new MemorySink();
    const batcher = new GroupCommitBatcher(sink, new MemoryDeadLetter(), opts({ maxDelayMs: 5 }));
    await Promise.all([batcher.submit('A', ['1']), batcher.submit('B', ['2']), batcher.submit('A', ['3'])]);
    const byTable = Object.fromEntries(sink.batches.map((b) => [b.table, b.rows]));
    expect(byTable).toEqual({ A: ['1', '3'], B: ['2'] });
  });

  it('retries transient sink errors, then succeeds', async () => {
    const sink = new MemorySink(async (_b, call) => {
      if (call < 3) throw new Error('503 from sink');
    });
    const batcher = new GroupCommitBatcher(sink, new MemoryDeadLetter(), opts());
    const [o] = await batcher.submit('T', ['x']);
    expect(o!.via).toBe('sink');
    expect(sink.calls).toBe(3);
    expect(batcher.stats.sinkRetries).toBe(2);
  });

  it('dead-letters a batch the sink keeps failing, after all attempts', async () => {
    const sink = new MemorySink(async () => {
      throw new Error('sink down');
    });
    const dl = new MemoryDeadLetter();
    const batcher = new GroupCommitBatcher(sink, dl, opts({ retry: { maxAttempts: 4, baseMs: 1, maxMs: 1 } }));
    const [o] = await batcher.submit('T', ['a', 'b']);
    expect(o!.via).toBe('deadletter');
    expect(sink.calls).toBe(4);
    expect(dl.batches).toHaveLength(1);
    expect(dl.batches[0]!.batch.rows).toEqual(['a', 'b']);
    expect(dl.batches[0]!.reason).toContain('sink down');
  });

  it('does not retry a permanent error', async () => {
    const sink = new MemorySink(async () => {
      throw new PermanentError('unknown table');
    });
    const dl = new MemoryDeadLetter();
    const batcher = new GroupCommitBatcher(sink, dl, opts({ retry: { maxAttempts: 5, baseMs: 1, maxMs: 1 } }));
    await batcher.submit('T', ['a']);
    expect(sink.calls).toBe(1);
    expect(dl.batches[0]!.reason).toContain('unknown table');
  });

  it('rejects with NotDurableError when the dead-letter store fails too', async () => {
    const sink = new MemorySink(async () => {
      throw new Error('sink down');
    });
    const batcher = new GroupCommitBatcher(sink, new MemoryDeadLetter(true), opts());
    await expect(batcher.submit('T', ['a'])).rejects.toBeInstanceOf(NotDurableError);
    expect(batcher.stats.batchesLost).toBe(1);
  });

  it('bounds batches in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const sink = new MemorySink(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
    });
    const batcher = new GroupCommitBatcher(sink, new MemoryDeadLetter(), opts({ maxRecords: 1, maxInFlight: 2 }));
    await batcher.submit(
      'T',
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    expect(sink.calls).toBe(10);
    expect(peak).toBe(2);
  });

  it('writes tagged rows as one batch of their own, whatever the limits, and keeps the tag through retries and the dead-letter store', async () => {
    const sink = new MemorySink();
    const batcher = new GroupCommitBatcher(sink, new MemoryDeadLetter(), opts({ maxRecords: 3, maxBytes: 1024, maxDelayMs: 50 }));
    const tagged = Array.from({ length: 10 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(200) }));
    const [outcomes] = await Promise.all([batcher.submit('T', tagged, { tag: 'chunk-0' }), batcher.submit('T', ['{"http":1}'])]);
    expect(outcomes).toHaveLength(1);
    await batcher.flush();
    const taggedBatches = sink.batches.filter((b) => b.tag !== undefined);
    expect(taggedBatches).toHaveLength(1);
    expect(taggedBatches[0]).toMatchObject({ tag: 'chunk-0', rows: tagged });
    // the concurrent untagged row went in a group-commit batch of its own, without a tag
    expect(sink.batches.filter((b) => b.tag === undefined).flatMap((b) => b.rows)).toEqual(['{"http":1}']);

    const failing = new MemorySink(async () => {
      throw new Error('sink down');
    });
    const dl = new MemoryDeadLetter();
    const b2 = new GroupCommitBatcher(failing, dl, opts({ retry: { maxAttempts: 2, baseMs: 1, maxMs: 1 } }));
    const [o] = await b2.submit('T', ['a'], { tag: 'chunk-1' });
    expect(o!.via).toBe('deadletter');
    expect(failing.calls).toBe(2);
    expect(dl.batches[0]!.batch).toMatchObject({ tag: 'chunk-1', rows: ['a'] });
    expect(await b2.submit('T', [], { tag: 'chunk-2' })).toEqual([]);
  });

  it('takes a blob chunk as the bytes its prepare threads made: counted, written as they are, dead-lettered as rows', async () => {
    const rows = ['{"i":0}', '{"i":1,"s":"café"}', '{"i":2}'];
    const encoded = { parts: [Buffer.from(`${rows[0]}\n${rows[1]}`), Buffer.from('\n'), Buffer.from(`${rows[2]}\n`)], count: 3 };
    const sink = new MemorySink();
    const batcher = new GroupCommitBatcher(sink, new MemoryDeadLetter(), opts());
    const [o] = await batcher.submit('T', [], { tag: 'chunk-3', encoded });
    expect(o!.via).toBe('sink');
    expect(batcher.stats.rowsWritten).toBe(3);
    expect(rowCount(sink.batches[0]!)).toBe(3);
    expect(sink.batches[0]!.bytes).toBe(Buffer.byteLength(rows.join('\n') + '\n'));
    expect(batchRows(sink.batches[0]!)).toEqual(rows);

    const dl = new MemoryDeadLetter();
    const down = new GroupCommitBatcher(new MemorySink(async () => Promise.reject(new PermanentError('refused'))), dl, opts());
    const [lost] = await down.submit('T', [], { tag: 'chunk-4', encoded });
    expect(lost!.via).toBe('deadletter');
    const doc = batchDocument(dl.batches[0]!.batch, 'refused');
    expect(JSON.parse(doc.body)).toMatchObject({ count: 3, tag: 'chunk-4', rows: rows.map((r) => JSON.parse(r)) });
  });
});
