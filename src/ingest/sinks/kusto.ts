// Ingestion into Azure Data Explorer: with kql/kusto-client.ts, the only files importing the Kusto SDKs. Batches go to Azure Data Explorer as gzip-compressed
// JSON lines, mapped by the ingestion mapping that kql/ defines; database and table come from
// configuration and travel as ingestion properties, never pasted into query text.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  BlobDescriptor,
  CompressionType,
  DataFormat,
  IngestClient,
  IngestionProperties,
  ReportLevel,
  ReportMethod,
  StreamDescriptor,
  StreamingIngestClient,
} from 'azure-kusto-ingest';
import { connectionFor } from '../../kql/kusto-client.js';
import { telemetry } from '../../telemetry/instruments.js';
import { IngestionStatusTracker, type StatusQueues } from '../ingestion-status.js';
import type { DeadLetterStore } from '../deadletter/store.js';
import { PermanentError, sleep } from '../retry.js';
import { batchPayloadParts, rowCount, type Batch, type Sink } from '../sink.js';
import { categorize, FALLS_BACK, KustoCallError, QUEUED_FOR_MS } from './kusto-errors.js';

export { classifyKustoError, sanitize } from './kusto-errors.js';

const gzip = promisify(zlib.gzip);

/** gzip of the payload's pieces, without first copying them into one buffer. */
function gzipParts(parts: Buffer[]): Promise<Buffer> {
  if (parts.length === 1) return gzip(parts[0]!);
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const z = zlib.createGzip();
    z.on('data', (c: Buffer) => out.push(c));
    z.on('end', () => resolve(Buffer.concat(out)));
    z.on('error', reject);
    for (const part of parts) z.write(part);
    z.end();
  });
}

export type KustoIngestMode = 'queued' | 'managed-streaming';

export interface KustoSinkOptions {
  clusterUri: string;
  ingestUri: string;
  database: string;
  mode: KustoIngestMode;
  /** Ingestion mapping per table (the JSON mapping created by kql/). */
  mappingFor: (table: string) => string;
  /** A fixed bearer token (tests, or a token minted outside); otherwise DefaultAzureCredential. */
  accessToken?: string;
  /** Queued-ingestion status reports (ReportMethod.Queue): none really sends DoNotReport. */
  reportStatus?: 'none' | 'failures' | 'all';
  /** Where queued batches wait for their outcome (the dead-letter store); needed unless reportStatus is none. */
  pending?: DeadLetterStore;
  /** Seconds between status passes (0: only when checkIngestionStatus() is called). */
  statusPollSeconds?: number;
  /** After this long without a status report a pending batch is settled (see ingestion-status.ts). */
  statusSettleMs?: number;
  /** 401/403 are retried for this long after the first one (role assignments propagate slowly). */
  authGraceMs?: number;
  /** Time allowed for one ingestion call before it counts as a transient failure. */
  timeoutMs?: number;
  /** Told when managed streaming fell back to queued ingestion, and why. */
  onFallback?: (reason: string) => void;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

interface AxiosInstanceLike {
  interceptors: { request: { use(f: (config: { signal?: AbortSignal; headers?: Record<string, unknown> }) => unknown): unknown } };
}

const REQUEST_ID_HEADER = 'x-ms-client-request-id';

/**
 * Managed streaming is composed here from the SDK's StreamingIngestClient and IngestClient rather
 * than taken from ManagedStreamingIngestClient: that client (SDK 7) looks for `@permanent` on the
 * thrown error, which axios errors never carry. Here each failure is categorized as Microsoft's
 * newer managed-streaming clients do (kusto-errors.ts): request- and table-caused refusals and
 * throttling go queued (tables remembered for a while), data errors are dead-lettered, auth is
 * retried within a grace period. Tagged batches (blob chunks) are always queued: see write().
 */
export class KustoSink implements Sink {
  readonly name: string;
  private readonly queued: IngestClient;
  private readonly streaming?: StreamingIngestClient;
  /** Tables sent straight to queued until the time given (streaming off, table config, throttled). */
  private readonly queuedUntil = new Map<string, number>();
  private authFailingSince?: number;
  /** AbortSignals of streaming calls under way, by their client request id (see cancellable()). */
  private readonly signals = new Map<string, AbortSignal>();
  readonly status?: IngestionStatusTracker;

  constructor(private readonly opts: KustoSinkOptions) {
    this.name = `kusto-${opts.mode}`;
    this.queued = new IngestClient(connectionFor(opts.ingestUri, opts.accessToken));
    if (opts.mode === 'managed-streaming') {
      this.streaming = new StreamingIngestClient(connectionFor(opts.clusterUri, opts.accessToken));
      // The SDK takes no AbortSignal, but it sends our client request id: its axios instance
      // finds the call's signal by that header.
      const axios = (this.streaming as unknown as { kustoClient: { axiosInstance: AxiosInstanceLike } }).kustoClient.axiosInstance;
      axios.interceptors.request.use((config) => {
        const signal = this.signals.get(String(config.headers?.[REQUEST_ID_HEADER] ?? ''));
        if (signal) config.signal = signal;
        return config;
      });
    }
    const level = opts.reportStatus ?? 'none';
    if (level !== 'none') {
      const store = opts.pending;
      if (!store?.writePending || !store.readPending || !store.removePending || !store.listPending)
        throw new Error(`KUSTO_REPORT_STATUS=${level} needs a dead-letter store that keeps pending batches`);
      this.status = new IngestionStatusTracker({
        database: opts.database,
        level,
        queues: () => this.statusQueues(),
        store: {
          writeFailedBatch: store.writeFailedBatch.bind(store),
          readPending: store.readPending.bind(store),
          removePending: store.removePending.bind(store),
          listPending: store.listPending.bind(store),
        },
        settleMs: opts.statusSettleMs ?? 60 * 60_000,
        log: opts.log,
      });
      if (opts.statusPollSeconds) this.status.start(opts.statusPollSeconds * 1000);
    }
  }

  private async statusQueues(): Promise<StatusQueues> {
    const rm = this.queued.resourceManager;
    const [failed, succeeded] = await Promise.all([rm.getFailedIngestionsQueues(), rm.getSuccessfulIngestionsQueues()]);
    return { failed: (failed ?? []).map((q) => q.uri), succeeded: (succeeded ?? []).map((q) => q.uri) };
  }

  /** One pass over Data Explorer's status reports (also run on a timer when statusPollSeconds is set). */
  checkIngestionStatus() {
    return this.status?.poll();
  }

  private properties(table: string, tag?: string): IngestionProperties {
    const report = this.opts.reportStatus ?? 'none';
    return new IngestionProperties({
      database: this.opts.database,
      table,
      format: DataFormat.JSON,
      ingestionMappingReference: this.opts.mappingFor(table),
      // A tagged batch (a blob chunk): the extent is tagged `ingest-by:<tag>`, and the ingestion is
      // dropped when an extent with that tag already exists (ingestIfNotExists is a JSON array).
      ...(tag !== undefined && { ingestByTags: [tag], ingestIfNotExists: JSON.stringify([tag]) }),
      // The SDK turns an unset report level into FailuresOnly: `none` must say DoNotReport.
      reportLevel:
        report === 'all' ? ReportLevel.FailuresAndSuccesses : report === 'failures' ? ReportLevel.FailuresOnly : ReportLevel.DoNotReport,
      reportMethod: ReportMethod.Queue,
    });
  }

  /**
   * Streaming call under a deadline: on timeout the request is aborted (its socket closed), not
   * left running to commit after the fallback has queued the same rows.
   */
  private async cancellable(op: (requestId: string) => Promise<unknown>): Promise<void> {
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    const signal = AbortSignal.timeout(timeoutMs);
    const requestId = `QoE.streamingIngest;${randomUUID()}`;
    this.signals.set(requestId, signal);
    try {
      await op(requestId);
    } catch (err) {
      if (signal.aborted) throw new KustoCallError('transient', undefined, `streaming ingestion aborted after ${timeoutMs} ms`);
      throw categorize(err);
    } finally {
      this.signals.delete(requestId);
    }
  }

  /**
   * Queued call under a deadline. The SDK's storage calls take no signal; a timed-out upload or
   * enqueue is abandoned (the pending entry and the batch id keep its outcome traceable).
   */
  private async deadline(op: () => Promise<unknown>): Promise<void> {
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KustoCallError('transient', undefined, `queued ingestion timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([op(), expired]);
    } catch (err) {
      throw categorize(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async write(batch: Batch): Promise<void> {
    // Authorization errors right after a role assignment are expected for a few minutes: retried
    // here (backing off) until the grace period since the first one ends, then dead-lettered.
    const graceMs = this.opts.authGraceMs ?? 120_000;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.attempt(batch);
        this.authFailingSince = undefined;
        return;
      } catch (err) {
        const c = categorize(err);
        if (c.category === 'permanent') throw new PermanentError(c.message);
        if (c.category !== 'auth') throw c;
        this.authFailingSince ??= Date.now();
        const left = this.authFailingSince + graceMs - Date.now();
        if (left <= 0)
          throw new PermanentError(`${c.message} (still refused after the ${Math.round(graceMs / 1000)} s authorization grace period)`);
        await sleep(Math.min(left, 500 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  private async attempt(batch: Batch): Promise<void> {
    const body = await gzipParts(batchPayloadParts(batch));
    const props = this.properties(batch.table, batch.tag);
    // Streaming ingestion carries no extent tags (the REST call takes only format and mapping), so
    // a tagged batch always goes queued, where ingest-by tags and ingestIfNotExists apply.
    const queuedUntil = this.queuedUntil.get(batch.table) ?? 0;
    if (this.streaming && batch.tag === undefined && Date.now() >= queuedUntil) {
      const streaming = this.streaming;
      try {
        // A fresh Readable of one Buffer per call: the SDK consumes it, and string chunks crash it.
        const stream = () =>
          new StreamDescriptor(Readable.from([body], { objectMode: false }), batch.id, CompressionType.GZIP, body.length);
        await telemetry.span(
          'qoe.sink.stream',
          { 'qoe.rows': rowCount(batch) },
          () => this.cancellable((id) => streaming.ingestFromStream(stream(), props, id)),
          { childOf: batch },
        );
        return;
      } catch (err) {
        const c = categorize(err);
        if (!FALLS_BACK.has(c.category)) throw c;
        const remember = QUEUED_FOR_MS[c.category];
        if (remember) this.queuedUntil.set(batch.table, Date.now() + remember);
        telemetry.instruments.fallbacks.add(1, { 'qoe.reason': c.category });
        this.opts.onFallback?.(c.message);
      }
    }
    await telemetry.span('qoe.sink.queue', { 'qoe.rows': rowCount(batch) }, () => this.enqueue(batch, body, props), { childOf: batch });
  }

  /** Queued ingestion; with status reporting the rows are kept as pending before Data Explorer is told. */
  private async enqueue(batch: Batch, body: Buffer, props: IngestionProperties): Promise<void> {
    const tracked = this.status !== undefined;
    if (tracked) await this.opts.pending!.writePending!(batch);
    try {
      await this.deadline(async () => {
        const name = `${this.opts.database}__${batch.table}__${batch.id}.json.gz`;
        // A Buffer body is uploaded in one call (the SDK checks for it at run time; its types say Readable).
        const uri = await this.queued.uploadToBlobWithRetry(
          new StreamDescriptor(body as unknown as Readable, batch.id, CompressionType.GZIP, body.length),
          name,
        );
        // The batch id is the ingestion's source id, so its status report names the pending entry.
        await this.queued.ingestFromBlob(new BlobDescriptor(uri, batch.bytes, batch.id), props);
      });
    } catch (err) {
      // Not queued: the batcher retries or dead-letters the batch itself, so no pending entry may stay.
      if (tracked) await this.opts.pending!.removePending!(batch.id).catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.status?.stop();
    this.streaming?.close();
    this.queued.close();
  }
}
