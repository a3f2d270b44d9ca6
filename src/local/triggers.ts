// Timer and queue triggers on the local host, the way the Functions host runs them.
//
// Timers: the registration's NCRONTAB schedule (ncrontab.ts), in UTC; the handler gets the same
// Timer object as on Azure ({isPastDue, schedule, scheduleStatus}); a run still going when the
// next is due is skipped (the real host holds a singleton lock); `runOnStartup` is honoured, and
// `runTimersOnStart` runs every timer once at start for local work.
//
// Queues: each queue trigger's queue is polled (every second) in Azurite, like the Storage
// Queues extension does it (host.json `extensions.queues`):
// - up to `batchSize` messages per poll, handled concurrently, invisible while they run;
// - the text is decoded per `messageEncoding` (base64 by default; a message that is not valid
//   base64 goes to the poison queue at once, as on Azure), and a JSON text reaches the handler
//   parsed, any other text as a string;
// - success deletes the message; a failure makes it visible again after `visibilityTimeout`;
//   when it has failed `maxDequeueCount` times (or is dequeued more often than that, e.g. after
//   a crash) it is copied to `<queue>-poison` and deleted: never dropped.
// Only the `AzureWebJobsStorage` connection is served (the app uses no other).
import { readFile } from 'node:fs/promises';
import type { QueueClient, DequeuedMessageItem } from '@azure/storage-queue';
import type { LocalHost } from './host.js';
import { resolveBindingExpression } from './binding-expressions.js';
import { parseSchedule, type Schedule } from './ncrontab.js';
import { errorMessage } from '../errors.js';

export interface QueueSettings {
  maxDequeueCount: number;
  /** Delay before a failed message is visible again. */
  visibilityTimeoutSeconds: number;
  batchSize: number;
  messageEncoding: 'base64' | 'none';
}

export const QUEUE_DEFAULTS: QueueSettings = { maxDequeueCount: 5, visibilityTimeoutSeconds: 0, batchSize: 16, messageEncoding: 'base64' };

/** "00:00:30" (or "1.00:00:00") -> seconds. */
function timeSpanSeconds(text: string): number | undefined {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(text.trim());
  return m ? ((Number(m[1] ?? 0) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60 + Number(m[4]) : undefined;
}

export async function queueSettingsFromHostJson(file = 'host.json'): Promise<QueueSettings> {
  let q: Record<string, unknown> = {};
  try {
    q = (JSON.parse(await readFile(file, 'utf8')) as { extensions?: { queues?: Record<string, unknown> } }).extensions?.queues ?? {};
  } catch {
    // no host.json: the extension's defaults
  }
  return {
    maxDequeueCount: typeof q.maxDequeueCount === 'number' ? q.maxDequeueCount : QUEUE_DEFAULTS.maxDequeueCount,
    visibilityTimeoutSeconds:
      (typeof q.visibilityTimeout === 'string' ? timeSpanSeconds(q.visibilityTimeout) : undefined) ??
      QUEUE_DEFAULTS.visibilityTimeoutSeconds,
    batchSize: typeof q.batchSize === 'number' ? Math.min(32, Math.max(1, q.batchSize)) : QUEUE_DEFAULTS.batchSize,
    messageEncoding: q.messageEncoding === 'none' ? 'none' : 'base64',
  };
}

/** A queue message's text -> what the handler receives; undefined when it cannot be decoded. */
export function decodeQueueText(text: string, encoding: QueueSettings['messageEncoding']): { payload: unknown; text: string } | undefined {
  let decoded = text;
  if (encoding === 'base64') {
    const b64 = text.replace(/\s+/g, '');
    if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
    decoded = Buffer.from(b64, 'base64').toString('utf8');
  }
  const t = decoded.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return { payload: JSON.parse(t), text: decoded };
    } catch {
      // not JSON after all: the string
    }
  }
  return { payload: decoded, text: decoded };
}

export interface LocalTriggersOptions {
  host: LocalHost;
  /** A client for a queue name (the app's storage account: Azurite locally). */
  queueClient: (name: string) => QueueClient;
  queues?: Partial<QueueSettings>;
  /** Pause between polls of an empty queue (default 1000 ms). */
  pollIntervalMs?: number;
  /** Run every timer function once at start. */
  runTimersOnStart?: boolean;
  /** false: no timer runs on its own (tests call runTimer). */
  timers?: boolean;
  /** false: queues are polled only by pollQueues() (tests). */
  polling?: boolean;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface LocalTriggers {
  /** One poll of every queue trigger now; resolves when those messages are handled. Returns how many. */
  pollQueues(): Promise<number>;
  /** Runs a timer function now, as its schedule would. */
  runTimer(name: string): Promise<void>;
  /** Next planned run of every timer function. */
  nextRuns(): Record<string, Date>;
  stop(): Promise<void>;
}

/** setTimeout's longest delay; later occurrences wake up early and re-arm. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export function startLocalTriggers(opts: LocalTriggersOptions): LocalTriggers {
  const log = opts.log ?? ((line: string) => console.log(line));
  const now = opts.now ?? (() => new Date());
  const qs: QueueSettings = { ...QUEUE_DEFAULTS, ...opts.queues };
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  };
  let stopped = false;

  // --- timers ---------------------------------------------------------------------------------
  interface TimerState {
    name: string;
    schedule: Schedule;
    next: Date;
    last?: Date;
    running: boolean;
    handle?: NodeJS.Timeout;
  }
  const timers = new Map<string, TimerState>();
  for (const reg of opts.host.registrations) {
    if (reg.trigger.type.toLowerCase() !== 'timertrigger') continue;
    try {
      const schedule = parseSchedule(resolveBindingExpression(reg.trigger.schedule));
      timers.set(reg.name, { name: reg.name, schedule, next: schedule.next(now()), running: false });
    } catch (err) {
      log(`[${reg.name}] timer not started: ${errorMessage(err).replace(/\n\s*/g, ' ')}`);
    }
  }

  const runTimer = async (name: string, scheduledFor?: Date): Promise<void> => {
    const t = timers.get(name);
    if (!t) throw new Error(`no timer function named ${name}`);
    if (t.running) return void log(`[${name}] previous run still going: this occurrence is skipped`);
    t.running = true;
    const started = now();
    const next = t.schedule.next(started);
    const timer = {
      isPastDue: scheduledFor !== undefined && started.getTime() - scheduledFor.getTime() > 1000,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: (t.last ?? new Date(0)).toISOString(), next: next.toISOString(), lastUpdated: started.toISOString() },
    };
    try {
      await track(opts.host.invoke(name, timer));
    } catch (err) {
      log(`[${name}] failed: ${errorMessage(err)}`);
    } finally {
      t.running = false;
      t.last = started;
    }
  };

  const arm = (t: TimerState) => {
    if (stopped || opts.timers === false) return;
    const delay = Math.max(0, t.next.getTime() - now().getTime());
    t.handle = setTimeout(
      () => {
        if (now().getTime() < t.next.getTime()) return arm(t); // woke early (long delays)
        const due = t.next;
        t.next = t.schedule.next(now());
        arm(t);
        void runTimer(t.name, due);
      },
      Math.min(delay, MAX_DELAY_MS),
    );
    t.handle.unref();
  };
  for (const t of timers.values()) {
    const reg = opts.host.registrations.find((r) => r.name === t.name)!;
    if (opts.timers !== false && (opts.runTimersOnStart || reg.trigger.runOnStartup === true)) void runTimer(t.name);
    arm(t);
  }

  // --- queues ---------------------------------------------------------------------------------
  const queues = opts.host.registrations
    .filter((r) => r.trigger.type.toLowerCase() === 'queuetrigger')
    .flatMap((reg) => {
      let name: string;
      try {
        name = resolveBindingExpression(reg.trigger.queueName);
      } catch (err) {
        // As the host: this one function is in error, the others run.
        log(`[${reg.name}] queue trigger not started: ${errorMessage(err).replace(/\n\s*/g, ' ')}`);
        return [];
      }
      if (reg.trigger.connection && reg.trigger.connection !== 'AzureWebJobsStorage') {
        log(`[${reg.name}] connection ${String(reg.trigger.connection)} is served by the local storage (AzureWebJobsStorage)`);
      }
      return [
        {
          reg,
          client: opts.queueClient(name),
          poison: opts.queueClient(`${name}-poison`),
          ready: undefined as Promise<unknown> | undefined,
        },
      ];
    });

  const toPoison = async (q: (typeof queues)[number], m: DequeuedMessageItem, why: string) => {
    await q.poison.createIfNotExists();
    await q.poison.sendMessage(m.messageText); // as is, still encoded, like the host
    await q.client.deleteMessage(m.messageId, m.popReceipt);
    log(`[${q.reg.name}] message ${m.messageId} ${why}: moved to ${q.poison.name}`);
  };

  const handle = async (q: (typeof queues)[number], m: DequeuedMessageItem): Promise<void> => {
    if (m.dequeueCount > qs.maxDequeueCount)
      return toPoison(q, m, `was dequeued ${m.dequeueCount} times (maxDequeueCount ${qs.maxDequeueCount})`);
    const decoded = decodeQueueText(m.messageText, qs.messageEncoding);
    if (!decoded) return toPoison(q, m, 'is not valid base64');
    try {
      await track(
        opts.host.invoke(q.reg.name, decoded.payload, {
          id: m.messageId,
          queueTrigger: decoded.text,
          dequeueCount: m.dequeueCount,
          insertionTime: m.insertedOn.toISOString(),
          expirationTime: m.expiresOn.toISOString(),
          nextVisibleTime: m.nextVisibleOn.toISOString(),
          popReceipt: m.popReceipt,
        }),
      );
    } catch (err) {
      log(`[${q.reg.name}] message ${m.messageId} attempt ${m.dequeueCount} of ${qs.maxDequeueCount} failed: ${errorMessage(err)}`);
      if (m.dequeueCount >= qs.maxDequeueCount) return toPoison(q, m, `failed ${m.dequeueCount} times`);
      await q.client.updateMessage(m.messageId, m.popReceipt, undefined, qs.visibilityTimeoutSeconds);
      return;
    }
    await q.client.deleteMessage(m.messageId, m.popReceipt);
  };

  const pollQueues = async (): Promise<number> => {
    let handled = 0;
    for (const q of queues) {
      q.ready ??= q.client.createIfNotExists().catch((err: unknown) => {
        q.ready = undefined;
        throw err;
      });
      await q.ready;
      // Invisible for 10 minutes while the handler runs, as the host's default; released on failure.
      const { receivedMessageItems } = await q.client.receiveMessages({ numberOfMessages: qs.batchSize, visibilityTimeout: 600 });
      handled += receivedMessageItems.length;
      const results = await Promise.allSettled(receivedMessageItems.map((m) => handle(q, m)));
      for (const r of results) if (r.status === 'rejected') log(`[${q.reg.name}] queue housekeeping failed: ${errorMessage(r.reason)}`);
    }
    return handled;
  };

  let pollHandle: NodeJS.Timeout | undefined;
  let polling: Promise<unknown> | undefined;
  const loop = () => {
    if (stopped) return;
    polling = pollQueues()
      .catch((err: unknown) => {
        log(`[queues] poll failed: ${errorMessage(err)}`);
        return 0;
      })
      .then((n) => {
        if (stopped) return;
        pollHandle = setTimeout(loop, n > 0 ? 0 : (opts.pollIntervalMs ?? 1000));
        pollHandle.unref();
      });
  };
  if (queues.length && opts.polling !== false) loop();

  return {
    pollQueues,
    runTimer: (name) => runTimer(name),
    nextRuns: () => Object.fromEntries([...timers.values()].map((t) => [t.name, t.next])),
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t.handle);
      clearTimeout(pollHandle);
      await polling;
      await Promise.allSettled([...inFlight]);
    },
  };
}
