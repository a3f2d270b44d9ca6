// The alert queue (`qoe-alerts`): one JSON message per alert, base64 as the queue trigger expects.
import type { QueueClient } from '@azure/storage-queue';
import { ensureExists } from '../storage.js';
import { encodeQueueMessage, type AlertMessage } from './message.js';

export interface AlertQueue {
  send(message: AlertMessage): Promise<void>;
}

export function alertQueue(client: QueueClient): AlertQueue {
  let ready: Promise<unknown> | undefined;
  return {
    async send(message) {
      ready ??= ensureExists(() => client.createIfNotExists()).catch((err) => {
        ready = undefined;
        throw err;
      });
      await ready;
      await client.sendMessage(encodeQueueMessage(message));
    },
  };
}
