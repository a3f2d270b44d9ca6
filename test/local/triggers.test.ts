// Queue and timer triggers on the local host. Queue tests drive the real alertNotifier
// registration (and an echo function) against Azurite's queues with a local webhook receiver;
// timer tests register their own timer functions.
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeQueueMessage } from '../../src/alerts/message.js';
import { sampleAlert } from '../../src/alerts/sample.js';
import { installFunctionsCore } from '../../src/local/functions-core.js';
import { startLocalHost, type LocalHost } from '../../src/local/host.js';
import { decodeQueueText, queueSettingsFromHostJson, startLocalTriggers, type LocalTriggers } from '../../src/local/triggers.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/local/webhook-receiver.js';
import { storageAccess } from '../../src/storage.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';

let azurite: TestAzurite;
let host: LocalHost;
let receiver: WebhookReceiver;
let queues: LocalTriggers;
const lines: string[] = [];
const echoed: Array<{ input: unknown; meta: Record<string, unknown> | undefined }> = [];
const ticks: Array<{ timer: any; start: number; end: number }> = [];
let startups = 0;

const QUEUE = 'alerts-test';
const client = (name: string) => new QueueClient(azurite.connectionString, name);
const peek = async (name: string) =>
  (await client(name).exists())
    ? (await client(name).peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText)
    : [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  azurite = await startTestAzurite();
  receiver = await startWebhookReceiver();
  // The functions read their settings when they register, as on Azure: set them first.
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env.QOE_ALERT_WEBHOOK_URL = `${receiver.url}/webhook`;
  process.env.QOE_ALERT_QUEUE = QUEUE;
  installFunctionsCore();
  await import('../../src/index.js');
  const { app } = await import('@azure/functions');
  app.storageQueue('echo', {
    queueName: 'echo-test',
    connection: 'AzureWebJobsStorage',
    handler: (input, context) => void echoed.push({ input, meta: context.triggerMetadata }),
  });
  app.timer('tick', {
    schedule: '*/1 * * * * *',
    handler: async (timer) => {
      const start = Date.now();
      await sleep(1500); // longer than the schedule: runs must not overlap
      ticks.push({ timer, start, end: Date.now() });
    },
  });
  app.timer('startup', { schedule: '0 0 0 1 1 *', runOnStartup: true, handler: () => void startups++ });
  host = await startLocalHost({ port: 0, log: () => {} });
  const storage = storageAccess({ connectionString: azurite.connectionString });
  queues = startLocalTriggers({
    host,
    queueClient: (n) => storage.queue(n),
    queues: { maxDequeueCount: 3, visibilityTimeoutSeconds: 0 },
    polling: false,
    timers: false,
    log: (l) => lines.push(l),
  });
});
afterAll(async () => {
  await queues?.stop();
  await host?.close();
  await receiver?.close();
  await azurite?.stop();
});
beforeEach(() => {
  receiver.received.length = 0;
  receiver.failNext(0);
  echoed.length = 0;
});

describe('host.json and message decoding', () => {
  it('reads extensions.queues from host.json, with the extension defaults when absent', async () => {
    expect(await queueSettingsFromHostJson()).toEqual({
      maxDequeueCount: 5,
      visibilityTimeoutSeconds: 30,
      batchSize: 16,
      messageEncoding: 'base64',
    });
    expect(await queueSettingsFromHostJson('no-such-host.json')).toEqual({
      maxDequeueCount: 5,
      visibilityTimeoutSeconds: 0,
      batchSize: 16,
      messageEncoding: 'base64',
    });
  });

  it('decodes base64, hands JSON over parsed and other text as a string, refuses invalid base64', () => {
    expect(decodeQueueText(Buffer.from('{"a":1}').toString('base64'), 'base64')).toEqual({ payload: { a: 1 }, text: '{"a":1}' });
    expect(decodeQueueText(Buffer.from('hello').toString('base64'), 'base64')).toEqual({ payload: 'hello', text: 'hello' });
    expect(decodeQueueText(Buffer.from('{not json').toString('base64'), 'base64')).toEqual({ payload: '{not json', text: '{not json' });
    expect(decodeQueueText('not base64!', 'base64')).toBeUndefined();
    expect(decodeQueueText('abc', 'base64')).toBeUndefined();
    expect(decodeQueueText('[1,2]', 'none')).toEqual({ payload: [1, 2], text: '[1,2]' });
  });
});

describe('local queue trigger', () => {
  it('hands a base64 JSON message to the function parsed, with the trigger metadata, and deletes it', async () => {
    await client('echo-test').createIfNotExists();
    await client('echo-test').sendMessage(Buffer.from('{"hello":"queue"}').toString('base64'));
    await client('echo-test').sendMessage(Buffer.from('plain text').toString('base64'));
    expect(await queues.pollQueues()).toBe(2);
    expect(echoed.map((e) => e.input).sort()).toEqual([{ hello: 'queue' }, 'plain text'].sort());
    const meta = echoed.find((e) => typeof e.input === 'object')!.meta!;
    expect(meta).toMatchObject({ dequeueCount: 1, queueTrigger: '{"hello":"queue"}' });
    expect(typeof meta.id).toBe('string');
    expect(await peek('echo-test')).toEqual([]);
  });

  it('the alert notifier sends a queued alert to the webhook, and the message is gone', async () => {
    const alert = sampleAlert(new Date('2026-11-23T10:32:00Z'));
    await client(QUEUE).createIfNotExists();
    await client(QUEUE).sendMessage(encodeQueueMessage(alert));
    expect(await queues.pollQueues()).toBeGreaterThanOrEqual(1);
    expect(receiver.received.map((r) => [r.path, r.status, r.body])).toEqual([['/webhook', 200, alert]]);
    expect(await peek(QUEUE)).toEqual([]);
    expect(await peek(`${QUEUE}-poison`)).toEqual([]);
  });

  it('a 500 from the webhook fails the attempt; the message comes back and the retry delivers it', async () => {
    const alert = sampleAlert(new Date('2026-11-23T11:32:00Z'));
    await client(QUEUE).sendMessage(encodeQueueMessage(alert));
    receiver.failNext(1);
    await queues.pollQueues();
    expect(receiver.received.map((r) => r.status)).toEqual([500]);
    expect(lines.at(-1)).toMatch(
      /attempt 1 of 3 failed: alert [0-9a-f]+ not delivered to webhook \(http:\/\/127\.0\.0\.1:\d+\/…\) answered 500/,
    );
    expect(lines.join('\n')).not.toContain('/webhook'); // the URL path is never logged
    await sleep(50);
    await queues.pollQueues();
    expect(receiver.received.map((r) => r.status)).toEqual([500, 200]);
    expect(receiver.received[1]!.body).toEqual(alert);
    expect(await peek(QUEUE)).toEqual([]);
    expect(await peek(`${QUEUE}-poison`)).toEqual([]);
  });

  it('after maxDequeueCount failed attempts the message moves to the poison queue, unchanged', async () => {
    const alert = sampleAlert(new Date('2026-11-23T12:32:00Z'));
    const text = encodeQueueMessage(alert);
    await client(QUEUE).sendMessage(text);
    receiver.failNext(100);
    for (let i = 1; i <= 3; i++) {
      await sleep(50);
      expect(await queues.pollQueues()).toBe(1);
      expect(receiver.received).toHaveLength(i);
    }
    expect(await peek(QUEUE)).toEqual([]);
    expect(await peek(`${QUEUE}-poison`)).toEqual([text]);
    expect(lines.at(-1)).toMatch(/failed 3 times: moved to alerts-test-poison/);
    await client(`${QUEUE}-poison`).clearMessages();
  });

  it('a message that is not base64 goes to the poison queue at once, without running the function', async () => {
    await client(QUEUE).sendMessage('{"not":"base64"}');
    expect(await queues.pollQueues()).toBe(1);
    expect(receiver.received).toEqual([]);
    expect(await peek(`${QUEUE}-poison`)).toEqual(['{"not":"base64"}']);
    await client(`${QUEUE}-poison`).clearMessages();
  });

  it('a message dequeued more often than maxDequeueCount (a crash mid-run) goes to the poison queue unprocessed', async () => {
    const text = encodeQueueMessage(sampleAlert(new Date('2026-11-23T13:32:00Z')));
    await client(QUEUE).sendMessage(text);
    for (let i = 0; i < 3; i++) {
      const [m] = (await client(QUEUE).receiveMessages({ visibilityTimeout: 30 })).receivedMessageItems;
      await client(QUEUE).updateMessage(m!.messageId, m!.popReceipt, undefined, 0);
    }
    expect(await queues.pollQueues()).toBe(1);
    expect(receiver.received).toEqual([]);
    expect(await peek(`${QUEUE}-poison`)).toEqual([text]);
    expect(lines.at(-1)).toMatch(/was dequeued 4 times \(maxDequeueCount 3\)/);
  });
});

describe('local timer trigger', () => {
  it('runs timers on their schedule with the Timer object, never two runs of one timer at once; runOnStartup runs at start', async () => {
    const timers = startLocalTriggers({ host, queueClient: (n) => client(n), polling: false, log: (l) => lines.push(l) });
    try {
      expect(Object.keys(timers.nextRuns()).sort()).toEqual(['anomalyTimer', 'startup', 'tick']);
      expect(timers.nextRuns().anomalyTimer!.getUTCSeconds()).toBe(0);
      expect(timers.nextRuns().anomalyTimer!.getUTCMinutes() % 5).toBe(0);
      await sleep(4200);
    } finally {
      await timers.stop();
    }
    expect(startups).toBe(1);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]!.start).toBeGreaterThanOrEqual(ticks[i - 1]!.end);
    expect(lines.some((l) => /\[tick\] previous run still going/.test(l))).toBe(true);
    const t = ticks[0]!.timer;
    expect(t).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
    expect(Date.parse(t.scheduleStatus.next)).toBeGreaterThan(Date.parse(t.scheduleStatus.lastUpdated));
    expect(new Date(t.scheduleStatus.next).getUTCMilliseconds()).toBe(0);
  });
});
