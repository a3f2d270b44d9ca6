// Dead-letter replay: re-ingest batches a sink once refused, removing each only after the sink
// took it. Rows are replayed verbatim: they are exactly what would have been ingested.
import { randomUUID } from 'node:crypto';
import type { Sink } from '../sink.js';
import type { DeadLetterStore } from './store.js';
import { errorMessage } from '../../errors.js';

export interface ReplayProgress {
  done: number;
  total: number;
  rows: number;
  name: string;
  outcome: 'replayed' | 'failed' | 'would-replay';
  error?: string;
}

export interface ReplayReport {
  batches: number;
  replayed: number;
  failed: number;
  rows: number;
}

export async function replayDeadLetters(opts: {
  store: DeadLetterStore;
  sink: Sink;
  dryRun?: boolean;
  onProgress?: (p: ReplayProgress) => void;
}): Promise<ReplayReport> {
  if (!opts.store.listBatches) throw new Error(`dead-letter store ${opts.store.name} cannot list batches`);
  const stored = [];
  for await (const b of opts.store.listBatches()) stored.push(b);
  const report: ReplayReport = { batches: stored.length, replayed: 0, failed: 0, rows: 0 };
  for (const [i, entry] of stored.entries()) {
    const doc = await entry.read();
    const rows = doc.rows.map((r) => JSON.stringify(r));
    const progress = { done: i + 1, total: stored.length, rows: rows.length, name: entry.name };
    if (opts.dryRun) {
      report.rows += rows.length;
      opts.onProgress?.({ ...progress, outcome: 'would-replay' });
      continue;
    }
    try {
      await opts.sink.write({
        id: randomUUID(),
        table: doc.table,
        rows,
        bytes: rows.reduce((n, r) => n + Buffer.byteLength(r) + 1, 0),
        createdAt: new Date(),
        // a tagged batch (a blob chunk) keeps its tag, so a chunk that also landed on a later try is not added twice
        ...(typeof doc.tag === 'string' && { tag: doc.tag }),
      });
      await entry.remove(); // only now: a crash before this line replays the batch again, never loses it
      report.replayed++;
      report.rows += rows.length;
      opts.onProgress?.({ ...progress, outcome: 'replayed' });
    } catch (err) {
      report.failed++;
      opts.onProgress?.({ ...progress, outcome: 'failed', error: errorMessage(err) });
    }
  }
  return report;
}
