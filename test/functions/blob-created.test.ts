// The blobCreated registration itself, invoked the way the Functions host invokes it: one event
// object per invocation, in either schema. Ignored events resolve with a log line (acknowledged);
// a transient failure rejects (Event Grid delivers again).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { installFunctionsCore } from '../../src/local/functions-core.js';
import { startLocalHost, type LocalHost } from '../../src/local/host.js';
import { createServices, setServices, type Services } from '../../src/composition/app.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { readNdjsonTree } from '../support/files.js';
import { validBeacon } from '../support/services.js';

let azurite: TestAzurite;
let host: LocalHost;
let services: Services;
let dir: string;
let container: ContainerClient;
const lines: string[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fn-blob-'));
  const config = loadConfig({ AzureWebJobsStorage: azurite.connectionString, QOE_DATA_DIR: dir, QOE_DEADLETTER_STORE: 'file', QOE_BATCH_MAX_DELAY_MS: '5' });
  services = await createServices(config, { log: () => {} });
  setServices(services);
  installFunctionsCore();
  await import('../../src/functions/blob-created.js');
  host = await startLocalHost({ port: 0, log: (l) => lines.push(l) });
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('telemetry');
  await container.createIfNotExists();
});
afterAll(async () => {
  setServices(undefined);
  await host?.close();
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A CloudEvents 1.0 BlobCreated for a blob in Azurite, shaped like the one on Microsoft's CloudEvents page. */
async function cloudEvent(containerName: string, name: string, body: string): Promise<Record<string, unknown>> {
  const c = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(containerName);
  await c.createIfNotExists();
  const blob = c.getBlockBlobClient(name);
  await blob.upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
  const props = await blob.getProperties();
  return {
    specversion: '1.0',
    type: 'Microsoft.Storage.BlobCreated',
    source: '/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
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
      url: blob.url,
      sequencer: '0000000000000000000000000000000100000000000000aa',
      storageDiagnostics: { batchId: crypto.randomUUID() },
    },
  };
}

const rowsFor = async (session: string) => (await readNdjsonTree(path.join(dir, 'sink'))).filter((r) => r.SessionId === session);
const ndjson = (session: string, n: number) => Array.from({ length: n }, (_, i) => JSON.stringify(validBeacon({ sessionId: session, seq: i }))).join('\n');

describe('blobCreated function', () => {
  it('ingests the blob a CloudEvents BlobCreated names; the same event again adds nothing', async () => {
    const event = await cloudEvent('telemetry', 'fn/one.ndjson', ndjson('fn-one', 6));
    await host.invoke('blobCreated', event);
    const rows = await rowsFor('fn-one');
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatchObject({ Source: 'blob', SourceRef: (event.data as { url: string }).url });
    await host.invoke('blobCreated', event);
    expect(await rowsFor('fn-one')).toHaveLength(6);
    expect(lines.filter((l) => l.includes('fn/one.ndjson')).at(-1)).toContain('"status":"already-done"');
  });

  it('acknowledges other event types and other containers with a log line', async () => {
    const deleted = { ...(await cloudEvent('telemetry', 'fn/two.ndjson', ndjson('fn-two', 1))), type: 'Microsoft.Storage.BlobDeleted' };
    await expect(host.invoke('blobCreated', deleted)).resolves.toBeUndefined();
    expect(lines.at(-1)).toMatch(/blobCreated: ignored \(event type Microsoft\.Storage\.BlobDeleted\)/);
    const elsewhere = await cloudEvent('uploads', 'x.ndjson', ndjson('fn-elsewhere', 1));
    await expect(host.invoke('blobCreated', elsewhere)).resolves.toBeUndefined();
    expect(lines.at(-1)).toMatch(/uploads\/x\.ndjson: .*"status":"ignored"/);
    expect(await rowsFor('fn-two')).toEqual([]);
    expect(await rowsFor('fn-elsewhere')).toEqual([]);
  });

  it('throws on a transient storage failure, so Event Grid delivers the event again', async () => {
    const event = await cloudEvent('telemetry', 'fn/three.ndjson', ndjson('fn-three', 2));
    setServices({ ...services, blobs: { ...services.blobs, open: async () => Promise.reject(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })) } });
    await expect(host.invoke('blobCreated', event)).rejects.toThrow(/ECONNRESET/);
    setServices(services);
    await host.invoke('blobCreated', event);
    expect(await rowsFor('fn-three')).toHaveLength(2);
  });
});
