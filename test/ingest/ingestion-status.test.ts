// Queued ingestion's outcome, end to end with the real SDK: the stub hands out Azurite queues as
// Data Explorer's status queues, the test plays Data Explorer's data management service (reads the
// ingestion message, posts a status report), and the rows of a failed ingestion must turn up in
// the dead-letter store and replay from there.
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommitBatcher } from '../../src/ingest/batcher.js';
import { BlobDeadLetterStore } from '../../src/ingest/deadletter/blob.js';
import { replayDeadLetters } from '../../src/ingest/deadletter/replay.js';
import { KustoSink, type KustoSinkOptions } from '../../src/ingest/sinks/kusto.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { azuriteIngestionResources, startKustoStub, type KustoStub } from '../support/kusto-stub.js';

let azurite: TestAzurite;
let stub: KustoStub;
let queues: QueueServiceClient;
let containerSeq = 0;

beforeAll(async () => {
  azurite = await startTestAzurite();
  queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
  const resources = await azuriteIngestionResources(azurite);
  const sas = resources.queue.slice(resources.queue.indexOf('?'));
  const base = resources.queue.slice(0, resources.queue.lastIndexOf('/', resources.queue.indexOf('?')));
  for (const q of ['failedingestions', 'successfulingestions']) await queues.getQueueClient(q).createIfNotExists();
  stub = await startKustoStub({
    ...resources,
    failedQueue: `${base}/failedingestions${sas}`,
    successQueue: `${base}/successfulingestions${sas}`,
  });
});

afterAll(async () => {
  await stub?.close();
  await azurite?.stop();
});

const rowsOf = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ SessionId: tag, Seq: i, EventType: 'heartbeat' }));

function setup(over: Partial<KustoSinkOptions> = {}) {
  const store = BlobDeadLetterStore.fromConnectionString(azurite.connectionString, `deadletter-${++containerSeq}`);
  const sink = new KustoSink({
    clusterUri: stub.url,
    ingestUri: stub.url,
    database: 'qoe',
    mode: 'queued',
    mappingFor: (t) => `${t}_json`,
    accessToken: 't',
    reportStatus: 'failures',
    pending: store,
    statusSettleMs: 3_600_000,
    ...over,
  });
  const batcher = new GroupCommitBatcher(sink, store, {
    maxRecords: 1000,
    maxBytes: 1 << 20,
    maxDelayMs: 1,
    retry: { maxAttempts: 2, baseMs: 1, maxMs: 5 },
  });
  return { store, sink, batcher };
}

/** The ingestion messages the SDK enqueued, as Data Explorer would read them. */
async function takeIngestionMessages(): Promise<Array<Record<string, unknown>>> {
  const q = queues.getQueueClient('readyforaggregation');
  const out: Array<Record<string, unknown>> = [];
  for (;;) {
    const { receivedMessageItems } = await q.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return out;
    for (const m of receivedMessageItems) {
      out.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')));
      await q.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}

/** A status report as Data Explorer's data management service writes it. */
async function report(queue: 'failedingestions' | 'successfulingestions', fields: Record<string, unknown>): Promise<void> {
  await queues
    .getQueueClient(queue)
    .sendMessage(
      Buffer.from(JSON.stringify({ OperationId: crypto.randomUUID(), Database: 'qoe', Table: 'QoeEvents', ...fields })).toString('base64'),
    );
}

async function deadLettered(store: BlobDeadLetterStore) {
  const out = [];
  for await (const b of store.listBatches()) out.push({ ...(await b.read()), name: b.name });
  return out;
}

async function pendingIds(store: BlobDeadLetterStore): Promise<string[]> {
  const out: string[] = [];
  for await (const p of store.listPending()) out.push(p.batchId);
  return out;
}

describe('queued ingestion outcome (KUSTO_REPORT_STATUS)', () => {
  it('fails an ingestion after it was accepted: its rows land in the dead-letter store and replay from there', async () => {
    const { store, sink, batcher } = setup();
    const rows = rowsOf(5, 'fail-me');
    const [outcome] = await batcher.submit('QoeEvents', rows);
    expect(outcome!.via).toBe('sink'); // accepted: acknowledged to the client

    const [message, ...more] = await takeIngestionMessages();
    expect(more).toEqual([]);
    expect(message).toMatchObject({ Id: outcome!.batchId, ReportLevel: 0, ReportMethod: 0 }); // FailuresOnly, Queue
    expect((await store.readPending(outcome!.batchId))?.rows).toEqual(rows.map((r) => JSON.parse(r)));

    // Data Explorer fails it later; another database's report on the same queue is not ours.
    await report('failedingestions', { Database: 'otherdb', IngestionSourceId: crypto.randomUUID(), ErrorCode: 'X' });
    await report('failedingestions', {
      IngestionSourceId: message!.Id,
      IngestionSourcePath: message!.BlobPath,
      ErrorCode: 'BadRequest_MappingReferenceWasNotFound',
      FailureStatus: 'Permanent',
      Details:
        "Mapping reference 'QoeEvents_json' of type 'json' in database 'qoe' could not be found (blob https://acc.blob.core.windows.net/c/b.json.gz?sv=2024&sig=SECRET).",
      OriginatesFromUpdatePolicy: false,
      ShouldRetry: false,
    });
    expect(await sink.checkIngestionStatus()).toMatchObject({ failed: 1, pending: 0 });

    const [dead, ...others] = await deadLettered(store);
    expect(others).toEqual([]);
    expect(dead!.rows).toEqual(rows.map((r) => JSON.parse(r)));
    expect(dead!.reason).toMatch(/BadRequest_MappingReferenceWasNotFound \(Permanent\).*could not be found/);
    expect(dead!.reason).not.toContain('SECRET');
    expect(await pendingIds(store)).toEqual([]);
    // the other database's report is still there for its owner (invisible for a minute after the read)
    expect((await queues.getQueueClient('failedingestions').getProperties()).approximateMessagesCount).toBe(1);
    await queues.getQueueClient('failedingestions').clearMessages();

    // npm run deadletter:replay does this: the rows go to a sink that takes them, the dead letter goes.
    stub.streaming.length = 0;
    const replaySink = new KustoSink({
      clusterUri: stub.url,
      ingestUri: stub.url,
      database: 'qoe',
      mode: 'managed-streaming',
      mappingFor: (t) => `${t}_json`,
      accessToken: 't',
    });
    const result = await replayDeadLetters({ store, sink: replaySink });
    expect(result).toMatchObject({ batches: 1, replayed: 1, failed: 0, rows: 5 });
    expect(stub.streaming.flatMap((c) => c.text.trimEnd().split('\n'))).toEqual(rows);
    expect(await deadLettered(store)).toEqual([]);
    await Promise.all([sink.close(), replaySink.close()]);
  });

  it('all: a success report removes the pending rows; a report for a batch already settled is consumed', async () => {
    const { store, sink, batcher } = setup({ reportStatus: 'all' });
    const [outcome] = await batcher.submit('QoeEvents', rowsOf(3, 'ok'));
    const [message] = await takeIngestionMessages();
    expect(message).toMatchObject({ Id: outcome!.batchId, ReportLevel: 2, ReportMethod: 0 }); // FailuresAndSuccesses
    expect(await pendingIds(store)).toEqual([outcome!.batchId]);
    await report('successfulingestions', { IngestionSourceId: outcome!.batchId, SucceededOn: new Date().toISOString() });
    await report('successfulingestions', { IngestionSourceId: crypto.randomUUID() });
    expect(await sink.checkIngestionStatus()).toMatchObject({ succeeded: 1, failed: 0, pending: 0 });
    expect(await pendingIds(store)).toEqual([]);
    expect(await deadLettered(store)).toEqual([]);
    const { peekedMessageItems } = await queues.getQueueClient('successfulingestions').peekMessages();
    expect(peekedMessageItems).toEqual([]);
    await sink.close();
  });

  it('settles batches without a report: failures means no news is success, all means the outcome is unknown and the rows are kept', async () => {
    for (const level of ['failures', 'all'] as const) {
      const { store, sink, batcher } = setup({ reportStatus: level, statusSettleMs: 0 });
      const rows = rowsOf(2, level);
      await batcher.submit('QoeEvents', rows);
      await takeIngestionMessages();
      expect(await sink.checkIngestionStatus()).toMatchObject({ settled: 1, pending: 0 });
      expect(await pendingIds(store)).toEqual([]);
      const dead = await deadLettered(store);
      if (level === 'failures') expect(dead).toEqual([]);
      else {
        expect(dead.map((d) => d.rows)).toEqual([rows.map((r) => JSON.parse(r))]);
        expect(dead[0]!.reason).toMatch(/outcome unknown/);
      }
      await sink.close();
    }
  });

  it('none really sends DoNotReport and keeps nothing pending', async () => {
    const { store, sink, batcher } = setup({ reportStatus: 'none' });
    await batcher.submit('QoeEvents', rowsOf(2, 'none'));
    const [message] = await takeIngestionMessages();
    expect(message).toMatchObject({ ReportLevel: 1 }); // DoNotReport, not the SDK's FailuresOnly default
    expect(await pendingIds(store)).toEqual([]);
    expect(sink.checkIngestionStatus()).toBeUndefined();
    await sink.close();
  });

  it('a batch that could not be queued leaves no pending entry: the batcher dead-letters it once', async () => {
    const { store, sink, batcher } = setup();
    stub.mgmtFaults.push({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    const rows = rowsOf(2, 'unqueued');
    const [outcome] = await batcher.submit('QoeEvents', rows);
    stub.mgmtFaults.length = 0;
    expect(outcome!.via).toBe('deadletter');
    expect(await pendingIds(store)).toEqual([]);
    expect((await deadLettered(store)).map((d) => d.rows)).toEqual([rows.map((r) => JSON.parse(r))]);
    await takeIngestionMessages();
    await sink.close();
  });
});
