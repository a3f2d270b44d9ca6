// Fault injection under load: concurrent clients post beacons while the Kusto stub throttles,
// fails, hangs and resets, and Azurite (staging storage and dead letters) stops and restarts.
// At the end every acknowledged record is in the stub, in Azurite's staging or in the dead-letter
// store; only records answered 503 may be missing; a dead-letter replay leaves none behind.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDeadLetterStore } from '../../src/ingest/deadletter/index.js';
import { replayDeadLetters } from '../../src/ingest/deadletter/replay.js';
import { mappingFor } from '../../src/ingest/sinks/index.js';
import { KustoSink } from '../../src/ingest/sinks/kusto.js';
import { handleBeaconRequest } from '../../src/intake/http/handlers.js';
import { startAzurite, type Azurite } from '../../src/local/azurite.js';
import { createServices, type Services } from '../../src/composition/app.js';
import { azuriteIngestionResources, startKustoStub, type KustoStub } from '../support/kusto-stub.js';
import { httpRequest, invocationContext, validBeacon } from '../support/services.js';

let dir: string;
let azurite: Azurite;
let stub: KustoStub;
let services: Services;
let sink: KustoSink;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'faults-'));
  azurite = await startAzurite({ location: dir });
  stub = await startKustoStub(await azuriteIngestionResources(azurite));
  const config = loadConfig({
    AzureWebJobsStorage: azurite.connectionString,
    QOE_DATA_DIR: dir,
    KUSTO_CLUSTER_URI: stub.url,
    KUSTO_INGEST_URI: stub.url,
    KUSTO_ACCESS_TOKEN: 'test',
    QOE_BATCH_MAX_DELAY_MS: '20',
    QOE_BATCH_MAX_RECORDS: '200',
    QOE_SINK_MAX_ATTEMPTS: '3',
    QOE_SINK_RETRY_BASE_MS: '10',
    QOE_SINK_RETRY_MAX_MS: '100',
  });
  sink = new KustoSink({ ...config.kusto, mappingFor, timeoutMs: 500, pending: createDeadLetterStore(config) });
  services = await createServices(config, { sink, log: () => {} });
}, 120_000);

afterAll(async () => {
  await sink?.close();
  await stub?.close();
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

const key = (r: { SessionId?: unknown; sessionId?: unknown; Seq?: unknown; seq?: unknown }) =>
  `${r.SessionId ?? r.sessionId}#${r.Seq ?? r.seq}`;

async function landed(): Promise<{ streamed: Set<string>; queued: Set<string>; dead: Set<string> }> {
  const streamed = new Set(
    stub.streaming.flatMap((c) =>
      c.text
        .trimEnd()
        .split('\n')
        .map((l) => key(JSON.parse(l))),
    ),
  );
  const queued = new Set<string>();
  const q = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('readyforaggregation');
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('ingest-temp');
  const peeked: string[] = [];
  for (;;) {
    const { receivedMessageItems } = await q.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
    if (!receivedMessageItems.length) break;
    for (const m of receivedMessageItems) peeked.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString()).BlobPath);
  }
  for (const blobPath of peeked) {
    const name = decodeURIComponent(new URL(blobPath).pathname.split('/').slice(3).join('/'));
    for (const l of zlib
      .gunzipSync(await blobs.getBlobClient(name).downloadToBuffer())
      .toString()
      .trimEnd()
      .split('\n'))
      queued.add(key(JSON.parse(l)));
  }
  const dead = new Set<string>();
  for await (const b of services.deadLetter.listBatches!())
    for (const r of (await b.read()).rows) dead.add(key(r as { SessionId: string; Seq: number }));
  return { streamed, queued, dead };
}

describe('fault injection under load', () => {
  it('acknowledged records are never lost; 503s are the only gaps; replay closes them', async () => {
    const acked = new Set<string>();
    const refused = new Set<string>();
    const statuses: Record<number, number> = {};
    let stop = false;
    const client = async (id: number) => {
      for (let req = 0; !stop; req++) {
        const records = Array.from({ length: 10 }, (_, i) => validBeacon({ sessionId: `c${id}-r${req}`, seq: i }));
        const res = await handleBeaconRequest(
          httpRequest({ body: JSON.stringify(records), headers: { 'content-type': 'application/json' } }),
          invocationContext(),
          services,
        );
        statuses[res.status!] = (statuses[res.status!] ?? 0) + 1;
        for (const r of records) (res.status === 202 ? acked : refused).add(key(r));
        if (res.status !== 202 && res.status !== 503) throw new Error(`unexpected ${res.status}`);
      }
    };
    const clients = Array.from({ length: 8 }, (_, i) => client(i));

    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Phases end on what happened, not on the clock: a busy machine only makes them slower.
    const until = async (done: () => boolean, what: string) => {
      for (const start = Date.now(); !done(); await wait(50))
        if (Date.now() - start > 30_000) throw new Error(`timed out waiting for ${what}`);
    };
    await until(() => acked.size >= 100, 'traffic');
    stub.streamingFaults.push(
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 500 },
      { hang: true },
      { reset: true },
      { status: 503 },
    );
    await until(() => stub.streamingFaults.length === 0, 'the transient faults to be served');
    // staging storage and the dead-letter container go away while streaming also fails
    await azurite.stop();
    stub.streamingFaults.push(...Array.from({ length: 1000 }, () => ({ status: 500 })));
    await until(() => (statuses[503] ?? 0) > 0, 'a 503 during the outage');
    azurite = await startAzurite({ location: dir, blobPort: azurite.blobPort, queuePort: azurite.queuePort, tablePort: azurite.tablePort });
    stub.streamingFaults.length = 0;
    stub.streamingFaults.push({ status: 400 }, { status: 400 }); // permanent: dead-lettered at once
    await until(() => stub.streamingFaults.length === 0, 'the permanent faults to be served');
    const settled = acked.size;
    await until(() => acked.size >= settled + 100, 'traffic after recovery');
    stop = true;
    await Promise.all(clients);
    await services.batcher.flush();

    const { streamed, queued, dead } = await landed();
    const found = new Set([...streamed, ...queued, ...dead]);
    const missingAcked = [...acked].filter((k) => !found.has(k));
    const unexpected = [...found].filter((k) => !acked.has(k) && !refused.has(k));
    console.log(
      `faults: ${acked.size} acknowledged, ${refused.size} refused with 503; landed ${streamed.size} streamed, ${queued.size} queued, ${dead.size} dead-lettered; ` +
        `acknowledged but missing ${missingAcked.length}; statuses ${JSON.stringify(statuses)}`,
    );
    expect(acked.size).toBeGreaterThan(200);
    expect(statuses[503] ?? 0).toBeGreaterThan(0); // the outage was felt
    expect(dead.size).toBeGreaterThan(0); // permanent errors went to the dead-letter store
    expect(missingAcked).toEqual([]);
    expect(unexpected).toEqual([]);

    // replay the dead letters now that the sink is healthy: nothing acknowledged is left outside
    const report = await replayDeadLetters({ store: services.deadLetter, sink });
    expect(report.failed).toBe(0);
    const after = await landed();
    expect(after.dead.size).toBe(0);
    const inSink = new Set([...streamed, ...queued, ...after.streamed, ...after.queued]);
    expect([...acked].filter((k) => !inSink.has(k))).toEqual([]);
  }, 120_000);
});
