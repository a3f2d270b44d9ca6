import { readFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { handleBeaconRequest } from '../../../src/intake/http/handlers.js';
import type { Batch, Sink } from '../../../src/ingest/sink.js';
import type { DeadLetterStore } from '../../../src/ingest/deadletter/store.js';
import { glob, readNdjsonTree } from '../../support/files.js';
import { httpRequest, invocationContext, testServices, validBeacon, type TestServices } from '../../support/services.js';

let svc: TestServices | undefined;
afterEach(async () => {
  await svc?.cleanup();
  svc = undefined;
});

async function post(
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  settings: Record<string, string> = {},
) {
  svc ??= await testServices(settings);
  const res = await handleBeaconRequest(httpRequest({ body, headers }), invocationContext(), svc);
  return {
    status: res.status,
    body: res.jsonBody as { accepted: number; rejected: Array<{ index: number; errors: string[] }>; error?: string },
    headers: (res.headers ?? {}) as Record<string, string>,
  };
}

const rows = async () => readNdjsonTree(`${svc!.dir}/sink`);
const deadLetters = async () =>
  Promise.all((await glob(`${svc!.dir}/deadletter`, /rejected\/.*\.json$/)).map(async (f) => JSON.parse(await readFile(f, 'utf8'))));

describe('POST /api/beacons body forms', () => {
  it('takes one JSON object and writes the enriched row', async () => {
    const res = await post(JSON.stringify(validBeacon()), {
      'content-type': 'application/json',
      'x-forwarded-for': '8.8.8.8:51234',
      'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 1, rejected: [] });
    const [row] = await rows();
    expect(row).toMatchObject({
      EventType: 'heartbeat',
      SessionId: 'sess-1',
      Seq: 1,
      Timestamp: '2026-11-23T10:00:00.000Z',
      ContentId: 'big-buck-bunny',
      ManifestUrl: 'https://vod.example.akamaized.net/bbb/manifest.mpd',
      Country: 'US',
      ClientIpPrefix: '8.8.8.0/24',
      Os: 'Windows',
      Browser: 'Chrome',
      // Chrome's reduced version looks like an IPv4 network address: the address scrub leaves it as is
      BrowserVersion: '131.0.0.0',
      DeviceType: 'desktop',
      Cdn: 'Akamai',
      Source: 'http',
      SchemaVersion: 1,
    });
  });

  it('takes a JSON array, NDJSON, and text/plain holding either', async () => {
    const two = [validBeacon({ seq: 1 }), validBeacon({ seq: 2 })];
    expect((await post(JSON.stringify(two))).body.accepted).toBe(2);
    expect((await post(two.map((b) => JSON.stringify(b)).join('\n'), { 'content-type': 'application/x-ndjson' })).body.accepted).toBe(2);
    expect((await post(JSON.stringify(two), { 'content-type': 'text/plain;charset=UTF-8' })).body.accepted).toBe(2);
    expect((await post(two.map((b) => JSON.stringify(b)).join('\n'), { 'content-type': 'text/plain' })).body.accepted).toBe(2);
    expect(await rows()).toHaveLength(8);
  });

  it('takes gzip and deflate bodies', async () => {
    const body = JSON.stringify([validBeacon({ seq: 1 }), validBeacon({ seq: 2 })]);
    expect((await post(zlib.gzipSync(body), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(202);
    expect((await post(zlib.deflateSync(body), { 'content-type': 'application/json', 'content-encoding': 'deflate' })).status).toBe(202);
    expect(await rows()).toHaveLength(4);
  });

  it('keeps unknown fields in Extra', async () => {
    await post(JSON.stringify(validBeacon({ abGroup: 'B', experiment: { id: 7 } })));
    const [row] = await rows();
    expect(row!.Extra).toEqual({ abGroup: 'B', experiment: { id: 7 } });
  });
});

describe('POST /api/beacons validation and limits', () => {
  it('answers 202 with per-record rejects and keeps them in the dead-letter store', async () => {
    const res = await post(JSON.stringify([validBeacon(), { event: 'play' }, validBeacon({ bitrateKbps: -5 })]));
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(res.body.rejected[0]!.errors.join()).toMatch(/sessionId/);
    expect(res.body.rejected[1]!.errors.join()).toMatch(/bitrateKbps/);
    const [dl] = await deadLetters();
    expect(dl.records.map((r: { index: number }) => r.index)).toEqual([1, 2]);
    expect(dl.records[0].record).toEqual({ event: 'play' });
  });

  it('answers 400 with the same shape when no record is valid', async () => {
    const res = await post(JSON.stringify([{ nope: 1 }, 42]));
    expect(res.status).toBe(400);
    expect(res.body.accepted).toBe(0);
    expect(res.body.rejected.map((r) => r.index)).toEqual([0, 1]);
    expect(res.body.rejected[1]!.errors).toEqual(['record must be a JSON object']);
    expect(await rows()).toHaveLength(0);
  });

  it('answers 400 for a body that is not JSON and keeps a record of it', async () => {
    const res = await post('this is not json');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/not valid JSON/);
    const [dl] = await deadLetters();
    expect(dl.records[0].raw).toBe('this is not json');
  });

  it('refuses a too-long string field per record', async () => {
    const res = await post(JSON.stringify([validBeacon(), validBeacon({ errorMessage: 'x'.repeat(300) })]), undefined, {
      QOE_MAX_STRING_LENGTH: '100',
    });
    expect(res.status).toBe(202);
    expect(res.body.rejected[0]!.errors.join()).toMatch(/errorMessage/);
  });

  it('413 for a body over the size limit, by header or by bytes', async () => {
    const big = JSON.stringify([validBeacon({ pad: 'x'.repeat(5000) })]);
    expect((await post(big, { 'content-type': 'application/json' }, { QOE_MAX_BODY_BYTES: '1000' })).status).toBe(413);
    expect((await post('{}', { 'content-type': 'application/json', 'content-length': '5000' })).status).toBe(413);
  });

  it('413 for a gzip bomb, 413 for too many records', async () => {
    const member = zlib.gzipSync(Buffer.alloc(1024 * 1024, 0x20));
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    const res = await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/decoded body is (larger|more than 100 times)/);
    await svc!.cleanup();
    svc = undefined;
    const many = JSON.stringify(Array.from({ length: 11 }, (_, i) => validBeacon({ seq: i })));
    expect((await post(many, undefined, { QOE_MAX_RECORDS_PER_REQUEST: '10' })).status).toBe(413);
  });

  it('415 for an unknown content type or encoding', async () => {
    expect((await post('<x/>', { 'content-type': 'application/xml' })).status).toBe(415);
    expect((await post('{}', { 'content-type': 'application/json', 'content-encoding': 'br' })).status).toBe(415);
  });
});

describe('CORS', () => {
  it('answers an allowed preflight with 204 and the CORS headers, a foreign origin with 403', async () => {
    svc = await testServices({ QOE_CORS_ORIGINS: 'https://player.example,http://localhost:*' });
    const pre = await handleBeaconRequest(
      httpRequest({ method: 'OPTIONS', headers: { origin: 'https://player.example', 'access-control-request-method': 'POST' } }),
      invocationContext(),
      svc,
    );
    expect(pre.status).toBe(204);
    expect(pre.headers).toMatchObject({
      'Access-Control-Allow-Origin': 'https://player.example',
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
    });
    const local = await handleBeaconRequest(
      httpRequest({ method: 'OPTIONS', headers: { origin: 'http://localhost:8080' } }),
      invocationContext(),
      svc,
    );
    expect(local.status).toBe(204);
    const evil = await handleBeaconRequest(
      httpRequest({ method: 'OPTIONS', headers: { origin: 'https://evil.example' } }),
      invocationContext(),
      svc,
    );
    expect(evil.status).toBe(403);
    const evilPost = await handleBeaconRequest(
      httpRequest({ body: JSON.stringify(validBeacon()), headers: { origin: 'https://evil.example', 'content-type': 'text/plain' } }),
      invocationContext(),
      svc,
    );
    expect(evilPost.status).toBe(403);
    expect(await rows()).toHaveLength(0);
  });

  it('sends * only when * is configured', async () => {
    svc = await testServices({ QOE_CORS_ORIGINS: '*' });
    const res = await handleBeaconRequest(
      httpRequest({ body: JSON.stringify(validBeacon()), headers: { origin: 'https://anything.example', 'content-type': 'text/plain' } }),
      invocationContext(),
      svc,
    );
    expect(res.status).toBe(202);
    expect((res.headers as Record<string, string>)['Access-Control-Allow-Origin']).toBe('*');
  });
});

describe('durability', () => {
  const failingSink: Sink = { name: 'down', write: async (_b: Batch) => Promise.reject(new Error('sink down')) };

  it('a failing sink ends in the dead-letter store and still answers 202', async () => {
    svc = await testServices({}, { sink: failingSink });
    const res = await handleBeaconRequest(
      httpRequest({ body: JSON.stringify(validBeacon()), headers: { 'content-type': 'application/json' } }),
      invocationContext(),
      svc,
    );
    expect(res.status).toBe(202);
    const files = await glob(`${svc.dir}/deadletter`, /batches\/QoeEvents\/.*\.json$/);
    expect(files).toHaveLength(1);
    const doc = JSON.parse(await readFile(files[0]!, 'utf8'));
    expect(doc.reason).toMatch(/sink down/);
    expect(doc.rows[0].SessionId).toBe('sess-1');
  });

  it('a failing dead-letter store too means 503 with Retry-After', async () => {
    const brokenDl: DeadLetterStore = {
      name: 'broken',
      writeRejected: async () => Promise.reject(new Error('dl down')),
      writeFailedBatch: async () => Promise.reject(new Error('dl down')),
    };
    svc = await testServices({ QOE_RETRY_AFTER_SECONDS: '7' }, { sink: failingSink, deadLetter: brokenDl });
    const res = await handleBeaconRequest(
      httpRequest({ body: JSON.stringify(validBeacon()), headers: { 'content-type': 'application/json' } }),
      invocationContext(),
      svc,
    );
    expect(res.status).toBe(503);
    expect((res.headers as Record<string, string>)['Retry-After']).toBe('7');
  });
});

describe('a refused request that cannot be kept', () => {
  it('answers 503 + Retry-After, not 4xx, when its dead-letter record cannot be written (was: 400, kept nowhere)', async () => {
    const brokenDl: DeadLetterStore = {
      name: 'broken',
      writeRejected: async () => Promise.reject(new Error('dl down')),
      writeFailedBatch: async () => Promise.reject(new Error('dl down')),
    };
    svc = await testServices({ QOE_RETRY_AFTER_SECONDS: '9' }, { deadLetter: brokenDl });
    for (const [body, type] of [
      ['{"not json', 'application/json'],
      ['<x/>', 'application/xml'],
    ] as const) {
      const res = await handleBeaconRequest(httpRequest({ body, headers: { 'content-type': type } }), invocationContext(), svc);
      expect(res.status).toBe(503);
      expect((res.headers as Record<string, string>)['Retry-After']).toBe('9');
    }
  });
});
