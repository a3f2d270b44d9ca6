import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DataFormat, IngestionProperties, StreamingIngestClient } from 'azure-kusto-ingest';
import { KustoSink, classifyKustoError, sanitize } from '../../../src/ingest/sinks/kusto.js';
import { categorize } from '../../../src/ingest/sinks/kusto-errors.js';
import { connectionFor } from '../../../src/kql/kusto-client.js';
import { PermanentError } from '../../../src/ingest/retry.js';
import type { Batch } from '../../../src/ingest/sink.js';
import { startKustoStub, type KustoStub } from '../../support/kusto-stub.js';
import { errorMessage } from '../../../src/errors.js';

let stub: KustoStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

const batch = (rows: object[], table = 'QoeEvents'): Batch => {
  const lines = rows.map((r) => JSON.stringify(r));
  return { id: crypto.randomUUID(), table, rows: lines, bytes: lines.join('\n').length + 1, createdAt: new Date() };
};

function sink(s: KustoStub, over: Partial<ConstructorParameters<typeof KustoSink>[0]> = {}) {
  return new KustoSink({
    clusterUri: s.url,
    ingestUri: s.url,
    database: 'qoe',
    mode: 'managed-streaming',
    mappingFor: (t) => `${t}_json`,
    accessToken: 'test-token',
    timeoutMs: 2000,
    ...over,
  });
}

describe('KustoSink (managed streaming, real SDK against a loopback stub)', () => {
  it('streams gzip JSON lines to the configured database and table with the mapping reference', async () => {
    stub = await startKustoStub();
    const rows = [
      { SessionId: 's1', Seq: 1, EventType: 'play' },
      { SessionId: 's1', Seq: 2, EventType: 'heartbeat' },
      { SessionId: 's2', Seq: 1, EventType: 'start' },
    ];
    await sink(stub).write(batch(rows));
    expect(stub.streaming).toHaveLength(1);
    const call = stub.streaming[0]!;
    expect(call).toMatchObject({
      database: 'qoe',
      table: 'QoeEvents',
      streamFormat: 'json',
      mappingName: 'QoeEvents_json',
      contentEncoding: 'gzip',
    });
    expect(call.authorization).toBe('Bearer test-token');
    expect(
      call.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(rows);
  });

  it('turns a 400 into a PermanentError without falling back to queued', async () => {
    stub = await startKustoStub();
    stub.streamingFaults.push({
      status: 400,
      body: { error: { code: 'BadRequest', message: "Mapping reference 'QoeEvents_json' wasn't found" } },
    });
    const fallbacks: string[] = [];
    const err = await sink(stub, { onFallback: (r) => fallbacks.push(r) })
      .write(batch([{ a: 1 }]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(errorMessage(err)).toMatch(/400.*Mapping reference/);
    expect(fallbacks).toEqual([]);
    expect(stub.mgmt).toHaveLength(0); // no queued attempt
  });

  it('falls back to queued on throttling; a failing queued path surfaces as a transient error', async () => {
    stub = await startKustoStub(); // no storage resources: the queued path cannot work here
    stub.streamingFaults.push({ status: 429, headers: { 'retry-after': '2' } });
    stub.mgmtFaults.push({ status: 503 });
    const fallbacks: string[] = [];
    const err = await sink(stub, { onFallback: (r) => fallbacks.push(r) })
      .write(batch([{ a: 1 }]))
      .catch((e: unknown) => e);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatch(/429/);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentError);
    expect(stub.mgmt[0]!.csl).toMatch(/^\.get ingestion resources/);
  });
});

describe('error categories against the stub (real SDK)', () => {
  it('a 401/403 is retried within the authorization grace period, then dead-lettered', async () => {
    stub = await startKustoStub();
    stub.streamingFaults.push({ status: 403 }, { status: 401 });
    const s = sink(stub, { authGraceMs: 10_000 });
    await s.write(batch([{ a: 1 }])); // role assignment propagated after two refusals
    expect(stub.streaming).toHaveLength(1);
    stub.streamingFaults.push(...Array.from({ length: 20 }, () => ({ status: 403 })));
    const started = Date.now();
    const err = await sink(stub, { authGraceMs: 1500 })
      .write(batch([{ a: 2 }]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(errorMessage(err)).toMatch(/403.*authorization grace period/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(stub.mgmt).toHaveLength(0); // never queued: queued ingestion would be refused the same way
  });

  it('a timed-out streaming request is cancelled (its connection closed) before the fallback runs', async () => {
    stub = await startKustoStub(); // no storage: the queued fallback fails, which is all this test needs
    stub.streamingFaults.push({ hang: true });
    stub.mgmtFaults.push({ status: 503 });
    const fallbacks: string[] = [];
    const err = await sink(stub, { timeoutMs: 300, onFallback: (r) => fallbacks.push(r) })
      .write(batch([{ a: 1 }]))
      .catch((e: unknown) => e);
    expect(fallbacks[0]).toMatch(/aborted after 300 ms/);
    expect(stub.hangsClosed).toBe(1); // the request is gone, so it cannot commit after the fallback
    expect(err).not.toBeInstanceOf(PermanentError);
  });

  it('a data error (bad mapping, unknown table) is permanent; a request or table the stream refuses is not', async () => {
    stub = await startKustoStub();
    for (const [status, code, category] of [
      [400, 'BadRequest_MappingReferenceWasNotFound', 'permanent'],
      [404, 'BadRequest_EntityNotFound', 'permanent'],
      [400, 'BadRequest_StreamingIngestionPolicyNotEnabled', 'streaming-off'],
      [400, 'StreamingIngestionDisabledForCluster', 'streaming-off'],
      [400, 'UpdatePolicyIncompatible', 'table-config'],
      [400, 'QuerySchemaDoesNotMatchTableSchema', 'table-config'],
      [413, 'RequestEntityTooLarge', 'request-properties'],
      [400, 'Stream_InputStreamTooLarge', 'request-properties'],
      [429, 'General_ThrottledIngestion', 'throttled'],
      [403, 'Forbidden', 'auth'],
      [503, 'ServiceUnavailable', 'transient'],
    ] as const) {
      stub.streamingFaults.push({ status, body: { error: { code, message: `${code} happened`, '@permanent': status < 500 } } });
      const err = await new StreamingIngestClient(connectionFor(stub.url, 't'))
        .ingestFromStream(
          Readable.from([Buffer.from('{}\n')]),
          new IngestionProperties({ database: 'qoe', table: 'T', format: DataFormat.JSON }),
        )
        .catch((e: unknown) => e);
      expect([code, categorize(err).category]).toEqual([code, category]);
    }
  });
});

describe('classifyKustoError', () => {
  it('classifies by HTTP status and keeps the Retry-After hint', () => {
    expect(classifyKustoError({ message: 'x', response: { status: 403 } })).not.toBeInstanceOf(PermanentError); // auth: grace period
    expect(classifyKustoError({ message: 'x', response: { status: 404 } })).toBeInstanceOf(PermanentError);
    const throttled = classifyKustoError({ message: 'x', inner: { response: { status: 429, headers: { 'retry-after': '3' } } } });
    expect(throttled).not.toBeInstanceOf(PermanentError);
    expect((throttled as { retryAfterMs?: number }).retryAfterMs).toBe(3000);
    expect(classifyKustoError({ message: 'x', response: { status: 500 } })).not.toBeInstanceOf(PermanentError);
    expect(classifyKustoError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).not.toBeInstanceOf(PermanentError);
  });

  it('never lets a SAS signature or bearer token through', () => {
    const s = sanitize('PUT https://acc.blob.core.windows.net/c/b?sv=2024&sig=SECRETSIG&se=2030 failed; Authorization: Bearer eyJabc.def');
    expect(s).not.toContain('SECRETSIG');
    expect(s).not.toContain('eyJabc');
    expect(
      sanitize('connect failed: DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0a2V5;EndpointSuffix=core.windows.net'),
    ).not.toContain('c2VjcmV0a2V5');
  });
});
