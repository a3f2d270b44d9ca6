// The alert queue: JSON messages, base64-encoded as the Functions queue trigger expects by default.
import { QueueClient } from '@azure/storage-queue';
import { ensureExists } from '../storage.js';
import type { AlertMessage } from './detect.js';

export interface AlertQueue {
  send(message: AlertMessage): Promise<void>;
}

export function encodeMessage(message: unknown): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
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
      await client.sendMessage(encodeMessage(message));
    },
  };
}
