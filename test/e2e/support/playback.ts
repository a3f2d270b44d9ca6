// One playback session in the test page, driven like a viewer (and a bad network) would.
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import type { PageConfig } from './page.js';
import { errorMessage } from '../../../src/errors.js';

export interface DashEventEntry {
  t: number;
  name: string;
  mediaType?: string;
  height?: number;
  kbps?: number;
  /** qualityChangeRendered: height (or kbps) of the old representation, null on the first one. */
  from?: number | null;
  error?: string;
}

export interface PlaybackRun {
  page: Page;
  sessionId: string;
  /** dash.js events in order (without the per-frame / per-metric noise), ms since page start. */
  dashEvents: DashEventEntry[];
  /** How often each dash.js event fired, noise included. */
  counts: Record<string, number>;
  /** Uncaught exceptions and console errors of the page. */
  pageErrors: string[];
  /** When the network was throttled and restored (page ms), for the throttle scenario. */
  throttle?: { from: number; to: number };
  durationMs: number;
}

/**
 * - `throttle`: play until 720p (or at least more than 240p) is on screen, throttle the network (DevTools protocol) to far less than the
 *   lowest rendition until the player stalls, restore it, play to the end.
 * - `interact`: play, pause, resume, seek near the end, play to the end.
 * - `leave`: play a few seconds, then navigate away (pagehide).
 */
export type Scenario = 'throttle' | 'interact' | 'leave';

const SLOW = { offline: false, latency: 150, downloadThroughput: 150_000 / 8, uploadThroughput: 500_000 / 8 };
const FAST = { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 };

interface PageState {
  t0: number;
  events: DashEventEntry[];
  counts: Record<string, number>;
  ended: boolean;
  playing: boolean;
  videoHeights: number[];
  waiting: number;
}

declare global {
  interface Window {
    E2E: PageConfig;
    e2e: PageState;
    qoe: { sessionId: string; flush(): void };
    player: { pause(): void; play(): void; seek(t: number): void; time(): number };
  }
}

const pageNow = (page: Page) => page.evaluate(() => Math.round(performance.now() - window.e2e.t0));
const playhead = (page: Page) => page.evaluate(() => (document.getElementById('video') as HTMLVideoElement).currentTime);

async function waitFor(page: Page, what: string, fn: () => boolean, timeout: number): Promise<void> {
  try {
    await page.waitForFunction(fn, undefined, { timeout, polling: 100 });
  } catch (err) {
    const state = await page
      .evaluate(() => ({ events: window.e2e?.events.slice(-15), t: (document.getElementById('video') as HTMLVideoElement)?.currentTime }))
      .catch(() => null);
    throw new Error(`timed out waiting for ${what}: ${errorMessage(err).split('\n')[0]}\nlast page state: ${JSON.stringify(state)}`);
  }
}

export async function playSession(context: BrowserContext, pageUrl: string, config: PageConfig, scenario: Scenario): Promise<PlaybackRun> {
  const started = Date.now();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // failed requests are the network's business (a test answers 503 on purpose), not the page's
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`console: ${m.text()}`);
  });
  await page.addInitScript((cfg) => {
    window.E2E = cfg;
  }, config);
  let cdp: CDPSession | undefined;
  let throttle: PlaybackRun['throttle'];

  await page.goto(pageUrl);
  await waitFor(page, 'the first frame', () => !!window.e2e && window.e2e.playing, 30_000);
  const sessionId = await page.evaluate(() => window.qoe.sessionId);

  if (scenario === 'throttle') {
    // Let ABR climb (on localhost it reaches 720p within seconds); a slow box may stay lower: anything above 240p will do.
    await waitFor(page, '720p on screen', () => window.e2e.videoHeights.includes(720), 15_000).catch(() =>
      waitFor(page, 'more than 240p on screen', () => (window.e2e.videoHeights.at(-1) ?? 0) > 240, 15_000),
    );
    cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const waitingBefore = await page.evaluate(() => window.e2e.waiting);
    await cdp.send('Network.emulateNetworkConditions', SLOW);
    const from = await pageNow(page);
    await page
      .waitForFunction((n) => window.e2e.waiting > n, waitingBefore, { timeout: 40_000, polling: 100 })
      .catch(async () => {
        throw new Error(
          `no stall within 40 s of throttling; events: ${JSON.stringify(await page.evaluate(() => window.e2e.events.slice(-20)))}`,
        );
      });
    await page.waitForTimeout(1500); // a stall of a second and a half
    await cdp.send('Network.emulateNetworkConditions', FAST);
    throttle = { from, to: await pageNow(page) };
    await waitFor(page, 'the end of the stream', () => window.e2e.ended, 90_000);
  } else if (scenario === 'interact') {
    await page.waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).currentTime > 3, undefined, {
      timeout: 30_000,
      polling: 100,
    });
    await page.evaluate(() => window.player.pause());
    await page.waitForTimeout(1500);
    await page.evaluate(() => window.player.play());
    const at = await playhead(page);
    await page.waitForFunction((t) => (document.getElementById('video') as HTMLVideoElement).currentTime > t + 1, at, {
      timeout: 30_000,
      polling: 100,
    });
    await page.evaluate(() => window.player.seek(22));
    await waitFor(page, 'the end of the stream', () => window.e2e.ended, 60_000);
  } else {
    await page.waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).currentTime > 4, undefined, {
      timeout: 30_000,
      polling: 100,
    });
  }

  const state = await page.evaluate(() => ({ events: window.e2e.events, counts: window.e2e.counts }));
  await cdp?.detach().catch(() => {});
  if (scenario === 'leave') await page.goto('about:blank'); // pagehide: the reporter ends the session with sendBeacon
  return { page, sessionId, dashEvents: state.events, counts: state.counts, pageErrors, throttle, durationMs: Date.now() - started };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes; then returns the last value. */
export async function eventually<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A compact, readable summary of the dash.js events of a run (for the log). */
export function summarize(run: PlaybackRun): string {
  const seq = run.dashEvents.map(
    (e) =>
      `${(e.t / 1000).toFixed(1)}s ${e.name}${e.mediaType ? `(${e.mediaType}${e.height ? ` ${e.from ?? '-'} -> ${e.height}p` : ''})` : ''}${e.error ? ` ${e.error}` : ''}`,
  );
  return `${seq.join('\n')}\ncounts: ${JSON.stringify(run.counts)}`;
}
