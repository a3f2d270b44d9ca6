// Queue and timer triggers on the local host: the real alertNotifier registration reads Azurite's
// queue; a webhook that fails is retried and the message ends in the poison queue, never dropped.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/alerts/queue.js';
import { installFunctionsCore } from '../../src/local/functions-core.js';
import { startLocalHost, type LocalHost } from '../../src/local/host.js';
import { intervalFromSchedule, startLocalTriggers, type LocalTriggers } from '../../src/local/triggers.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';

let azurite: TestAzurite;
let host: LocalHost;
let triggers: LocalTriggers;
let server: http.Server;
let status = 200;
const hits: unknown[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hits.push(JSON.parse(body));
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  // The function reads its settings at registration, like on Azure: set them first.
  process.env.QOE_ALERT_WEBHOOK_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  process.env.QOE_ALERT_QUEUE = 'alerts-test';
  installFunctionsCore();
  await import('../../src/index.js');
  host = await startLocalHost({ port: 0, log: () => {} });
  triggers = startLocalTriggers({ host, connectionString: azurite.connectionString, maxDequeueCount: 3, retryDelaySeconds: 0, queuePollMs: 3_600_000, timers: false, log: () => {} });
});
afterAll(async () => {
  triggers?.stop();
  await host?.close();
  await new Promise<void>((r) => server.close(() => r()));
  await azurite?.stop();
});

const alert = (id: string) => ({ version: 1, alertId: id, detectedAt: '2026-11-23T10:32:00Z', dimension: 'Cdn', dimensionValue: 'Akamai', windowStart: 'a', windowEnd: 'b', anomalies: [] });

describe('local queue trigger', () => {
  it('delivers a base64 JSON message to the function and deletes it on success', async () => {
    const queue = new QueueClient(azurite.connectionString, 'alerts-test');
    await queue.createIfNotExists();
    await queue.sendMessage(encodeMessage(alert('ok-1')));
    expect(await triggers.pollQueues()).toBe(1);
    expect(hits).toEqual([alert('ok-1')]);
    expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(0);
  });

  it('retries a failing send and parks the message in the poison queue after maxDequeueCount', async () => {
    status = 500;
    hits.length = 0;
    const queue = new QueueClient(azurite.connectionString, 'alerts-test');
    await queue.sendMessage(encodeMessage(alert('flaky')));
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1100)); // visible again after the (0 s) retry delay
      expect(await triggers.pollQueues()).toBe(1);
    }
    expect(hits).toHaveLength(3);
    expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(0);
    const poison = await new QueueClient(azurite.connectionString, 'alerts-test-poison').peekMessages();
    expect(JSON.parse(Buffer.from(poison.peekedMessageItems[0]!.messageText, 'base64').toString())).toEqual(alert('flaky'));
  });

  it('reads timer schedules', () => {
    expect(intervalFromSchedule('0 */5 * * * *')).toBe(300_000);
    expect(intervalFromSchedule('*/10 * * * * *')).toBe(10_000);
    expect(intervalFromSchedule('0 30 9 * * 1-5')).toBe(300_000);
  });
});
