// A loopback stub of the Kusto REST endpoints the SDKs use, so the real SDK request flow runs in
// tests without a cluster: /v1/rest/ingest (streaming), /v1/rest/mgmt, /v2/rest/query,
// /v1/rest/auth/metadata. Queued ingestion is pointed at Azurite through `.get ingestion resources`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import type { Socket } from 'node:net';
import { errorMessage } from '../../src/errors.js';

export interface StreamingCall {
  database: string;
  table: string;
  streamFormat: string | null;
  mappingName: string | null;
  contentEncoding: string | undefined;
  authorization: string | undefined;
  /** Body, gunzipped when gzip-encoded. */
  text: string;
  /** Bytes on the wire. */
  wireBytes: number;
}

export interface MgmtCall {
  database: string;
  csl: string;
  /** Client request properties as sent, including query parameters (`Parameters`). */
  properties?: { Parameters?: Record<string, unknown>; Options?: Record<string, unknown> };
}

/** How the stub answers one request: a status (with optional headers/body), a hang, or a reset. */
export type Fault = { status: number; headers?: Record<string, string>; body?: unknown } | { hang: true } | { reset: true };

export interface StorageResources {
  /** Queue URL with SAS for SecuredReadyForAggregationQueue. */
  queue: string;
  /** Container URL with SAS for TempStorage. */
  container: string;
  failedQueue?: string;
  successQueue?: string;
  statusTable?: string;
}

export interface KustoStub {
  url: string;
  streaming: StreamingCall[];
  mgmt: MgmtCall[];
  queries: MgmtCall[];
  /** Faults served in order to streaming-ingest requests before normal answers resume. */
  streamingFaults: Fault[];
  /** Faults served in order to management commands. */
  mgmtFaults: Fault[];
  /** Hung requests whose connection the client closed (a cancelled request). */
  hangsClosed: number;
  /** Answers management commands not handled by default: return a V1 table, or undefined to fall through. */
  onMgmt?: (call: MgmtCall) => V1Table | undefined;
  onQuery?: (call: MgmtCall) => V1Table | undefined;
  close(): Promise<void>;
}

export interface V1Table {
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
}

function v1(tables: V1Table[]): unknown {
  return {
    Tables: tables.map((t, i) => ({
      TableName: `Table_${i}`,
      Columns: t.columns.map((c) => ({ ColumnName: c.name, DataType: c.type === 'string' ? 'String' : c.type, ColumnType: c.type })),
      Rows: t.rows,
    })),
  };
}

function v2(table: V1Table): unknown {
  return [
    { FrameType: 'DataSetHeader', IsProgressive: false, Version: 'v2.0' },
    {
      FrameType: 'DataTable',
      TableId: 0,
      TableKind: 'PrimaryResult',
      TableName: 'PrimaryResult',
      Columns: table.columns.map((c) => ({ ColumnName: c.name, ColumnType: c.type })),
      Rows: table.rows,
    },
    { FrameType: 'DataSetCompletion', HasErrors: false, Cancelled: false },
  ];
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startKustoStub(resources?: StorageResources): Promise<KustoStub> {
  const sockets = new Set<Socket>();
  const stub: KustoStub = {
    url: '',
    streaming: [],
    mgmt: [],
    queries: [],
    streamingFaults: [],
    mgmtFaults: [],
    hangsClosed: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  /** Serves a fault; true when the request was handled by it. */
  const fault = (f: Fault | undefined, req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (!f) return false;
    if ('hang' in f) {
      res.once('close', () => stub.hangsClosed++); // never answer; the client's timeout must fire and cancel
      return true;
    }
    if ('reset' in f) {
      req.socket.destroy();
      return true;
    }
    send(
      res,
      f.status,
      f.body ?? { error: { code: 'Stub', message: `stub fault ${f.status}`, '@permanent': f.status < 500 && f.status !== 429 } },
      f.headers,
    );
    return true;
  };

  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- every path answers or destroys the response itself
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const body = await readBody(req);
    try {
      if (url.pathname === '/v1/rest/auth/metadata') {
        return send(res, 200, { AzureAD: null });
      }
      const ingest = /^\/v1\/rest\/ingest\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (ingest && req.method === 'POST') {
        if (fault(stub.streamingFaults.shift(), req, res)) return;
        const encoding = req.headers['content-encoding'];
        const text = (encoding === 'gzip' ? zlib.gunzipSync(body) : body).toString('utf8');
        stub.streaming.push({
          database: decodeURIComponent(ingest[1]!),
          table: decodeURIComponent(ingest[2]!),
          streamFormat: url.searchParams.get('streamFormat'),
          mappingName: url.searchParams.get('mappingName'),
          contentEncoding: encoding,
          authorization: req.headers.authorization,
          text,
          wireBytes: body.length,
        });
        return send(
          res,
          200,
          v1([{ columns: [{ name: 'ConsumedRecordsCount', type: 'long' }], rows: [[text.split('\n').filter(Boolean).length]] }]),
        );
      }
      if (url.pathname === '/v1/rest/mgmt' || url.pathname === '/v2/rest/query') {
        const { db, csl, properties } = JSON.parse(body.toString('utf8')) as {
          db: string;
          csl: string;
          properties?: string | MgmtCall['properties'];
        };
        const call: MgmtCall = {
          database: db,
          csl: csl.trim(),
          properties: typeof properties === 'string' ? JSON.parse(properties) : properties,
        };
        if (url.pathname === '/v2/rest/query') {
          stub.queries.push(call);
          const table = stub.onQuery?.(call) ?? { columns: [], rows: [] };
          return send(res, 200, v2(table));
        }
        stub.mgmt.push(call);
        if (fault(stub.mgmtFaults.shift(), req, res)) return;
        if (/^\.get ingestion resources/.test(call.csl) && resources) {
          const rows = [
            ['SecuredReadyForAggregationQueue', resources.queue],
            ['FailedIngestionsQueue', resources.failedQueue ?? resources.queue],
            ['SuccessfulIngestionsQueue', resources.successQueue ?? resources.queue],
            ['TempStorage', resources.container],
            ['IngestionsStatusTable', resources.statusTable ?? resources.queue.replace(/\/[^/?]+\?/, '/ingestionsstatus?')],
          ];
          return send(
            res,
            200,
            v1([
              {
                columns: [
                  { name: 'ResourceTypeName', type: 'string' },
                  { name: 'StorageRoot', type: 'string' },
                ],
                rows,
              },
            ]),
          );
        }
        if (/^\.get kusto identity token/.test(call.csl)) {
          return send(res, 200, v1([{ columns: [{ name: 'AuthorizationContext', type: 'string' }], rows: [['stub-identity-token']] }]));
        }
        const custom = stub.onMgmt?.(call);
        return send(res, 200, v1([custom ?? { columns: [], rows: [] }]));
      }
      send(res, 404, { error: { code: 'NotFound', message: url.pathname } });
    } catch (err) {
      send(res, 500, { error: { code: 'StubError', message: errorMessage(err) } });
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}

/**
 * Staging storage for queued ingestion in Azurite: creates the container and queue the stub's
 * `.get ingestion resources` names, with account-SAS URLs as a real cluster hands out.
 */
export async function azuriteIngestionResources(azurite: {
  connectionString: string;
  blobPort: number;
  queuePort: number;
}): Promise<StorageResources> {
  const {
    AccountSASPermissions,
    AccountSASResourceTypes,
    AccountSASServices,
    BlobServiceClient,
    generateAccountSASQueryParameters,
    StorageSharedKeyCredential,
  } = await import('@azure/storage-blob');
  const { QueueServiceClient } = await import('@azure/storage-queue');
  const { DEV_ACCOUNT, DEV_KEY } = await import('../../src/local/azurite.js');
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('ingest-temp').createIfNotExists();
  await QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('readyforaggregation').createIfNotExists();
  const sas = generateAccountSASQueryParameters(
    {
      expiresOn: new Date(Date.now() + 3600_000),
      permissions: AccountSASPermissions.parse('racwdlup'),
      services: AccountSASServices.parse('bq').toString(),
      resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
    },
    new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY),
  ).toString();
  return {
    container: `http://127.0.0.1:${azurite.blobPort}/${DEV_ACCOUNT}/ingest-temp?${sas}`,
    queue: `http://127.0.0.1:${azurite.queuePort}/${DEV_ACCOUNT}/readyforaggregation?${sas}`,
  };
}
