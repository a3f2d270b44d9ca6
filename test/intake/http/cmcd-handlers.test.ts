// CMCD over HTTP: POST /api/cmcd (event reports) and CMCD on /api/beacons (bodies, query, headers),
// through the real pipeline into the file sink. Event reports arrive as CML's CmcdReporter (which
// dash.js 5.2 embeds) sends them: `POST`, `Content-Type: application/cmcd`, one line per event
// (keys sorted, "\n" between lines, none at the end). DASHJS_521_SESSION holds lines captured from a
// stock dash.js 5.2.1 in headless Chromium (test/e2e harness, enabledKeys listing every key);
// CONFORMANT_SESSION is what a CTA-5004-B conformant reporter sends for the same kind of session.
import { readFile } from 'node:fs/promises';
import { CmcdReporter, toCmcdValue } from '@svta/cml-cmcd';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionsFromRows, type KpiRow } from '../../../src/analytics/session-kpis.js';
import { handleBeaconRequest, handleCmcdRequest } from '../../../src/intake/http/handlers.js';
import type { DeadLetterStore } from '../../../src/ingest/deadletter/store.js';
import type { Batch, Sink } from '../../../src/ingest/sink.js';
import { glob, readNdjsonTree } from '../../support/files.js';
import { httpRequest, invocationContext, testServices, validBeacon, type TestServices } from '../../support/services.js';

let svc: TestServices | undefined;
afterEach(async () => {
  await svc?.cleanup();
  svc = undefined;
});

type Answer = {
  status: number;
  body: { accepted: number; rejected: Array<{ index: number; errors: string[] }>; error?: string } | undefined;
  headers: Record<string, string>;
};

async function send(
  handler: typeof handleCmcdRequest,
  init: { body?: string | Buffer; headers?: Record<string, string>; url?: string; method?: string },
  settings: Record<string, string> = {},
): Promise<Answer> {
  svc ??= await testServices(settings);
  const res = await handler(httpRequest(init), invocationContext(), svc);
  return { status: res.status ?? 200, body: res.jsonBody as Answer['body'], headers: (res.headers ?? {}) as Record<string, string> };
}

const postCmcd = (
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/cmcd' },
  settings?: Record<string, string>,
) => send(handleCmcdRequest, { body, headers, url: 'http://localhost:7071/api/cmcd' }, settings);

const rows = async () => readNdjsonTree(`${svc!.dir}/sink`);
const deadLetters = async () =>
  Promise.all((await glob(`${svc!.dir}/deadletter`, /rejected\/.*\.json$/)).map(async (f) => JSON.parse(await readFile(f, 'utf8'))));

const SID = '0b4e0f3c-8a1d-4f7e-9a55-3c2b1d0e9f11';
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

// [dash.js] stock dash.js 5.2.1, events ['ps', 'e', 't'], as captured: a `t` at start, `msd=1` on
// the starting report, rebuffering (`r`) during startup, no msd on playing, no bs/bsd/dfa at all,
// `t` reports with sta/st/sf only, a seek as k -> w -> p.
const DSID = '58d91309-e9e2-48b1-aa55-8f8765076bf1';
const DASHJS_521_SESSION = [
  `cid="e2e-cmcd",e=t,sid="${DSID}",sn=0,ts=1795403689173,v=2`,
  `bl=(0;v 0;a),cid="e2e-cmcd",e=ps,msd=1,sid="${DSID}",sn=1,sta=s,ts=1795403689181,v=2`,
  `ab=(1000;v 64;a),bl=(0;v 0;a),br=(1000;v 64;a),cid="e2e-cmcd",e=ps,pb=(1000;v 64;a),sf=d,sid="${DSID}",sn=2,st=v,sta=r,tb=(2500;v 64;a),ts=1795403689350,v=2`,
  `ab=(1000;v 64;a),bl=(2000;v 3900;a),br=(1000;v 64;a),cid="e2e-cmcd",e=ps,mtp=(12300;v 46900;a),pb=(1000;v 64;a),sf=d,sid="${DSID}",sn=3,st=v,sta=p,tb=(2500;v 64;a),ts=1795403689468,v=2`,
  `ab=(2500;v 64;a),bl=(2900;v 4900;a),br=(2500;v 64;a),cid="e2e-cmcd",e=ps,mtp=(412100;v 46900;a),pb=(2500;v 64;a),sf=d,sid="${DSID}",sn=4,st=v,sta=a,tb=(2500;v 64;a),ts=1795403692568,v=2`,
  `cid="e2e-cmcd",e=t,sf=d,sid="${DSID}",sn=6,st=v,sta=p,ts=1795403694173,v=2`,
  `ab=(2500;v 64;a),bl=(1800;v 3800;a),br=(2500;v 64;a),cid="e2e-cmcd",e=ps,mtp=(412100;v 46900;a),pb=(2500;v 64;a),sf=d,sid="${DSID}",sn=7,st=v,sta=k,tb=(2500;v 64;a),ts=1795403695208,v=2`,
  `ab=(2500;v 64;a),bl=(1800;v 3800;a),br=(2500;v 64;a),cid="e2e-cmcd",e=ps,mtp=(412100;v 46900;a),pb=(2500;v 64;a),sf=d,sid="${DSID}",sn=8,st=v,sta=w,tb=(2500;v 64;a),ts=1795403695211,v=2`,
  `ab=(2500;v 64;a),bl=(1900;v 1900;a),br=(2500;v 64;a),cid="e2e-cmcd",e=ps,mtp=(440600;v 46600;a),pb=(2500;v 64;a),sf=d,sid="${DSID}",sn=9,st=v,sta=p,tb=(2500;v 64;a),ts=1795403695285,v=2`,
  `ab=(2500;v 64;a),bl=(0;v 0;a),br=(2500;v 64;a),cid="e2e-cmcd",e=ps,mtp=(442900;v 40000;a),pb=(2500;v 64;a),sf=d,sid="${DSID}",sn=12,st=v,sta=e,tb=(2500;v 64;a),ts=1795403703335,v=2`,
].join('\n');

// A conformant reporter (CML's CmcdReporter fed msd with the first playing and bsd after the
// stall), events ['ps', 'e', 't', 'bc', 'rr'], over one short session: start, first frame,
// interval, stall, recovery, switch, a response (with the epoch-like ttfb of dash.js 5.2), an error.
const CONFORMANT_SESSION = [
  `cid="bbb",e=ps,sf=d,sid="${SID}",sn=0,st=v,sta=s,ts=${T0},v=2`,
  `bl=(4000;v 4000;a),br=(3000;v 128;a),cid="bbb",e=ps,msd=1250,mtp=(25400),sf=d,sid="${SID}",sn=1,st=v,sta=p,tb=(6000;v 128;a),ts=${T0 + 1250},v=2`,
  `bl=(21300;v 20100;a),br=(3000;v 128;a),cid="bbb",dfa=3,e=t,mtp=(48100),pt=30000,sf=d,sid="${SID}",sn=2,st=v,sta=p,tb=(6000;v 128;a),ts=${T0 + 30000},v=2`,
  `bl=(0;v 1800;a),br=(3000;v 128;a),bs,cid="bbb",e=ps,sid="${SID}",sn=3,sta=r,ts=${T0 + 41000},v=2`,
  `bl=(2000;v 3800;a),br=(3000;v 128;a),bsd=(2350;v),cid="bbb",e=ps,sid="${SID}",sn=4,sta=p,ts=${T0 + 43350},v=2`,
  `bl=(8000;v 8000;a),br=(1500;v 128;a),cid="bbb",e=bc,sid="${SID}",sn=5,ts=${T0 + 44000},v=2`,
  `cid="bbb",e=rr,ot=v,rc=200,sid="${SID}",sn=6,ts=${T0 + 44100},ttfb=${T0 + 44180},ttlb=420,url="https://vod.example.akamaized.net/bbb/video/1500/seg-12.m4s",v=2`,
  `cid="bbb",e=e,ec=("MEDIA_ERR_DECODE"),sid="${SID}",sn=7,ts=${T0 + 50000},v=2`,
].join('\n');

describe('POST /api/cmcd', () => {
  it('takes what stock dash.js 5.2.1 sends: 204, one row per line with session, content, bitrate, buffer, stall start', async () => {
    expect((await postCmcd(DASHJS_521_SESSION, { 'content-type': 'application/cmcd', origin: 'http://localhost:8080' })).status).toBe(204);
    const got = (await rows()).sort((a, b) => (a.Seq as number) - (b.Seq as number));
    expect(got.map((r) => r.EventType)).toEqual([
      'heartbeat',
      'start',
      'stall_start',
      'playing',
      'pause',
      'heartbeat',
      'seek',
      'waiting',
      'playing',
      'end',
    ]);
    for (const r of got) expect(r).toMatchObject({ SessionId: DSID, ContentId: 'e2e-cmcd', Source: 'cmcd' });
    expect(got[1]!.StartupMs).toBeUndefined(); // msd=1 while starting
    expect(got[1]!.Extra).toEqual({ cmcdWarnings: [expect.stringMatching(/^msd=1 reported while sta=s/)] });
    expect(got[2]).toMatchObject({ BufferMs: 0, BitrateKbps: 1000, TopBitrateKbps: 2500, StreamType: 'vod', StreamingFormat: 'dash' });
    expect(got[3]).toMatchObject({ BufferMs: 2000, BitrateKbps: 1000, ThroughputKbps: 12300 });
    expect(got[8]).toMatchObject({ BufferMs: 1900, BitrateKbps: 2500, ThroughputKbps: 440600 });
  });

  it("takes a conformant reporter's report of several lines: 204, one row per line with session, content, bitrate, buffer and stall", async () => {
    const res = await postCmcd(CONFORMANT_SESSION, { 'content-type': 'application/cmcd', origin: 'http://localhost:8080' });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect(res.headers['Access-Control-Allow-Origin']).toBe('http://localhost:8080');
    const got = (await rows()).sort((a, b) => (a.Seq as number) - (b.Seq as number));
    expect(got.map((r) => r.EventType)).toEqual([
      'start',
      'play',
      'heartbeat',
      'stall_start',
      'stall_end',
      'quality_change',
      'response',
      'error',
    ]);
    for (const r of got) expect(r).toMatchObject({ SessionId: SID, ContentId: 'bbb', Source: 'cmcd' });
    expect(got[0]).toMatchObject({ Timestamp: '2026-11-23T10:00:00.000Z', StreamType: 'vod', StreamingFormat: 'dash' });
    expect(got[1]).toMatchObject({ StartupMs: 1250, BitrateKbps: 3000, TopBitrateKbps: 6000, BufferMs: 4000, ThroughputKbps: 25400 });
    expect(got[2]).toMatchObject({ BufferMs: 21300, ThroughputKbps: 48100, DroppedFrames: 3, Playhead: 30 });
    expect(got[3]).toMatchObject({ BufferMs: 0, Cmcd: expect.objectContaining({ bs: true }) });
    expect(got[4]).toMatchObject({ StallMs: 2350, BufferMs: 2000 });
    expect(got[5]).toMatchObject({ BitrateKbps: 1500 });
    expect(got[6]).toMatchObject({ Cdn: 'Akamai', Cmcd: expect.objectContaining({ ttfb: T0 + 44180, rc: 200 }) });
    expect(got[6]!.Extra).toMatchObject({ ttlbMs: 420, cmcdWarnings: [expect.stringMatching(/^ttfb=/)] });
    expect((got[6]!.Extra as Record<string, unknown>).ttfbMs).toBeUndefined();
    expect(got[7]).toMatchObject({ ErrorCode: 'MEDIA_ERR_DECODE' });
    expect(got[1]!.Cmcd).toMatchObject({
      bl: [
        { value: 4000, params: { v: true } },
        { value: 4000, params: { a: true } },
      ],
      v: 2,
    });
  });

  it('gives the rows of a conformant session its KPIs: first frame, startup, stall, switch, error', async () => {
    await postCmcd(CONFORMANT_SESSION);
    const [k] = sessionsFromRows((await rows()) as unknown as KpiRow[]);
    // play time 1.25-41 s and 43.35-50 s: the 2.35 s stall is not play time (docs/kpis.md)
    expect(k).toMatchObject({
      sessionId: SID,
      attempt: true,
      ebvs: false,
      videoStartTimeMs: 1250,
      stallMs: 2350,
      stallCount: 1,
      bitrateDownSwitches: 1,
      errorCount: 1,
      playTimeMs: 46400,
    });
  });

  it('gives KPIs to a session reported by time-interval lines alone (CTA-5004-B §8.3 batch, first three lines)', async () => {
    // [5004-B §8.3] msd and bsd ride on `t` reports
    const body = [
      'bl=(0),cid="content-id-123",e=t,h="example.com",pt=0,sid="session-id-123",sn=1,sta=s,su,ts=1764752400000,v=2',
      'bl=(6000),br=(4200;v 256;a),cid="content-id-123",e=t,h="example.com",lb=(523;v 64;a),msd=812,mtp=(87000;v 49000;a),pb=(4200;v 256;a),pt=29188,sf=d,sid="session-id-123",sn=2,st=v,sta=p,tb=(4200;v 256;a),tpb=(4200;v 256;a),ts=1764752430000,v=2',
      'bl=(3200),br=(4200;v 256;a),bs,bsd=(720;v),cid="content-id-123",e=t,ec=("MEDIA_ERR_NETWORK"),h="example.com",lb=(523;v 64;a),mtp=(89000;v 52000;a),pb=(4200;v 256;a),pt=59188,sf=d,sid="session-id-123",sn=3,st=v,sta=p,tb=(4200;v 256;a),tpb=(4200;v 256;a),ts=1764752460000,v=2',
    ].join('\n');
    expect((await postCmcd(body)).status).toBe(204);
    const [k] = sessionsFromRows((await rows()) as unknown as KpiRow[]);
    expect(k).toMatchObject({ firstFrameAt: expect.any(String), videoStartTimeMs: 812, stallMs: 720, stallCount: 1, avgBitrateKbps: 4200 });
  });

  it('takes all three CMCD content types, text/plain, and no content type', async () => {
    const line = (n: number) => `bl=(6000),br=(3000;v),e=t,sid="${SID}",sn=${n},ts=${T0},v=2`;
    const types = ['application/cmcd', 'text/cmcd', 'application/cmcd+text', 'application/cmcd; charset=utf-8', 'text/plain;charset=UTF-8'];
    for (const [i, t] of types.entries()) expect((await postCmcd(line(i), { 'content-type': t })).status).toBe(204);
    expect((await postCmcd(line(9), {})).status).toBe(204);
    const got = await rows();
    expect(got).toHaveLength(6);
    for (const r of got) expect(r).toMatchObject({ BufferMs: 6000, BitrateKbps: 3000, Source: 'cmcd' });
  });

  it('takes a gzip body', async () => {
    const res = await postCmcd(zlib.gzipSync(CONFORMANT_SESSION), { 'content-type': 'application/cmcd', 'content-encoding': 'gzip' });
    expect(res.status).toBe(204);
    expect(await rows()).toHaveLength(8);
  });

  it('answers 202 with the rejects when a line does not decode, and keeps it in the dead-letter store', async () => {
    const body = [
      `e=ps,sid="${SID}",sn=0,sta=s,ts=${T0},v=2`,
      'e=ps,sid="unterminated,sta=p',
      `e=t,sid="${SID}",sn=1,ts=${T0 + 30000},v=2`,
    ].join('\n');
    const res = await postCmcd(body);
    expect(res.status).toBe(202);
    expect(res.body!.accepted).toBe(2);
    expect(res.body!.rejected).toEqual([{ index: 1, errors: [expect.stringMatching(/^line 2: not a CMCD structured-field dictionary/)] }]);
    expect(await rows()).toHaveLength(2);
    const [dl] = await deadLetters();
    expect(dl).toMatchObject({ source: 'cmcd', count: 1 });
    expect(dl.records[0]).toMatchObject({ index: 1, raw: 'e=ps,sid="unterminated,sta=p' });
  });

  it('answers 400 (never 410) when no line is usable: a dash.js target without enabledKeys sends no sid', async () => {
    // dash.js 5.2 with no enabledKeys on the target: only e, ts and v
    const res = await postCmcd(`e=ps,sta=p,ts=${T0},v=2\ne=t,ts=${T0 + 30000},v=2`);
    expect(res.status).toBe(400);
    expect(res.body!.rejected.map((r) => r.index)).toEqual([0, 1]);
    expect(res.body!.rejected[0]!.errors[0]).toMatch(/sid: missing.*enabledKeys/);
    expect(await rows()).toHaveLength(0);
    const [dl] = await deadLetters();
    expect(dl.records.map((r: { raw: string }) => r.raw)).toEqual([`e=ps,sta=p,ts=${T0},v=2`, `e=t,ts=${T0 + 30000},v=2`]);
  });

  it('rejects a line the beacon schema refuses (timestamp in seconds), naming the field', async () => {
    const res = await postCmcd(`e=t,sid="${SID}",ts=1795428000,v=2\ne=t,sid="${SID}",ts=${T0},v=2`);
    expect(res.status).toBe(202);
    expect(res.body!.rejected).toEqual([{ index: 0, errors: [expect.stringMatching(/^ts/)] }]);
  });

  it('refuses JSON and unknown types with 415, an empty body with 400, too many lines with 413', async () => {
    expect((await postCmcd(JSON.stringify(validBeacon()), { 'content-type': 'application/json' })).status).toBe(415);
    expect((await postCmcd('<x/>', { 'content-type': 'application/xml' })).status).toBe(415);
    expect((await postCmcd('\n\n')).status).toBe(400);
    const many = Array.from({ length: 11 }, (_, i) => `e=t,sid="${SID}",sn=${i},ts=${T0},v=2`).join('\n');
    await svc!.cleanup();
    svc = undefined;
    expect((await postCmcd(many, undefined, { QOE_MAX_RECORDS_PER_REQUEST: '10' })).status).toBe(413);
  });

  it('never answers 410, whatever comes in (410 tells dash.js to stop reporting for the session)', async () => {
    const inputs: Array<{ body?: string | Buffer; headers?: Record<string, string>; method?: string }> = [
      { body: '', headers: {} },
      { body: 'garbage', headers: { 'content-type': 'application/cmcd' } },
      { body: Buffer.from([0x1f, 0x8b, 0, 1, 2]), headers: { 'content-type': 'application/cmcd', 'content-encoding': 'gzip' } },
      { body: 'e=t', headers: { 'content-type': 'application/cmcd', 'content-encoding': 'br' } },
      { body: 'e=t', headers: { 'content-type': 'application/cmcd', 'content-length': String(10 * 1024 * 1024) } },
      { body: 'e=t', headers: { 'content-type': 'application/cmcd', origin: 'https://evil.example' } },
      { method: 'OPTIONS', headers: { origin: 'https://evil.example' } },
      { body: 'e=t', headers: { 'content-type': 'application/cmcd', 'cmcd-session': 'sid="x' } },
    ];
    for (const init of inputs) {
      const res = await send(handleCmcdRequest, { ...init, url: 'http://localhost:7071/api/cmcd' });
      expect(res.status).not.toBe(410);
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('answers a CORS preflight for the cross-origin POST dash.js makes (Content-Type: application/cmcd)', async () => {
    svc = await testServices({ QOE_CORS_ORIGINS: 'https://player.example' });
    const pre = await handleCmcdRequest(
      httpRequest({
        method: 'OPTIONS',
        url: 'http://localhost:7071/api/cmcd',
        headers: {
          origin: 'https://player.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      }),
      invocationContext('cmcd'),
      svc,
    );
    expect(pre.status).toBe(204);
    const h = pre.headers as Record<string, string>;
    expect(h['Access-Control-Allow-Origin']).toBe('https://player.example');
    expect(h['Access-Control-Allow-Methods']).toContain('POST');
    expect(h['Access-Control-Allow-Headers']).toMatch(/Content-Type/);
    expect(h['Access-Control-Allow-Headers']).toMatch(/CMCD-Session/);
  });

  it('answers 503 with Retry-After when the records cannot be made durable, so dash.js keeps them and retries', async () => {
    const failingSink: Sink = { name: 'down', write: async (_b: Batch) => Promise.reject(new Error('sink down')) };
    const brokenDl: DeadLetterStore = {
      name: 'broken',
      writeRejected: async () => Promise.reject(new Error('dl down')),
      writeFailedBatch: async () => Promise.reject(new Error('dl down')),
    };
    svc = await testServices({ QOE_RETRY_AFTER_SECONDS: '3' }, { sink: failingSink, deadLetter: brokenDl });
    const res = await postCmcd(CONFORMANT_SESSION);
    expect(res.status).toBe(503);
    expect(res.headers['Retry-After']).toBe('3');
  });
});

describe('CMCD on /api/beacons', () => {
  const postBeacons = (init: { body?: string | Buffer; headers?: Record<string, string>; url?: string }) => send(handleBeaconRequest, init);

  it('takes an application/cmcd body and answers as the beacon route does (202 JSON)', async () => {
    const res = await postBeacons({ body: CONFORMANT_SESSION, headers: { 'content-type': 'application/cmcd' } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 8, rejected: [] });
    const got = await rows();
    expect(got).toHaveLength(8);
    expect(new Set(got.map((r) => r.Source))).toEqual(new Set(['cmcd']));
  });

  it('makes a record of a body-less POST with a v1 CMCD query argument (forwarded by a CDN edge function)', async () => {
    const v1 =
      'bl%3D21300%2Cbr%3D3200%2Cbs%2Ccid%3D%22faec5fc2-ac30-11ea-bb37-0242ac130002%22%2Cd%3D4004%2Cdl%3D18500%2Cmtp%3D48100%2Cnor%3D%22..%252F300kbps%252Ftrack.m4v%22%2Cnrr%3D%2212323-48763%22%2Cot%3Dv%2Cpr%3D1.08%2Crtp%3D12000%2Csf%3Dd%2Csid%3D%226e2fb550-c457-11e9-bb97-0800200c9a66%22%2Cst%3Dv%2Csu%2Ctb%3D6000';
    const res = await postBeacons({ url: `http://localhost:7071/api/beacons?CMCD=${v1}`, headers: {} });
    expect(res.status).toBe(202);
    const [row] = await rows();
    expect(row).toMatchObject({
      EventType: 'request',
      Source: 'cmcd',
      SessionId: '6e2fb550-c457-11e9-bb97-0800200c9a66',
      ContentId: 'faec5fc2-ac30-11ea-bb37-0242ac130002',
      BitrateKbps: 3200,
      TopBitrateKbps: 6000,
      BufferMs: 21300,
      ThroughputKbps: 48100,
      StreamType: 'vod',
      StreamingFormat: 'dash',
    });
    expect(row!.Cmcd).toMatchObject({ bs: true, su: true, nrr: '12323-48763', pr: 1.08 });
    expect(Date.parse(row!.Timestamp as string)).toBe(Date.parse(row!.ReceivedAt as string));
  });

  it('makes a record of the CMCD-* headers (dash.js mode "headers"), v2 inner lists and "+" in a v2 query', async () => {
    const headers = {
      'CMCD-Request': 'bl=(2000),dl=1000,mtp=(15000),nor=("next-seg.mp4"),sta=p',
      'CMCD-Object': 'br=(3000;v),d=4000,ot=v,tb=(6000;v)',
      'CMCD-Status': 'rtp=12000',
      'CMCD-Session': 'cid="content-id-123",sf=d,sid="session-id-123",st=v,v=2',
    };
    expect((await postBeacons({ headers })).status).toBe(202);
    const plus = 'bl%3D%2812000%3Bv+11900%3Ba%29%2Cbr%3D%283000%3Bv+128%3Ba%29%2Ccid%3D%22bbb%22%2Cot%3Dv%2Csid%3D%22s-plus%22%2Cv%3D2';
    expect((await postBeacons({ url: `http://localhost:7071/api/beacons?CMCD=${plus}`, headers: {} })).status).toBe(202);
    const got = await rows();
    expect(got.find((r) => r.SessionId === 'session-id-123')).toMatchObject({
      BitrateKbps: 3000,
      TopBitrateKbps: 6000,
      BufferMs: 2000,
      ContentId: 'content-id-123',
    });
    expect(got.find((r) => r.SessionId === 's-plus')).toMatchObject({ BitrateKbps: 3000, BufferMs: 12000, ContentId: 'bbb' });
  });

  it("merges the request's CMCD into JSON beacons: into Cmcd, and into fields the beacon lacks (beacon wins)", async () => {
    const res = await postBeacons({
      url: 'http://localhost:7071/api/beacons?CMCD=bl%3D7000%2Cbr%3D900%2Ccid%3D%22from-cmcd%22%2Csid%3D%22cmcd-sid%22%2Ctb%3D6000',
      body: JSON.stringify([
        validBeacon({ seq: 1, bufferMs: undefined, cmcd: { dfa: 2 } }),
        validBeacon({ seq: 2, bitrateKbps: undefined, bufferMs: 500 }),
      ]),
      headers: { 'content-type': 'application/json', 'CMCD-Status': 'bs' },
    });
    expect(res.status).toBe(202);
    const got = (await rows()).sort((a, b) => (a.Seq as number) - (b.Seq as number));
    expect(got[0]).toMatchObject({
      Source: 'http',
      SessionId: 'sess-1',
      ContentId: 'big-buck-bunny',
      BitrateKbps: 3200,
      BufferMs: 7000,
      TopBitrateKbps: 6000,
      DroppedFrames: 2,
    });
    expect(got[0]!.Cmcd).toEqual({ bl: 7000, br: 900, cid: 'from-cmcd', sid: 'cmcd-sid', tb: 6000, bs: true, dfa: 2 });
    expect(got[1]).toMatchObject({ BitrateKbps: 900, BufferMs: 500, EventType: 'heartbeat' });
  });

  it("fills a JSON beacon's missing fields from its own cmcd object", async () => {
    await postBeacons({
      body: JSON.stringify(validBeacon({ bitrateKbps: undefined, cmcd: { br: 4500, bsd: [800], cdn: 'OurCDN' } })),
      headers: { 'content-type': 'application/json' },
    });
    const [row] = await rows();
    // Cdn: the beacon's cdn, else CMCD cdn, else host rules (the manifest host would say Akamai)
    expect(row).toMatchObject({ BitrateKbps: 4500, StallMs: 800, Cdn: 'OurCDN' });
  });

  it('rejects the JSON beacons of a request whose CMCD header does not decode, and keeps them whole', async () => {
    const res = await postBeacons({
      body: JSON.stringify(validBeacon()),
      headers: { 'content-type': 'application/json', 'CMCD-Session': 'sid="broken' },
    });
    expect(res.status).toBe(400);
    expect(res.body!.rejected[0]!.errors[0]).toMatch(/^CMCD-Session header: /);
    const [dl] = await deadLetters();
    expect(JSON.parse(dl.records[0].raw)).toEqual(validBeacon());
  });

  it('leaves JSON beacons without CMCD as they were', async () => {
    await postBeacons({ body: JSON.stringify(validBeacon()), headers: { 'content-type': 'application/json' } });
    const [row] = await rows();
    expect(row!.Cmcd).toBeUndefined();
    expect(row!.Source).toBe('http');
  });
});

describe('the CMCD reporter dash.js embeds (CML CmcdReporter), with our handler as its transport', () => {
  it('reports a session that lands as rows with session, content, bitrate, buffer and stall, answered 204', async () => {
    svc = await testServices({ QOE_CORS_ORIGINS: 'https://player.example' });
    const sent: string[] = [];
    const answers: Promise<unknown>[] = [];
    const statuses: number[] = [];
    const requester = (req: { url: string; method?: string; headers?: Record<string, string>; body?: unknown }) => {
      const p = (async () => {
        sent.push(String(req.body));
        const res = await handleCmcdRequest(
          httpRequest({
            method: req.method,
            url: req.url,
            headers: { ...req.headers, origin: 'https://player.example' },
            body: String(req.body),
          }),
          invocationContext('cmcd'),
          svc!,
        );
        statuses.push(res.status ?? 200);
        return { status: res.status ?? 200 };
      })();
      answers.push(p);
      return p;
    };
    const reporter = new CmcdReporter(
      {
        sid: SID,
        cid: 'bbb',
        eventTargets: [
          {
            url: 'https://qoe.example/api/cmcd',
            events: ['ps', 'e', 't', 'bc', 'rr'],
            interval: 0, // no timer in a test; `t` is recorded by hand
            batchSize: 3,
            enabledKeys: [
              'sid',
              'cid',
              'sn',
              'sta',
              'st',
              'sf',
              'br',
              'tb',
              'bl',
              'mtp',
              'bs',
              'bsd',
              'msd',
              'dfa',
              'pt',
              'ec',
              'rc',
              'ttfb',
              'ttlb',
              'url',
            ],
          },
        ],
      },
      requester,
    );
    const video = (v: number, a: number) => [toCmcdValue(v, { v: true }), toCmcdValue(a, { a: true })];
    reporter.update({ st: 'v', sf: 'd', tb: video(6000, 128) });
    reporter.update({ sta: 's' });
    reporter.update({ msd: 1250, bl: video(4000, 4000), br: video(3000, 128), mtp: [toCmcdValue(25400)], sta: 'p' });
    reporter.recordEvent('t', { pt: 30000, dfa: 3 });
    reporter.update({ bs: true, bl: video(0, 1800), sta: 'r' });
    reporter.update({ bs: undefined, bsd: [toCmcdValue(2350, { v: true })], bl: video(2000, 3800), sta: 'p' });
    // a media response whose responseStart is an epoch time, as dash.js 5.2 passes it
    const request = reporter.createRequestReport({ url: 'https://vod.example.akamaized.net/bbb/video/3000/seg-12.m4s' });
    reporter.recordResponseReceived({
      request,
      status: 200,
      resourceTiming: { startTime: 1000, responseStart: Date.now(), duration: 420, encodedBodySize: 1 },
    });
    reporter.recordEvent('e', { ec: ['MEDIA_ERR_DECODE'] });
    reporter.flush();
    await Promise.all(answers);

    expect(statuses.every((s) => s === 204)).toBe(true);
    const lines = sent.flatMap((b) => b.split('\n'));
    expect(lines.length).toBeGreaterThanOrEqual(7);
    const got = (await rows()).sort((a, b) => (a.Seq as number) - (b.Seq as number));
    expect(got).toHaveLength(lines.length);
    for (const r of got) expect(r).toMatchObject({ SessionId: SID, ContentId: 'bbb', Source: 'cmcd' });
    const byType = (t: string) => got.filter((r) => r.EventType === t);
    expect(byType('start')).toHaveLength(1);
    expect(byType('play')[0]).toMatchObject({
      StartupMs: 1250,
      BitrateKbps: 3000,
      BufferMs: 4000,
      TopBitrateKbps: 6000,
      ThroughputKbps: 25400,
    });
    expect(byType('stall_start')[0]).toMatchObject({ BufferMs: 0 });
    expect(byType('stall_end')[0]).toMatchObject({ StallMs: 2350, BufferMs: 2000 });
    expect(byType('error')[0]).toMatchObject({ ErrorCode: 'MEDIA_ERR_DECODE' });
    const [response] = byType('response');
    expect(response).toMatchObject({ Cdn: 'Akamai', Extra: expect.objectContaining({ ttlbMs: 420 }) });
    expect((response!.Extra as Record<string, unknown>).ttfbMs).toBeUndefined();
    const [k] = sessionsFromRows(got as unknown as KpiRow[]);
    expect(k).toMatchObject({ firstFrameAt: expect.any(String), videoStartTimeMs: 1250, stallMs: 2350, stallCount: 1, errorCount: 1 });
  });
});
