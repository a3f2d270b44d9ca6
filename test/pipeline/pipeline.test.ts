// The pipeline on its own: real enrichment, batcher and dead-letter store (in memory), no HTTP.
import { describe, expect, it } from 'vitest';
import type { QoeEvent } from '../../src/beacon/qoe-event.js';
import { Enricher } from '../../src/enrich/enricher.js';
import { NotDurableError } from '../../src/errors.js';
import { GroupCommitBatcher } from '../../src/ingest/batcher.js';
import type { DeadLetterStore, RejectedEntry } from '../../src/ingest/deadletter/store.js';
import type { Batch, Sink } from '../../src/ingest/sink.js';
import type { Candidate, IntakeContext } from '../../src/pipeline/contract.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { loadConfig } from '../../src/config.js';
import { validBeacon } from '../support/services.js';

class MemorySink implements Sink {
  readonly name = 'memory';
  readonly batches: Batch[] = [];
  async write(batch: Batch): Promise<void> {
    this.batches.push(batch);
  }
}

class MemoryDeadLetters implements DeadLetterStore {
  readonly name = 'memory';
  readonly rejected: RejectedEntry[] = [];
  failing = false;
  async writeRejected(entry: RejectedEntry): Promise<void> {
    if (this.failing) throw new Error('dead-letter store down');
    this.rejected.push(entry);
  }
  async writeFailedBatch(): Promise<void> {}
}

async function pipelineUnderTest() {
  const config = loadConfig({});
  const enricher = await Enricher.create(config.enrich);
  const sink = new MemorySink();
  const deadLetter = new MemoryDeadLetters();
  const batcher = new GroupCommitBatcher(
    sink,
    deadLetter,
    { maxRecords: 1000, maxBytes: 1 << 20, maxDelayMs: 1, retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 } },
    () => {},
  );
  const pipeline = new Pipeline(enricher, batcher, deadLetter, { maxStringLength: 1024, maxUrlLength: 4096, maxExtraBytes: 256 });
  return { pipeline, sink, deadLetter };
}

const ctx: IntakeContext = {
  source: 'http',
  sourceRef: null,
  receivedAt: new Date(Date.UTC(2026, 10, 23, 10, 0, 1)),
  sender: { clientIp: '203.0.113.77', userAgent: 'Mozilla/5.0' },
};

describe('Pipeline', () => {
  it('turns valid candidates into rows and every other one into an indexed rejection', async () => {
    const { pipeline } = await pipelineUnderTest();
    const candidates: Candidate[] = [
      { index: 0, value: validBeacon({ seq: 1 }) },
      { index: 1, error: 'line 2: invalid JSON', raw: '{oops', line: 2 },
      { index: 2, value: [1, 2] },
      { index: 3, value: validBeacon({ event: 'nope' }) },
      { index: 4, value: validBeacon({ seq: 2, abTestGroup: 'B' }) },
      { index: 5, value: validBeacon({ seq: 3, huge: 'x'.repeat(300) }) },
    ];
    const prepared = pipeline.prepare(candidates, ctx);
    const rows = prepared.rows.map((r) => JSON.parse(r) as QoeEvent);
    expect(rows.map((r) => r.Seq)).toEqual([1, 2]);
    expect(rows[1]!.Extra).toEqual({ abTestGroup: 'B' });
    expect(rows[0]!.ClientIpPrefix).toBe('203.0.113.0/24');
    expect(JSON.stringify(rows)).not.toContain('203.0.113.77');
    expect(prepared.rejected.map((r) => r.index)).toEqual([1, 2, 3, 5]);
    expect(prepared.rejected[0]).toMatchObject({ line: 2, raw: '{oops' });
    expect(prepared.rejected[1]!.errors).toEqual(['record must be a JSON object']);
    expect(prepared.rejected[3]!.errors[0]).toMatch(/extra fields: larger than 256 bytes/);
  });

  it('process() resolves once rows reached the sink and rejects reached the dead-letter store', async () => {
    const { pipeline, sink, deadLetter } = await pipelineUnderTest();
    const result = await pipeline.process(
      [
        { index: 0, value: validBeacon() },
        { index: 1, value: 'x' },
      ],
      ctx,
    );
    expect(result).toEqual({ accepted: 1, rejected: [{ index: 1, errors: ['record must be a JSON object'] }] });
    expect(sink.batches.flatMap((b) => b.rows)).toHaveLength(1);
    expect(deadLetter.rejected[0]).toMatchObject({ source: 'http', records: [{ index: 1 }] });
  });

  it('refuses to acknowledge rejects it could not keep (NotDurableError, so the caller answers 503)', async () => {
    const { pipeline, deadLetter } = await pipelineUnderTest();
    deadLetter.failing = true;
    await expect(pipeline.process([{ index: 0, value: 'x' }], ctx)).rejects.toBeInstanceOf(NotDurableError);
  });
});
