// Property-based fuzzing of the HTTP intake (fast-check). `npm test` runs a fixed seed and count;
// `npm run fuzz` runs many more (FUZZ_RUNS) with a fresh seed each time.
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleBeaconRequest } from '../../src/intake/http/handlers.js';
import { httpRequest, invocationContext, testServices, validBeacon, type TestServices } from '../support/services.js';

const runs = Number(process.env.FUZZ_RUNS ?? 300);
const seed = process.env.FUZZ_RUNS ? Date.now() : 20261123;
const ALLOWED_4XX = new Set([400, 403, 413, 415]);

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices({ QOE_MAX_BODY_BYTES: String(256 * 1024), QOE_MAX_DECODED_BYTES: String(1024 * 1024) });
});
afterAll(async () => svc.cleanup());

async function post(body: Buffer | string, headers: Record<string, string>) {
  const res = await handleBeaconRequest(httpRequest({ body, headers }), invocationContext(), svc);
  return { status: res.status ?? 200, body: res.jsonBody as { accepted?: number; rejected?: Array<{ errors: string[] }>; error?: string } };
}

/** Every answer to bad input: a 2xx/4xx, never 5xx, with a readable reason for what was refused. */
function expectGraceful(res: Awaited<ReturnType<typeof post>>) {
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400) {
    expect(ALLOWED_4XX.has(res.status)).toBe(true);
    const reasons = [res.body.error ?? '', ...(res.body.rejected ?? []).flatMap((r) => r.errors)].join(' ');
    expect(reasons.length).toBeGreaterThan(0);
  }
}

const contentTypes = fc.constantFrom(
  'application/json',
  'application/x-ndjson',
  'text/plain',
  'text/plain;charset=utf-8',
  '',
  'application/xml',
  'application/cmcd',
);

// Nasty values for any field.
const nasty = fc.oneof(
  fc.constantFrom(null, true, 'NaN', 'Infinity', '-Infinity', '1e309', 1e308, -1e308, 0, -0, '', '__proto__', 'constructor'),
  fc.string({ maxLength: 2000 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.double(),
  fc.bigInt().map((b) => b.toString()),
  fc.array(fc.integer(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.integer(), { maxKeys: 3 }),
);
const field = fc.constantFrom(
  'sessionId',
  'seq',
  'event',
  'ts',
  'bitrateKbps',
  'width',
  'manifestUrl',
  'errorCode',
  'fatal',
  'cmcd',
  'cdnHeaders',
  '__proto__',
  'constructor',
  'prototype',
);
const mangledBeacon = fc.tuple(field, nasty).map(([k, v]) => {
  const b = validBeacon();
  // JSON text, so "__proto__" is an own key exactly as a client would send it
  return JSON.stringify(b).replace(/}$/, `,${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}}`);
});

describe('intake fuzzing', () => {
  it('arbitrary bytes under any content type and encoding never crash or 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 4096 }),
        contentTypes,
        fc.constantFrom(undefined, 'gzip', 'deflate', 'br'),
        async (bytes, type, enc) => {
          const headers: Record<string, string> = {};
          if (type) headers['content-type'] = type;
          if (enc) headers['content-encoding'] = enc;
          expectGraceful(await post(Buffer.from(bytes), headers));
        },
      ),
      { numRuns: runs, seed },
    );
  });

  it('truncated and malformed JSON, wrong types and prototype keys are reported per record', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mangledBeacon, { minLength: 1, maxLength: 5 }), fc.nat(), async (records, cut) => {
        const body = `[${records.join(',')}]`;
        const truncated = body.slice(0, cut % (body.length + 1));
        for (const b of [body, truncated, records.join('\n')]) expectGraceful(await post(b, { 'content-type': 'text/plain' }));
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('sessionId');
      }),
      { numRuns: runs, seed },
    );
  });

  it('truncated gzip and gzip bombs are refused with a 4xx', async () => {
    const gz = zlib.gzipSync(JSON.stringify([validBeacon(), validBeacon({ seq: 2 })]));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: gz.length - 1 }), async (cut) => {
        const res = await post(gz.subarray(0, cut), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        expectGraceful(res);
        expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: Math.min(runs, 100), seed },
    );
    const member = zlib.gzipSync(Buffer.alloc(1024 * 1024, 0x5b)); // '[' x 1 MiB, inflates past the 1 MiB cap
    const bomb = Buffer.concat([member, member, member]);
    expect((await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(413);
  });

  it('deep nesting (100k levels) and huge strings and numbers get a 4xx or per-record rejects', async () => {
    const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
    expectGraceful(await post(deepArray, { 'content-type': 'application/json' }));
    const deepObject = `{"sessionId":"s","event":"play","ts":1795428000000,"x":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`;
    const res = await post(deepObject, { 'content-type': 'application/json' });
    expectGraceful(res);
    const hugeString = JSON.stringify(validBeacon({ errorMessage: 'e'.repeat(200_000) }));
    expect((await post(hugeString, { 'content-type': 'application/json' })).status).toBe(400);
    const hugeNumber = JSON.stringify(validBeacon()).replace('"seq":1', `"seq":1${'0'.repeat(400)}`);
    expectGraceful(await post(hugeNumber, { 'content-type': 'application/json' }));
  });

  it('leaks no state between requests: a good beacon after any garbage is accepted the same way', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (garbage) => {
        await post(Buffer.from(garbage), { 'content-type': 'application/json' });
        const good = await post(JSON.stringify(validBeacon()), { 'content-type': 'application/json' });
        expect(good.status).toBe(202);
        expect(good.body).toEqual({ accepted: 1, rejected: [] });
      }),
      { numRuns: Math.min(runs, 100), seed },
    );
  });

  it('keeps memory bounded over many bad requests', async () => {
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 300; i++) await post(Buffer.alloc(200_000, i % 256), { 'content-type': 'text/plain' });
    global.gc?.();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });
});
