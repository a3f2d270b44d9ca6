// A stand-in for a dash.js 5 MediaPlayer and the browser globals the reporter touches, for tests in Node.
import { vi } from 'vitest';
import type { DashPlayerLike, RepresentationLike } from '../../src/player/types.js';

export const REPS: RepresentationLike[] = [
  { bitrateInKbit: 300, bandwidth: 300_000, width: 426, height: 240 },
  { bitrateInKbit: 1000, bandwidth: 1_000_000, width: 854, height: 480 },
  { bitrateInKbit: 2500, bandwidth: 2_500_000, width: 1280, height: 720 },
];

export class FakeVideo {
  paused = true;
  ended = false;
  readyState = 0;
  currentTime = 0;
  getVideoPlaybackQuality() {
    return { droppedVideoFrames: 3 };
  }
}

export class FakePlayer implements DashPlayerLike {
  readonly listeners = new Map<string, Set<(e: any) => void>>();
  readonly interceptors: Array<(r: any) => Promise<any>> = [];
  readonly video = new FakeVideo();
  autoPlay = true;
  rep: RepresentationLike | null = REPS[1]!;

  on(type: string, fn: (e: any) => void) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(fn);
  }
  off(type: string, fn: (e: any) => void) {
    this.listeners.get(type)?.delete(fn);
  }
  /** Fires a dash.js event the way dash.js does: one object with `type` and the payload. */
  fire(type: string, payload: Record<string, unknown> = {}) {
    for (const fn of [...(this.listeners.get(type) ?? [])]) fn({ type, ...payload });
  }
  listenerCount() {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
  getVersion() {
    return '5.2.1';
  }
  isDynamic() {
    return false;
  }
  getSource() {
    return 'https://d111111abcdef8.cloudfront.net/vod/bbb/manifest.mpd';
  }
  getAutoPlay() {
    return this.autoPlay;
  }
  time() {
    return this.video.currentTime;
  }
  getVideoElement() {
    return this.video as unknown as HTMLVideoElement;
  }
  getAverageThroughput() {
    return 4321.5;
  }
  getCurrentRepresentationForType() {
    return this.rep;
  }
  getRepresentationsByType() {
    return REPS;
  }
  getDashMetrics() {
    return {
      getCurrentBufferLevel: () => 12.5,
      getCurrentDroppedFrames: () => ({ droppedFrames: 7 }),
    };
  }
  addResponseInterceptor(fn: (r: any) => Promise<any>) {
    this.interceptors.push(fn);
  }
  removeResponseInterceptor(fn: (r: any) => Promise<any>) {
    const i = this.interceptors.indexOf(fn);
    if (i >= 0) this.interceptors.splice(i, 1);
  }

  // The playback steps of a session, as dash.js 5 reports them.
  play() {
    this.video.paused = false;
    this.fire('playbackStarted', { startTime: this.video.currentTime });
  }
  firstFrame() {
    this.video.readyState = 4;
    this.fire('playbackPlaying', { playingTime: this.video.currentTime });
  }
}

export interface Sent {
  via: 'fetch' | 'beacon';
  url: string;
  contentType: string | undefined;
  keepalive?: boolean;
  beacons: Array<Record<string, any>>;
}

export interface BrowserStubs {
  sent: Sent[];
  /** Status answers for the next fetches (then 202); an Error rejects like a network failure. */
  answers: Array<number | Error>;
  sendBeaconResult: boolean;
  document: EventTarget & { visibilityState: 'visible' | 'hidden' };
  window: EventTarget;
  fetch: ReturnType<typeof vi.fn>;
  sendBeacon: ReturnType<typeof vi.fn>;
  /** Every beacon delivered, in order of delivery. */
  beacons(): Array<Record<string, any>>;
  hide(): void;
}

export function stubBrowser(): BrowserStubs {
  const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' as 'visible' | 'hidden' });
  const win = new EventTarget();
  const stubs: BrowserStubs = {
    sent: [],
    answers: [],
    sendBeaconResult: true,
    document: doc,
    window: win,
    fetch: vi.fn(async (url: string, init: RequestInit) => {
      const answer = stubs.answers.shift() ?? 202;
      if (answer instanceof Error) throw answer;
      if (answer < 300) {
        stubs.sent.push({
          via: 'fetch',
          url,
          contentType: (init.headers as Record<string, string>)['Content-Type'],
          keepalive: init.keepalive,
          beacons: JSON.parse(String(init.body)),
        });
      }
      return new Response(null, { status: answer });
    }),
    sendBeacon: vi.fn((url: string, data: Blob) => {
      if (!stubs.sendBeaconResult) return false;
      const entry: Sent = { via: 'beacon', url, contentType: data.type, beacons: [] };
      stubs.sent.push(entry);
      void data.text().then((t) => entry.beacons.push(...JSON.parse(t)));
      return true;
    }),
    beacons: () => stubs.sent.flatMap((s) => s.beacons),
    hide() {
      doc.visibilityState = 'hidden';
      doc.dispatchEvent(new Event('visibilitychange'));
    },
  };
  vi.stubGlobal('document', doc);
  vi.stubGlobal('window', win);
  vi.stubGlobal('navigator', { sendBeacon: stubs.sendBeacon });
  vi.stubGlobal('fetch', stubs.fetch);
  return stubs;
}
