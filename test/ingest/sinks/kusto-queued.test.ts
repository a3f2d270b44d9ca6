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

const rowsOf = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ SessionId: 's', Seq: from + i, EventType: 'heartbeat' }));

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
    const sink = new KustoSink({
      clusterUri: stub.url,
      ingestUri: stub.url,
      database: 'qoe',
      mode: 'queued',
      mappingFor: (t) => `${t}_json`,
      accessToken: 'test-token',
    });
    const rows = rowsOf(3);
    const batch: Batch = { id: crypto.randomUUID(), table: 'QoeEvents', rows, bytes: 100, createdAt: new Date() };
    await sink.write(batch);
    const [message, ...more] = await drainQueue();
    expect(more).toEqual([]);
    expect(message).toMatchObject({ DatabaseName: 'qoe', TableName: 'QoeEvents', RetainBlobOnSuccess: true });
    expect(message!.AdditionalProperties).toMatchObject({
      format: 'json',
      ingestionMappingReference: 'QoeEvents_json',
      authorizationContext: 'stub-identity-token',
    });
    expect(await blobRows(message!.BlobPath)).toEqual(rows);
    expect(stub.mgmt.map((c) => c.csl)).toEqual(expect.arrayContaining(['.get ingestion resources', '.get kusto identity token']));
    await sink.close();
  });

  it('managed streaming falls back to the queue when streaming is throttled, and every acknowledged row lands once', async () => {
    const sink = new KustoSink({
      clusterUri: stub.url,
      ingestUri: stub.url,
      database: 'qoe',
      mode: 'managed-streaming',
      mappingFor: (t) => `${t}_json`,
      accessToken: 't',
      timeoutMs: 1000,
    });
    const deadLetters: Batch[] = [];
    const dl: DeadLetterStore = { name: 'mem', writeRejected: async () => {}, writeFailedBatch: async (b) => void deadLetters.push(b) };
    const batcher = new GroupCommitBatcher(sink, dl, {
      maxRecords: 50,
      maxBytes: 1 << 20,
      maxDelayMs: 5,
      retry: { maxAttempts: 4, baseMs: 5, maxMs: 20 },
    });
    stub.streaming.length = 0;
    // 500, a hang past the timeout, a reset; then a permanent 400 (throttling: next test)
    stub.streamingFaults.push({ status: 500 }, { hang: true }, { reset: true }, { status: 400 });
    const submitted: string[] = [];
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
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
    // the first three faults fell back to the queue; the 400 went to the dead-letter store at once
    expect(queued).toHaveLength(3);
    expect(deadLetters).toHaveLength(1);
    expect(viaStream).toHaveLength(50);
    expect([...viaQueue, ...viaStream, ...dead].sort()).toEqual([...submitted].sort());
    await sink.close();
  });

  it('streaming off, a table configuration or throttling sends the table queued for a while; other tables still stream', async () => {
    for (const [fault, code] of [
      [
        {
          status: 400,
          body: {
            error: {
              code: 'BadRequest_StreamingIngestionPolicyNotEnabled',
              message: 'Streaming ingestion policy is not enabled for the table',
              '@permanent': true,
            },
          },
        },
        'streaming-off',
      ],
      [
        {
          status: 400,
          body: { error: { code: 'UpdatePolicyIncompatible', message: 'update policy prevents streaming', '@permanent': true } },
        },
        'table-config',
      ],
      [{ status: 429 }, 'throttled'],
    ] as const) {
      const fallbacks: string[] = [];
      const sink = new KustoSink({
        clusterUri: stub.url,
        ingestUri: stub.url,
        database: 'qoe',
        mode: 'managed-streaming',
        mappingFor: (t) => `${t}_json`,
        accessToken: 't',
        onFallback: (r) => fallbacks.push(r),
      });
      stub.streaming.length = 0;
      stub.streamingFaults.push(fault);
      const batch = (table: string, from: number): Batch => ({
        id: crypto.randomUUID(),
        table,
        rows: rowsOf(2, from),
        bytes: 60,
        createdAt: new Date(),
      });
      await sink.write(batch('QoeEvents', 0)); // refused by streaming, taken by the queue
      await sink.write(batch('QoeEvents', 2)); // straight to the queue: no second streaming attempt
      await sink.write(batch('OtherTable', 4)); // another table streams
      expect([code, fallbacks.length, stub.streaming.map((c) => c.table)]).toEqual([code, 1, ['OtherTable']]);
      const queued = await drainQueue();
      expect(queued.map((m) => m.TableName)).toEqual(['QoeEvents', 'QoeEvents']);
      expect((await Promise.all(queued.map((m) => blobRows(m.BlobPath)))).flat()).toEqual(rowsOf(4, 0));
      await sink.close();
    }
  });

  it('a request too large for streaming (413) goes queued once; the next batch streams again', async () => {
    const sink = new KustoSink({
      clusterUri: stub.url,
      ingestUri: stub.url,
      database: 'qoe',
      mode: 'managed-streaming',
      mappingFor: (t) => `${t}_json`,
      accessToken: 't',
    });
    stub.streaming.length = 0;
    stub.streamingFaults.push({ status: 413 });
    await sink.write({ id: crypto.randomUUID(), table: 'QoeEvents', rows: rowsOf(2), bytes: 60, createdAt: new Date() });
    await sink.write({ id: crypto.randomUUID(), table: 'QoeEvents', rows: rowsOf(2, 2), bytes: 60, createdAt: new Date() });
    expect(await drainQueue()).toHaveLength(1);
    expect(stub.streaming).toHaveLength(1);
    await sink.close();
  });

  it('sends a tagged batch (a blob chunk) queued, also in managed-streaming mode, with ingest-by tag and ingestIfNotExists', async () => {
    const sink = new KustoSink({
      clusterUri: stub.url,
      ingestUri: stub.url,
      database: 'qoe',
      mode: 'managed-streaming',
      mappingFor: (t) => `${t}_json`,
      accessToken: 't',
    });
    stub.streaming.length = 0;
    const rows = rowsOf(4);
    await sink.write({ id: crypto.randomUUID(), table: 'QoeEvents', rows, bytes: 100, createdAt: new Date(), tag: 'blob-0123abcd' });
    expect(stub.streaming).toHaveLength(0); // streaming ingestion would drop the tag
    const [message, ...more] = await drainQueue();
    expect(more).toEqual([]);
    expect(message!.AdditionalProperties).toMatchObject({
      tags: JSON.stringify(['ingest-by:blob-0123abcd']),
      ingestIfNotExists: JSON.stringify(['blob-0123abcd']),
      format: 'json',
      ingestionMappingReference: 'QoeEvents_json',
    });
    expect(await blobRows(message!.BlobPath)).toEqual(rows);
    // a blob chunk's rows come as the prepare threads' bytes, in pieces: gzipped as they are
    const pieces = [Buffer.from(`${rows[0]}\n${rows[1]}`), Buffer.from('\n'), Buffer.from(`${rows[2]}\n${rows[3]}`), Buffer.from('\n')];
    await sink.write({
      id: crypto.randomUUID(),
      table: 'QoeEvents',
      rows: [],
      bytes: 100,
      createdAt: new Date(),
      tag: 'blob-4567',
      encoded: { parts: pieces, count: 4 },
    });
    const [pieced] = await drainQueue();
    expect(await blobRows(pieced!.BlobPath)).toEqual(rows);
    // untagged batches still stream
    await sink.write({ id: crypto.randomUUID(), table: 'QoeEvents', rows, bytes: 100, createdAt: new Date() });
    expect(stub.streaming).toHaveLength(1);
    expect(await drainQueue()).toEqual([]);
    await sink.close();
  });
});
