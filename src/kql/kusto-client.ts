// Control commands and queries against Azure Data Explorer (migrations, anomaly alerting). With the
// ingestion sink (ingest/sinks/kusto.ts) these are the only two files that import the Kusto SDKs.
// Query values travel as query parameters (`declare query_parameters`), never pasted into text.
import { DefaultAzureCredential } from '@azure/identity';
import { Client, ClientRequestProperties, KustoConnectionStringBuilder } from 'azure-kusto-data';

export type Row = Record<string, unknown>;

/**
 * A query parameter value written as a KQL literal. The service parses every parameter value "as
 * if it were a literal in the body of a query" of the declared type (docs: query parameters
 * declaration statement), so a datetime travels as `datetime(...)`, a real as `real(...)`.
 */
export class KqlLiteral {
  private constructor(readonly text: string) {}

  static datetime(d: Date): KqlLiteral {
    if (Number.isNaN(d.getTime())) throw new RangeError('invalid date for a datetime parameter');
    return new KqlLiteral(`datetime(${d.toISOString()})`);
  }

  /** A timespan of whole milliseconds. */
  static timespan(ms: number): KqlLiteral {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError('timespan parameter must be whole, non-negative milliseconds');
    return new KqlLiteral(`timespan(${ms}ms)`);
  }

  static real(n: number): KqlLiteral {
    if (!Number.isFinite(n)) throw new RangeError('real parameter must be finite');
    return new KqlLiteral(`real(${n})`);
  }

  /** A dynamic array or bag of JSON values (strings, numbers, booleans, null). */
  static dynamic(value: unknown[] | Record<string, unknown>): KqlLiteral {
    return new KqlLiteral(`dynamic(${JSON.stringify(value)})`);
  }

  static long(n: number): KqlLiteral {
    if (!Number.isSafeInteger(n)) throw new RangeError('long parameter must be a safe integer');
    return new KqlLiteral(`long(${n})`);
  }
}

/** Strings travel as they are (a `string` parameter takes the raw text); everything else as a KQL literal. */
export type QueryParameter = string | boolean | Date | KqlLiteral;

function parameterText(value: QueryParameter): string | boolean {
  if (value instanceof KqlLiteral) return value.text;
  if (value instanceof Date) return KqlLiteral.datetime(value).text;
  return value;
}

/** The small surface migrations and alerting need; tests drive it against a loopback stub. */
export interface KustoExecutor {
  /** A control command (`.create table ...`); rows of the primary result. */
  command(database: string, text: string): Promise<Row[]>;
  /** A query with typed parameters declared by the caller in `declare query_parameters(...)`. */
  query(database: string, text: string, parameters?: Record<string, QueryParameter>): Promise<Row[]>;
  close(): void;
}

export interface KustoClientOptions {
  clusterUri: string;
  /** A fixed bearer token (tests); otherwise DefaultAzureCredential (managed identity, az login, ...). */
  accessToken?: string;
  timeoutMs?: number;
}

export function connectionFor(uri: string, accessToken: string | undefined): KustoConnectionStringBuilder {
  return accessToken
    ? KustoConnectionStringBuilder.withAccessToken(uri, accessToken)
    : KustoConnectionStringBuilder.withTokenCredential(uri, new DefaultAzureCredential());
}

function rowsOf(result: { primaryResults: Array<{ rows(): Iterable<unknown> }> }): Row[] {
  const primary = result.primaryResults[0];
  if (!primary) return [];
  return [...primary.rows()].map((r) => (r as { toJSON(): Row }).toJSON());
}

export function createKustoExecutor(opts: KustoClientOptions): KustoExecutor {
  const client = new Client(connectionFor(opts.clusterUri, opts.accessToken));
  const props = (parameters?: Record<string, QueryParameter>) => {
    const p = new ClientRequestProperties();
    if (opts.timeoutMs) p.setTimeout(opts.timeoutMs);
    for (const [name, value] of Object.entries(parameters ?? {})) p.setParameter(name, parameterText(value));
    return p;
  };
  return {
    command: async (database, text) => rowsOf(await client.executeMgmt(database, text, props())),
    query: async (database, text, parameters) => rowsOf(await client.executeQuery(database, text, props(parameters))),
    close: () => client.close(),
  };
}
