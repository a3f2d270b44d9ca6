// The only file that imports the Kusto SDKs. Batches go to Azure Data Explorer as gzip-compressed
// JSON lines, mapped by the ingestion mapping that kql/ defines; database and table come from
// configuration and travel as ingestion properties, never pasted into query text.
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { DefaultAzureCredential } from '@azure/identity';
import { KustoConnectionStringBuilder } from 'azure-kusto-data';
import {
  CompressionType,
  DataFormat,
  IngestClient,
  IngestionProperties,
  ManagedStreamingIngestClient,
  ReportLevel,
  ReportMethod,
  StreamDescriptor,
} from 'azure-kusto-ingest';
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
  /** Managed streaming's own retry before it falls back to queued (seconds; SDK default 1). */
  streamingRetrySleepSecs?: number;
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

/** SAS signatures and tokens never reach a log or a dead letter. */
export function sanitize(text: string): string {
  return text.replace(/([?&](sig|se|sv|sp|st|spr|srt|ss|skoid|sktid|skt|ske|sks|skv)=)[^&\s"']+/gi, '$1***').replace(/Bearer\s+[\w.-]+/g, 'Bearer ***');
}

function connection(uri: string, opts: KustoSinkOptions): KustoConnectionStringBuilder {
  return opts.accessToken
    ? KustoConnectionStringBuilder.withAccessToken(uri, opts.accessToken)
    : KustoConnectionStringBuilder.withTokenCredential(uri, new DefaultAzureCredential());
}

export class KustoSink implements Sink {
  readonly name: string;
  private readonly client: IngestClient | ManagedStreamingIngestClient;

  constructor(private readonly opts: KustoSinkOptions) {
    this.name = `kusto-${opts.mode}`;
    const dm = connection(opts.ingestUri, opts);
    if (opts.mode === 'queued') {
      this.client = new IngestClient(dm);
    } else {
      const managed = new ManagedStreamingIngestClient(connection(opts.clusterUri, opts), dm);
      if (opts.streamingRetrySleepSecs !== undefined) {
        // The SDK keeps these private; they set its own streaming retry before the queued fallback.
        Object.assign(managed, { baseSleepTimeSecs: opts.streamingRetrySleepSecs, baseJitterSecs: opts.streamingRetrySleepSecs });
      }
      this.client = managed;
    }
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

  async write(batch: Batch): Promise<void> {
    const body = await gzip(batchPayload(batch));
    // A Readable of one Buffer: ManagedStreamingIngestClient crashes the process on string chunks.
    const descriptor = new StreamDescriptor(Readable.from([body], { objectMode: false }), batch.id, CompressionType.GZIP, body.length);
    try {
      await this.client.ingestFromStream(descriptor, this.properties(batch.table));
    } catch (err) {
      throw classifyKustoError(err);
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
