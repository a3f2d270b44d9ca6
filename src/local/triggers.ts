// Timer and queue triggers on the local host, the way the Functions host runs them: timers on
// their NCRONTAB schedule (the common `*/N` minute and second forms; anything else runs every
// 5 minutes locally), queues polled from Azurite with base64 JSON decoding, retries, and a move to
// `<queue>-poison` after maxDequeueCount failed attempts (host.json).
import { readFile } from 'node:fs/promises';
import { QueueClient } from '@azure/storage-queue';
import type { LocalHost } from './host.js';

export function intervalFromSchedule(schedule: string): number {
  const [sec, min, hour] = schedule.trim().split(/\s+/);
  const every = (field: string | undefined) => (field && /^\*\/\d+$/.test(field) ? Number(field.slice(2)) : undefined);
  if (every(sec) && min === '*') return every(sec)! * 1000;
  if (every(min) && hour === '*') return every(min)! * 60_000;
  if (min === '*' && hour === '*') return 60_000;
  return 5 * 60_000;
}

export async function maxDequeueCountFromHostJson(file = 'host.json'): Promise<number> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { extensions?: { queues?: { maxDequeueCount?: number } } }).extensions?.queues?.maxDequeueCount ?? 5;
  } catch {
    return 5;
  }
}

export interface LocalTriggers {
  stop(): void;
  /** One poll of every queue now (tests). */
  pollQueues(): Promise<number>;
}

export function startLocalTriggers(opts: {
  host: LocalHost;
  connectionString: string;
  maxDequeueCount: number;
  queuePollMs?: number;
  retryDelaySeconds?: number;
  log?: (line: string) => void;
  timers?: boolean;
}): LocalTriggers {
  const log = opts.log ?? console.log;
  const timers: NodeJS.Timeout[] = [];
  const cs = opts.connectionString.includes('UseDevelopmentStorage=true') ? 'UseDevelopmentStorage=true' : opts.connectionString;
  for (const reg of opts.host.registrations) {
    if (reg.trigger.type.toLowerCase() === 'timertrigger' && opts.timers !== false) {
      const every = intervalFromSchedule(String(reg.trigger.schedule));
      timers.push(
        setInterval(() => {
          opts.host.invoke(reg.name, { isPastDue: false, schedule: { adjustForDST: true } }).catch((err) => log(`[${reg.name}] failed: ${(err as Error).message}`));
        }, every),
      );
    }
  }
  const queues = opts.host.registrations
    .filter((r) => r.trigger.type.toLowerCase() === 'queuetrigger')
    .map((r) => ({ reg: r, client: new QueueClient(cs, String(r.trigger.queueName)), poison: new QueueClient(cs, `${String(r.trigger.queueName)}-poison`) }));

  const pollQueues = async (): Promise<number> => {
    let handled = 0;
    for (const { reg, client, poison } of queues) {
      await client.createIfNotExists();
      const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 16, visibilityTimeout: 30 });
      for (const m of receivedMessageItems) {
        handled++;
        const text = Buffer.from(m.messageText, 'base64').toString('utf8');
        let payload: unknown = text;
        try {
          payload = JSON.parse(text);
        } catch {
          // not JSON: the handler gets the string, as the real host does
        }
        try {
          await opts.host.invoke(reg.name, payload, { id: m.messageId, dequeueCount: m.dequeueCount, insertionTime: m.insertedOn, expirationTime: m.expiresOn });
          await client.deleteMessage(m.messageId, m.popReceipt);
        } catch (err) {
          if (m.dequeueCount >= opts.maxDequeueCount) {
            await poison.createIfNotExists();
            await poison.sendMessage(m.messageText);
            await client.deleteMessage(m.messageId, m.popReceipt);
            log(`[${reg.name}] message ${m.messageId} failed ${m.dequeueCount} times: moved to ${poison.name}`);
          } else {
            await client.updateMessage(m.messageId, m.popReceipt, undefined, opts.retryDelaySeconds ?? 5);
            log(`[${reg.name}] message ${m.messageId} attempt ${m.dequeueCount} failed, will retry: ${(err as Error).message}`);
          }
        }
      }
    }
    return handled;
  };
  if (queues.length) {
    let busy = false;
    timers.push(
      setInterval(() => {
        if (busy) return;
        busy = true;
        pollQueues()
          .catch((err) => log(`[queues] poll failed: ${(err as Error).message}`))
          .finally(() => (busy = false));
      }, opts.queuePollMs ?? 1000),
    );
  }
  timers.forEach((t) => t.unref());
  return { stop: () => timers.forEach((t) => clearInterval(t)), pollQueues };
}
