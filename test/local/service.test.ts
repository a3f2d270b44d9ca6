// The README's promise, end to end on the local host: the real registration, Azurite, a POSTed
// beacon, the enriched row in the file sink, rejects in the dead-letter container, no raw IP anywhere.
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { installFunctionsCore } from '../../src/local/functions-core.js';
import { startLocalHost, type LocalHost } from '../../src/local/host.js';
import { createServices, setServices, type Services } from '../../src/composition/app.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { glob, readNdjsonTree } from '../support/files.js';
import { validBeacon } from '../support/services.js';

let azurite: TestAzurite;
let host: LocalHost;
let services: Services;
let dir: string;
const logs: string[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
  dir = await mkdtemp(path.join(os.tmpdir(), 'qoe-svc-'));
  const config = loadConfig({
    AzureWebJobsStorage: azurite.connectionString,
    QOE_DATA_DIR: dir,
    QOE_TRUSTED_PROXY_HOPS: '2',
    QOE_BATCH_MAX_DELAY_MS: '20',
  });
  services = await createServices(config, { log: (level, m) => logs.push(`${level} ${m}`) });
  setServices(services);
  installFunctionsCore();
  await import('../../src/index.js');
  host = await startLocalHost({ port: 0, log: (l) => logs.push(l) });
});

afterAll(async () => {
  await host?.close();
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

const CLIENT_V4 = '8.8.8.8';
const CLIENT_V6 = '2001:4860:4860::8844';

describe('the service on the local host', () => {
  it('takes a POSTed beacon and writes the enriched row; never the raw client IP', async () => {
    const res = await fetch(`${host.url}/api/beacons`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': CLIENT_V4,
        'user-agent': 'Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36',
      },
      body: JSON.stringify([validBeacon({ seq: 1, event: 'start' }), validBeacon({ seq: 2, event: 'play', startupMs: 900 })]),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, rejected: [] });
    const v6 = await fetch(`${host.url}/api/beacons`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-forwarded-for': `[${CLIENT_V6}]:443` },
      body: JSON.stringify(validBeacon({ seq: 3 })),
    });
    expect(v6.status).toBe(202);

    const rows = await readNdjsonTree(path.join(dir, 'sink'));
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatchObject({
      EventType: 'play',
      StartupMs: 900,
      Country: 'US',
      ClientIpPrefix: '8.8.8.0/24',
      DeviceType: 'smarttv',
      Os: 'Tizen',
      Cdn: 'Akamai',
      Source: 'http',
    });
    expect(rows[2]).toMatchObject({ Country: 'US', ClientIpPrefix: '2001:4860:4860::/48' });
  });

  it('keeps rejects in the Azurite dead-letter container', async () => {
    const res = await fetch(`${host.url}/api/beacons`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': CLIENT_V4 },
      body: JSON.stringify([validBeacon({ seq: 4 }), { event: 'play', note: 'no session' }]),
    });
    expect(res.status).toBe(202);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('qoe-deadletter');
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix: 'rejected/' })) names.push(b.name);
    expect(names).toHaveLength(1);
    const doc = JSON.parse((await container.getBlobClient(names[0]!).downloadToBuffer()).toString());
    expect(doc.records[0]).toMatchObject({ index: 1, record: { event: 'play', note: 'no session' } });
    expect(doc.records[0].errors.join()).toMatch(/sessionId/);
  });

  it('writes the raw client addresses nowhere: sink, dead letters, logs', async () => {
    const files = await glob(dir, /./);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('qoe-deadletter');
    let stored = '';
    for (const f of files) stored += await readFile(f, 'utf8');
    for await (const b of container.listBlobsFlat()) stored += (await container.getBlobClient(b.name).downloadToBuffer()).toString();
    stored += logs.join('\n');
    expect(stored.length).toBeGreaterThan(0);
    for (const ip of [CLIENT_V4, CLIENT_V6, '2001:4860:4860:0:0:0:0:8844']) expect(stored).not.toContain(ip);
  });
});
