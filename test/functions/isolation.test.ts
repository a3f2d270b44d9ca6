// One bad alert setting must not take intake down. The app entry (src/index.ts) is imported the way
// the Node.js worker imports it in Azure (registration reads no setting), then each function runs
// as the host runs it: beacons and blob events serve; the alerting functions log one line and
// stop (the notifier keeps its message for the retry and poison queue).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRegistrations, installFunctionsCore } from '../../src/local/functions-core.js';
import { startLocalHost, type LocalHost } from '../../src/local/host.js';
import { validBeacon } from '../support/services.js';

const BAD_URL = 'teams.example/hook-SECRET';
let host: LocalHost;
let dir: string;
const logs: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'qoe-isolation-'));
  Object.assign(process.env, {
    QOE_DATA_DIR: dir,
    QOE_DEADLETTER_STORE: 'file',
    QOE_BATCH_MAX_DELAY_MS: '5',
    QOE_ALERT_TEAMS_URL: BAD_URL,
    QOE_ALERT_STATE_TABLE: 'no', // too short for a table name: a second bad alert setting
  });
  installFunctionsCore();
  await import('../../src/index.js'); // would throw here if registration read the alert settings
  host = await startLocalHost({ port: 0, routePrefix: 'api', log: (l) => logs.push(l) });
});
afterAll(async () => {
  await host?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a bad alert setting', () => {
  it('does not stop the entry point from registering every function; bindings are %SETTING% expressions', () => {
    const regs = Object.fromEntries(getRegistrations().map((r) => [r.name, r.trigger]));
    expect(Object.keys(regs).sort()).toEqual(['alertNotifier', 'anomalyTimer', 'beacons', 'blobCreated', 'blobWorker', 'cmcd']);
    expect(regs.anomalyTimer).toMatchObject({ schedule: '%QOE_ALERT_SCHEDULE%' });
    expect(regs.alertNotifier).toMatchObject({ queueName: '%QOE_ALERT_QUEUE%' });
    expect(regs.blobWorker).toMatchObject({ queueName: '%QOE_BLOB_QUEUE%' });
  });

  it('leaves HTTP intake serving', async () => {
    const res = await fetch(`${host.url}/api/beacons`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validBeacon()),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, rejected: [] });
  });

  it('leaves blob intake serving: an event for another container is acknowledged', async () => {
    const event = {
      id: '1',
      subject: '/blobServices/default/containers/other/blobs/a.ndjson',
      eventType: 'Microsoft.Storage.BlobCreated',
      eventTime: new Date().toISOString(),
      topic: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acc',
      dataVersion: '',
      metadataVersion: '1',
      data: {
        api: 'PutBlob',
        url: 'https://acc.blob.core.windows.net/other/a.ndjson',
        contentLength: 1,
        blobType: 'BlockBlob',
        eTag: '0x1',
        sequencer: '1',
      },
    };
    await expect(host.invoke('blobCreated', event)).resolves.toBeUndefined();
    // getServices() and the blob settings were read and used (the container is not a landing one)
    expect(logs.find((l) => l.includes('blobCreated: other/a.ndjson: '))).toMatch(/skipped|ignored|container/i);
  });

  it('turns the anomaly timer off with one log line naming the settings, never the URL', async () => {
    logs.length = 0;
    await expect(host.invoke('anomalyTimer', { isPastDue: false })).resolves.toBeUndefined();
    const lines = logs.filter((l) => l.includes('alerting disabled'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /\[anomalyTimer\] error: anomalyTimer: alerting disabled by invalid settings: .*QOE_ALERT_STATE_TABLE.*QOE_ALERT_TEAMS_URL: must be an http\(s\) URL \(value not shown\)/,
    );
    expect(logs.join('\n')).not.toContain('SECRET');
  });

  it('makes the notifier fail the message (kept for retries and the poison queue) with the same reason', async () => {
    await expect(host.invoke('alertNotifier', { alertId: 'x' }, { dequeueCount: 1 })).rejects.toThrow(
      /alertNotifier: alerting disabled by invalid settings: .*QOE_ALERT_TEAMS_URL.*the message stays queued/,
    );
  });
});
