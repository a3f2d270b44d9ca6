// Structure-aware fuzzing of both HTTP routes (issue 14): CMCD v1 and v2 lines (inner lists,
// parameters), cdnHeaders, CDN-log-style URLs, nested and huge values, every content type and
// encoding, client addresses hidden everywhere. `npm test`: fixed seed, 200 bodies. `npm run fuzz`:
// 100,000 bodies (FUZZ_BODIES to change), fresh seed, figures printed at the end.
import { readFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import fc from 'fast-check';
import funcs from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleBeaconRequest, handleCmcdRequest } from '../../src/intake/http/handlers.js';
import { glob } from '../support/files.js';
import { httpRequest, testServices, validBeacon, type TestServices } from '../support/services.js';

const { InvocationContext } = funcs;
const long = process.env.FUZZ_RUNS !== undefined || process.env.FUZZ_BODIES !== undefined;
const bodies = Number(process.env.FUZZ_BODIES ?? (long ? 100_000 : 200));
const seed = long ? Date.now() : 20261202;

// Addresses a client might hide; none may come out in any byte written.
const V4 = ['203.0.113.7', '198.51.100.99', '192.0.2.201'];
const V6 = ['2001:db8:77:88::9', '2002:cb00:7107::1', '2001:0:4136:e378:8000:63bf:34ff:8ef8', '64:ff9b::c633:6463', '::ffff:192.0.2.201'];
const SECRETS = [...V4, '2001:db8:77:88', '88::9', 'cb00:7107', '34ff:8ef8', 'c633:6463'];
const address = fc.constantFrom(...V4, ...V6);

// --- generators -----------------------------------------------------------------------------
const token = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
const sfString = fc.oneof(fc.string({ maxLength: 30 }), address).map((s) => `"${s.replace(/["\\]/g, '')}"`);
const sfBare = fc.oneof(
  fc.integer({ min: -1e6, max: 1e9 }).map(String),
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }).map((d) => d.toFixed(3)),
  sfString,
  token,
  fc.constant('?1'),
  fc.constant('?0'),
);
const sfParams = fc
  .array(fc.tuple(token, fc.option(sfBare, { nil: undefined })), { maxLength: 3 })
  .map((ps) => ps.map(([k, v]) => (v === undefined ? `;${k}` : `;${k}=${v}`)).join(''));
const sfItem = fc.tuple(sfBare, sfParams).map(([v, p]) => v + p);
const innerList = fc.array(sfItem, { maxLength: 4 }).map((xs) => `(${xs.join(' ')})`);
const cmcdKey = fc.constantFrom(
  'br',
  'bl',
  'bs',
  'cid',
  'd',
  'dl',
  'mtp',
  'nor',
  'nrr',
  'ot',
  'pr',
  'rtp',
  'sf',
  'sid',
  'st',
  'su',
  'tb',
  'v',
  'e',
  'sta',
  'sn',
  'ts',
  'ttfb',
  'ab',
  'tbl',
  'cdn',
  'x-custom',
);
const cmcdLine = fc
  .array(fc.tuple(cmcdKey, fc.oneof(sfItem, innerList, fc.constant(''))), { maxLength: 12 })
  .chain((kv) => fc.tuple(fc.constant(kv), fc.boolean()))
  .map(([kv, withSid]) => [...(withSid ? [['sid', '"fz"'] as const] : []), ...kv].map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join(','));
const cmcdBody = fc.array(fc.oneof(cmcdLine, fc.string({ maxLength: 40 })), { minLength: 1, maxLength: 20 }).map((ls) => ls.join('\n'));

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const hugeValue = fc.oneof(
  fc.integer({ min: 1, max: 20_000 }).map((d) => ({ json: nested(d) })),
  fc.integer({ min: 1, max: 50_000 }).map((n) => ({ json: JSON.stringify('x'.repeat(n)) })),
  fc.integer({ min: 1, max: 50_000 }).map((n) => ({ json: `[${Array(n).fill(0).join(',')}]` })),
  fc
    .integer({ min: 1, max: 5000 })
    .map((n) => ({ json: JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))) })),
  fc.jsonValue({ maxDepth: 6 }).map((v) => ({ json: JSON.stringify(v) ?? 'null' })),
  address.map((a) => ({ json: JSON.stringify(`peer ${a} http://${a.includes(':') ? `[${a}]` : a}/x`) })),
);
const cdnHeaders = fc.dictionary(
  fc.constantFrom('server', 'via', 'x-cache', 'x-served-by', 'cf-ray', 'x-amz-cf-pop', 'x-forwarded-for'),
  fc.oneof(fc.string({ maxLength: 60 }), address),
);
const beacon = fc
  .record({
    cmcd: fc.option(
      fc.oneof(
        hugeValue,
        fc.dictionary(cmcdKey, fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), address)).map((d) => ({ json: JSON.stringify(d) })),
      ),
      { nil: undefined },
    ),
    cdnHeaders: fc.option(cdnHeaders, { nil: undefined }),
    extra: fc.option(hugeValue, { nil: undefined }),
    manifestUrl: fc.option(
      address.map((a) => `http://${a.includes(':') ? `[${a}]` : a}/m.mpd?CMCD=sid%3D%22${a}%22`),
      { nil: undefined },
    ),
    errorMessage: fc.option(
      address.map((a) => `connect ${a} failed`),
      { nil: undefined },
    ),
  })
  .map((r) => {
    let text = JSON.stringify(
      validBeacon({
        sessionId: 'fz',
        ...(r.cdnHeaders && { cdnHeaders: r.cdnHeaders }),
        ...(r.manifestUrl && { manifestUrl: r.manifestUrl }),
        ...(r.errorMessage && { event: 'error', errorMessage: r.errorMessage }),
      }),
    );
    if (r.cmcd) text = text.replace(/}$/, `,"cmcd":${r.cmcd.json}}`);
    if (r.extra) text = text.replace(/}$/, `,"junk":${r.extra.json}}`);
    return text;
  });
const jsonBody = fc.oneof(
  beacon,
  fc.array(beacon, { minLength: 1, maxLength: 5 }).map((bs) => `[${bs.join(',')}]`),
  fc.array(beacon, { minLength: 1, maxLength: 5 }).map((bs) => bs.join('\n')),
  fc.integer({ min: 1, max: 300_000 }).map((n) => `[${'0,'.repeat(n)}0]`),
  fc.integer({ min: 1, max: 300_000 }).map((n) => '{}\n'.repeat(n)),
  fc.string({ maxLength: 200 }),
);
const contentType = fc.constantFrom(
  'application/json',
  'text/json',
  'application/x-ndjson',
  'application/jsonl',
  'text/plain',
  'text/plain; charset=utf-8',
  '',
  'application/cmcd',
  'text/cmcd',
  'application/cmcd+text',
  'application/xml',
);
const encoding = fc.constantFrom(undefined, 'identity', 'gzip', 'x-gzip', 'deflate', 'gzip, deflate', 'br');
const headerSet = fc.record({
  xff: fc.option(address, { nil: undefined }),
  ua: fc.option(
    fc.oneof(
      fc.string({ maxLength: 100 }),
      address.map((a) => `Mozilla/5.0 (via ${a})`),
      fc.integer({ min: 1, max: 12_000 }).map((n) => 'A'.repeat(n)),
    ),
    { nil: undefined },
  ),
  cmcdHeader: fc.option(cmcdLine, { nil: undefined }),
  query: fc.option(
    cmcdLine.map((l) => `CMCD=${encodeURIComponent(l)}`),
    { nil: undefined },
  ),
});

function encode(text: string, enc: string | undefined): Buffer {
  const raw = Buffer.from(text);
  if (enc === 'gzip' || enc === 'x-gzip') return zlib.gzipSync(raw);
  if (enc === 'deflate') return zlib.deflateSync(raw);
  if (enc === 'gzip, deflate') return zlib.deflateSync(zlib.gzipSync(raw));
  return raw;
}

// --- the run --------------------------------------------------------------------------------
let svc: TestServices;
const logs: string[] = [];
beforeAll(async () => {
  svc = await testServices({}, { log: (_l, m) => void logs.push(m) });
});
afterAll(async () => (process.env.FUZZ_KEEP ? undefined : svc.cleanup()));

describe('structure-aware fuzzing of both routes', () => {
  it(
    `${bodies} bodies: no answer >= 500, no crash, bounded RSS, no raw address in any output`,
    async () => {
      const statuses = new Map<number, number>();
      let crashes = 0;
      let maxCpuMs = 0;
      let requests = 0;
      const rss0 = process.memoryUsage.rss();
      let peakRss = rss0;
      const ctx = () =>
        new InvocationContext({ functionName: 'fuzz', logHandler: (_level, ...a) => void logs.push(a.map(String).join(' ')) });
      await fc.assert(
        fc.asyncProperty(fc.boolean(), jsonBody, cmcdBody, contentType, encoding, headerSet, async (toCmcd, json, cmcd, type, enc, h) => {
          const text = type.includes('cmcd') || toCmcd ? cmcd : json;
          const headers: Record<string, string> = {};
          if (type) headers['content-type'] = type;
          if (enc) headers['content-encoding'] = enc;
          if (h.xff) headers['x-forwarded-for'] = h.xff;
          if (h.ua) headers['user-agent'] = h.ua;
          if (h.cmcdHeader) headers['cmcd-request'] = h.cmcdHeader;
          const route = toCmcd ? handleCmcdRequest : handleBeaconRequest;
          const url = `http://localhost/api/${toCmcd ? 'cmcd' : 'beacons'}${h.query ? `?${h.query}` : ''}`;
          const cpu0 = process.cpuUsage();
          let status: number;
          try {
            status = (await route(httpRequest({ body: encode(text, enc), headers, url }), ctx(), svc)).status ?? 200;
          } catch {
            crashes++;
            status = 599;
          }
          const cpu = process.cpuUsage(cpu0);
          maxCpuMs = Math.max(maxCpuMs, (cpu.user + cpu.system) / 1000);
          requests++;
          if (requests % 500 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          expect(status).toBeLessThan(500);
        }),
        { numRuns: bodies, seed, endOnFailure: true },
      );
      peakRss = Math.max(peakRss, process.memoryUsage.rss());

      // Every byte written: sink, dead letters, logs.
      const leaks: string[] = [];
      let writtenBytes = 0;
      for (const f of await glob(svc.dir, /./)) {
        const t = (await readFile(f, 'utf8')).toLowerCase();
        writtenBytes += t.length;
        for (const s of SECRETS) if (t.includes(s)) leaks.push(`${s} in ${f}`);
      }
      const logText = logs.join('\n').toLowerCase();
      for (const s of SECRETS) if (logText.includes(s)) leaks.push(`${s} in logs`);

      if (long) {
        console.log(
          JSON.stringify({
            seed,
            bodies: requests,
            statuses: Object.fromEntries([...statuses].sort()),
            crashes,
            maxCpuMsOneRequest: Math.round(maxCpuMs),
            rssStartMB: Math.round(rss0 / 2 ** 20),
            rssPeakMB: Math.round(peakRss / 2 ** 20),
            writtenMB: Math.round(writtenBytes / 2 ** 20),
            addressLeaks: leaks.length,
          }),
        );
      }
      expect(crashes).toBe(0);
      expect(leaks.slice(0, 10)).toEqual([]);
      expect(peakRss - rss0).toBeLessThan(512 * 2 ** 20);
    },
    long ? 3 * 60 * 60 * 1000 : 120_000,
  );
});
