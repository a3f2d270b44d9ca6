// CMCD decoding and mapping, on its own (no enrichment, no HTTP). Vectors are copied as literals
// from their sources, named at each one:
// - [SVTA] streaming-video-technology-alliance/common-media-library, libs/cmcd/test/data/*.ts
//   (the test vectors of @svta/cml-cmcd itself);
// - [5004-B §x] the examples of CTA-5004-B (CMCD v2), section 8, cta-wave.github.io/Resources;
// - [5004 v1] the CTA-5004 (2020) header/query example that player test suites reuse (hls.js, dash.js);
// - [dash.js] what a stock dash.js 5.2 player sends: CML's CmcdReporter encodes each event with
//   sorted keys and joins a batch with "\n"; request-mode query arguments go through
//   URLSearchParams, so the space inside v2 inner lists arrives as "+".
import { describe, expect, it } from 'vitest';
import { createBeaconValidator } from '../../../src/beacon/validate.js';
import { IntakeError } from '../../../src/errors.js';
import { candidatesWithCmcd, cmcdCandidates, cmcdRequestCandidate } from '../../../src/intake/cmcd/candidates.js';
import { cmcdFromHeaders, cmcdFromQuery, cmcdFromRequest, decodeCmcdLine, type CmcdKeys } from '../../../src/intake/cmcd/decode.js';
import { cmcdRecordFromLine, cmcdRecordFromUrl, cmcdToBeacon, withCmcd } from '../../../src/intake/cmcd/map.js';
import { formatFor, parseRecords } from '../../../src/intake/http/body-parser.js';

const validator = createBeaconValidator({ maxStringLength: 1024, maxUrlLength: 4096 });

/** The mapped record, failing the test when the line was rejected or the record is not a valid beacon. */
function mapped(line: string, opts?: Parameters<typeof cmcdRecordFromLine>[1]): Record<string, unknown> {
  const r = cmcdRecordFromLine(line, opts);
  if (r.error !== undefined) throw new Error(`rejected: ${r.error}`);
  const checked = validator.validate(r.value);
  if (!checked.ok) throw new Error(`not a valid beacon: ${checked.errors.join('; ')}`);
  return r.value;
}

// [SVTA] libs/cmcd/test/data/CMCD_STRING_REQUEST.ts
const SVTA_STRING_REQUEST =
  'ab=(2500),bg,bl=(5000),br=(200),bs,bsd=(2000),cdn="cdn-provider",cid="content-id",com.example-exists,com.example-hello="world",com.example-quote="\\"Quote\\"",com.example-testing=1234,com.example-token=s,cs="123456",d=325,dfa=5,dl=10000,ec=("ERR001" "ERR002"),lab=(200),lb=(100),ltc=1500,msd=2500,mtp=(10000),nor=("../testing/3.m4v"),ot=m,pb=(1000),pt=45000,rtp=8000,sf=d,sid="session-id",sn=1,st=v,sta=p,su,tab=(3000),tb=(5000),tbl=(8000),tpb=(4000),v=2';
// [SVTA] libs/cmcd/test/data/CMCD_OUTPUT_REQUEST.ts (what decodeCmcd returns for the string above)
const SVTA_OUTPUT_REQUEST = {
  ab: [2500],
  bg: true,
  bl: [5000],
  br: [200],
  bs: true,
  bsd: [2000],
  cdn: 'cdn-provider',
  cid: 'content-id',
  'com.example-exists': true,
  'com.example-hello': 'world',
  'com.example-quote': '"Quote"',
  'com.example-testing': 1234,
  'com.example-token': 's',
  cs: '123456',
  d: 325,
  dfa: 5,
  dl: 10000,
  ec: ['ERR001', 'ERR002'],
  lab: [200],
  lb: [100],
  ltc: 1500,
  msd: 2500,
  mtp: [10000],
  nor: ['../testing/3.m4v'],
  ot: 'm',
  pb: [1000],
  pt: 45000,
  rtp: 8000,
  sf: 'd',
  sid: 'session-id',
  sn: 1,
  st: 'v',
  sta: 'p',
  su: true,
  tab: [3000],
  tb: [5000],
  tbl: [8000],
  tpb: [4000],
  v: 2,
};
// [SVTA] libs/cmcd/test/data/CMCD_HEADERS.ts: the same keys sharded into the four headers
const SVTA_HEADERS: Record<string, string> = {
  'CMCD-Object': 'ab=(2500),br=(200),com.example-hello="world",d=325,lab=(200),lb=(100),ot=m,tab=(3000),tb=(5000),tpb=(4000)',
  'CMCD-Status': 'bg,bs,bsd=(2000),cdn="cdn-provider",com.example-exists,ec=("ERR001" "ERR002"),pt=45000,rtp=8000',
  'CMCD-Request':
    'bl=(5000),com.example-quote="\\"Quote\\"",com.example-token=s,cs="123456",dfa=5,dl=10000,ltc=1500,mtp=(10000),nor=("../testing/3.m4v"),pb=(1000),sn=1,sta=p,su,tbl=(8000)',
  'CMCD-Session': 'cid="content-id",com.example-testing=1234,msd=2500,sf=d,sid="session-id",st=v,v=2',
};
// [SVTA] libs/cmcd/test/data/CMCD_STRING_V1.ts
const SVTA_STRING_V1 =
  'bl=5000,br=200,bs,cid="content-id",com.example-exists,com.example-hello="world",com.example-quote="\\"Quote\\"",com.example-testing=1234,com.example-token=s,d=325,dl=10000,mtp=10000,nor="..%2Ftesting%2F3.m4v",ot=m,rtp=8000,sf=d,sid="session-id",st=v,su,tb=5000';
// [SVTA] libs/cmcd/test/data/CMCD_STRING_EVENT.ts
const SVTA_STRING_EVENT =
  'ab=(2500),bg,bl=(5000),br=(200),bs,bsd=(2000),cdn="cdn-provider",cid="content-id",com.example-exists,com.example-hello="world",com.example-quote="\\"Quote\\"",com.example-testing=1234,com.example-token=s,cs="123456",d=325,dfa=5,dl=10000,e=t,ec=("ERR001" "ERR002"),lab=(200),lb=(100),ltc=1500,msd=2500,mtp=(10000),nor=("../testing/3.m4v"),ot=m,pb=(1000),pt=45000,rtp=8000,sf=d,sid="session-id",sn=1,st=v,sta=p,su,tab=(3000),tb=(5000),tbl=(8000),tpb=(4000),ts=1640995200000,v=2';

// [5004-B §8.1.1] Standard video segment request: raw keys, query argument, headers
const SPEC_VIDEO_RAW =
  'bl=(2000),br=(3000;v),cid="content-id-123",d=4000,dl=1000,mtp=(15000),nor=("next-seg.mp4"),ot=v,rtp=12000,sf=d,sid="session-id-123",st=v,sta=p,tb=(6000;v),v=2';
const SPEC_VIDEO_QUERY =
  'CMCD=bl%3D%282000%29%2Cbr%3D%283000%3Bv%29%2Ccid%3D%22content-id-123%22%2Cd%3D4000%2Cdl%3D1000%2Cmtp%3D%2815000%29%2Cnor%3D%28%22next-seg.mp4%22%29%2Cot%3Dv%2Crtp%3D12000%2Csf%3Dd%2Csid%3D%22session-id-123%22%2Cst%3Dv%2Csta%3Dp%2Ctb%3D%286000%3Bv%29%2Cv%3D2';
const SPEC_VIDEO_HEADERS: Record<string, string> = {
  'CMCD-Request': 'bl=(2000),dl=1000,mtp=(15000),nor=("next-seg.mp4"),sta=p',
  'CMCD-Object': 'br=(3000;v),d=4000,ot=v,tb=(6000;v)',
  'CMCD-Status': 'rtp=12000',
  'CMCD-Session': 'cid="content-id-123",sf=d,sid="session-id-123",st=v,v=2',
};
// [5004-B §8.1.2] Standard audio segment request
const SPEC_AUDIO_RAW = 'bl=(2000),br=(320),cid="content-id-123",d=2000,mtp=(15000),ot=a,sid="session-id-123",st=v,v=2';
// [5004-B §8.1.5] Fatal error, request mode
const SPEC_FATAL_RAW = 'cid="content-id-123",ec=("DRM_NOT_SUPPORTED" "PLAYBACK_FAILED"),sid="session-id-123",sta=f,v=2';
// [5004-B §8.1.6] Rebuffering, video empty and audio buffered
const SPEC_REBUFFER_QUERY =
  'CMCD=bl%3D%280%3Bv%202000%3Ba%29%2Cbs%2Ccid%3D%22content-id-123%22%2Cot%3Dv%2Csid%3D%22session-id-123%22%2Csta%3Dr%2Cv%3D2';
// [5004-B §8.2.1] Default time interval with the minimal required fields (no sid)
const SPEC_EVENT_MINIMAL = 'e=t,ts=1764752400000,v=2';
// [5004-B §8.3] Batch: the time-interval reports of §8.2.2 in one POST body (white space after
// some commas is in the specification's text and is valid structured-field syntax)
const SPEC_BATCH = [
  'bl=(0),cid="content-id-123",e=t,h="example.com",pt=0,sid="session-id-123",sn=1,sta=s,su,ts=1764752400000,v=2',
  'bl=(6000),br=(4200;v 256;a),cid="content-id-123",e=t,h="example.com",lb=(523;v 64;a),msd=812,mtp=(87000;v 49000;a),pb=(4200;v 256;a),pt=29188,sf=d,sid="session-id-123",sn=2,st=v,sta=p,tb=(4200;v 256;a),tpb=(4200;v 256;a),ts=1764752430000,v=2',
  'bl=(3200),br=(4200;v 256;a),bs,bsd=(720;v),cid="content-id-123",e=t,ec=("MEDIA_ERR_NETWORK"),h="example.com",lb=(523;v 64;a),mtp=(89000;v 52000;a),pb=(4200;v 256;a),pt=59188,sf=d,sid="session-id-123",sn=3,st=v,sta=p,tb=(4200;v 256;a),tpb=(4200;v 256;a),ts=1764752460000,v=2',
  'bl=(6000),br=(4200;v 256;a),cid="content-id-123",e=t,h="example.com",lb=(523;v 64;a),mtp=(81000;v 55000;a),pb=(4200;v 256;a),pt=89188,sf=d,sid="session-id-123",sn=4,st=v,sta=p,tb=(4200;v 256;a),tpb=(4200;v 256;a),ts=1764752490000,v=2',
  'bl=(0),br=(4200;v 256;a),cid="content-id-123",e=t,h="example.com",lb=(523;v 64;a),mtp=(82000;v 55000;a),pb=(4200;v 256;a),pr=0,pt=111000, sf=d, sid="session-id-123",sn=5,st=v,sta=e,tb=(4200;v 256;a),tpb=(4200;v 256;a),ts=1764752520000,v=2',
].join('\n');
// [5004-B §8.2.3] Response received
const SPEC_RR =
  'cid="bbb",cmsdd="ZXRwPTEyNTAwO3J0dD0zNTttYj02MDAwO3JkPTIwMA==",cmsds="c2lkPSI5YTNiLTIxY2QiO2JyPTQ1MDA7ZD00MDAwO290PXY7c3Q9dg==",e=rr,nor=("video/segment-6.m4v"),ot=v,rc=200,sid="session1",ts=1763657019723,ttfb=180,ttlb=200,url="video/segment-5.m4v",v=2';
// [5004-B §8.2.4] Error
const SPEC_ERROR = 'cid="content-id-123",e=e,ec=("CODEC_NOT_SUPPORTED"),sid="session-id-123",ts=1764269150213,v=2';
// [5004-B §8.2.5] Entering and leaving rebuffering
const SPEC_REBUFFER_START = 'cid="content-id-123",e=ps,sid="session-id-123",sta=r,ts=1764269150889,v=2';
const SPEC_REBUFFER_END = 'bs,bsd=(1500),cid="content-id-123",e=ps,sid="session-id-123",sta=p,ts=1764269150112,v=2';
// [5004-B §8.2.6] Scrub
const SPEC_SCRUB = 'bl=(0),cid="content-id-123",e=ps,pt=30000,sid="session-id-123",sta=k,ts=1764269150529,v=2';
// [5004-B §8.2.7] Skip ad
const SPEC_SKIP = 'cid="ad-content-555",e=sk,sid="session-id-123",ts=1764269150076,v=2';

// [5004 v1] CTA-5004 (2020) example: headers and query argument
const V1_HEADERS: Record<string, string> = {
  'CMCD-Request': 'bl=21300,dl=18500,mtp=48100,nor="..%2F300kbps%2Ftrack.m4v",nrr="12323-48763",su',
  'CMCD-Object': 'br=3200,d=4004,ot=v,tb=6000',
  'CMCD-Status': 'bs,rtp=12000',
  'CMCD-Session': 'cid="faec5fc2-ac30-11ea-bb37-0242ac130002",pr=1.08,sf=d,sid="6e2fb550-c457-11e9-bb97-0800200c9a66",st=v',
};
const V1_QUERY =
  'CMCD=bl%3D21300%2Cbr%3D3200%2Cbs%2Ccid%3D%22faec5fc2-ac30-11ea-bb37-0242ac130002%22%2Cd%3D4004%2Cdl%3D18500%2Cmtp%3D48100%2Cnor%3D%22..%252F300kbps%252Ftrack.m4v%22%2Cnrr%3D%2212323-48763%22%2Cot%3Dv%2Cpr%3D1.08%2Crtp%3D12000%2Csf%3Dd%2Csid%3D%226e2fb550-c457-11e9-bb97-0800200c9a66%22%2Cst%3Dv%2Csu%2Ctb%3D6000';

// [dash.js] a v2 request-mode segment URL: URLSearchParams writes the inner-list space as "+"
const DASHJS_V2_SEGMENT_URL =
  'https://vod.example.akamaized.net/bbb/video/3000/seg-12.m4s?CMCD=bl%3D%2812000%3Bv+11900%3Ba%29%2Cbr%3D%283000%3Bv+128%3Ba%29%2Ccid%3D%22bbb%22%2Cmtp%3D%2825400%29%2Cot%3Dv%2Csf%3Dd%2Csid%3D%220b4e0f3c-8a1d-4f7e-9a55-3c2b1d0e9f11%22%2Csn%3D14%2Cst%3Dv%2Csta%3Dp%2Ctb%3D%286000%3Bv+128%3Ba%29%2Cv%3D2';

describe('decoding with @svta/cml-cmcd', () => {
  it('decodes the SVTA request vector to the SVTA output, as plain JSON', () => {
    expect(decodeCmcdLine(SVTA_STRING_REQUEST)).toEqual(SVTA_OUTPUT_REQUEST);
  });

  it('merges the four CMCD headers into the same keys as the one-line form (SVTA vectors)', () => {
    const lower = Object.fromEntries(Object.entries(SVTA_HEADERS).map(([k, v]) => [k.toLowerCase(), v]));
    expect(cmcdFromHeaders((n) => lower[n.toLowerCase()])).toEqual(SVTA_OUTPUT_REQUEST);
    expect(cmcdFromHeaders(() => null)).toBeNull();
  });

  it('reads the CMCD query argument, URL-encoded as in the SVTA vector', () => {
    expect(cmcdFromQuery(`CMCD=${encodeURIComponent(SVTA_STRING_REQUEST)}`)).toEqual(SVTA_OUTPUT_REQUEST);
    expect(cmcdFromQuery('a=1&b=2')).toBeNull();
    expect(cmcdFromQuery('CMCD=')).toBeNull();
  });

  it('decodes the three forms of the CTA-5004-B video request example to the same keys', () => {
    const raw = decodeCmcdLine(SPEC_VIDEO_RAW);
    expect(cmcdFromQuery(SPEC_VIDEO_QUERY)).toEqual(raw);
    expect(cmcdFromHeaders((n) => SPEC_VIDEO_HEADERS[n])).toEqual(raw);
    expect(raw.br).toEqual([{ value: 3000, params: { v: true } }]);
  });

  it('decodes "+" in a v2 query argument as the space of an inner list (dash.js)', () => {
    const keys = cmcdFromQuery(new URL(DASHJS_V2_SEGMENT_URL).searchParams)!;
    expect(keys.bl).toEqual([
      { value: 12000, params: { v: true } },
      { value: 11900, params: { a: true } },
    ]);
    expect(cmcdFromQuery('CMCD=ab%3D(3000%3Bv+96%3Ba)%2Cv%3D2')).toEqual({
      ab: [
        { value: 3000, params: { v: true } },
        { value: 96, params: { a: true } },
      ],
      v: 2,
    });
  });

  it('turns byte sequences, parameters and tokens into plain JSON', () => {
    expect(decodeCmcdLine('com.example-b=:aGVsbG8=:,com.example-x=1;p=2,ot=v')).toEqual({
      'com.example-b': 'aGVsbG8=',
      'com.example-x': { value: 1, params: { p: 2 } },
      ot: 'v',
    });
  });

  it('says why a line is not CMCD', () => {
    expect(() => decodeCmcdLine('br=3200,,sid="x"')).toThrow(/not a CMCD structured-field dictionary/);
    expect(() => decodeCmcdLine('{"sid":"x"}')).toThrow(/not a CMCD/);
    expect(() => cmcdFromHeaders((n) => (n === 'CMCD-Session' ? 'sid="unterminated' : null))).toThrow(/^CMCD-Session header: /);
    expect(() => cmcdFromQuery('CMCD=sid%3D%22x')).toThrow(/^CMCD query argument: /);
  });

  it('reports a request whose CMCD does not decode, and none when there is none', () => {
    expect(cmcdFromRequest(() => null, new URLSearchParams('x=1'))).toBeNull();
    expect(cmcdFromRequest((n) => (n === 'CMCD-Status' ? 'bs,' : null), new URLSearchParams())).toEqual({
      error: expect.stringMatching(/CMCD-Status header/),
    });
    // headers win over the query argument
    const both = cmcdFromRequest((n) => (n === 'CMCD-Object' ? 'br=3200' : null), new URLSearchParams('CMCD=br%3D800%2Cbl%3D5000'));
    expect(both).toEqual({ keys: { br: 3200, bl: 5000 } });
  });
});

describe('mapping onto beacon fields', () => {
  it('maps the CTA-5004-B video request: session, content, video bitrate, buffer, throughput', () => {
    const b = mapped(SPEC_VIDEO_RAW, { fallbackTs: 1795428000000 });
    expect(b).toMatchObject({
      v: 1,
      event: 'request',
      ts: 1795428000000,
      sessionId: 'session-id-123',
      contentId: 'content-id-123',
      bitrateKbps: 3000,
      topBitrateKbps: 6000,
      bufferMs: 2000,
      throughputKbps: 15000,
      streamType: 'vod',
      streamingFormat: 'dash',
    });
    expect(b.cmcd).toEqual(decodeCmcdLine(SPEC_VIDEO_RAW));
  });

  it("does not take an audio request's bitrate or buffer for the video columns", () => {
    const b = mapped(SPEC_AUDIO_RAW, { fallbackTs: 1795428000000 });
    expect(b.bitrateKbps).toBeUndefined();
    expect(b.bufferMs).toBeUndefined();
    expect(b.throughputKbps).toBe(15000);
    expect(b.cmcd).toMatchObject({ br: [320], ot: 'a' });
  });

  it('takes the video entry of a v2 inner list: bl=(0;v 2000;a) is a zero video buffer', () => {
    const r = cmcdRecordFromUrl(`/bbb/seg.m4v?${SPEC_REBUFFER_QUERY}`, { fallbackTs: 1795428000000 });
    expect(r?.value).toMatchObject({ event: 'request', bufferMs: 0, sessionId: 'session-id-123' });
  });

  it('prefers the v entry wherever it stands, then av, then an untagged one', () => {
    const br = (list: string, ot = '') => mapped(`br=${list},e=t,${ot}sid="s",ts=1795428000000,v=2`).bitrateKbps;
    expect(br('(128;a 3000;v)')).toBe(3000);
    expect(br('(800 3000;v)')).toBe(3000);
    expect(br('(5000;av 3000;v)')).toBe(3000);
    expect(br('(128;a 5000;av)')).toBe(5000);
    expect(br('(128;a 4000)')).toBe(4000);
    expect(br('(128;a)')).toBeUndefined();
    expect(br('(4000)', 'ot=a,')).toBeUndefined();
  });

  it('maps a fatal error with the first error code', () => {
    expect(mapped(SPEC_FATAL_RAW, { fallbackTs: 1795428000000 })).toMatchObject({ fatal: true, errorCode: 'DRM_NOT_SUPPORTED' });
  });

  it('maps CMCD v1 (scalars) from the CTA-5004 headers and query example', () => {
    const fromHeaders = cmcdToBeacon(
      cmcdFromHeaders((n) => V1_HEADERS[n])!,
      { fallbackTs: 1795428000000 },
    );
    const fromQuery = cmcdRecordFromUrl(
      `https://dash.akamaized.net/akamai/bbb_30fps/bbb_30fps_1280x720_4000k/bbb_30fps_1280x720_4000k_10.m4v?${V1_QUERY}`,
      { fallbackTs: 1795428000000 },
    );
    const expected = {
      event: 'request',
      sessionId: '6e2fb550-c457-11e9-bb97-0800200c9a66',
      contentId: 'faec5fc2-ac30-11ea-bb37-0242ac130002',
      bitrateKbps: 3200,
      topBitrateKbps: 6000,
      bufferMs: 21300,
      throughputKbps: 48100,
      streamType: 'vod',
      streamingFormat: 'dash',
    };
    expect(fromHeaders.value).toMatchObject(expected);
    expect(fromQuery?.value).toMatchObject(expected);
    expect((fromHeaders.value!.cmcd as CmcdKeys).bs).toBe(true);
    expect(decodeCmcdLine(SVTA_STRING_V1)).toMatchObject({ bl: 5000, br: 200, mtp: 10000, nor: '..%2Ftesting%2F3.m4v' });
  });

  it('maps every key of the SVTA event vector', () => {
    const b = mapped(SVTA_STRING_EVENT);
    expect(b).toMatchObject({
      event: 'play', // e=t with sta=p and msd: the first report after the first frame
      ts: 1640995200000,
      seq: 1,
      sessionId: 'session-id',
      contentId: 'content-id',
      cdn: 'cdn-provider',
      playhead: 45,
      startupMs: 2500,
      stallMs: 2000,
      droppedFrames: 5,
      throughputKbps: 10000,
      errorCode: 'ERR001',
      streamType: 'vod',
      streamingFormat: 'dash',
    });
    // ot=m: a manifest request's br/bl/tb are not video values
    expect(b.bitrateKbps).toBeUndefined();
    expect(b.cmcd).toMatchObject({ 'com.example-hello': 'world', 'com.example-token': 's', e: 't' });
  });

  it('maps the CTA-5004-B batch example line by line', () => {
    const cs = cmcdCandidates(SPEC_BATCH);
    expect(cs.map((c) => c.error)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    const values = cs.map((c) => c.value as Record<string, unknown>);
    // msd (first frame) and bsd (a stall is over) ride on time-interval reports here
    expect(values.map((v) => v.event)).toEqual(['heartbeat', 'play', 'stall_end', 'heartbeat', 'heartbeat']);
    expect(values.map((v) => v.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(values[0]).toMatchObject({ bufferMs: 0, playhead: 0, cdnHost: 'example.com' });
    expect(values[1]).toMatchObject({
      bitrateKbps: 4200,
      topBitrateKbps: 4200,
      bufferMs: 6000,
      throughputKbps: 87000,
      startupMs: 812,
      playhead: 29.188,
    });
    expect(values[2]).toMatchObject({ stallMs: 720, errorCode: 'MEDIA_ERR_NETWORK', bufferMs: 3200 });
    expect(values[4]).toMatchObject({ sessionId: 'session-id-123', streamingFormat: 'dash', playhead: 111 });
    for (const v of values) expect(validator.validate(v).ok).toBe(true);
  });

  it('maps play states and events onto beacon events', () => {
    const ev = (line: string) => mapped(`${line},sid="s",ts=1795428000000,v=2`).event;
    expect(ev('e=ps,sta=s')).toBe('start');
    expect(ev('e=ps,sta=p')).toBe('playing');
    expect(ev('e=ps,msd=900,sta=p')).toBe('play');
    expect(ev('bsd=(1500),e=ps,sta=p')).toBe('stall_end');
    expect(ev('e=ps,sta=k')).toBe('seek');
    expect(ev('e=ps,sta=r')).toBe('stall_start');
    expect(ev('e=ps,sta=w')).toBe('waiting');
    expect(ev('e=ps,sta=a')).toBe('pause');
    expect(ev('e=ps,sta=e')).toBe('end');
    expect(ev('e=ps,sta=q')).toBe('end');
    expect(ev('e=ps,sta=f')).toBe('error');
    expect(ev('e=ps,sta=d')).toBe('other');
    expect(ev('e=ps')).toBe('other');
    expect(ev('e=e')).toBe('error');
    expect(ev('e=t')).toBe('heartbeat');
    expect(ev('e=t,sta=p')).toBe('heartbeat');
    expect(ev('e=t,msd=812,sta=p')).toBe('play');
    expect(ev('e=t,msd=812')).toBe('play');
    expect(ev('bsd=(720;v),e=t,sta=p')).toBe('stall_end');
    expect(ev('bsd=(720;v),e=t,sta=r')).toBe('heartbeat');
    expect(ev('bsd=(720;v),e=ps,sta=a')).toBe('pause');
    expect(ev('e=rr,msd=1700,sta=p,url="https://cdn.example/seg.m4s"')).toBe('response');
    expect(ev('br=(4500;v),e=bc')).toBe('quality_change');
    expect(ev('e=rr,url="https://cdn.example/seg.m4s"')).toBe('response');
    expect(ev('e=m')).toBe('other');
    expect(ev('sta=p')).toBe('request');
  });

  it('maps the CTA-5004-B event examples', () => {
    expect(mapped(SPEC_ERROR)).toMatchObject({ event: 'error', errorCode: 'CODEC_NOT_SUPPORTED', ts: 1764269150213 });
    expect(mapped(SPEC_REBUFFER_START)).toMatchObject({ event: 'stall_start', sessionId: 'session-id-123' });
    expect(mapped(SPEC_REBUFFER_END)).toMatchObject({ event: 'stall_end', stallMs: 1500 });
    expect(mapped(SPEC_SCRUB)).toMatchObject({ event: 'seek', playhead: 30, bufferMs: 0 });
    expect(mapped(SPEC_SKIP)).toMatchObject({ event: 'other', contentId: 'ad-content-555' });
    expect(mapped(SPEC_RR)).toMatchObject({ event: 'response', ttfbMs: 180, ttlbMs: 200, contentId: 'bbb' });
  });

  it('sums the periods of bsd for the stall time', () => {
    expect(mapped('bsd=(1200;v 100;a),e=ps,sid="s",sta=p,ts=1795428000000,v=2').stallMs).toBe(1300);
  });

  it('keeps an epoch-like ttfb (dash.js 5.2 rr reports) out of the timings, raw in cmcd, with a warning', () => {
    const b = mapped(
      'cid="bbb",e=rr,rc=200,sid="s",sn=4,ts=1795428000000,ttfb=1795428000123,ttlb=420,url="https://vod.example.akamaized.net/bbb/seg-12.m4s",v=2',
    );
    expect(b.ttfbMs).toBeUndefined();
    expect(b.ttlbMs).toBe(420);
    expect((b.cmcd as CmcdKeys).ttfb).toBe(1795428000123);
    expect(b.cmcdWarnings).toEqual([expect.stringMatching(/^ttfb=1795428000123 /)]);
    expect(b.cdnHost).toBe('vod.example.akamaized.net');
  });

  it('does not take msd from a report made while starting (dash.js 5.2.1 sends msd=1 with sta=s)', () => {
    // [dash.js] the first play-state report of dash.js 5.2.1 in headless Chromium
    const b = mapped('bl=(0;v 0;a),cid="e2e-cmcd",e=ps,msd=1,sid="58d91309-e9e2-48b1-aa55-8f8765076bf1",sn=1,sta=s,ts=1795403689181,v=2');
    expect(b).toMatchObject({ event: 'start', bufferMs: 0 });
    expect(b.startupMs).toBeUndefined();
    expect(b.cmcdWarnings).toEqual([expect.stringMatching(/^msd=1 reported while sta=s/)]);
    expect((b.cmcd as CmcdKeys).msd).toBe(1);
  });

  it('keeps implausible values out of the columns instead of rejecting the line', () => {
    const b = mapped('bl=(-5),br=(99999999999),e=t,sid="s",ts=1795428000000,v=2');
    expect(b.bufferMs).toBeUndefined();
    expect(b.bitrateKbps).toBeUndefined();
    expect(b.cmcdWarnings).toHaveLength(2);
  });

  it('rejects a line without sid, saying how to fix it (dash.js default target: e, ts, v only)', () => {
    expect(cmcdRecordFromLine(SPEC_EVENT_MINIMAL)).toEqual({ error: expect.stringMatching(/^sid: missing.*enabledKeys/) });
    expect(cmcdRecordFromLine('e=t,sid=42,ts=1795428000000,v=2').error).toMatch(/^sid: missing \(or not a string\)/);
  });

  it('lets beacon fields given by the caller win (CDN log line)', () => {
    const r = cmcdRecordFromUrl(`/bbb/seg.m4v?${SPEC_REBUFFER_QUERY}`, {
      fallbackTs: '2026-11-23T10:00:00Z',
      beacon: { cdnHost: 'edge-7.cdn.example', contentId: 'from-log' },
    });
    expect(r?.value).toMatchObject({ ts: '2026-11-23T10:00:00Z', cdnHost: 'edge-7.cdn.example', contentId: 'from-log' });
  });
});

describe('cmcdRecordFromUrl (for CDN log lines)', () => {
  it('reads absolute URLs, path-and-query, a bare CMCD= argument, and ignores a fragment', () => {
    const segment = cmcdRecordFromUrl(DASHJS_V2_SEGMENT_URL, { fallbackTs: 1795428000000 })?.value;
    expect(segment).toMatchObject({
      event: 'request',
      sessionId: '0b4e0f3c-8a1d-4f7e-9a55-3c2b1d0e9f11',
      contentId: 'bbb',
      bitrateKbps: 3000,
      topBitrateKbps: 6000,
      bufferMs: 12000,
      throughputKbps: 25400,
    });
    // request-mode sn counts apart from the event reports' sn of the same sid: not Seq
    expect(segment!.seq).toBeUndefined();
    expect((segment!.cmcd as CmcdKeys).sn).toBe(14);
    expect(cmcdRecordFromUrl(`/a/b.m4s?x=1&${SPEC_VIDEO_QUERY}#t=3`, { fallbackTs: 1795428000000 })?.value).toMatchObject({
      bitrateKbps: 3000,
    });
    expect(cmcdRecordFromUrl(SPEC_VIDEO_QUERY, { fallbackTs: 1795428000000 })?.value).toMatchObject({ sessionId: 'session-id-123' });
  });

  it('answers null without CMCD and an error for CMCD that does not decode', () => {
    expect(cmcdRecordFromUrl('https://cdn.example/a.m4s')).toBeNull();
    expect(cmcdRecordFromUrl('https://cdn.example/a.m4s?token=abc')).toBeNull();
    expect(cmcdRecordFromUrl('https://cdn.example/a.m4s?CMCD=sid%3D%22x')?.error).toMatch(/CMCD query argument/);
  });
});

describe('event-report bodies', () => {
  it('reports a malformed line among good ones with its line number and raw text', () => {
    const body = `${SPEC_REBUFFER_START}\r\n\nnot cmcd at all\n${SPEC_REBUFFER_END}\n`;
    const cs = cmcdCandidates(body);
    expect(cs.map((c) => [c.index, c.line, c.error === undefined])).toEqual([
      [0, 1, true],
      [1, 3, false],
      [2, 4, true],
    ]);
    expect(cs[1]).toMatchObject({ raw: 'not cmcd at all', error: expect.stringMatching(/^line 3: not a CMCD/) });
  });

  it('refuses an empty body with 400', () => {
    expect(() => cmcdCandidates(' \n\n')).toThrow(IntakeError);
  });

  it("puts the request's CMCD under every line (the line wins) and uses the fallback time", () => {
    const cs = cmcdCandidates('e=ps,sta=a,v=2\nbr=(800;v),e=bc,sid="own",v=2', {
      requestCmcd: { keys: { sid: 'from-request', br: [{ value: 4000, params: { v: true } }] } },
      fallbackTs: 1795428000000,
    });
    expect(cs.map((c) => c.value)).toMatchObject([
      { event: 'pause', sessionId: 'from-request', bitrateKbps: 4000, ts: 1795428000000 },
      { event: 'quality_change', sessionId: 'own', bitrateKbps: 800 },
    ]);
  });

  it("rejects every line when the request's own CMCD does not decode", () => {
    const cs = cmcdCandidates(`${SPEC_ERROR}\n${SPEC_SCRUB}`, { requestCmcd: { error: 'CMCD-Status header: bad' } });
    expect(cs.map((c) => c.error)).toEqual(['CMCD-Status header: bad', 'CMCD-Status header: bad']);
    expect(cs[0]!.raw).toBe(SPEC_ERROR);
  });

  it('is what parseRecords does for the CMCD media types', () => {
    for (const t of ['application/cmcd', 'text/cmcd', 'application/cmcd+text', 'Application/CMCD; charset=utf-8'])
      expect(formatFor(t)).toBe('cmcd');
    expect(parseRecords(SPEC_BATCH, 'cmcd')).toHaveLength(5);
  });

  it('makes one record of a body-less request that carries CMCD', () => {
    expect(cmcdRequestCandidate({ keys: decodeCmcdLine(SPEC_VIDEO_RAW) }, { fallbackTs: 1795428000000 }).value).toMatchObject({
      event: 'request',
      bitrateKbps: 3000,
    });
    expect(cmcdRequestCandidate({ error: 'CMCD query argument: bad' })).toMatchObject({ index: 0, error: 'CMCD query argument: bad' });
  });
});

describe('JSON beacons with CMCD', () => {
  const beacon = { v: 1, sessionId: 'beacon-sid', seq: 3, event: 'heartbeat', ts: 1795428000000, bitrateKbps: 2500 };

  it("merges the request's CMCD into the beacon's cmcd (own keys win) and fills only missing fields", () => {
    const out = withCmcd({ ...beacon, cmcd: { bl: 9000 } }, decodeCmcdLine(SPEC_VIDEO_RAW)) as Record<string, unknown>;
    expect(out).toMatchObject({
      sessionId: 'beacon-sid', // beacon wins over sid
      seq: 3,
      event: 'heartbeat',
      ts: 1795428000000,
      bitrateKbps: 2500, // beacon wins over br
      bufferMs: 9000, // from the beacon's own cmcd
      contentId: 'content-id-123',
      topBitrateKbps: 6000,
    });
    expect((out.cmcd as CmcdKeys).bl).toBe(9000);
    expect((out.cmcd as CmcdKeys).br).toEqual([{ value: 3000, params: { v: true } }]);
    expect(validator.validate(out).ok).toBe(true);
  });

  it("derives fields from a beacon's own cmcd object, never event, ts or seq", () => {
    const out = withCmcd({
      sessionId: 'x',
      event: 'heartbeat',
      ts: 1795428000000,
      cmcd: { br: 4500, bl: [12000], e: 'ps', sta: 'r', ts: 1, sn: 9 },
    }) as Record<string, unknown>;
    expect(out).toMatchObject({ bitrateKbps: 4500, bufferMs: 12000, event: 'heartbeat', ts: 1795428000000 });
    expect(out.seq).toBeUndefined();
  });

  it('leaves a beacon without CMCD alone, and a non-object cmcd for the schema to refuse', () => {
    const plainBeacon = { ...beacon };
    expect(withCmcd(plainBeacon)).toBe(plainBeacon);
    const bad = { ...beacon, cmcd: 'br=3200' };
    expect(withCmcd(bad, { br: 1 })).toBe(bad);
  });

  it("rejects every JSON record when the request's CMCD does not decode, keeping the record", () => {
    const cs = candidatesWithCmcd([{ index: 0, value: beacon }], { error: 'CMCD-Request header: bad' });
    expect(cs).toEqual([{ index: 0, error: 'CMCD-Request header: bad', raw: JSON.stringify(beacon), line: undefined }]);
  });
});
