// The work item the blobCreated function puts on the blob work queue and the blobWorker reads:
// which blob version (and which byte range of it) to read. It names the blob by container and
// name only; the worker builds the URL from the configured storage account, never from the event.
import type { QueueClient } from '@azure/storage-queue';
import { createOnce } from '../../storage.js';

export interface WorkItem {
  container: string;
  name: string;
  eTag: string;
  /** A byte range of a large line-based file: [start, end). Absent: the whole file. */
  range?: { start: number; end: number };
}

export interface WorkQueue {
  /** Enqueues an item, visible after `delaySeconds` (0: now). */
  send(item: WorkItem, delaySeconds?: number): Promise<void>;
}

/** Queue messages are base64 JSON, what the Functions queue trigger decodes (host.json messageEncoding). */
export function workQueue(client: QueueClient): WorkQueue {
  const ensure = createOnce(() => client.createIfNotExists());
  return {
    async send(item, delaySeconds = 0) {
      await ensure();
      await client.sendMessage(
        Buffer.from(JSON.stringify(item)).toString('base64'),
        delaySeconds > 0 ? { visibilityTimeout: Math.min(delaySeconds, 7 * 24 * 3600) } : {},
      );
    },
  };
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** A queue message (as the trigger hands it over: parsed JSON, or text) -> a work item, or why not. */
export function parseWorkItem(message: unknown): WorkItem | { invalid: string } {
  let m = message;
  if (typeof m === 'string') {
    try {
      m = JSON.parse(m);
    } catch {
      return { invalid: 'work item is not JSON' };
    }
  }
  if (typeof m !== 'object' || m === null) return { invalid: 'work item is not an object' };
  const o = m as Record<string, unknown>;
  if (typeof o.container !== 'string' || typeof o.name !== 'string' || typeof o.eTag !== 'string' || !o.container || !o.name || !o.eTag) {
    return { invalid: 'work item needs container, name and eTag' };
  }
  const item: WorkItem = { container: o.container, name: o.name, eTag: o.eTag };
  if (o.range !== undefined) {
    const r = o.range as Record<string, unknown> | null;
    if (!r || !isCount(r.start) || !isCount(r.end) || r.end <= r.start)
      return { invalid: 'work item range must be {start, end} with end > start' };
    item.range = { start: r.start, end: r.end };
  }
  return item;
}
