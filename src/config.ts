// The ONLY reader of process.env. Every setting the service understands is declared once in
// `fields` (src/config-fields.ts: name, type, default) and used once in the section that maps
// it onto `Config`; the `Config` type is derived from those mappings. `local.settings.sample.json` and `infra/` list
// the same names.
//
// Sections are validated on their own and, through lazyConfig(), only when first used: a bad
// alert setting stops alerting (its functions log why) while HTTP and blob intake keep serving.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { fields } from './config-fields.js';

const require = createRequire(import.meta.url);

export const settingsSchema = z.object(fields);

export type Settings = z.output<typeof settingsSchema>;
type SettingName = keyof typeof fields;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function defaultCountryDb(): string {
  return require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
}

function ingestUriFor(clusterUri: string): string {
  const url = new URL(clusterUri);
  if (!url.hostname.startsWith('ingest-') && url.hostname.includes('.')) url.hostname = `ingest-${url.hostname}`;
  return url.toString().replace(/\/$/, '');
}

/** A section: the settings it reads, the Config keys it provides, and how the one becomes the other. */
function section<K extends SettingName, T extends object>(
  settings: readonly K[],
  provides: readonly (keyof T)[],
  map: (s: Pick<Settings, K>) => T,
) {
  return { settings, provides, map };
}

const isLocalStorage = (conn: string, account: string) =>
  !account && (!conn || /UseDevelopmentStorage=true|127\.0\.0\.1|localhost/i.test(conn));
const sinkOf = (s: Pick<Settings, 'QOE_SINK' | 'KUSTO_CLUSTER_URI'>): 'file' | 'kusto' => {
  const cluster = s.KUSTO_CLUSTER_URI.trim();
  const sink = s.QOE_SINK === 'auto' ? (cluster ? 'kusto' : 'file') : s.QOE_SINK;
  if (sink === 'kusto' && !cluster) throw new ConfigError('invalid settings:\n  QOE_SINK=kusto needs KUSTO_CLUSTER_URI');
  return sink;
};

export const sections = {
  storage: section(
    ['AzureWebJobsStorage', 'AzureWebJobsStorage__accountName', 'QOE_DATA_DIR'],
    ['storageConnection', 'storageAccount', 'storageIsLocal', 'dataDir'],
    (s) => ({
      /** Connection string, or '' when the account is reached by identity (storageAccount). Neither set: the local emulator. */
      storageConnection: s.AzureWebJobsStorage || (s.AzureWebJobsStorage__accountName ? '' : 'UseDevelopmentStorage=true'),
      storageAccount: s.AzureWebJobsStorage__accountName || undefined,
      /** True when storage is the local emulator, so the local host starts Azurite. */
      storageIsLocal: isLocalStorage(s.AzureWebJobsStorage, s.AzureWebJobsStorage__accountName),
      dataDir: path.resolve(s.QOE_DATA_DIR),
    }),
  ),
  intake: section(
    [
      'QOE_CORS_ORIGINS',
      'QOE_MAX_BODY_BYTES',
      'QOE_MAX_DECODED_BYTES',
      'QOE_MAX_DECODE_RATIO',
      'QOE_MAX_RECORDS_PER_REQUEST',
      'QOE_MAX_STRING_LENGTH',
      'QOE_MAX_URL_LENGTH',
      'QOE_RETRY_AFTER_SECONDS',
      'QOE_CLIENT_IP_HEADER',
      'QOE_TRUSTED_PROXY_HOPS',
    ],
    ['http', 'clientIp'],
    (s) => ({
      http: {
        corsOrigins: s.QOE_CORS_ORIGINS,
        maxBodyBytes: s.QOE_MAX_BODY_BYTES,
        maxDecodedBytes: s.QOE_MAX_DECODED_BYTES,
        maxDecodeRatio: s.QOE_MAX_DECODE_RATIO,
        maxRecordsPerRequest: s.QOE_MAX_RECORDS_PER_REQUEST,
        maxStringLength: s.QOE_MAX_STRING_LENGTH,
        maxUrlLength: s.QOE_MAX_URL_LENGTH,
        retryAfterSeconds: s.QOE_RETRY_AFTER_SECONDS,
      },
      clientIp: { header: s.QOE_CLIENT_IP_HEADER, trustedProxyHops: s.QOE_TRUSTED_PROXY_HOPS },
    }),
  ),
  enrich: section(
    [
      'QOE_GEO_COUNTRY_DB',
      'QOE_GEO_CITY_DB',
      'QOE_GEO_ASN_DB',
      'QOE_UA_CACHE_SIZE',
      'QOE_UA_CACHE_BYTES',
      'QOE_CONTENT_ID_RULES',
      'QOE_CDN_RULES',
    ],
    ['enrich'],
    (s) => ({
      enrich: {
        countryDb: s.QOE_GEO_COUNTRY_DB || defaultCountryDb(),
        cityDb: s.QOE_GEO_CITY_DB || undefined,
        asnDb: s.QOE_GEO_ASN_DB || undefined,
        uaCacheSize: s.QOE_UA_CACHE_SIZE,
        uaCacheBytes: s.QOE_UA_CACHE_BYTES,
        contentIdRules: s.QOE_CONTENT_ID_RULES,
        cdnRules: s.QOE_CDN_RULES,
      },
    }),
  ),
  blob: section(
    [
      'QOE_BLOB_CONTAINERS',
      'QOE_BLOB_PREFIXES',
      'QOE_BLOB_QUEUE',
      'QOE_BLOB_CHUNK_BYTES',
      'QOE_BLOB_RANGE_BYTES',
      'QOE_BLOB_MAX_RECORD_BYTES',
      'QOE_BLOB_CLAIM_SECONDS',
      'QOE_BLOB_PREPARE_THREADS',
      'QOE_CHECKPOINT_TABLE',
    ],
    ['blob'],
    (s) => ({
      blob: {
        containers: s.QOE_BLOB_CONTAINERS,
        prefixes: s.QOE_BLOB_PREFIXES,
        queue: s.QOE_BLOB_QUEUE,
        chunkBytes: s.QOE_BLOB_CHUNK_BYTES,
        rangeBytes: s.QOE_BLOB_RANGE_BYTES,
        maxRecordBytes: s.QOE_BLOB_MAX_RECORD_BYTES,
        claimSeconds: s.QOE_BLOB_CLAIM_SECONDS,
        prepareThreads: s.QOE_BLOB_PREPARE_THREADS === '' ? availableParallelism() : s.QOE_BLOB_PREPARE_THREADS,
        checkpointTable: s.QOE_CHECKPOINT_TABLE,
      },
    }),
  ),
  ingest: section(
    [
      'QOE_SINK',
      'KUSTO_CLUSTER_URI',
      'QOE_DATA_DIR',
      'QOE_BATCH_MAX_RECORDS',
      'QOE_BATCH_MAX_BYTES',
      'QOE_BATCH_MAX_DELAY_MS',
      'QOE_SINK_MAX_ATTEMPTS',
      'QOE_SINK_RETRY_BASE_MS',
      'QOE_SINK_RETRY_MAX_MS',
      'QOE_FILE_SINK_WINDOW_SECONDS',
      'QOE_DEADLETTER_STORE',
      'QOE_DEADLETTER_CONTAINER',
      'QOE_DEADLETTER_BYTES_PER_REQUEST',
    ],
    ['sink', 'batch', 'retry', 'fileSink', 'deadLetter'],
    (s) => {
      const sink = sinkOf(s);
      const dataDir = path.resolve(s.QOE_DATA_DIR);
      return {
        sink,
        batch: {
          maxRecords: s.QOE_BATCH_MAX_RECORDS,
          maxBytes: s.QOE_BATCH_MAX_BYTES,
          maxDelayMs: s.QOE_BATCH_MAX_DELAY_MS === '' ? (sink === 'kusto' ? 200 : 20) : s.QOE_BATCH_MAX_DELAY_MS,
        },
        retry: { maxAttempts: s.QOE_SINK_MAX_ATTEMPTS, baseMs: s.QOE_SINK_RETRY_BASE_MS, maxMs: s.QOE_SINK_RETRY_MAX_MS },
        fileSink: { dir: path.join(dataDir, 'sink'), windowSeconds: s.QOE_FILE_SINK_WINDOW_SECONDS },
        deadLetter: {
          store: s.QOE_DEADLETTER_STORE,
          container: s.QOE_DEADLETTER_CONTAINER,
          dir: path.join(dataDir, 'deadletter'),
          maxBytesPerEntry: s.QOE_DEADLETTER_BYTES_PER_REQUEST,
        },
      };
    },
  ),
  kusto: section(
    [
      'KUSTO_CLUSTER_URI',
      'KUSTO_INGEST_URI',
      'KUSTO_DATABASE',
      'KUSTO_INGEST_MODE',
      'KUSTO_ACCESS_TOKEN',
      'KUSTO_REPORT_STATUS',
      'KUSTO_STATUS_POLL_SECONDS',
      'KUSTO_STATUS_SETTLE_MINUTES',
      'KUSTO_AUTH_GRACE_SECONDS',
    ],
    ['kusto'],
    (s) => {
      const cluster = s.KUSTO_CLUSTER_URI.trim();
      return {
        kusto: {
          clusterUri: cluster,
          ingestUri: s.KUSTO_INGEST_URI.trim() || (cluster ? ingestUriFor(cluster) : ''),
          database: s.KUSTO_DATABASE,
          mode: s.KUSTO_INGEST_MODE,
          accessToken: s.KUSTO_ACCESS_TOKEN || undefined,
          reportStatus: s.KUSTO_REPORT_STATUS,
          statusPollSeconds: s.KUSTO_STATUS_POLL_SECONDS,
          statusSettleMs: s.KUSTO_STATUS_SETTLE_MINUTES * 60_000,
          authGraceMs: s.KUSTO_AUTH_GRACE_SECONDS * 1000,
        },
      };
    },
  ),
  telemetry: section(
    ['QOE_TELEMETRY', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    ['telemetry'],
    (s) => ({
      telemetry: {
        mode: (s.QOE_TELEMETRY !== 'auto'
          ? s.QOE_TELEMETRY
          : s.APPLICATIONINSIGHTS_CONNECTION_STRING
            ? 'azure'
            : s.OTEL_EXPORTER_OTLP_ENDPOINT
              ? 'otlp'
              : 'off') as 'off' | 'console' | 'otlp' | 'azure',
        connectionString: s.APPLICATIONINSIGHTS_CONNECTION_STRING || undefined,
        entraAuth: /Authorization=AAD/i.test(s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING),
        otlpEndpoint: s.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '') || undefined,
      },
    }),
  ),
  alerts: section(
    [
      'QOE_ALERT_SCHEDULE',
      'QOE_ALERT_WINDOW_MINUTES',
      'QOE_ALERT_BIN_MINUTES',
      'QOE_ALERT_MIN_SESSIONS',
      'QOE_ALERT_QUIET_MINUTES',
      'QOE_ALERT_QUEUE',
      'QOE_ALERT_STATE_TABLE',
      'QOE_ALERT_WEBHOOK_URL',
      'QOE_ALERT_TEAMS_URL',
      'QOE_ALERT_SLACK_URL',
      'QOE_ALERT_SEND_TIMEOUT_MS',
      'QOE_GRAFANA_URL',
      'QOE_GRAFANA_DASHBOARD_UID',
    ],
    ['alerts'],
    (s) => ({
      alerts: {
        schedule: s.QOE_ALERT_SCHEDULE,
        windowMinutes: s.QOE_ALERT_WINDOW_MINUTES,
        binMinutes: s.QOE_ALERT_BIN_MINUTES,
        minSessions: s.QOE_ALERT_MIN_SESSIONS,
        quietMinutes: s.QOE_ALERT_QUIET_MINUTES,
        queue: s.QOE_ALERT_QUEUE,
        stateTable: s.QOE_ALERT_STATE_TABLE,
        webhookUrl: s.QOE_ALERT_WEBHOOK_URL || undefined,
        teamsUrl: s.QOE_ALERT_TEAMS_URL || undefined,
        slackUrl: s.QOE_ALERT_SLACK_URL || undefined,
        sendTimeoutMs: s.QOE_ALERT_SEND_TIMEOUT_MS,
        grafanaUrl: s.QOE_GRAFANA_URL.replace(/\/+$/, '') || undefined,
        grafanaDashboardUid: s.QOE_GRAFANA_DASHBOARD_UID,
      },
    }),
  ),
  local: section(['QOE_LOCAL_PORT', 'QOE_LOCAL_RUN_TIMERS_ON_START'], ['localPort', 'localRunTimersOnStart'], (s) => ({
    localPort: s.QOE_LOCAL_PORT,
    /** Local host only. */
    localRunTimersOnStart: s.QOE_LOCAL_RUN_TIMERS_ON_START,
  })),
};

export type SectionName = keyof typeof sections;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The part of Config the named sections provide. */
export type ConfigOf<N extends SectionName> = UnionToIntersection<ReturnType<(typeof sections)[N]['map']>>;
export type Config = ConfigOf<SectionName>;

type Env = Record<string, string | undefined>;

/**
 * App Service leaves a Key Vault reference it could not resolve (secret not set yet, or no
 * access) as its literal text: such a setting counts as not set, so an optional alert target the
 * operator has not filled in does not read as an invalid URL.
 */
const unresolvedKeyVaultReference = (v: string) => /^@Microsoft\.KeyVault\(.*\)$/is.test(v.trim());

/** Validates one section's settings; throws ConfigError naming every bad one. */
export function loadSection<N extends SectionName>(name: N, env: Env = process.env): ConfigOf<N> {
  const { settings, map } = sections[name] as unknown as { settings: readonly SettingName[]; map: (s: unknown) => ConfigOf<N> };
  const mask = Object.fromEntries(settings.map((k) => [k, true])) as Record<SettingName, true>;
  const present = Object.fromEntries(
    settings.flatMap((k) => (env[k] === undefined || unresolvedKeyVaultReference(env[k]) ? [] : [[k, env[k]]])),
  );
  const parsed = settingsSchema.pick(mask).safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid settings:\n  ${lines.join('\n  ')}`);
  }
  return map(parsed.data);
}

/** Reads and validates every section at once; throws ConfigError naming every bad setting. For CLIs and tests. */
export function loadConfig(env: Env = process.env): Config {
  const errors: string[] = [];
  const parts = (Object.keys(sections) as SectionName[]).map((name) => {
    try {
      return loadSection(name, env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(
        ...err.message
          .split('\n')
          .slice(1)
          .map((l) => l.trim()),
      );
      return {};
    }
  });
  if (errors.length) throw new ConfigError(`invalid settings:\n  ${[...new Set(errors)].join('\n  ')}`);
  return Object.assign({}, ...parts) as Config;
}

/**
 * The same Config, each section read and validated when one of its keys is first used: a function
 * touches only its own sections, so a bad setting elsewhere cannot stop it. The ConfigError of a
 * bad section is thrown at that first use (and again at every later one).
 */
export function lazyConfig(env: Env = process.env): Config {
  const config = {};
  for (const name of Object.keys(sections) as SectionName[]) {
    for (const key of sections[name].provides as readonly string[]) {
      Object.defineProperty(config, key, {
        enumerable: true,
        configurable: true,
        get() {
          const values = loadSection(name, env) as Record<string, unknown>;
          for (const k of sections[name].provides as readonly string[])
            Object.defineProperty(config, k, { value: values[k], enumerable: true, writable: false });
          return values[key];
        },
      });
    }
  }
  return config as Config;
}

/**
 * The value of a `%SETTING%` binding expression, as the Functions host resolves it from app
 * settings, validated by the schema (and its default when unset, which the local host uses).
 */
export function bindingSetting(name: string, env: Env = process.env): string {
  if (!(name in fields)) throw new ConfigError(`%${name}% is not a setting src/config.ts declares`);
  const field = fields[name as SettingName] as z.ZodType;
  const raw = env[name];
  const parsed = field.safeParse(raw === undefined || unresolvedKeyVaultReference(raw) ? undefined : raw);
  if (!parsed.success) throw new ConfigError(`invalid settings:\n  ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return String(parsed.data);
}
