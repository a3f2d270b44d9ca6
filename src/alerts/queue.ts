// The alert queue (`qoe-alerts`): one JSON message per alert, base64 as the queue trigger expects.
import type { QueueClient } from '@azure/storage-queue';
import { createOnce } from '../storage.js';
import { encodeQueueMessage, type AlertMessage } from './message.js';

export interface AlertQueue {
  send(message: AlertMessage): Promise<void>;
}

export function alertQueue(client: QueueClient): AlertQueue {
  const ensureQueue = createOnce(() => client.createIfNotExists());
  return {
    async send(message) {
      await ensureQueue();
      await client.sendMessage(encodeQueueMessage(message));
    },
  };
}
