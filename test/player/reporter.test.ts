import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBeaconSchema } from '../../src/beacon/schema.js';
import { attachQoeReporter } from '../../src/player/reporter.js';
import type { QoeReporterHandle } from '../../src/player/types.js';
import { FakePlayer, REPS, stubBrowser, type BrowserStubs } from './fake-player.js';

const ENDPOINT = 'https://qoe.example.net/api/beacons';
const schema = createBeaconSchema({ maxStringLength: 1024, maxUrlLength: 4096 });

let browser: BrowserStubs;
let player: FakePlayer;
let handle: QoeReporterHandle | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 10, 23, 10, 0, 0) });
  browser = stubBrowser();
  player = new FakePlayer();
});

afterEach(() => {
  handle?.detach();
  handle = undefined;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const attach = (opts: Partial<Parameters<typeof attachQoeReporter>[1]> = {}) =>
  (handle = attachQoeReporter(player, { endpoint: ENDPOINT, contentId: 'bbb', viewerId: 'viewer-1', ...opts }));

const events = () => browser.beacons().map((b) => b.event);
const tick = (ms: number) => vi.advanceTimersByTimeAsync(ms);

/** Manifest request with autoplay, first frame 1.2 s later. */
async function startPlaying() {
  player.fire('manifestLoadingStarted');
  await tick(800);
  player.fire('streamInitialized');
  player.play();
  await tick(400);
  player.firstFrame();
  await tick(0);
}

describe('attachQoeReporter: what is sent when', () => {
  it('sends start, then play with the startup time measured from the manifest request', async () => {
    attach();
    await startPlaying();
    const [start, play] = browser.beacons();
    expect(start).toMatchObject({ v: 1, event: 'start', seq: 0, contentId: 'bbb', viewerId: 'viewer-1' });
    expect(play).toMatchObject({ event: 'play', seq: 1, startupMs: 1200, streamType: 'vod' });
    expect(play).toMatchObject({
      streamingFormat: 'dash',
      playerName: 'dash.js',
      playerVersion: '5.2.1',
      manifestUrl: 'https://d111111abcdef8.cloudfront.net/vod/bbb/manifest.mpd',
      bitrateKbps: 1000,
      topBitrateKbps: 2500,
      width: 854,
      height: 480,
      bufferMs: 12500,
      throughputKbps: 4321.5,
      droppedFrames: 7,
      playhead: 0,
    });
    expect(start!.sessionId).toBe(handle!.sessionId);
    expect(handle!.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('without autoplay the startup timer starts when play is requested', async () => {
    player.autoPlay = false;
    attach();
    player.fire('manifestLoadingStarted');
    await tick(5000); // the viewer looks at the poster for a while
    expect(events()).toEqual([]);
    player.play();
    await tick(300);
    player.firstFrame();
    await tick(0);
    expect(events()).toEqual(['start', 'play']);
    expect(browser.beacons()[1]!.startupMs).toBe(300);
  });

  it('reports a stall with its duration, pause and resume, seeks, quality changes, and the end', async () => {
    attach();
    await startPlaying();
    player.fire('playbackWaiting');
    await tick(2500);
    player.firstFrame(); // "playing" again
    player.fire('playbackPaused', { ended: false });
    player.fire('playbackPlaying');
    player.fire('playbackSeeking', { seekTime: 20 });
    player.fire('playbackWaiting'); // buffering after a seek is not a stall
    player.fire('playbackSeeked');
    player.fire('playbackPlaying');
    player.fire('qualityChangeRendered', { mediaType: 'audio', newRepresentation: { bitrateInKbit: 128 } });
    player.fire('qualityChangeRendered', { mediaType: 'video', newRepresentation: REPS[1] }); // the first one: not a change
    player.fire('qualityChangeRendered', { mediaType: 'video', oldRepresentation: REPS[1], newRepresentation: REPS[2] });
    player.fire('playbackPaused', { ended: true });
    player.fire('playbackEnded');
    await tick(0);
    expect(events()).toEqual([
      'start',
      'play',
      'stall_start',
      'stall_end',
      'pause',
      'playing',
      'seek',
      'seeked',
      'playing',
      'quality_change',
      'end',
    ]);
    const b = browser.beacons();
    expect(b.find((x) => x.event === 'stall_end')!.stallMs).toBe(2500);
    expect(b.find((x) => x.event === 'seek')!.playhead).toBe(20);
    expect(b.find((x) => x.event === 'quality_change')).toMatchObject({ bitrateKbps: 2500, width: 1280, height: 720 });
    expect(b.at(-1)).toMatchObject({ event: 'end', endReason: 'ended', bitrateKbps: 2500 });
    expect(b.map((x) => x.seq)).toEqual(b.map((_, i) => i));
    expect(new Set(b.map((x) => x.sessionId)).size).toBe(1);
  });

  it('ignores waiting before the first frame and "stalled" while the element still has data', async () => {
    attach();
    player.fire('manifestLoadingStarted');
    player.fire('playbackWaiting');
    player.firstFrame();
    player.video.readyState = 4;
    player.fire('playbackStalled');
    player.video.readyState = 2;
    player.fire('playbackStalled');
    await tick(5000);
    expect(events()).toEqual(['start', 'play', 'stall_start']);
  });

  it('sends heartbeats while playing or stalled, not while paused', async () => {
    attach({ heartbeatSeconds: 2 });
    await startPlaying();
    await tick(6000);
    expect(events().filter((e) => e === 'heartbeat')).toHaveLength(3);
    player.fire('playbackPaused', { ended: false });
    await tick(10_000);
    expect(events().filter((e) => e === 'heartbeat')).toHaveLength(3);
    const hb = browser.beacons().find((b) => b.event === 'heartbeat')!;
    expect(hb).toMatchObject({ bufferMs: 12500, throughputKbps: 4321.5, droppedFrames: 7, bitrateKbps: 1000 });
  });

  it('a fatal error is reported and ends the session; a later play starts a new session', async () => {
    attach();
    await startPlaying();
    player.fire('error', { error: { code: 27, message: 'segment 404', data: {} } });
    await tick(0);
    expect(browser.beacons().at(-1)).toMatchObject({ event: 'error', errorCode: 27, errorMessage: 'segment 404', fatal: false });
    const first = handle!.sessionId;
    player.fire('error', { error: { code: 25, message: 'manifest gone', data: {} } });
    await tick(0);
    expect(events().slice(-2)).toEqual(['error', 'end']);
    expect(browser.beacons().at(-1)).toMatchObject({ endReason: 'error' });
    player.fire('playbackPaused', { ended: false }); // nothing after the end
    player.play();
    player.firstFrame();
    await tick(0);
    const last = browser.beacons().slice(-2);
    expect(last.map((b) => [b.event, b.seq])).toEqual([
      ['start', 0],
      ['play', 1],
    ]);
    expect(last[0]!.sessionId).not.toBe(first);
    expect(handle!.sessionId).toBe(last[0]!.sessionId);
  });

  it('reports the same non-fatal error at most once in 10 s', async () => {
    attach({ heartbeatSeconds: 3600 });
    await startPlaying();
    const fail = () => player.fire('error', { error: { code: 27, message: 'https://x/api/cmcd is not available' } });
    for (let i = 0; i < 50; i++) fail();
    player.fire('error', { error: { code: 28, message: 'init segment is not available' } });
    await tick(9000);
    fail();
    await tick(1000);
    fail();
    await tick(0);
    expect(
      browser
        .beacons()
        .filter((b) => b.event === 'error')
        .map((b) => b.errorCode),
    ).toEqual([27, 28, 27]);
  });

  it('reports media element errors as fatal and dash.js 4-style string errors', async () => {
    attach();
    player.fire('error', { error: 'download', event: { id: 'content', url: 'https://x/seg.m4s' } });
    player.fire('playbackError', { error: { code: 3, message: 'PIPELINE_ERROR_DECODE' } });
    await tick(0);
    expect(browser.beacons().map((b) => [b.event, b.errorCode, b.fatal])).toEqual([
      ['start', undefined, undefined],
      ['error', 'download', false],
      ['error', 'media-3', true],
      ['end', undefined, undefined],
    ]);
  });

  it('ends the session on player reset and on pagehide', async () => {
    attach();
    await startPlaying();
    player.fire('streamTeardownComplete');
    await tick(0);
    expect(browser.beacons().at(-1)).toMatchObject({ event: 'end', endReason: 'reset' });
    player.play();
    player.firstFrame();
    browser.window.dispatchEvent(new Event('pagehide'));
    await tick(0);
    expect(browser.sent.at(-1)!.via).toBe('beacon');
    expect(browser.sent.at(-1)!.beacons.map((b) => b.event)).toContain('end');
    browser.window.dispatchEvent(new Event('pageshow')); // back from the back/forward cache: fetch again
    player.play();
    player.firstFrame();
    await tick(0);
    expect(browser.sent.slice(-2).map((x) => [x.via, x.beacons.map((b) => b.event)])).toEqual([
      ['fetch', ['start']],
      ['fetch', ['play']],
    ]);
    expect(browser.beacons().find((b) => b.event === 'end' && b.endReason === 'pagehide')).toBeDefined();
  });

  it('every beacon is valid against the v1 schema the service applies', async () => {
    attach({ fields: { abTestGroup: 'B' }, cdn: 'OurCDN' });
    await startPlaying();
    player.fire('playbackWaiting');
    await tick(1000);
    player.firstFrame();
    player.fire('qualityChangeRendered', { mediaType: 'video', oldRepresentation: REPS[1], newRepresentation: REPS[0] });
    player.fire('error', { error: { code: 27, message: 'x'.repeat(5000) } });
    await tick(10_000);
    player.fire('playbackEnded');
    await tick(0);
    expect(browser.beacons().length).toBeGreaterThan(6);
    for (const b of browser.beacons()) {
      const r = schema.safeParse(b);
      expect(r.success, `${b.event}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
      expect(b.abTestGroup).toBe('B');
      expect(b.cdn).toBe('OurCDN');
    }
  });
});

describe('attachQoeReporter: metrics the player does not have yet', () => {
  it('leaves out NaN and missing values instead of sending null', async () => {
    player.getAverageThroughput = () => NaN;
    player.getDashMetrics = () => {
      throw new Error('not ready');
    };
    player.isDynamic = () => {
      throw new Error('You must first call attachSource()');
    };
    player.rep = null;
    attach();
    await startPlaying();
    const play = browser.beacons()[1]!;
    expect(play.event).toBe('play');
    expect(play).not.toHaveProperty('throughputKbps');
    expect(play).not.toHaveProperty('bitrateKbps');
    expect(play).not.toHaveProperty('streamType');
    expect(play.droppedFrames).toBe(3); // from the video element instead
    expect(JSON.stringify(browser.beacons())).not.toContain('null');
  });
});

describe('attachQoeReporter: CDN hints', () => {
  const segment = (url: string, headers: Record<string, string>, type = 'MediaSegment', status = 200) => ({
    request: { url, customData: { request: { type, url } } },
    url,
    status,
    headers,
  });

  it('keeps CDN-naming headers and the host of media segment responses, and passes every response on unchanged', async () => {
    attach();
    expect(player.interceptors).toHaveLength(1);
    const intercept = player.interceptors[0]!;
    const manifest = segment('https://origin.example.com/m.mpd', { server: 'nginx' }, 'MPD');
    expect(await intercept(manifest)).toBe(manifest);
    const seg = segment('https://d1.cloudfront.net/v/720p/seg-3.m4s', {
      'content-type': 'video/mp4',
      Via: '1.1 abc.cloudfront.net (CloudFront)',
      'x-amz-cf-pop': 'FRA56-P1',
      'x-cache': 'Hit from cloudfront',
      'set-cookie': 'secret=1',
    });
    expect(await intercept(seg)).toBe(seg);
    expect(await intercept(segment('https://other.example.com/seg.m4s', { server: 'x' }, 'MediaSegment', 404))).toBeDefined();
    expect(await intercept(null)).toBeNull(); // garbage in: passed on, no throw
    await startPlaying();
    expect(browser.beacons()[1]).toMatchObject({
      cdnHost: 'd1.cloudfront.net',
      cdnHeaders: { via: '1.1 abc.cloudfront.net (CloudFront)', 'x-amz-cf-pop': 'FRA56-P1', 'x-cache': 'Hit from cloudfront' },
    });
    expect(browser.beacons()[1]!.cdnHeaders).not.toHaveProperty('set-cookie');
  });

  it('takes the host of the last fragment from FRAGMENT_LOADING_COMPLETED without an interceptor', async () => {
    (player as { addResponseInterceptor?: unknown }).addResponseInterceptor = undefined;
    attach();
    player.fire('fragmentLoadingCompleted', { request: { url: 'https://vod.akamaized.net/a/seg.m4s' } });
    await startPlaying();
    expect(browser.beacons()[1]!.cdnHost).toBe('vod.akamaized.net');
  });
});

describe('transport', () => {
  it('batches as one JSON array in a text/plain keepalive fetch: at once for start/play/error/end, else after 5 s or 10 beacons', async () => {
    attach({ heartbeatSeconds: 2 }); // heartbeats at t = 2, 4, 6 s ...
    await startPlaying(); // t = 1.2 s
    expect(browser.sent.map((s) => s.beacons.length)).toEqual([1, 1]);
    expect(browser.sent[0]).toMatchObject({ via: 'fetch', url: ENDPOINT, contentType: 'text/plain', keepalive: true });
    await tick(5000); // t = 6.2 s: three heartbeats queued, the first at t = 2 s
    expect(browser.sent).toHaveLength(2);
    await tick(1000); // t = 7.2 s: 5 s after the first one was queued
    expect(browser.sent).toHaveLength(3);
    expect(browser.sent[2]!.beacons.map((b) => b.event)).toEqual(['heartbeat', 'heartbeat', 'heartbeat']);
    for (let i = 0; i < 10; i++)
      player.fire('qualityChangeRendered', { mediaType: 'video', oldRepresentation: REPS[(i + 2) % 3], newRepresentation: REPS[i % 3] });
    await tick(0);
    expect(browser.sent.at(-1)!.beacons).toHaveLength(10);
  });

  it('retries network errors, 5xx and 429 with backoff, in order, and drops 4xx', async () => {
    attach({ heartbeatSeconds: 3600 });
    browser.answers.push(new TypeError('Failed to fetch'), 503, 429);
    player.fire('manifestLoadingStarted'); // start: fails 3 times
    player.play();
    player.firstFrame(); // play: queued behind start
    await tick(0);
    expect(browser.sent).toHaveLength(0);
    await tick(60_000);
    expect(browser.fetch).toHaveBeenCalledTimes(4);
    expect(events()).toEqual(['start', 'play']);
    browser.answers.push(400);
    player.fire('error', { error: { code: 27, message: 'x' } });
    await tick(60_000);
    expect(browser.fetch).toHaveBeenCalledTimes(5); // no retry of a 4xx
    expect(events()).toEqual(['start', 'play']);
  });

  it('gives up on a batch after its attempts and goes on with the next', async () => {
    attach({ heartbeatSeconds: 3600 });
    browser.answers.push(...Array.from({ length: 6 }, () => 503));
    player.fire('manifestLoadingStarted');
    await tick(5 * 60_000);
    player.play();
    player.firstFrame();
    await tick(60_000);
    expect(events()).toEqual(['play']);
    expect(browser.fetch).toHaveBeenCalledTimes(7);
  });

  it('uses navigator.sendBeacon with a text/plain Blob once the page is hidden, fetch keepalive if the browser refuses', async () => {
    attach();
    await startPlaying();
    player.fire('qualityChangeRendered', { mediaType: 'video', oldRepresentation: REPS[1], newRepresentation: REPS[2] });
    browser.hide();
    await tick(0);
    expect(browser.sent.at(-1)).toMatchObject({ via: 'beacon', url: ENDPOINT, contentType: 'text/plain' });
    expect(browser.sent.at(-1)!.beacons.map((b) => b.event)).toEqual(['quality_change']);
    browser.sendBeaconResult = false;
    player.fire('playbackWaiting');
    await tick(0);
    expect(browser.sent.at(-1)).toMatchObject({ via: 'fetch', keepalive: true });
    expect(events().at(-1)).toBe('stall_start');
  });

  it('caps the queue while the endpoint is down, dropping the oldest', async () => {
    attach({ heartbeatSeconds: 1 });
    await startPlaying();
    browser.answers.push(...Array.from({ length: 1000 }, () => new TypeError('offline')));
    await tick(3600_000); // one hour offline: 3600 heartbeats
    player.fire('playbackPaused', { ended: false }); // no more heartbeats
    browser.answers.length = 0;
    await tick(600_000);
    const hb = browser.beacons().filter((b) => b.event === 'heartbeat');
    expect(hb.length).toBeLessThanOrEqual(200 + 20); // the queue, and the batch that was being retried
    expect(hb.length).toBeGreaterThan(150);
    expect(Math.min(...hb.map((b) => b.seq))).toBeGreaterThan(3000);
    expect(events().at(-1)).toBe('pause');
  });
});

describe('attachQoeReporter: the page never sees an exception', () => {
  it('survives a player whose every method throws and a fetch that throws synchronously', async () => {
    const hostile = new FakePlayer();
    for (const m of [
      'getVersion',
      'isDynamic',
      'getSource',
      'getAutoPlay',
      'time',
      'getVideoElement',
      'getAverageThroughput',
      'getCurrentRepresentationForType',
      'getRepresentationsByType',
      'getDashMetrics',
    ] as const) {
      (hostile as any)[m] = () => {
        throw new Error(`boom ${m}`);
      };
    }
    vi.stubGlobal('fetch', () => {
      throw new Error('fetch boom');
    });
    const h = attachQoeReporter(hostile, { endpoint: ENDPOINT });
    expect(() => {
      hostile.fire('manifestLoadingStarted');
      hostile.fire('playbackStarted');
      hostile.fire('playbackPlaying');
      hostile.fire('playbackWaiting', undefined as any);
      hostile.fire('qualityChangeRendered', {
        mediaType: 'video',
        newRepresentation: {
          get bitrateInKbit(): number {
            throw new Error('getter');
          },
        },
      });
      hostile.fire('error', { error: null });
      hostile.fire('fragmentLoadingCompleted', { request: null });
      h.flush();
      h.detach();
      h.detach();
    }).not.toThrow();
    await tick(60_000);
  });

  it('returns a harmless handle for a missing player or missing options', () => {
    expect(() => attachQoeReporter(null as any, undefined as any).detach()).not.toThrow();
    expect(() => attachQoeReporter({} as any, { endpoint: ENDPOINT }).flush()).not.toThrow();
  });

  it('detach sends the end, removes every listener and the interceptor, and stops the heartbeat', async () => {
    const before = player.listenerCount();
    attach({ heartbeatSeconds: 1 });
    await startPlaying();
    handle!.detach();
    await tick(0);
    expect(events().at(-1)).toBe('end');
    expect(browser.beacons().at(-1)!.endReason).toBe('detach');
    expect(player.listenerCount()).toBe(before);
    expect(player.interceptors).toHaveLength(0);
    const n = browser.beacons().length;
    await tick(30_000);
    expect(browser.beacons()).toHaveLength(n);
  });

  it('sampleRate 0 sends nothing', async () => {
    attach({ sampleRate: 0 });
    await startPlaying();
    await tick(30_000);
    expect(handle!.sampled).toBe(false);
    expect(browser.fetch).not.toHaveBeenCalled();
  });
});
