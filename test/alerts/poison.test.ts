import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeQueueMessage } from '../../src/alerts/message.js';
import { replayPoison } from '../../src/alerts/poison.js';
import { sampleAlert } from '../../src/alerts/sample.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(() => azurite?.stop());

describe('replayPoison', () => {
  it('moves every poison message back to the alert queue unchanged; a dry run only shows them', async () => {
    const poison = new QueueClient(azurite.connectionString, 'alerts-poison');
    const main = new QueueClient(azurite.connectionString, 'alerts');
    await poison.createIfNotExists();
    const texts = [0, 1, 2].map((i) => encodeQueueMessage(sampleAlert(new Date(Date.UTC(2026, 10, 23, 10 + i)))));
    for (const t of [...texts, 'not base64 at all!']) await poison.sendMessage(t);

    const dry = await replayPoison(poison, main, { dryRun: true });
    expect(dry.moved).toBe(0);
    expect(dry.preview.map((p) => p.alertId)).toEqual([
      ...texts.map((t) => JSON.parse(Buffer.from(t, 'base64').toString()).alertId),
      undefined,
    ]);
    expect(await main.exists()).toBe(false);

    const report = await replayPoison(poison, main);
    expect(report.moved).toBe(4);
    expect((await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems).toEqual([]);
    const back = (await main.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems.map((m) => m.messageText);
    expect(back.sort()).toEqual([...texts, 'not base64 at all!'].sort());
  });

  it('an empty or missing poison queue moves nothing', async () => {
    const none = new QueueClient(azurite.connectionString, 'nothing-poison');
    expect(await replayPoison(none, new QueueClient(azurite.connectionString, 'nothing'))).toEqual({ waiting: 0, moved: 0, preview: [] });
  });
});
