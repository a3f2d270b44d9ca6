// A corpus of realistic beacons: sessions of a dash.js-like player, sent in small batches
// (as a reporter flushing every few seconds would), from varied devices, networks and CDNs.

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
  'Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36',
  'Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
];

const HOSTS = [
  'vod.example.akamaized.net',
  'd111111abcdef8.cloudfront.net',
  'media.example.global.ssl.fastly.net',
  'cdn-ep.azureedge.net',
  'live.example.com',
];
const EVENTS = [
  'heartbeat',
  'heartbeat',
  'heartbeat',
  'heartbeat',
  'quality_change',
  'stall_start',
  'stall_end',
  'pause',
  'playing',
  'seek',
  'seeked',
] as const;

/** Deterministic PRNG (mulberry32) so every run measures the same corpus. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CorpusRequest {
  body: Buffer;
  userAgent: string;
  /** A documentation-free public-looking address; the pipeline turns it into a prefix. */
  clientIp: string;
  beacons: number;
}

export function beacon(r: () => number, session: string, seq: number, host: string): Record<string, unknown> {
  const event = seq === 0 ? 'start' : seq === 1 ? 'play' : EVENTS[Math.floor(r() * EVENTS.length)]!;
  const ladder = [400, 800, 1600, 3200, 6000];
  const rung = Math.floor(r() * ladder.length);
  const b: Record<string, unknown> = {
    v: 1,
    sessionId: session,
    seq,
    event,
    ts: Date.UTC(2026, 10, 23, 10) + seq * 10_000 + Math.floor(r() * 1000),
    contentId: `title-${Math.floor(r() * 500)}`,
    manifestUrl: `https://${host}/vod/title-${Math.floor(r() * 500)}/manifest.mpd?token=${Math.floor(r() * 1e9)}`,
    streamType: r() < 0.8 ? 'vod' : 'live',
    streamingFormat: 'dash',
    playerName: 'dash.js',
    playerVersion: '5.2.1',
    playhead: seq * 10 + r(),
    bitrateKbps: ladder[rung],
    topBitrateKbps: 6000,
    width: [426, 640, 1280, 1920, 1920][rung],
    height: [240, 360, 720, 1080, 1080][rung],
    bufferMs: Math.floor(r() * 30_000),
    throughputKbps: Math.floor(r() * 50_000),
    droppedFrames: Math.floor(r() * 5),
  };
  if (event === 'play') b.startupMs = Math.floor(300 + r() * 3000);
  if (event === 'stall_end') b.stallMs = Math.floor(r() * 5000);
  if (r() < 0.01) Object.assign(b, { event: 'error', errorCode: 'MEDIA_ERR_DECODE', errorMessage: 'decode failed', fatal: r() < 0.3 });
  return b;
}

/** `requests` request bodies of `perRequest` beacons each (JSON arrays), one session per request. */
export function makeCorpus(requests: number, perRequest: number, seed = 42): CorpusRequest[] {
  const r = rng(seed);
  const out: CorpusRequest[] = [];
  for (let i = 0; i < requests; i++) {
    const session = `s-${seed}-${i}-${Math.floor(r() * 1e9).toString(36)}`;
    const host = HOSTS[Math.floor(r() * HOSTS.length)]!;
    const beacons = Array.from({ length: perRequest }, (_, seq) => beacon(r, session, seq, host));
    out.push({
      body: Buffer.from(JSON.stringify(beacons)),
      userAgent: USER_AGENTS[Math.floor(r() * USER_AGENTS.length)]!,
      clientIp: `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`,
      beacons: perRequest,
    });
  }
  return out;
}
