// The reporter with a real dash.js in a real browser, against a recorder instead of the service:
// what it sends, when, and how (text/plain without preflight, retries, sendBeacon on pagehide).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBeaconSchema } from '../../src/beacon/schema.js';
import { launchChromium, type Browser } from './support/browser.js';
import { eventually, playSession, summarize } from './support/playback.js';
import { startBeaconRecorder, startMediaServer, type BeaconRecorder, type Running } from './support/servers.js';
import { MANIFEST } from './support/stream.js';

const schema = createBeaconSchema({ maxStringLength: 1024, maxUrlLength: 4096 });

let media: Running;
let recorder: BeaconRecorder;
let browser: Browser;

beforeAll(async () => {
  [media, recorder, browser] = await Promise.all([
    startMediaServer({ streamDir: inject('streamDir'), reporterDir: inject('reporterDir') }),
    startBeaconRecorder(),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([media?.close(), recorder?.close()]);
});

const config = (contentId: string) => ({
  // page at 127.0.0.1, media at localhost: the stream is cross-origin, like a CDN
  manifestUrl: `http://localhost:${media.port}/stream/${MANIFEST}`,
  endpoint: `http://127.0.0.1:${recorder.port}/api/beacons`,
  contentId,
  heartbeatSeconds: 2,
});

const ofSession = (id: string) => recorder.beacons().filter((b) => b.sessionId === id);

describe('reporter in Chromium with dash.js 5.2.1 (script-tag build)', () => {
  it('reports a throttled session: start, play, heartbeats, a downswitch, a stall, the end', async () => {
    recorder.failNext(503); // the first POST fails: the reporter retries
    const run = await playSession(browser.context, `http://127.0.0.1:${media.port}/player.html`, config('e2e-reporter'), 'throttle');
    try {
      console.log(`reporter e2e, throttle scenario (${run.durationMs} ms), dash.js events:\n${summarize(run)}`);
      const beacons = await eventually(
        () => ofSession(run.sessionId),
        (b) => b.some((x) => x.event === 'end'),
      );
      const events = [...beacons].sort((a, b) => a.seq - b.seq);
      console.log(`beacons: ${events.map((b) => `${b.seq}:${b.event}`).join(' ')}`);

      expect(run.pageErrors).toEqual([]);
      expect(recorder.preflights).toBe(0); // text/plain: a simple request
      const posts = recorder.posts.filter((p) => p.beacons.some((b) => b.sessionId === run.sessionId));
      expect(posts[0]!.status).toBe(503);
      for (const p of posts) expect(p.contentType).toMatch(/^text\/plain/);

      // every beacon exactly once, in one session, seq 0..n-1
      expect(events.map((b) => b.seq)).toEqual(events.map((_, i) => i));
      for (const b of events) {
        const r = schema.safeParse(b);
        expect(r.success, `${b.event}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
        expect(b).toMatchObject({
          v: 1,
          playerName: 'dash.js',
          playerVersion: '5.2.1',
          streamingFormat: 'dash',
          contentId: 'e2e-reporter',
          viewerId: 'e2e-viewer',
        });
      }

      const names = events.map((b) => b.event);
      expect(names[0]).toBe('start');
      expect(names.at(-1)).toBe('end');
      expect(events.at(-1)!.endReason).toBe('ended');
      const play = events.find((b) => b.event === 'play')!;
      expect(play.startupMs).toBeGreaterThan(0);
      expect(play.startupMs).toBeLessThan(15_000);
      expect(play.streamType).toBe('vod');
      expect(play.bitrateKbps).toBeGreaterThan(0); // the first representation, before dash.js says it is rendered
      expect(play.manifestUrl).toBe(config('').manifestUrl);
      expect(names.filter((n) => n === 'heartbeat').length).toBeGreaterThanOrEqual(3);
      const hb = events.filter((b) => b.event === 'heartbeat').at(-1)!;
      expect(hb.bufferMs).toBeGreaterThanOrEqual(0);
      expect(hb.throughputKbps).toBeGreaterThan(0);
      expect(hb.droppedFrames).toBeGreaterThanOrEqual(0);
      expect(hb.bitrateKbps).toBeGreaterThan(0);
      expect(hb.topBitrateKbps).toBe(2500);

      // the throttle: a switch down, a stall with its duration
      const stallStart = events.find((b) => b.event === 'stall_start')!;
      const stallEnd = events.find((b) => b.event === 'stall_end')!;
      expect(stallStart).toBeDefined();
      expect(stallEnd.seq).toBeGreaterThan(stallStart.seq);
      expect(stallEnd.stallMs).toBeGreaterThan(500);
      const qualities = events.filter((b) => b.event === 'quality_change');
      // a switch down: lower than the rendition the beacon before it reported
      const down = qualities.find((q) => q.bitrateKbps < events[q.seq - 1]!.bitrateKbps);
      expect(down, `a downswitch among ${JSON.stringify(events.map((b) => [b.event, b.height]))}`).toBeDefined();
      expect(down).toMatchObject({ width: expect.any(Number), height: expect.any(Number) });

      // CDN: host of the segments and the headers the "CDN" exposed
      expect(hb.cdnHost).toBe('localhost');
      expect(hb.cdnHeaders).toMatchObject({
        via: expect.stringContaining('cloudfront.net'),
        'x-amz-cf-pop': 'FRA56-P5',
        'x-cache': 'Hit from cloudfront',
      });
    } finally {
      await run.page.close();
    }
  });

  it('ends the session with navigator.sendBeacon when the page goes away', async () => {
    const run = await playSession(browser.context, `http://127.0.0.1:${media.port}/player.html`, config('e2e-leave'), 'leave');
    try {
      const beacons = await eventually(
        () => ofSession(run.sessionId),
        (b) => b.some((x) => x.event === 'end'),
      );
      const end = beacons.find((b) => b.event === 'end')!;
      expect(end).toMatchObject({ endReason: 'pagehide' });
      const post = recorder.posts.find((p) => p.beacons.includes(end))!;
      expect(post.fetchMode).toBe('no-cors'); // sendBeacon, not fetch
      expect(post.contentType).toMatch(/^text\/plain/);
      expect(beacons.map((b) => b.seq).sort((a, b) => a - b)).toEqual(beacons.map((_, i) => i));
      expect(run.pageErrors).toEqual([]);
    } finally {
      await run.page.close();
    }
  });
});

describe('reporter in Chromium with dash.js 5.2.1 (ES module build)', () => {
  it('reports pause, resume, seek and the end', async () => {
    const run = await playSession(browser.context, `http://127.0.0.1:${media.port}/player-module.html`, config('e2e-module'), 'interact');
    try {
      console.log(`reporter e2e, interact scenario (${run.durationMs} ms), dash.js events:\n${summarize(run)}`);
      const beacons = await eventually(
        () => ofSession(run.sessionId),
        (b) => b.some((x) => x.event === 'end'),
      );
      const names = [...beacons].sort((a, b) => a.seq - b.seq).map((b) => b.event);
      console.log(`beacons: ${names.join(' ')}`);
      expect(names[0]).toBe('start');
      expect(names).toContain('play');
      const pause = names.indexOf('pause');
      expect(pause).toBeGreaterThan(0);
      expect(names.indexOf('playing', pause)).toBeGreaterThan(pause);
      const seek = names.indexOf('seek');
      expect(seek).toBeGreaterThan(pause);
      expect(names.indexOf('seeked', seek)).toBeGreaterThan(seek);
      expect(beacons.find((b) => b.event === 'seek')!.playhead).toBeCloseTo(22, 0);
      expect(names.at(-1)).toBe('end');
      expect(run.pageErrors).toEqual([]);
    } finally {
      await run.page.close();
    }
  });
});
