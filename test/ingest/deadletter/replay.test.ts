import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobDeadLetterStore } from '../../../src/ingest/deadletter/blob.js';
import { FileDeadLetterStore } from '../../../src/ingest/deadletter/file.js';
import { replayDeadLetters } from '../../../src/ingest/deadletter/replay.js';
import type { DeadLetterStore } from '../../../src/ingest/deadletter/store.js';
import type { Batch, Sink } from '../../../src/ingest/sink.js';
import { startTestAzurite, type TestAzurite } from '../../support/azurite.js';

let azurite: TestAzurite;
let dir: string;
beforeAll(async () => {
  azurite = await startTestAzurite();
  dir = await mkdtemp(path.join(os.tmpdir(), 'replay-'));
});
afterAll(async () => {
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

const batch = (id: string, n: number): Batch => {
  const rows = Array.from({ length: n }, (_, i) => JSON.stringify({ SessionId: id, Seq: i }));
  return { id, table: 'QoeEvents', rows, bytes: 10, createdAt: new Date() };
};

class RecordingSink implements Sink {
  readonly name = 'recording';
  written: Batch[] = [];
  failOn = new Set<string>();
  async write(b: Batch) {
    const first = JSON.parse(b.rows[0]!) as { SessionId: string };
    if (this.failOn.has(first.SessionId)) throw new Error(`sink refused ${first.SessionId}`);
    this.written.push(b);
  }
}

async function count(store: DeadLetterStore): Promise<number> {
  let n = 0;
  for await (const _ of store.listBatches!()) n++;
  return n;
}

for (const kind of ['file', 'blob'] as const) {
  describe(`deadletter:replay from the ${kind} store`, () => {
    const store = (): DeadLetterStore =>
      kind === 'file'
        ? new FileDeadLetterStore(path.join(dir, kind))
        : BlobDeadLetterStore.fromConnectionString(azurite.connectionString, 'replay-test');

    it('dry run lists and keeps; replay ingests verbatim and removes only what the sink took', async () => {
      const s = store();
      await s.writeRejected({ source: 'http', sourceRef: null, receivedAt: new Date(), records: [{ index: 0, errors: ['x'] }] });
      await s.writeFailedBatch(batch('a', 3), 'sink down');
      await s.writeFailedBatch(batch('b', 2), 'sink down');
      await s.writeFailedBatch(batch('c', 4), 'sink down');

      const sink = new RecordingSink();
      const dry = await replayDeadLetters({ store: s, sink, dryRun: true });
      expect(dry).toEqual({ batches: 3, replayed: 0, failed: 0, rows: 9 });
      expect(sink.written).toEqual([]);
      expect(await count(s)).toBe(3);

      sink.failOn.add('b');
      const progress: string[] = [];
      const first = await replayDeadLetters({ store: s, sink, onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.outcome}`) });
      expect(first).toEqual({ batches: 3, replayed: 2, failed: 1, rows: 7 });
      expect(progress).toEqual(['1/3 replayed', '2/3 failed', '3/3 replayed']);
      expect(await count(s)).toBe(1);
      expect(sink.written.flatMap((b) => b.rows)).toEqual([...batch('a', 3).rows, ...batch('c', 4).rows]);

      sink.failOn.clear();
      const second = await replayDeadLetters({ store: s, sink });
      expect(second).toMatchObject({ replayed: 1, failed: 0, rows: 2 });
      expect(await count(s)).toBe(0);
    });

    it('replays a tagged batch (a blob chunk) with its tag, so the sink can tell it already has it', async () => {
      const s = store();
      await s.writeFailedBatch({ ...batch('tagged', 2), tag: 'blob-feed' }, 'sink down');
      await s.writeFailedBatch(batch('untagged', 1), 'sink down');
      const sink = new RecordingSink();
      await replayDeadLetters({ store: s, sink });
      expect(sink.written.map((b) => [JSON.parse(b.rows[0]!).SessionId, b.tag])).toEqual(
        expect.arrayContaining([
          ['tagged', 'blob-feed'],
          ['untagged', undefined],
        ]),
      );
    });
  });
}
