// The blobCreated and blobWorker registrations, invoked the way the Functions host invokes them:
// one event object per invocation (either schema), the work queue in Azurite polled like the queue
// extension does. blobCreated only checks and enqueues; forged events make no request anywhere.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { installFunctionsCore } from '../../src/local/functions-core.js';
import { startLocalHost, type LocalHost } from '../../src/local/host.js';
import { startLocalTriggers, type LocalTriggers } from '../../src/local/triggers.js';
import { storageAccess } from '../../src/storage.js';
import { createServices, setServices, type Services } from '../../src/composition/app.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { readNdjsonTree } from '../support/files.js';
import { validBeacon } from '../support/services.js';

let azurite: TestAzurite;
let host: LocalHost;
let triggers: LocalTriggers;
let services: Services;
let dir: string;
let container: ContainerClient;
let listener: Server;
const hits: string[] = [];
const lines: string[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fn-blob-'));
  const config = loadConfig({
    AzureWebJobsStorage: azurite.connectionString,
    QOE_DATA_DIR: dir,
    QOE_DEADLETTER_STORE: 'file',
    QOE_BATCH_MAX_DELAY_MS: '5',
    QOE_BLOB_CLAIM_SECONDS: '1',
  });
  services = await createServices(config, { log: () => {} });
  setServices(services);
  installFunctionsCore();
  await import('../../src/functions/blob-created.js');
  await import('../../src/functions/blob-worker.js');
  host = await startLocalHost({ port: 0, log: (l) => lines.push(l) });
  const storage = storageAccess({ connectionString: azurite.connectionString });
  triggers = startLocalTriggers({
    host,
    queueClient: (name) => storage.queue(name),
    polling: false,
    timers: false,
    log: (l) => lines.push(l),
  });
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('telemetry');
  await container.createIfNotExists();
  // Stands in for a host a forged event names: it must never be asked for anything.
  listener = createServer((req, res) => {
    hits.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    res.end('{"sessionId":"forged","seq":1,"event":"play","ts":1795428000000}\n');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  setServices(undefined);
  await triggers?.stop();
  await host?.close();
  await new Promise((resolve) => listener?.close(resolve));
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

const TOPIC =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1';

/** A CloudEvents 1.0 BlobCreated for a blob in Azurite, shaped like the one on Microsoft's CloudEvents page. */
async function cloudEvent(
  containerName: string,
  name: string,
  body: string,
  over: { source?: string; url?: string } = {},
): Promise<Record<string, unknown>> {
  const c = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(containerName);
  await c.createIfNotExists();
  const blob = c.getBlockBlobClient(name);
  await blob.upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
  const props = await blob.getProperties();
  return {
    specversion: '1.0',
    type: 'Microsoft.Storage.BlobCreated',
    source: over.source ?? TOPIC,
    id: crypto.randomUUID(),
    time: new Date().toISOString(),
    subject: `/blobServices/default/containers/${containerName}/blobs/${name}`,
    data: {
      api: 'PutBlob',
      clientRequestId: crypto.randomUUID(),
      requestId: crypto.randomUUID(),
      eTag: props.etag,
      contentType: 'application/x-ndjson',
      contentLength: Buffer.byteLength(body),
      blobType: 'BlockBlob',
      url: over.url ?? blob.url,
      sequencer: '0000000000000000000000000000000100000000000000aa',
      storageDiagnostics: { batchId: crypto.randomUUID() },
    },
  };
}

const rowsFor = async (session: string) => (await readNdjsonTree(path.join(dir, 'sink'))).filter((r) => r.SessionId === session);
const ndjson = (session: string, n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify(validBeacon({ sessionId: session, seq: i }))).join('\n');
const queued = async () =>
  Number(
    (await storageAccess({ connectionString: azurite.connectionString }).queue(services.config.blob.queue).getProperties())
      .approximateMessagesCount ?? 0,
  );

/** Polls the work queue until it is empty (messages re-enqueued with a delay included). */
async function workUntilEmpty(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await triggers.pollQueues();
    if ((await queued()) === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('work queue did not drain');
}

describe('blobCreated and blobWorker', () => {
  it('blobCreated queues a work item; the worker reads the blob; the same event again adds nothing', async () => {
    const event = await cloudEvent('telemetry', 'fn/one.ndjson', ndjson('fn-one', 6));
    await host.invoke('blobCreated', event);
    expect(lines.at(-1)).toMatch(/blobCreated: telemetry\/fn\/one\.ndjson: queued$/);
    expect(await rowsFor('fn-one')).toEqual([]); // nothing read inside the Event Grid invocation
    await workUntilEmpty();
    const rows = await rowsFor('fn-one');
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatchObject({ Source: 'blob', SourceRef: (event.data as { url: string }).url });
    await host.invoke('blobCreated', event);
    await workUntilEmpty();
    expect(await rowsFor('fn-one')).toHaveLength(6);
    expect(lines.filter((l) => l.includes('blobWorker: telemetry/fn/one.ndjson')).at(-1)).toContain('"status":"already-done"');
  });

  it('the same event delivered three times at once: every row exactly once', async () => {
    const event = await cloudEvent('telemetry', 'fn/thrice.ndjson', ndjson('fn-thrice', 40));
    await Promise.all([host.invoke('blobCreated', event), host.invoke('blobCreated', event), host.invoke('blobCreated', event)]);
    expect(await queued()).toBe(3);
    await workUntilEmpty();
    const rows = await rowsFor('fn-thrice');
    expect(rows.map((r) => Number(r.Seq)).sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
  });

  it('an event whose topic or url points elsewhere is acknowledged and nothing is asked of the other host', async () => {
    const { port } = listener.address() as AddressInfo;
    const elsewhere = `http://127.0.0.1:${port}/devstoreaccount1/telemetry/fn/forged.ndjson`;
    const forgedUrl = await cloudEvent('telemetry', 'fn/forged.ndjson', ndjson('fn-forged', 2), { url: elsewhere });
    const forgedTopic = await cloudEvent('telemetry', 'fn/forged2.ndjson', ndjson('fn-forged2', 2), {
      source: TOPIC.replace('devstoreaccount1', 'attacker'),
      url: elsewhere,
    });
    const otherHost = await cloudEvent('telemetry', 'fn/forged3.ndjson', ndjson('fn-forged3', 2), {
      url: `http://localhost:${port}/telemetry/fn/forged3.ndjson`,
    });
    for (const event of [forgedUrl, forgedTopic, otherHost]) await expect(host.invoke('blobCreated', event)).resolves.toBeUndefined();
    expect(lines.slice(-3)).toEqual([
      expect.stringMatching(
        /fn\/forged\.ndjson: ignored \(url http:\/\/127\.0\.0\.1:\d+\/.* is not telemetry\/fn\/forged\.ndjson at the configured blob endpoint\)/,
      ),
      expect.stringMatching(
        /fn\/forged2\.ndjson: ignored \(topic .*storageAccounts\/attacker is not the storage account devstoreaccount1\)/,
      ),
      expect.stringMatching(/fn\/forged3\.ndjson: ignored \(url/),
    ]);
    expect(await queued()).toBe(0);
    await workUntilEmpty();
    expect(hits).toEqual([]);
    for (const s of ['fn-forged', 'fn-forged2', 'fn-forged3', 'forged']) expect(await rowsFor(s)).toEqual([]);
  });

  it('acknowledges other event types and other containers with a log line', async () => {
    const deleted = { ...(await cloudEvent('telemetry', 'fn/two.ndjson', ndjson('fn-two', 1))), type: 'Microsoft.Storage.BlobDeleted' };
    await expect(host.invoke('blobCreated', deleted)).resolves.toBeUndefined();
    expect(lines.at(-1)).toMatch(/blobCreated: ignored \(event type Microsoft\.Storage\.BlobDeleted\)/);
    const other = await cloudEvent('uploads', 'x.ndjson', ndjson('fn-elsewhere', 1));
    await expect(host.invoke('blobCreated', other)).resolves.toBeUndefined();
    expect(lines.at(-1)).toMatch(/uploads\/x\.ndjson: ignored \(.*outside the watched containers/);
    expect(await queued()).toBe(0);
  });

  it('throws when the work item cannot be queued, so Event Grid delivers the event again', async () => {
    const event = await cloudEvent('telemetry', 'fn/three.ndjson', ndjson('fn-three', 2));
    setServices({
      ...services,
      blobQueue: { send: async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) },
    });
    await expect(host.invoke('blobCreated', event)).rejects.toThrow(/ECONNREFUSED/);
    setServices(services);
    await host.invoke('blobCreated', event);
    await workUntilEmpty();
    expect(await rowsFor('fn-three')).toHaveLength(2);
  });
});
