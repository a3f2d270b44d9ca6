// The local Event Grid: a file uploaded to Azurite's telemetry container is delivered to the real
// blobCreated registration; uploading it again adds no rows.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startLocalEventGrid, type LocalEventGrid } from '../../src/local/event-grid.js';
import { installFunctionsCore } from '../../src/local/functions-core.js';
import { startLocalHost, type LocalHost } from '../../src/local/host.js';
import { startLocalTriggers, type LocalTriggers } from '../../src/local/triggers.js';
import { storageAccess } from '../../src/storage.js';
import { createServices, setServices } from '../../src/composition/app.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { readNdjsonTree } from '../support/files.js';
import { validBeacon } from '../support/services.js';

let azurite: TestAzurite;
let host: LocalHost;
let grid: LocalEventGrid;
let triggers: LocalTriggers; // blobCreated queues a work item; the blobWorker queue trigger reads the file
let dir: string;
const delivered: Array<Record<string, any>> = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
  dir = await mkdtemp(path.join(os.tmpdir(), 'local-eg-'));
  const config = loadConfig({ AzureWebJobsStorage: azurite.connectionString, QOE_DATA_DIR: dir, QOE_BATCH_MAX_DELAY_MS: '5' });
  setServices(await createServices(config, { log: () => {} }));
  installFunctionsCore();
  await import('../../src/index.js');
  host = await startLocalHost({ port: 0, log: () => {} });
  triggers = startLocalTriggers({
    host,
    queueClient: (name) => storageAccess({ connectionString: azurite.connectionString }).queue(name),
    polling: false,
    timers: false,
    log: () => {},
  });
  grid = startLocalEventGrid({
    connectionString: azurite.connectionString,
    containers: ['telemetry'],
    intervalMs: 60_000, // the test polls by hand
    deliver: async (event) => {
      delivered.push(event);
      return host.invoke('blobCreated', event);
    },
  });
});
afterAll(async () => {
  grid?.stop();
  await triggers?.stop();
  await host?.close();
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('local Event Grid over Azurite', () => {
  it('delivers BlobCreated with the fields Azure sends, and rows appear once', async () => {
    expect(await grid.poll()).toBe(0); // creates the container
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('telemetry');
    const body = Array.from({ length: 4 }, (_, i) => JSON.stringify(validBeacon({ sessionId: 'dropped', seq: i }))).join('\n');
    await container
      .getBlockBlobClient('partner/day1.ndjson')
      .upload(body, body.length, { blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
    expect(await grid.poll()).toBe(1);
    expect(await grid.poll()).toBe(0); // nothing new
    const event = delivered[0]!;
    expect(event).toMatchObject({
      eventType: 'Microsoft.Storage.BlobCreated',
      subject: '/blobServices/default/containers/telemetry/blobs/partner/day1.ndjson',
      metadataVersion: '1',
    });
    expect(Object.keys(event.data).sort()).toEqual(
      [
        'api',
        'blobType',
        'clientRequestId',
        'contentLength',
        'contentType',
        'eTag',
        'requestId',
        'sequencer',
        'storageDiagnostics',
        'url',
      ].sort(),
    );
    expect(event.data).toMatchObject({
      api: 'PutBlob',
      blobType: 'BlockBlob',
      contentType: 'application/x-ndjson',
      contentLength: body.length,
    });

    const rows = async () => (await readNdjsonTree(path.join(dir, 'sink'))).filter((r) => r.SessionId === 'dropped');
    await triggers.pollQueues();
    expect(await rows()).toHaveLength(4);

    // the partner uploads the same file again: a new eTag, a new event, no new rows
    await container.getBlockBlobClient('partner/day1.ndjson').upload(body, body.length);
    expect(await grid.poll()).toBe(1);
    expect(delivered).toHaveLength(2);
    await triggers.pollQueues();
    expect(await rows()).toHaveLength(4);
  });

  it('remembers what it delivered in its state file, so a restart announces only what is new, and retries a failed delivery', async () => {
    const stateFile = path.join(dir, 'event-grid.json');
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('telemetry');
    const seen: string[] = [];
    let fail = false;
    const start = () =>
      startLocalEventGrid({
        connectionString: azurite.connectionString,
        containers: ['telemetry'],
        intervalMs: 60_000,
        stateFile,
        deliver: async (event) => {
          if (fail) throw new Error('function host down');
          seen.push((event.subject as string).split('/blobs/')[1]!);
        },
      });
    const first = start();
    await container.getBlockBlobClient('restart/a.ndjson').upload('{}', 2);
    expect(await first.poll()).toBeGreaterThanOrEqual(2); // everything so far, it has no state yet
    expect(seen).toContain('restart/a.ndjson');
    first.stop();

    seen.length = 0;
    const second = start(); // "npm start" again
    expect(await second.poll()).toBe(0);
    await container.getBlockBlobClient('restart/b.ndjson').upload('{}', 2);
    fail = true;
    expect(await second.poll()).toBe(0);
    fail = false;
    expect(await second.poll()).toBe(1);
    expect(seen).toEqual(['restart/b.ndjson']);
    second.stop();
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(Object.keys(state.delivered)).toEqual(expect.arrayContaining(['telemetry/restart/a.ndjson', 'telemetry/restart/b.ndjson']));
  });
});
