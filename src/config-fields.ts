// Every setting the service understands: name, type and default, declared once. src/config.ts
// reads them (it is the only reader of process.env) and maps them onto Config section by section.
import { z } from 'zod';

const MiB = 1024 * 1024;

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean),
);

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** JSON-in-a-setting, validated by `inner`; an empty string means "not set". */
const jsonSetting = <T extends z.ZodType>(inner: T, def: z.input<T>) =>
  z
    .string()
    .default(JSON.stringify(def))
    .transform((s, ctx) => {
      try {
        return JSON.parse(s.trim() === '' ? JSON.stringify(def) : s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(inner);

const contentIdRule = z.object({
  /** Regular expression tested against the manifest URL (query string removed). */
  pattern: z.string().min(1),
  /** Capture group holding the content id (default 1). */
  group: z.number().int().min(0).default(1),
});

const cdnRule = z.object({
  /** Host suffix, e.g. "akamaized.net" matches "foo.akamaized.net". */
  hostSuffix: z.string().min(1),
  cdn: z.string().min(1),
});

/** An http(s) URL or empty. The message never repeats the value: webhook URLs carry their secret. */
const webhookUrl = z
  .string()
  .trim()
  .default('')
  .refine((s) => {
    if (s === '') return true;
    try {
      return ['https:', 'http:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s) URL (value not shown)');

export const fields = {
  // --- storage ------------------------------------------------------------------------------
  /** Connection string of the storage account (Azurite locally). Unset in Azure: see the next one. */
  AzureWebJobsStorage: z.string().default(''),
  /** The storage account reached with the managed identity (the Functions host reads it too). */
  AzureWebJobsStorage__accountName: z.string().default(''),
  /** Folder for the file sink, local dead letters and Azurite data. */
  QOE_DATA_DIR: z.string().default('data'),

  // --- HTTP intake --------------------------------------------------------------------------
  /** Allowed CORS origins, comma separated. `*` only if listed; `:*` matches any port. */
  QOE_CORS_ORIGINS: csv.default(['http://localhost:*', 'http://127.0.0.1:*']),
  QOE_MAX_BODY_BYTES: int(1 * MiB, 1),
  QOE_MAX_DECODED_BYTES: int(8 * MiB, 1),
  /** Decoded bytes per byte on the wire (gzip/deflate) past the first 64 KiB: a bomb is refused early. */
  QOE_MAX_DECODE_RATIO: int(100, 1),
  QOE_MAX_RECORDS_PER_REQUEST: int(1000, 1),
  QOE_MAX_STRING_LENGTH: int(1024, 16),
  QOE_MAX_URL_LENGTH: int(4096, 64),

  // --- client IP ----------------------------------------------------------------------------
  /** Header carrying the client address: x-forwarded-for (Azure Functions' front end), x-azure-clientip (Front Door), or none. */
  QOE_CLIENT_IP_HEADER: z.enum(['x-forwarded-for', 'x-azure-clientip', 'none']).default('x-forwarded-for'),
  /** How many proxies in front of the service append to X-Forwarded-For (the right-most N entries are theirs). */
  QOE_TRUSTED_PROXY_HOPS: int(1, 0),

  // --- enrichment ---------------------------------------------------------------------------
  /** Country mmdb; default: the CC0 database shipped by @ip-location-db/geo-whois-asn-country-mmdb. */
  QOE_GEO_COUNTRY_DB: z.string().default(''),
  /** Optional MaxMind GeoIP2/GeoLite2 City mmdb (region, city, and country). */
  QOE_GEO_CITY_DB: z.string().default(''),
  /** Optional MaxMind GeoIP2/GeoLite2 ASN mmdb. */
  QOE_GEO_ASN_DB: z.string().default(''),
  QOE_UA_CACHE_SIZE: int(10_000, 1),
  /** Byte bound of the User-Agent cache (keys and results), whatever the entry count. */
  QOE_UA_CACHE_BYTES: int(8 * MiB, 64 * 1024),
  /** JSON array of {pattern, group} rules that pull a content id out of the manifest URL. */
  QOE_CONTENT_ID_RULES: jsonSetting(z.array(contentIdRule), []),
  /** JSON array of {hostSuffix, cdn} rules, tried before the built-in CDN host rules. */
  QOE_CDN_RULES: jsonSetting(z.array(cdnRule), []),

  // --- blob drops (Event Grid) -------------------------------------------------------------
  /** Containers whose BlobCreated events are ingested, comma separated. */
  QOE_BLOB_CONTAINERS: csv.default(['telemetry']),
  /** Optional blob name prefixes within them, comma separated (empty: all). */
  QOE_BLOB_PREFIXES: csv.default([]),
  /** Queue the blobCreated function hands work items to and the blobWorker function reads. */
  QOE_BLOB_QUEUE: z
    .string()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,54}[a-z0-9]$/, 'must be a queue name')
    .default('qoe-blob-work'),
  /** Uncompressed bytes per durable chunk (one tagged ingestion, one checkpoint). */
  QOE_BLOB_CHUNK_BYTES: int(32 * MiB, 1024),
  /** Uncompressed NDJSON/CSV/CDN-log files above this are read as ranges of this size by several workers. */
  QOE_BLOB_RANGE_BYTES: int(256 * MiB, 1024),
  /** Longest record (line, JSON-array element, CSV record) in bytes; a longer one is rejected and skipped. */
  QOE_BLOB_MAX_RECORD_BYTES: int(1 * MiB, 256),
  /** Lease of a worker's claim on a blob range, renewed while it reads; a dead worker's claim expires after it. */
  QOE_BLOB_CLAIM_SECONDS: int(60, 1),
  /** Threads that parse, validate, enrich and serialize a blob's records; empty: one per core; 0: on the reading thread. */
  QOE_BLOB_PREPARE_THREADS: z.union([z.literal(''), z.coerce.number().int().min(0).max(64)]).default(''),
  QOE_CHECKPOINT_TABLE: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/)
    .default('blobcheckpoints'),

  // --- batching and sinks -------------------------------------------------------------------
  /** `file` (default without a cluster) or `kusto`. */
  QOE_SINK: z.enum(['file', 'kusto', 'auto']).default('auto'),
  QOE_BATCH_MAX_RECORDS: int(5000, 1),
  /** Uncompressed bytes per batch; below 4 MB so one batch fits one streaming-ingest request. */
  QOE_BATCH_MAX_BYTES: int(3.5 * MiB, 1024),
  /** Longest a record waits for its batch; default 200 ms with Kusto (fewer, larger ingestion calls), 20 ms with the file sink. */
  QOE_BATCH_MAX_DELAY_MS: z.union([z.literal(''), z.coerce.number().int().min(0)]).default(''),
  QOE_SINK_MAX_ATTEMPTS: int(4, 1),
  QOE_SINK_RETRY_BASE_MS: int(100, 1),
  QOE_SINK_RETRY_MAX_MS: int(5000, 1),
  /** Seconds of Retry-After on a 503. */
  QOE_RETRY_AFTER_SECONDS: int(5, 1),
  /** File sink: one NDJSON file per table per window of this many seconds. */
  QOE_FILE_SINK_WINDOW_SECONDS: int(60, 1),
  /** Dead letters go to a blob container (`blob`) or under the data folder (`file`). */
  QOE_DEADLETTER_STORE: z.enum(['blob', 'file']).default('blob'),
  QOE_DEADLETTER_CONTAINER: z.string().default('qoe-deadletter'),
  /** Dead-letter bytes one request (or one blob chunk) may write; past it, records keep index and reason only. */
  QOE_DEADLETTER_BYTES_PER_REQUEST: int(256 * 1024, 4096),

  // --- Kusto (Azure Data Explorer) ----------------------------------------------------------
  /** Engine URI, e.g. https://mycluster.westeurope.kusto.windows.net. Empty: no cluster. */
  KUSTO_CLUSTER_URI: z.string().default(''),
  /** Ingestion (DM) URI; default: the engine URI with `ingest-` prefixed to the host. */
  KUSTO_INGEST_URI: z.string().default(''),
  KUSTO_DATABASE: z.string().default('qoe'),
  /** `managed-streaming` (low latency, falls back to queued by itself) or `queued` (cheapest). */
  KUSTO_INGEST_MODE: z.enum(['managed-streaming', 'queued']).default('managed-streaming'),
  /** A fixed bearer token instead of DefaultAzureCredential (tests, or a token minted elsewhere). */
  KUSTO_ACCESS_TOKEN: z.string().default(''),
  /** Queued-ingestion status reports: all (success known), failures (no news after the settle time is success), none (not tracked). */
  KUSTO_REPORT_STATUS: z.enum(['none', 'failures', 'all']).default('all'),
  /** Seconds between reads of the status queues (0: only `npm run deadletter:replay` reads them). */
  KUSTO_STATUS_POLL_SECONDS: int(30, 0),
  /** Minutes a queued batch waits for its status report before it is settled (docs/kusto.md). */
  KUSTO_STATUS_SETTLE_MINUTES: int(60, 1),
  /** Seconds 401/403 answers are retried after the first one before batches are dead-lettered. */
  KUSTO_AUTH_GRACE_SECONDS: int(120, 0),

  // --- telemetry (docs/telemetry.md) --------------------------------------------------------
  /** auto: Application Insights when its connection string is set, else OTLP when an endpoint is set, else off. */
  QOE_TELEMETRY: z.enum(['auto', 'off', 'console', 'otlp', 'azure']).default('auto'),
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().default(''),
  /** `Authorization=AAD`: telemetry is sent with the managed identity (local auth off on the component). */
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z.string().default(''),
  /** OTLP/HTTP base URL, e.g. http://localhost:4318 (signals go to /v1/metrics and /v1/traces). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().default(''),

  // --- anomaly alerting --------------------------------------------------------------------
  /** When the anomaly timer runs: NCRONTAB with six fields (second minute hour day month day-of-week), UTC. */
  QOE_ALERT_SCHEDULE: z
    .string()
    .trim()
    .regex(/^(\S+\s+){5}\S+$|^\d{1,2}:\d{2}:\d{2}$/, 'must be an NCRONTAB expression with six fields, e.g. "0 */5 * * * *"')
    .default('0 */5 * * * *'),
  /** How far back each run looks for anomalies (minutes); longer than the schedule, so a failed run is caught up by the next. */
  QOE_ALERT_WINDOW_MINUTES: int(30, 1),
  /** Time bin of the KPI series (minutes). */
  QOE_ALERT_BIN_MINUTES: int(5, 1),
  /** Attempts a series (all sessions, or one dimension value) needs in a bin to be judged, and a cause to be named. */
  QOE_ALERT_MIN_SESSIONS: int(30, 0),
  /** An open incident is messaged at most once per this many minutes ("ongoing" after that; 0 = every run). */
  QOE_ALERT_QUIET_MINUTES: int(60, 0),
  QOE_ALERT_QUEUE: z
    .string()
    .regex(
      /^[a-z0-9](?!.*--)[a-z0-9-]{1,54}[a-z0-9]$/,
      'must be a queue name (3-56 lowercase letters, digits, single hyphens; "-poison" is appended)',
    )
    .default('qoe-alerts'),
  /** Table of quiet periods and per-target delivery records. */
  QOE_ALERT_STATE_TABLE: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/)
    .default('alertstate'),
  /** Targets; empty = not used. These URLs are secrets: keep them in app settings / Key Vault; they are never logged. */
  QOE_ALERT_WEBHOOK_URL: webhookUrl,
  QOE_ALERT_TEAMS_URL: webhookUrl,
  QOE_ALERT_SLACK_URL: webhookUrl,
  /** Longest wait for one target to answer (ms); a timeout fails the send, and the queue retries it. */
  QOE_ALERT_SEND_TIMEOUT_MS: int(10_000, 100),
  /** Grafana base URL for links in alerts, e.g. https://myqoe.grafana.azure.com (empty: no link). */
  QOE_GRAFANA_URL: webhookUrl,
  /** Dashboard the links open, filtered on the alert's dimension value (infra/grafana/qoe-overview.json). */
  QOE_GRAFANA_DASHBOARD_UID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/)
    .default('qoe-overview'),

  // --- local host ---------------------------------------------------------------------------
  QOE_LOCAL_PORT: int(7071, 0),
  /** Local host only: run every timer function once right after start, then on its schedule. */
  QOE_LOCAL_RUN_TIMERS_ON_START: bool(false),
};
