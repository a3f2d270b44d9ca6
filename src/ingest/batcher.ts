// Group commit: rows from concurrent requests share batches. A batch is sealed at max records,
// max bytes or max delay, handed to the sink (with retries), and only then are the callers'
// promises resolved. A batch the sink will not take goes to the dead-letter store; if that
// fails too, the callers get NotDurableError and answer 503.
import { randomUUID } from 'node:crypto';
import { SpanStatusCode, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { NotDurableError } from '../errors.js';
import { telemetry } from '../telemetry/instruments.js';
import type { DeadLetterStore } from './deadletter/store.js';
import { isPermanent, withRetry, type RetryPolicy } from './retry.js';
import { rowCount, type Batch, type EncodedRows, type Sink } from './sink.js';

/** Intake spans linked from one batch span (a batch gathers many requests). */
const MAX_LINKS = 16;

export interface BatcherOptions {
  maxRecords: number;
  maxBytes: number;
  maxDelayMs: number;
  retry: RetryPolicy;
  /** Sealed batches written at once; more wait their turn (back-pressure on a slow sink). */
  maxInFlight?: number;
}

export interface SubmitOptions {
  /**
   * Idempotency tag (see Batch.tag): the rows go in one dedicated batch of their own, never shared
   * with other callers' rows and never split, so the tag names exactly these rows.
   */
  tag?: string;
  /** The intake span of these rows (telemetry on): the batch span links to it. */
  link?: SpanContext;
  /** With a tag: the rows as NDJSON bytes already (Batch.encoded; `rows` then empty), so they are not encoded again. */
  encoded?: EncodedRows;
}

export type BatcherLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface BatchOutcome {
  batchId: string;
  /** `sink` when ingested, `deadletter` when the sink refused it but the dead-letter store kept it. */
  via: 'sink' | 'deadletter';
}

interface Waiter {
  resolve: (o: BatchOutcome) => void;
  reject: (e: Error) => void;
}

interface OpenBatch {
  batch: Batch;
  waiters: Waiter[];
  timer?: NodeJS.Timeout;
  /** The submitters' spans (telemetry on only). */
  links?: Link[];
}

export interface BatcherStats {
  batchesWritten: number;
  rowsWritten: number;
  batchesDeadLettered: number;
  batchesLost: number;
  sinkRetries: number;
}

export class GroupCommitBatcher {
  private readonly open = new Map<string, OpenBatch>();
  private readonly queue: OpenBatch[] = [];
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];
  readonly stats: BatcherStats = { batchesWritten: 0, rowsWritten: 0, batchesDeadLettered: 0, batchesLost: 0, sinkRetries: 0 };

  constructor(
    private readonly sink: Sink,
    private readonly deadLetter: DeadLetterStore,
    private readonly opts: BatcherOptions,
    private readonly log: BatcherLog = () => {},
  ) {
    this.viaSink = { 'qoe.sink': sink.name, 'qoe.via': 'sink' };
    this.viaDeadLetter = { 'qoe.sink': sink.name, 'qoe.via': 'deadletter' };
    telemetry.watchBatcher(this);
  }

  /** Metric attributes, made once (the hot path hashes, but does not build, them). */
  private readonly viaSink: Record<string, string>;
  private readonly viaDeadLetter: Record<string, string>;

  /** Sealed batches waiting for or being written (a queue-depth gauge). */
  depth(): number {
    return this.queue.length + this.inFlight;
  }

  /**
   * Adds serialized rows for `table`; resolves when every row is durable (in the sink or the
   * dead-letter store). Rows of one call may span several batches; all of them must land.
   * With a tag, they form one batch of their own (same retries, same dead-letter path).
   */
  async submit(table: string, rows: string[], options: SubmitOptions = {}): Promise<BatchOutcome[]> {
    if (rows.length === 0 && !options.encoded?.count) return [];
    if (!telemetry.enabled) return this.enqueue(table, rows, options);
    const started = performance.now();
    const outcomes = await this.enqueue(table, rows, options);
    // Receipt to durable for these rows: the slowest of their batches.
    const via = outcomes.some((o) => o.via === 'deadletter') ? this.viaDeadLetter : this.viaSink;
    telemetry.instruments.commitLatency.record(performance.now() - started, via);
    return outcomes;
  }

  private async enqueue(table: string, rows: string[], options: SubmitOptions): Promise<BatchOutcome[]> {
    if (options.tag !== undefined) return [await this.submitTagged(table, rows, options)];
    const pending: Promise<BatchOutcome>[] = [];
    let current: OpenBatch | undefined;
    let joined = false;
    for (const row of rows) {
      const rowBytes = Buffer.byteLength(row) + 1;
      current = this.open.get(table);
      if (current && current.batch.rows.length > 0 && current.batch.bytes + rowBytes > this.opts.maxBytes) {
        this.seal(table);
        current = undefined;
      }
      if (!current) {
        current = this.newBatch(table);
        joined = false;
      }
      if (!joined) {
        pending.push(this.join(current, options.link));
        joined = true;
      }
      current.batch.rows.push(row);
      current.batch.bytes += rowBytes;
      if (current.batch.rows.length >= this.opts.maxRecords || current.batch.bytes >= this.opts.maxBytes) {
        this.seal(table);
        joined = false;
      }
    }
    return Promise.all(pending);
  }

  private submitTagged(table: string, rows: string[], { tag, link, encoded }: SubmitOptions): Promise<BatchOutcome> {
    let bytes = 0;
    for (const part of encoded?.parts ?? []) bytes += part.length;
    for (const row of rows) bytes += Buffer.byteLength(row) + 1;
    const batch: Batch = { id: randomUUID(), table, rows, bytes, createdAt: new Date(), tag, ...(encoded && { encoded }) };
    const ob: OpenBatch = { batch, waiters: [] };
    const outcome = this.join(ob, link);
    this.queue.push(ob);
    this.pump();
    return outcome;
  }

  /** Seals and writes everything open now; resolves when nothing is in flight. */
  async flush(): Promise<void> {
    for (const table of [...this.open.keys()]) this.seal(table);
    if (this.inFlight === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private newBatch(table: string): OpenBatch {
    const ob: OpenBatch = {
      batch: { id: randomUUID(), table, rows: [], bytes: 0, createdAt: new Date() },
      waiters: [],
    };
    if (this.opts.maxDelayMs > 0) {
      ob.timer = setTimeout(() => {
        if (this.open.get(table) === ob) this.seal(table);
      }, this.opts.maxDelayMs);
    }
    this.open.set(table, ob);
    if (this.opts.maxDelayMs === 0) queueMicrotask(() => this.open.get(table) === ob && this.seal(table));
    return ob;
  }

  private join(ob: OpenBatch, link?: SpanContext): Promise<BatchOutcome> {
    if (link && (ob.links ??= []).length < MAX_LINKS) ob.links.push({ context: link });
    return new Promise<BatchOutcome>((resolve, reject) => ob.waiters.push({ resolve, reject }));
  }

  private seal(table: string): void {
    const ob = this.open.get(table);
    if (!ob) return;
    this.open.delete(table);
    if (ob.timer) clearTimeout(ob.timer);
    this.queue.push(ob);
    this.pump();
  }

  private pump(): void {
    const limit = this.opts.maxInFlight ?? 4;
    while (this.inFlight < limit && this.queue.length > 0) {
      const ob = this.queue.shift()!;
      this.inFlight++;
      void this.write(ob).finally(() => {
        this.inFlight--;
        this.pump();
        if (this.inFlight === 0 && this.queue.length === 0) this.idleWaiters.splice(0).forEach((w) => w());
      });
    }
  }

  private write(ob: OpenBatch): Promise<void> {
    const attrs = { 'qoe.sink': this.sink.name, 'qoe.table': ob.batch.table, 'qoe.rows': rowCount(ob.batch) };
    return telemetry.span('qoe.batch.write', attrs, (span) => this.writeBatch(ob, span), { links: ob.links, key: ob.batch });
  }

  private async writeBatch(ob: OpenBatch, span?: Span): Promise<void> {
    const { batch } = ob;
    const sinkAttr = { 'qoe.sink': this.sink.name };
    try {
      await withRetry(
        () => this.sink.write(batch),
        this.opts.retry,
        (err, attempt, delay) => {
          this.stats.sinkRetries++;
          telemetry.instruments.sinkRetries.add(1, sinkAttr);
          this.log(
            'warn',
            `sink ${this.sink.name}: batch ${batch.id} attempt ${attempt} failed (${describe(err)}); retrying in ${delay} ms`,
          );
        },
      );
      this.stats.batchesWritten++;
      this.stats.rowsWritten += rowCount(batch);
      telemetry.instruments.batchRows.record(rowCount(batch), sinkAttr);
      telemetry.instruments.batchBytes.record(batch.bytes, sinkAttr);
      if (batch.tag !== undefined) telemetry.instruments.blobBytes.add(batch.bytes, sinkAttr);
      ob.waiters.forEach((w) => w.resolve({ batchId: batch.id, via: 'sink' }));
      return;
    } catch (sinkErr) {
      const reason = `sink ${this.sink.name} failed: ${describe(sinkErr)}`;
      span?.setStatus({ code: SpanStatusCode.ERROR, message: 'dead-lettered' });
      this.log('error', `batch ${batch.id} (${rowCount(batch)} rows) -> dead letter: ${reason}`);
      try {
        await this.deadLetter.writeFailedBatch(batch, reason);
        this.stats.batchesDeadLettered++;
        const category = (sinkErr as { category?: string }).category ?? (isPermanent(sinkErr) ? 'permanent' : 'retries-exhausted');
        telemetry.instruments.deadLettered.add(rowCount(batch), { ...sinkAttr, 'qoe.reason': category });
        ob.waiters.forEach((w) => w.resolve({ batchId: batch.id, via: 'deadletter' }));
      } catch (dlErr) {
        this.stats.batchesLost++;
        this.log('error', `batch ${batch.id}: dead-letter store ${this.deadLetter.name} failed too: ${describe(dlErr)}`);
        const err = new NotDurableError(`batch ${batch.id} could not be made durable`);
        ob.waiters.forEach((w) => w.reject(err));
      }
    }
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 500);
  return String(err).slice(0, 500);
}
