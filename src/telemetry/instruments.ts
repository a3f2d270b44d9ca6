// The service's own signals: a few named instruments, created once when telemetry starts (no-ops
// until then, and in tests). Call sites use `telemetry.instruments.<name>` and `telemetry.span()`;
// docs/telemetry.md says what each one means and which alert rule watches it.
import {
  context,
  createNoopMeter,
  SpanStatusCode,
  trace,
  type Counter,
  type Histogram,
  type Link,
  type Meter,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { errorName } from '../errors.js';

export interface Instruments {
  /** Records rejected at intake (kept in the dead-letter store), by `qoe.source` and `qoe.reason`. */
  rejected: Counter;
  /** Rows of batches no sink took (in the dead-letter store), by `qoe.sink` and `qoe.reason`. */
  deadLettered: Counter;
  /** Rows and uncompressed bytes per batch handed to the sink, by `qoe.sink`. */
  batchRows: Histogram;
  batchBytes: Histogram;
  /** Receipt to durable (in the sink or the dead-letter store), ms, by `qoe.sink` and `qoe.via`. */
  commitLatency: Histogram;
  /** Sink write attempts that failed and were retried, by `qoe.sink`. */
  sinkRetries: Counter;
  /** Managed-streaming batches that went queued instead, by `qoe.reason` (Data Explorer's error category). */
  fallbacks: Counter;
  /** Bytes of blob-drop rows made durable (tagged batches), by `qoe.sink`. */
  blobBytes: Counter;
}

/** Sealed batches waiting for or being written; queued ingestions whose outcome is not known yet. */
interface Depth {
  depth(): number;
}
interface PendingIngestions {
  lastPending: number;
}

/** One intake span in this many is recorded (intake results are many; batches, few, all recorded). */
export const INTAKE_SPAN_EVERY = 100;

const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 200, 300, 500, 1000, 2500, 5000, 10_000, 30_000];
const ROW_BUCKETS = [1, 10, 50, 100, 500, 1000, 2500, 5000, 10_000];
const BYTE_BUCKETS = [1024, 16_384, 65_536, 262_144, 1_048_576, 4_194_304];

function create(meter: Meter): Instruments {
  const hist = (name: string, unit: string, description: string, buckets: number[]) =>
    meter.createHistogram(name, { unit, description, advice: { explicitBucketBoundaries: buckets } });
  return {
    rejected: meter.createCounter('qoe.records.rejected', { unit: '{record}', description: 'records rejected at intake' }),
    deadLettered: meter.createCounter('qoe.rows.deadlettered', { unit: '{row}', description: 'rows of batches no sink took' }),
    batchRows: hist('qoe.batch.rows', '{row}', 'rows per batch', ROW_BUCKETS),
    batchBytes: hist('qoe.batch.bytes', 'By', 'uncompressed bytes per batch', BYTE_BUCKETS),
    commitLatency: hist('qoe.commit.latency', 'ms', 'receipt to durable', LATENCY_BUCKETS_MS),
    sinkRetries: meter.createCounter('qoe.sink.retries', { unit: '{attempt}', description: 'sink attempts retried' }),
    fallbacks: meter.createCounter('qoe.sink.fallbacks', { unit: '{batch}', description: 'streaming batches sent queued instead' }),
    blobBytes: meter.createCounter('qoe.blob.bytes', { unit: 'By', description: 'blob-drop bytes made durable' }),
  };
}

class Telemetry {
  instruments: Instruments = create(createNoopMeter());
  private tracer?: Tracer;
  private readonly batchers = new Set<WeakRef<Depth>>();
  private readonly trackers = new Set<WeakRef<PendingIngestions>>();
  private readonly parents = new WeakMap<object, Span>();
  private unsampled = 0;
  /** Records accepted by source, since start: read by an observable counter, so the hot path only adds. */
  readonly accepted = new Map<string, number>();

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /** Switches the instruments to a real meter and tracer (src/telemetry/setup.ts). */
  use(meter: Meter, tracer: Tracer): void {
    this.instruments = create(meter);
    this.tracer = tracer;
    const sum = <T extends object>(set: Set<WeakRef<T>>, of: (t: T) => number) => {
      let n = 0;
      for (const ref of set) {
        const t = ref.deref();
        if (t) n += of(t);
        else set.delete(ref);
      }
      return n;
    };
    meter
      .createObservableCounter('qoe.records.accepted', { unit: '{record}', description: 'records accepted at intake' })
      .addCallback((r) => this.accepted.forEach((n, source) => r.observe(n, { 'qoe.source': source })));
    meter
      .createObservableGauge('qoe.batcher.queued', { unit: '{batch}', description: 'sealed batches waiting for or in the sink' })
      .addCallback((r) => r.observe(sum(this.batchers, (b) => b.depth())));
    meter
      .createObservableGauge('qoe.ingestions.pending', { unit: '{ingestion}', description: 'queued ingestions without a known outcome' })
      .addCallback((r) => r.observe(sum(this.trackers, (t) => t.lastPending)));
  }

  /** Back to no-ops (tests, and the bench's telemetry-off rounds). */
  off(): void {
    this.instruments = create(createNoopMeter());
    this.tracer = undefined;
  }

  /** The bench switches telemetry off and on again without restarting it. */
  pause(): () => void {
    const { instruments, tracer } = this;
    this.off();
    return () => {
      this.instruments = instruments;
      this.tracer = tracer;
    };
  }

  watchBatcher(b: Depth): void {
    this.batchers.add(new WeakRef(b));
  }

  watchPending(t: PendingIngestions): void {
    this.trackers.add(new WeakRef(t));
  }

  /**
   * Runs `fn` in a span (none while telemetry is off); a throw marks the span as an error. Spans
   * are not made active: on Node 20 async context costs every promise of the process, so parents
   * are named instead: `key` registers the span under an object (a batch), `childOf` finds it.
   */
  async span<T>(
    name: string,
    attributes: Record<string, string | number>,
    fn: (span?: Span) => Promise<T>,
    opts: { links?: Link[]; key?: object; childOf?: object } = {},
  ): Promise<T> {
    if (!this.tracer) return fn();
    // A span that is nobody's parent and nobody's child (an intake result) is sampled.
    if (!opts.key && !opts.childOf && ++this.unsampled % INTAKE_SPAN_EVERY !== 0) return fn();
    const parent = opts.childOf && this.parents.get(opts.childOf);
    const span = this.tracer.startSpan(
      name,
      { attributes, links: opts.links },
      parent ? trace.setSpan(context.active(), parent) : undefined,
    );
    if (opts.key) this.parents.set(opts.key, span);
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorName(err) });
      throw err;
    } finally {
      span.end();
    }
  }
}

export const telemetry = new Telemetry();

/** A bounded reason for a rejected record: the first word of its first error ("record", "extra", "Seq"...). */
export function rejectReason(errors: readonly string[]): string {
  const word = /^[/]?([A-Za-z][A-Za-z0-9_]{0,31})\b/.exec(errors[0] ?? '')?.[1];
  return word ? word.toLowerCase() : 'other';
}

/** The intake call site (one per source adapter result): accepted and rejected counts. */
export function recordIntake(source: string, accepted: number, rejected: ReadonlyArray<{ errors: readonly string[] }>): void {
  if (!telemetry.enabled) return;
  if (accepted) telemetry.accepted.set(source, (telemetry.accepted.get(source) ?? 0) + accepted);
  const byReason = new Map<string, number>();
  for (const r of rejected) {
    const reason = rejectReason(r.errors);
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }
  for (const [reason, n] of byReason) telemetry.instruments.rejected.add(n, { 'qoe.source': source, 'qoe.reason': reason });
}
