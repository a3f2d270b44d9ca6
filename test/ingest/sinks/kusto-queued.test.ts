// Queued ingestion for real: the SDK's IngestClient asks the stub for ingestion resources, gets
// Azurite SAS URLs, uploads the gzip blob to Azurite and enqueues the ingestion message there.
import zlib from 'node:zlib';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommitBatcher } from '../../../src/ingest/batcher.js';
import { KustoSink } from '../../../src/ingest/sinks/kusto.js';
import type { Batch } from '../../../src/ingest/sink.js';
import type { DeadLetterStore } from '../../../src/ingest/deadletter/store.js';
import { startTestAzurite, type TestAzurite } from '../../support/azurite.js';
import { azuriteIngestionResources, startKustoStub, type KustoStub } from '../../support/kusto-stub.js';

let azurite: TestAzurite;
let stub: KustoStub;
let blobs: BlobServiceClient;
let queues: QueueServiceClient;

beforeAll(async () => {
  azurite = await startTestAzurite();
  blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
  stub = await startKustoStub(await azuriteIngestionResources(azurite));
});

afterAll(async () => {
  await stub?.close();
  await azurite?.stop();
});

const rowsOf = (n: number, from = 0) => Array.from({ length: n }, (_, i) => JSON.stringify({ SessionId: 's', Seq: from + i, EventType: 'heartbeat' }));

async function drainQueue(): Promise<Array<Record<string, any>>> {
  const q = queues.getQueueClient('readyforaggregation');
  const out: Array<Record<string, any>> = [];
  for (;;) {
    const { receivedMessageItems } = await q.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return out;
    for (const m of receivedMessageItems) {
      out.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')));
      await q.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}

async function blobRows(blobPath: string): Promise<string[]> {
  const name = decodeURIComponent(new URL(blobPath).pathname.split('/').slice(3).join('/'));
  const gz = await blobs.getContainerClient('ingest-temp').getBlobClient(name).downloadToBuffer();
  return zlib.gunzipSync(gz).toString('utf8').trimEnd().split('\n');
}

describe('KustoSink queued mode against the stub + Azurite', () => {
  it('uploads the gzip batch to the staging container and enqueues the ingestion message', async () => {
    const sink = new KustoSink({ clusterUri: stub.url, ingestUri: stub.url, database: 'qoe', mode: 'queued', mappingFor: (t) => `${t}_json`, accessToken: 'test-token' });
    const rows = rowsOf(3);
    const batch: Batch = { id: crypto.randomUUID(), table: 'QoeEvents', rows, bytes: 100, createdAt: new Date() };
    await sink.write(batch);
    const [message, ...more] = await drainQueue();
    expect(more).toEqual([]);
    expect(message).toMatchObject({ DatabaseName: 'qoe', TableName: 'QoeEvents', RetainBlobOnSuccess: true });
    expect(message!.AdditionalProperties).toMatchObject({ format: 'json', ingestionMappingReference: 'QoeEvents_json', authorizationContext: 'stub-identity-token' });
    expect(await blobRows(message!.BlobPath)).toEqual(rows);
    expect(stub.mgmt.map((c) => c.csl)).toEqual(expect.arrayContaining(['.get ingestion resources', '.get kusto identity token']));
    await sink.close();
  });

  it('managed streaming falls back to the queue when streaming is throttled, and every acknowledged row lands once', async () => {
    const sink = new KustoSink({ clusterUri: stub.url, ingestUri: stub.url, database: 'qoe', mode: 'managed-streaming', mappingFor: (t) => `${t}_json`, accessToken: 't', timeoutMs: 1000 });
    const deadLetters: Batch[] = [];
    const dl: DeadLetterStore = { name: 'mem', writeRejected: async () => {}, writeFailedBatch: async (b) => void deadLetters.push(b) };
    const batcher = new GroupCommitBatcher(sink, dl, { maxRecords: 50, maxBytes: 1 << 20, maxDelayMs: 5, retry: { maxAttempts: 4, baseMs: 5, maxMs: 20 } });
    stub.streaming.length = 0;
    // 429, 500, a hang past the timeout, a reset; then a permanent 400
    stub.streamingFaults.push({ status: 429 }, { status: 500 }, { hang: true }, { reset: true }, { status: 400 });
    const submitted: string[] = [];
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      const rows = rowsOf(50, i * 50);
      submitted.push(...rows);
      acks.push(batcher.submit('QoeEvents', rows));
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(acks);
    await batcher.flush();
    const queued = await drainQueue();
    const viaQueue = (await Promise.all(queued.map((m) => blobRows(m.BlobPath)))).flat();
    const viaStream = stub.streaming.flatMap((c) => c.text.trimEnd().split('\n'));
    const dead = deadLetters.flatMap((b) => b.rows);
    // the first four faults fell back to the queue; the 400 went to the dead-letter store at once
    expect(queued).toHaveLength(4);
    expect(deadLetters).toHaveLength(1);
    expect(viaStream).toHaveLength(50);
    expect([...viaQueue, ...viaStream, ...dead].sort()).toEqual([...submitted].sort());
    await sink.close();
  });
});
