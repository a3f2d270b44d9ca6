// Queued ingestion answers once the blob is handed to Data Explorer; whether Data Explorer then
// ingests it (mapping or schema drift, throttling beyond its retries) is reported later. So a
// queued batch's rows are kept as a pending entry in the dead-letter store before the ingestion
// message is sent, and this tracker settles each one from Data Explorer's status reports:
// - a failure report moves the rows to the dead letters (reason: Data Explorer's error code and
//   details), where `npm run deadletter:replay` finds them;
// - a success report (KUSTO_REPORT_STATUS=all) removes the entry;
// - without a report after the settle time: with `failures` no news is success (the entry is
//   removed); with `all` the outcome is unknown, so the rows are dead-lettered to be looked at.
// Status reports go to the FailedIngestionsQueue / SuccessfulIngestionsQueue that `.get ingestion
// resources` names (ReportMethod.Queue). Not the status table: SDK 7's table write retries a
// successful insert three times, sleeping between, on every ingestion.
import { QueueClient } from '@azure/storage-queue';
import { describe } from './batcher.js';
import { PENDING_ID, type DeadLetterStore } from './deadletter/store.js';
import { sanitize } from './sinks/kusto-errors.js';
import { telemetry } from '../telemetry/instruments.js';

export type ReportLevel = 'failures' | 'all';

export interface StatusQueues {
  failed: string[];
  succeeded: string[];
}

export interface IngestionStatusOptions {
  database: string;
  level: ReportLevel;
  /** Queue URLs (with SAS) from `.get ingestion resources`. */
  queues: () => Promise<StatusQueues>;
  store: Required<Pick<DeadLetterStore, 'readPending' | 'removePending' | 'listPending' | 'writeFailedBatch'>>;
  /** See the file comment. */
  settleMs: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  now?: () => number;
}

export interface StatusPass {
  succeeded: number;
  failed: number;
  settled: number;
  /** Still waiting for an outcome after this pass. */
  pending: number;
}

/** A status message as Data Explorer's data management service writes it (base64 JSON). */
interface StatusMessage {
  Database?: string;
  Table?: string;
  IngestionSourceId?: string;
  ErrorCode?: string;
  FailureStatus?: string;
  Details?: string;
  OriginatesFromUpdatePolicy?: boolean;
}

const MAX_MESSAGES_PER_PASS = 32 * 32;

export class IngestionStatusTracker {
  private running?: Promise<StatusPass>;
  private timer?: NodeJS.Timeout;
  /** Pending entries seen by the last pass (a gauge: queue depth of unsettled ingestions). */
  lastPending = 0;

  constructor(private readonly opts: IngestionStatusOptions) {
    telemetry.watchPending(this);
  }

  /** Polls every `intervalMs` (unref'd: it never keeps a process alive). */
  start(intervalMs: number): void {
    this.timer ??= setInterval(
      () => void this.poll().catch((err) => this.opts.log?.('warn', `ingestion status: ${describe(err)}`)),
      intervalMs,
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over the status queues and the pending entries; concurrent calls share a pass. */
  poll(): Promise<StatusPass> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<StatusPass> {
    const out: StatusPass = { succeeded: 0, failed: 0, settled: 0, pending: 0 };
    const queues = await this.opts.queues();
    for (const url of queues.failed) out.failed += await this.drain(url, (m) => this.fail(m));
    if (this.opts.level === 'all') for (const url of queues.succeeded) out.succeeded += await this.drain(url, (m) => this.succeed(m));
    const now = (this.opts.now ?? Date.now)();
    for await (const p of this.opts.store.listPending()) {
      if (now - p.since.getTime() < this.opts.settleMs) {
        out.pending++;
        continue;
      }
      out.settled++;
      if (this.opts.level === 'failures') await this.opts.store.removePending(p.batchId);
      else
        await this.deadLetter(
          p.batchId,
          `queued ingestion: no status from Data Explorer within ${Math.round(this.opts.settleMs / 60_000)} min (outcome unknown; check before replaying)`,
          'status-unknown',
        );
    }
    this.lastPending = out.pending;
    return out;
  }

  /** Reads a status queue; `handle` answers whether the message was ours (then it is deleted). */
  private async drain(url: string, handle: (m: StatusMessage) => Promise<boolean>): Promise<number> {
    const queue = new QueueClient(url);
    let handled = 0;
    for (let seen = 0; seen < MAX_MESSAGES_PER_PASS;) {
      const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
      if (items.length === 0) break;
      seen += items.length;
      for (const item of items) {
        let message: StatusMessage;
        try {
          message = JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as StatusMessage;
        } catch {
          continue; // not a status message; it becomes visible again for whoever owns it
        }
        // Another database's report belongs to another client of the same cluster: left alone.
        if (message.Database !== this.opts.database) continue;
        if (await handle(message)) handled++;
        await queue.deleteMessage(item.messageId, item.popReceipt);
      }
    }
    return handled;
  }

  private async fail(m: StatusMessage): Promise<boolean> {
    const id = m.IngestionSourceId ?? '';
    if (!PENDING_ID.test(id)) return false;
    const reason = `queued ingestion failed in Data Explorer: ${m.ErrorCode ?? 'unknown error'} (${m.FailureStatus ?? 'failure'}${m.OriginatesFromUpdatePolicy ? ', update policy' : ''}): ${sanitize(String(m.Details ?? '')).slice(0, 500)}`;
    return this.deadLetter(id, reason, m.ErrorCode ?? 'unknown');
  }

  private async succeed(m: StatusMessage): Promise<boolean> {
    const id = m.IngestionSourceId ?? '';
    if (!PENDING_ID.test(id) || !(await this.opts.store.readPending(id))) return false;
    await this.opts.store.removePending(id);
    return true;
  }

  /** Pending rows -> a dead-lettered batch; the pending entry goes only once the dead letter is written. */
  private async deadLetter(batchId: string, reason: string, code: string): Promise<boolean> {
    const doc = await this.opts.store.readPending(batchId);
    if (!doc) return false; // already settled (a redelivered report, or another instance)
    const rows = doc.rows.map((r) => JSON.stringify(r));
    const bytes = rows.reduce((n, r) => n + Buffer.byteLength(r) + 1, 0);
    await this.opts.store.writeFailedBatch(
      { id: batchId, table: doc.table, rows, bytes, createdAt: new Date(doc.failedAt), ...(doc.tag !== undefined && { tag: doc.tag }) },
      reason,
    );
    await this.opts.store.removePending(batchId);
    telemetry.instruments.deadLettered.add(rows.length, { 'qoe.sink': 'kusto-queued', 'qoe.reason': `ingestion-${code}`.slice(0, 60) });
    this.opts.log?.('error', `batch ${batchId} (${rows.length} rows) -> dead letter: ${reason}`);
    return true;
  }
}
