// Ingestion into Azure Data Explorer: with kql/kusto-client.ts, the only files importing the Kusto SDKs. Batches go to Azure Data Explorer as gzip-compressed
// JSON lines, mapped by the ingestion mapping that kql/ defines; database and table come from
// configuration and travel as ingestion properties, never pasted into query text.
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
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
import { PermanentError, type RetryAfterHint } from '../retry.js';
import { batchPayload, type Batch, type Sink } from '../sink.js';

const gzip = promisify(zlib.gzip);

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
  /** Queued ingestion status reporting: off by default (it costs a table write per blob). */
  reportStatus?: 'none' | 'failures' | 'all';
  /** Time allowed for one ingestion call before it counts as a transient failure. */
  timeoutMs?: number;
  /** Told when managed streaming fell back to queued ingestion, and why. */
  onFallback?: (reason: string) => void;
}

/** HTTP statuses that retrying will not fix. 408 and 429 are not among them. */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 405, 409, 410, 413, 415, 422]);

interface AxiosLike {
  response?: { status?: number; headers?: Record<string, string>; data?: unknown };
  inner?: AxiosLike;
  code?: string;
  message?: string;
}

/** Turns an SDK failure into our vocabulary: PermanentError, or a transient error with an optional Retry-After hint. */
export function classifyKustoError(err: unknown): Error {
  const e = (err ?? {}) as AxiosLike;
  const response = e.response ?? e.inner?.response;
  const status = response?.status;
  const message = sanitize(err instanceof Error ? err.message : String(err));
  if (status !== undefined && PERMANENT_STATUSES.has(status)) {
    return new PermanentError(`Kusto answered ${status}: ${message}${detail(response?.data)}`);
  }
  const transient = new Error(`Kusto ingestion failed${status ? ` (${status})` : ''}: ${message}`) as Error & RetryAfterHint;
  const retryAfter = Number(response?.headers?.['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) transient.retryAfterMs = retryAfter * 1000;
  return transient;
}

function detail(data: unknown): string {
  const msg = (data as { error?: { message?: string } } | undefined)?.error?.message;
  return msg ? ` (${sanitize(msg).slice(0, 300)})` : '';
}

/** SAS signatures, bearer tokens and account keys never reach a log or a dead letter. */
export function sanitize(text: string): string {
  return text
    .replace(/([?&](sig|se|sv|sp|st|spr|srt|ss|skoid|sktid|skt|ske|sks|skv)=)[^&\s"']+/gi, '$1***')
    .replace(/Bearer\s+[\w.-]+/g, 'Bearer ***')
    .replace(/((?:AccountKey|SharedAccessKey|SharedAccessSignature)=)[^;\s"']+/gi, '$1***');
}

/**
 * Managed streaming is composed here from the SDK's StreamingIngestClient and IngestClient rather
 * than taken from ManagedStreamingIngestClient: that client looks for `@permanent` on the thrown
 * error, which axios errors never carry, so it retries a bad mapping or an unknown table and then
 * queues it, where it fails out of sight. Here a permanent answer is dead-lettered at once, and a
 * transient streaming failure (throttling, 5xx, timeout, reset) falls back to queued ingestion.
 */
export class KustoSink implements Sink {
  readonly name: string;
  private readonly queued: IngestClient;
  private readonly streaming?: StreamingIngestClient;

  constructor(private readonly opts: KustoSinkOptions) {
    this.name = `kusto-${opts.mode}`;
    this.queued = new IngestClient(connectionFor(opts.ingestUri, opts.accessToken));
    if (opts.mode === 'managed-streaming') this.streaming = new StreamingIngestClient(connectionFor(opts.clusterUri, opts.accessToken));
  }

  private properties(table: string): IngestionProperties {
    const report = this.opts.reportStatus ?? 'none';
    return new IngestionProperties({
      database: this.opts.database,
      table,
      format: DataFormat.JSON,
      ingestionMappingReference: this.opts.mappingFor(table),
      ...(report !== 'none' && {
        reportLevel: report === 'all' ? ReportLevel.FailuresAndSuccesses : ReportLevel.FailuresOnly,
        reportMethod: ReportMethod.Queue,
      }),
    });
  }

  /** One SDK call under a deadline; a hang becomes a transient error instead of a stuck batch. */
  private async call(op: () => Promise<unknown>): Promise<void> {
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([op(), deadline]);
    } catch (err) {
      throw classifyKustoError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async write(batch: Batch): Promise<void> {
    const body = await gzip(batchPayload(batch));
    // A fresh Readable of one Buffer per call: the SDK consumes it, and string chunks crash it.
    const descriptor = () => new StreamDescriptor(Readable.from([body], { objectMode: false }), batch.id, CompressionType.GZIP, body.length);
    const props = this.properties(batch.table);
    if (this.streaming) {
      const streaming = this.streaming;
      try {
        await this.call(() => streaming.ingestFromStream(descriptor(), props));
        return;
      } catch (err) {
        if (err instanceof PermanentError) throw err;
        this.opts.onFallback?.((err as Error).message);
      }
    }
    await this.call(() => this.queued.ingestFromStream(descriptor(), props));
  }

  async close(): Promise<void> {
    this.streaming?.close();
    this.queued.close();
  }
}
