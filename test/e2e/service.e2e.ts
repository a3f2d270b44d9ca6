// End to end: a real dash.js in headless Chromium, the reporter, and the whole service started
// the way `npm start` starts it; the assertions read the rows its file sink wrote.
//
//   Chromium ──beacons / CMCD──> proxy (adds X-Forwarded-For, like the Functions front end) ──> node dist/src/local/main.js
//      └── manifest + segments <── media server (CloudFront-like headers)                         └─> <data>/sink/QoeEvents/*.ndjson
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAzurite, startLocalService, type AzuriteProcess, type LocalService } from '../support/local-service.js';
import { launchChromium, type Browser } from './support/browser.js';
import { eventually, playSession, summarize } from './support/playback.js';
import { startForwardingProxy, startMediaServer, type Running } from './support/servers.js';
import { MANIFEST } from './support/stream.js';

/** A public address (Google DNS), so that geo enrichment has something to find; 8.8.8.0/24 is what may be stored. */
const CLIENT_IP = '8.8.8.8';

let azurite: AzuriteProcess | undefined;
let service: LocalService | undefined;
let proxy: Running | undefined;
let media: Running;
let browser: Browser;

beforeAll(async () => {
  [media, browser] = await Promise.all([
    startMediaServer({ streamDir: inject('streamDir'), reporterDir: inject('reporterDir') }),
    launchChromium(),
  ]);
  azurite = await startAzurite();
  // The local host appends the TCP peer to X-Forwarded-For like Azure's front end; our proxy is one more trusted hop.
  service = await startLocalService({ azurite, env: { QOE_TRUSTED_PROXY_HOPS: '2' } });
  proxy = await startForwardingProxy(service.url, CLIENT_IP);
});

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail' && service) console.log(`service output (tail):\n${service.output().slice(-6000)}`);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([media?.close(), proxy?.close()]);
  await service?.stop();
  await azurite?.stop();
});

const manifestUrl = () => `http://localhost:${media.port}/stream/${MANIFEST}`;

async function rowsOf(sessionId: string, done: (rows: Array<Record<string, any>>) => boolean) {
  return eventually(async () => (await service!.rows()).filter((r) => r.SessionId === sessionId), done, 30_000, 250);
}

describe('dash.js in Chromium -> reporter -> service -> QoeEvents rows', () => {
  it('a throttled session: start with StartupMs, heartbeats, a quality change, a stall with StallMs, an end, enriched, one session, increasing Seq', async () => {
    const run = await playSession(
      browser.context,
      `http://127.0.0.1:${media.port}/player-module.html`,
      {
        manifestUrl: `${manifestUrl()}?token=e2e-secret`,
        endpoint: `http://127.0.0.1:${proxy!.port}/api/beacons`,
        contentId: 'e2e-service',
        heartbeatSeconds: 2,
      },
      'throttle',
    );
    try {
      console.log(`service e2e, throttle pass (${run.durationMs} ms), dash.js events:\n${summarize(run)}`);
      const rows = (await rowsOf(run.sessionId, (r) => r.some((x) => x.EventType === 'end'))).sort((a, b) => a.Seq - b.Seq);
      console.log(`rows: ${rows.map((r) => `${r.Seq}:${r.EventType}`).join(' ')}`);
      expect(run.pageErrors).toEqual([]);

      // one session, each Seq once, increasing with the client's time
      expect(rows.map((r) => r.Seq)).toEqual(rows.map((_, i) => i));
      const byTime = [...rows].sort((a, b) => Date.parse(a.Timestamp) - Date.parse(b.Timestamp) || a.Seq - b.Seq);
      expect(byTime.map((r) => r.Seq)).toEqual(rows.map((r) => r.Seq));

      const types = rows.map((r) => r.EventType);
      expect(types[0]).toBe('start');
      expect(types.at(-1)).toBe('end');
      const play = rows.find((r) => r.EventType === 'play')!;
      expect(play.StartupMs).toBeGreaterThan(0);
      expect(types.filter((t) => t === 'heartbeat').length).toBeGreaterThanOrEqual(3);
      const heartbeats = rows.filter((r) => r.EventType === 'heartbeat');
      for (const h of heartbeats)
        expect(h).toMatchObject({
          BufferMs: expect.any(Number),
          DroppedFrames: expect.any(Number),
          BitrateKbps: expect.any(Number),
          Playhead: expect.any(Number),
        });
      expect(heartbeats.at(-1)!.ThroughputKbps).toBeGreaterThan(0); // dash.js needs a few segments before it has an estimate
      const qualities = rows.filter((r) => r.EventType === 'quality_change');
      expect(qualities.length).toBeGreaterThanOrEqual(1);
      // a switch down: lower than the rendition the row before it reported
      expect(
        qualities.some((q) => q.BitrateKbps < rows[q.Seq - 1]!.BitrateKbps),
        'a switch down',
      ).toBe(true);
      for (const q of qualities)
        expect(q).toMatchObject({ BitrateKbps: expect.any(Number), Width: expect.any(Number), Height: expect.any(Number) });
      const stallStart = rows.find((r) => r.EventType === 'stall_start')!;
      const stallEnd = rows.find((r) => r.EventType === 'stall_end')!;
      expect(stallStart).toBeDefined();
      expect(stallEnd.Seq).toBeGreaterThan(stallStart.Seq);
      expect(stallEnd.StallMs).toBeGreaterThan(500);

      for (const r of rows) {
        expect(r).toMatchObject({
          Source: 'http',
          SessionId: run.sessionId,
          ViewerId: 'e2e-viewer',
          ContentId: 'e2e-service',
          ManifestUrl: manifestUrl(), // the query string (a token) is not stored
          StreamingFormat: 'dash',
          PlayerName: 'dash.js',
          PlayerVersion: '5.2.1',
          // geo (from X-Forwarded-For), reduced to a prefix
          Country: 'US',
          ClientIpPrefix: '8.8.8.0/24',
          // device (from the User-Agent of headless Chromium on Linux)
          Os: 'Linux',
          Browser: expect.stringMatching(/chrom/i),
          DeviceType: 'desktop',
        });
        // known once the stream is initialized and a segment came in, which is after the start
        if (r.EventType !== 'start') expect(r).toMatchObject({ StreamType: 'vod', Cdn: 'CloudFront' }); // Cdn: from the CloudFront headers of the segments
        expect(JSON.stringify(r)).not.toContain(CLIENT_IP);
      }
    } finally {
      await run.page.close();
    }
  });

  it('a second pass with dash.js CMCD v2 event reporting: CMCD rows for the same session', async () => {
    const run = await playSession(
      browser.context,
      `http://127.0.0.1:${media.port}/player.html`,
      {
        manifestUrl: manifestUrl(),
        endpoint: `http://127.0.0.1:${proxy!.port}/api/beacons`,
        contentId: 'e2e-cmcd',
        heartbeatSeconds: 2,
        cmcd: { url: `http://127.0.0.1:${proxy!.port}/api/cmcd` },
      },
      'interact',
    );
    try {
      console.log(`service e2e, CMCD pass (${run.durationMs} ms), dash.js events:\n${summarize(run)}`);
      const rows = await rowsOf(
        run.sessionId,
        (r) => r.some((x) => x.EventType === 'end') && r.some((x) => x.Source === 'cmcd' && x.Cmcd?.e === 'ps'),
      );
      const beacons = rows.filter((r) => r.Source === 'http').sort((a, b) => a.Seq - b.Seq);
      const cmcd = rows.filter((r) => r.Source === 'cmcd');
      console.log(
        `rows: ${beacons.map((r) => `${r.Seq}:${r.EventType}`).join(' ')}; cmcd: ${cmcd.map((r) => `${r.Cmcd?.e}/${r.EventType}`).join(' ')}`,
      );

      expect(beacons.map((r) => r.EventType)).toEqual(
        expect.arrayContaining(['start', 'play', 'pause', 'playing', 'seek', 'seeked', 'end']),
      );
      expect(cmcd.length).toBeGreaterThanOrEqual(2);
      const keys = new Set(cmcd.map((r) => r.Cmcd?.e));
      expect(keys.has('ps'), `play-state events among ${[...keys]}`).toBe(true);
      expect(keys.has('t'), `time-interval events among ${[...keys]}`).toBe(true);
      for (const r of cmcd) {
        expect(r).toMatchObject({ SessionId: run.sessionId, ContentId: 'e2e-cmcd', Country: 'US', ClientIpPrefix: '8.8.8.0/24' });
        expect(r.Cmcd).toMatchObject({ sid: run.sessionId, cid: 'e2e-cmcd' });
      }
      // dash.js reports failed CMCD event reports as player errors (and the reporter passes them on)
      expect(beacons.filter((r) => r.EventType === 'error').map((r) => r.ErrorMessage)).toEqual([]);
    } finally {
      await run.page.close();
    }
  });
});
