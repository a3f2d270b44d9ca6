// Alerts in the poison queue (`qoe-alerts-poison`) failed every attempt: a target was down for
// longer than the retries, or misconfigured. The poison queue keeps a message for 7 days (the
// host copies it with the default time-to-live); replaying moves each one back to the alert
// queue as it is, so the notifier tries again (targets that already took it are skipped).
import type { QueueClient } from '@azure/storage-queue';
import { decodeQueueMessage } from './message.js';

export interface ReplayReport {
  /** Messages in the poison queue when the replay started (approximate, as Storage reports it). */
  waiting: number;
  moved: number;
  /** dry run: what would be moved (the first 32, as peeking shows them). */
  preview: Array<{ id: string; alertId?: string; title?: string }>;
}

export async function replayPoison(
  poison: QueueClient,
  target: QueueClient,
  o: { dryRun?: boolean; onMoved?: (id: string) => void } = {},
): Promise<ReplayReport> {
  if (!(await poison.exists())) return { waiting: 0, moved: 0, preview: [] };
  const waiting = (await poison.getProperties()).approximateMessagesCount ?? 0;
  if (o.dryRun) {
    const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
    const preview = peekedMessageItems.map((m) => {
      try {
        const body = decodeQueueMessage(m.messageText) as { alertId?: string; title?: string };
        return { id: m.messageId, alertId: body.alertId, title: body.title };
      } catch {
        return { id: m.messageId };
      }
    });
    return { waiting, moved: 0, preview };
  }
  await target.createIfNotExists();
  const started = Date.now();
  let moved = 0;
  for (;;) {
    const { receivedMessageItems } = await poison.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 120 });
    if (receivedMessageItems.length === 0) break;
    let fresh = false;
    for (const m of receivedMessageItems) {
      // A message that failed again while we replay lands here anew: leave it for the next replay.
      if (m.insertedOn.getTime() > started) {
        await poison.updateMessage(m.messageId, m.popReceipt, undefined, 0);
        fresh = true;
        continue;
      }
      await target.sendMessage(m.messageText);
      await poison.deleteMessage(m.messageId, m.popReceipt);
      moved++;
      o.onMoved?.(m.messageId);
    }
    if (fresh) break;
  }
  return { waiting, moved, preview: [] };
}
