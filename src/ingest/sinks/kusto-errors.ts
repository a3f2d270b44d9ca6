// What a failed Kusto call means, in the categories Microsoft's managed-streaming clients use
// (azure-kusto-java ingest-v2 ManagedStreamingIngestClient, same in the Go and .NET clients):
// streaming off, table configuration and request properties prevent streaming but queued ingestion
// takes the same data; throttled falls back too; authorization is retried within a grace period
// (role assignments take minutes to propagate); other permanent answers are data errors that no
// path will take: dead letters. No SDK import here: the SDK's errors are read structurally.
import { PermanentError, type RetryAfterHint } from '../retry.js';
import { errorName } from '../../errors.js';

export type KustoErrorCategory =
  | 'streaming-off' // StreamingIngestionPolicyNotEnabled, StreamingIngestionDisabledForCluster
  | 'table-config' // UpdatePolicyIncompatible, QuerySchemaDoesNotMatchTableSchema
  | 'request-properties' // 413, FileTooLarge, InputStreamTooLarge
  | 'throttled' // 429
  | 'auth' // 401, 403
  | 'permanent' // any other answer retrying will not fix: bad mapping, unknown table, bad data
  | 'transient'; // 5xx, 408, timeouts, resets

/** Categories where queued ingestion takes what streaming would not. */
export const FALLS_BACK: ReadonlySet<KustoErrorCategory> = new Set([
  'streaming-off',
  'table-config',
  'request-properties',
  'throttled',
  'transient',
]);

/** How long a table goes straight to queued after such an answer (Microsoft's defaults: 15 min, 10 s). */
export const QUEUED_FOR_MS: Partial<Record<KustoErrorCategory, number>> = {
  'streaming-off': 15 * 60_000,
  'table-config': 15 * 60_000,
  throttled: 10_000,
};

/** HTTP statuses that retrying will not fix. 408 and 429 are not among them. */
const PERMANENT_STATUSES = new Set([400, 404, 405, 409, 410, 413, 415, 422]);

interface AxiosLike {
  response?: { status?: number; headers?: Record<string, string>; data?: unknown };
  inner?: AxiosLike;
  code?: string;
  message?: string;
}

interface KustoErrorBody {
  error?: { code?: string; message?: string; '@type'?: string; '@message'?: string; '@permanent'?: boolean };
}

/** A categorized failure: the sink decides on fallback, grace or dead letter from `category`. */
export class KustoCallError extends Error implements RetryAfterHint {
  override name = 'KustoCallError';
  retryAfterMs?: number;
  constructor(
    readonly category: KustoErrorCategory,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export function categorize(err: unknown): KustoCallError {
  if (err instanceof KustoCallError) return err;
  const e = (err ?? {}) as AxiosLike;
  const response = e.response ?? e.inner?.response;
  const status = response?.status;
  const body = (response?.data ?? {}) as KustoErrorBody;
  const codes = `${body.error?.code ?? ''} ${body.error?.['@type'] ?? ''} ${body.error?.message ?? ''} ${body.error?.['@message'] ?? ''}`;
  const message = sanitize(err instanceof Error ? err.message : String(err));
  const text = `Kusto answered ${status ?? 'nothing'}: ${message}${detail(body)}`;
  let category: KustoErrorCategory;
  if (/StreamingIngestionPolicyNotEnabled|StreamingIngestionDisabledForCluster/i.test(codes)) category = 'streaming-off';
  else if (/UpdatePolicyIncompatible|QuerySchemaDoesNotMatchTableSchema/i.test(codes)) category = 'table-config';
  else if (status === 413 || /FileTooLarge|InputStreamTooLarge/i.test(codes)) category = 'request-properties';
  else if (status === 429 || e.code === 'ThrottlingError' || errorName(err) === 'ThrottlingError') category = 'throttled';
  else if (status === 401 || status === 403) category = 'auth';
  else if (status !== undefined && PERMANENT_STATUSES.has(status)) category = 'permanent';
  else category = 'transient';
  const out = new KustoCallError(category, status, text);
  const retryAfter = Number(response?.headers?.['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) out.retryAfterMs = retryAfter * 1000;
  return out;
}

/** The batcher's vocabulary: PermanentError for dead letters, anything else is retried. */
export function classifyKustoError(err: unknown): Error {
  const c = categorize(err);
  return c.category === 'permanent' ? new PermanentError(c.message) : c;
}

function detail(body: KustoErrorBody): string {
  const msg = body.error?.message ?? body.error?.['@message'];
  return msg ? ` (${sanitize(msg).slice(0, 300)})` : '';
}

/** SAS signatures, bearer tokens and account keys never reach a log or a dead letter. */
export function sanitize(text: string): string {
  return text
    .replace(/([?&](sig|se|sv|sp|st|spr|srt|ss|skoid|sktid|skt|ske|sks|skv)=)[^&\s"']+/gi, '$1***')
    .replace(/Bearer\s+[\w.-]+/g, 'Bearer ***')
    .replace(/((?:AccountKey|SharedAccessKey|SharedAccessSignature)=)[^;\s"']+/gi, '$1***');
}
