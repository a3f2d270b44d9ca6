// Control commands and queries against Azure Data Explorer (migrations, anomaly alerting). With the
// ingestion sink (ingest/sinks/kusto.ts) these are the only two files that import the Kusto SDKs.
// Query values travel as query parameters (`declare query_parameters`), never pasted into text.
import { DefaultAzureCredential } from '@azure/identity';
import { Client, ClientRequestProperties, KustoConnectionStringBuilder } from 'azure-kusto-data';

export type Row = Record<string, unknown>;

/** The small surface migrations and alerting need; tests drive it against a loopback stub. */
export interface KustoExecutor {
  /** A control command (`.create table ...`); rows of the primary result. */
  command(database: string, text: string): Promise<Row[]>;
  /** A query with typed parameters declared by the caller in `declare query_parameters(...)`. */
  query(database: string, text: string, parameters?: Record<string, string | number | boolean | Date>): Promise<Row[]>;
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
  const props = (parameters?: Record<string, string | number | boolean | Date>) => {
    const p = new ClientRequestProperties();
    if (opts.timeoutMs) p.setTimeout(opts.timeoutMs);
    for (const [name, value] of Object.entries(parameters ?? {})) p.setParameter(name, value instanceof Date ? value.toISOString() : value);
    return p;
  };
  return {
    command: async (database, text) => rowsOf(await client.executeMgmt(database, text, props())),
    query: async (database, text, parameters) => rowsOf(await client.executeQuery(database, text, props(parameters))),
    close: () => client.close(),
  };
}
