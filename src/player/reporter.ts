// The dash.js QoE reporter: turns MediaPlayer events and metrics into schema-v1 beacons.
// Every listener, timer and interceptor is guarded: a reporter bug must never break playback.
import { createTransport, type Transport } from './transport.js';
import type {
  DashPlayerLike,
  EndReason,
  QoeBeacon,
  QoeEventType,
  QoeReporterHandle,
  QoeReporterOptions,
  RepresentationLike,
} from './types.js';

/** dash.js 5 `MediaPlayer.events` names the reporter listens to (checked against the 5.2.1 typings by a test). */
export const DASH_EVENTS = {
  MANIFEST_LOADING_STARTED: 'manifestLoadingStarted',
  STREAM_INITIALIZED: 'streamInitialized',
  PLAYBACK_STARTED: 'playbackStarted',
  PLAYBACK_PLAYING: 'playbackPlaying',
  PLAYBACK_WAITING: 'playbackWaiting',
  PLAYBACK_STALLED: 'playbackStalled',
  PLAYBACK_SEEKING: 'playbackSeeking',
  PLAYBACK_SEEKED: 'playbackSeeked',
  PLAYBACK_PAUSED: 'playbackPaused',
  PLAYBACK_ENDED: 'playbackEnded',
  PLAYBACK_ERROR: 'playbackError',
  ERROR: 'error',
  QUALITY_CHANGE_RENDERED: 'qualityChangeRendered',
  FRAGMENT_LOADING_COMPLETED: 'fragmentLoadingCompleted',
  STREAM_TEARDOWN_COMPLETE: 'streamTeardownComplete',
} as const;

/** Response headers that name a CDN (see src/enrich/cdn.ts); cross-origin they need Access-Control-Expose-Headers. */
const CDN_HEADERS =
  /^(server|via|x-cache|x-served-by|cf-ray|x-amz-cf-(pop|id)|x-azure-ref|x-msedge-ref|x-fastly-request-id|x-akamai-.+|x-edgeconnect-.+)$/;

/** dash.js error codes after which playback cannot go on: manifest load/parse, capabilities, unsupported media. */
const FATAL_CODES = [10, 11, 23, 24, 25, 31, 32, 34, 35];

const MAX_TEXT = 500;
/** The same non-fatal error (code and message) is reported at most once in this time. */
const ERROR_REPEAT_MS = 10_000;

interface Session {
  id: string;
  seq: number;
  sampled: boolean;
  started?: boolean;
  /** Play requested (startup timer start). */
  t0?: number;
  played?: boolean;
  paused?: boolean;
  seeking?: boolean;
  /** Set after a seek: the next "playing" is a resume. */
  resumed?: boolean;
  stallAt?: number;
  ended?: boolean;
  /** Last report time per non-fatal error (code + message), to keep a retrying failure from flooding. */
  errors?: Record<string, number>;
}

const now = () => Date.now();

/** A finite number, else undefined (JSON would turn NaN into null, which the schema refuses). */
const num = (x: unknown, scale = 1): number | undefined =>
  typeof x === 'number' && isFinite(x) ? Math.round(x * scale * 1000) / 1000 : undefined;
const nonNeg = (x: unknown, scale = 1) => {
  const n = num(x, scale);
  return n !== undefined && n >= 0 ? n : undefined;
};

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function uuid(): string {
  const c = typeof crypto !== 'undefined' ? crypto : undefined;
  if (c && c.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  if (c && c.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function hostOf(url: unknown): string | undefined {
  return typeof url === 'string'
    ? safe(() => new URL(url, typeof location !== 'undefined' ? location.href : undefined).hostname)
    : undefined;
}

const kbps = (r: RepresentationLike | null | undefined) => (r ? nonNeg(r.bitrateInKbit ?? (r.bandwidth ?? NaN) / 1000) : undefined);

/**
 * Reports QoE beacons for a dash.js `MediaPlayer`. Call it right after `dashjs.MediaPlayer().create()`,
 * before `initialize()` / `attachSource()`, so that startup time includes manifest loading.
 * Never throws; returns a handle whose `detach()` removes every listener.
 */
export function attachQoeReporter(player: DashPlayerLike, options: QoeReporterOptions): QoeReporterHandle {
  const opts = options || ({} as QoeReporterOptions);
  const sampleRate = typeof opts.sampleRate === 'number' ? Math.max(0, Math.min(1, opts.sampleRate)) : 1;
  const heartbeatMs = Math.max(1, Number(opts.heartbeatSeconds) || 10) * 1000;
  const transport: Transport = createTransport({ endpoint: opts.endpoint });
  const listeners: Array<[string, (e: any) => void]> = [];
  const domListeners: Array<[EventTarget, string, () => void]> = [];

  const newSession = (): Session => ({ id: uuid(), seq: 0, sampled: Math.random() < sampleRate });
  let s = newSession();
  let rendered: RepresentationLike | undefined;
  let streamType: 'vod' | 'live' | undefined;
  let cdnHost: string | undefined;
  let cdnHeaders: Record<string, string> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let attached = true;

  const video = () => safe(() => player.getVideoElement!()) || undefined;

  /** Playhead, rendition, buffer, throughput and dropped frames, each only when the player knows it. */
  function sample(): Partial<QoeBeacon> {
    const v = video();
    const rep = rendered || safe(() => player.getCurrentRepresentationForType!('video'));
    const reps = safe(() => player.getRepresentationsByType!('video'));
    let top: number | undefined;
    if (reps) for (const r of reps) top = Math.max(top || 0, kbps(r) || 0) || undefined;
    const metrics = safe(() => player.getDashMetrics!());
    const dropped =
      safe(() => metrics!.getCurrentDroppedFrames()!.droppedFrames) ?? safe(() => v!.getVideoPlaybackQuality().droppedVideoFrames);
    return {
      playhead: num(safe(() => player.time!()) ?? (v && v.currentTime)),
      bitrateKbps: kbps(rep),
      topBitrateKbps: top,
      width: nonNeg(rep && rep.width),
      height: nonNeg(rep && rep.height),
      bufferMs: nonNeg(safe(() => metrics!.getCurrentBufferLevel('video')) ?? safe(() => player.getBufferLength!('video')), 1000),
      throughputKbps: nonNeg(safe(() => player.getAverageThroughput!('video'))),
      droppedFrames: nonNeg(dropped),
    };
  }

  function emit(event: QoeEventType, extra?: Partial<QoeBeacon>): void {
    if (!s.sampled || s.ended) return;
    if (!streamType) streamType = safe(() => (player.isDynamic!() ? 'live' : 'vod'));
    const source = safe(() => player.getSource!());
    const beacon: QoeBeacon = {
      ...opts.fields,
      v: 1,
      sessionId: s.id,
      seq: s.seq++,
      event,
      ts: now(),
      viewerId: opts.viewerId,
      contentId: opts.contentId,
      manifestUrl: typeof source === 'string' ? source : undefined,
      streamType,
      streamingFormat: 'dash',
      playerName: 'dash.js',
      playerVersion: safe(() => player.getVersion!()),
      cdn: opts.cdn,
      cdnHost,
      cdnHeaders,
      ...sample(),
      ...extra,
    };
    transport.push(beacon, event === 'start' || event === 'play' || event === 'error' || event === 'end');
  }

  function begin(atFirstFrame?: boolean): void {
    if (s.ended) s = newSession();
    if (s.started) return;
    s.started = true;
    if (!atFirstFrame) s.t0 = now();
    emit('start');
    clearInterval(heartbeat);
    heartbeat = setInterval(
      guard(() => {
        if (s.played && !s.ended && (!s.paused || s.stallAt)) emit('heartbeat');
      }),
      heartbeatMs,
    );
  }

  function endStall(): void {
    if (s.stallAt === undefined) return;
    emit('stall_end', { stallMs: now() - s.stallAt });
    s.stallAt = undefined;
  }

  function end(reason: EndReason): void {
    if (!s.started || s.ended) return;
    endStall();
    emit('end', { endReason: reason });
    s.ended = true;
    clearInterval(heartbeat);
    heartbeat = undefined;
  }

  function onStall(e: { type?: string }): void {
    if (!s.played || s.paused || s.seeking || s.ended || s.stallAt !== undefined) return;
    // The media element's "stalled" only means data is slow to arrive; it is a stall when playback cannot go on.
    const v = video();
    if (e && e.type === DASH_EVENTS.PLAYBACK_STALLED && v && v.readyState > 2) return;
    s.stallAt = now();
    emit('stall_start');
  }

  function onError(e: any): void {
    const err = e && e.error;
    let code: string | number | undefined;
    let message: unknown;
    let fatal: boolean;
    if (e && e.type === DASH_EVENTS.PLAYBACK_ERROR) {
      // HTMLMediaElement MediaError: always fatal
      code = err && typeof err.code === 'number' ? `media-${err.code}` : 'media';
      message = err && err.message;
      fatal = true;
    } else if (err && typeof err === 'object') {
      code = typeof err.code === 'number' || typeof err.code === 'string' ? err.code : undefined;
      message = err.message;
      fatal = FATAL_CODES.indexOf(Number(err.code)) >= 0;
    } else {
      code = typeof err === 'string' ? err : undefined; // dash.js 4-style: 'download', 'manifestError', ...
      message = e && e.event && (typeof e.event === 'string' ? e.event : e.event.message || e.event.url);
      fatal = code === 'manifestError' || code === 'mediasource' || code === 'capability';
    }
    const errorCode = typeof code === 'string' ? code.slice(0, 64) : code;
    const errorMessage = message === undefined || message === null ? undefined : String(message).slice(0, MAX_TEXT);
    const key = `${errorCode}|${errorMessage}`;
    const errors = s.errors || (s.errors = {});
    if (!fatal && now() - (errors[key] || -Infinity) < ERROR_REPEAT_MS) return;
    if (Object.keys(errors).length > 50) s.errors = {};
    s.errors![key] = now();
    if (!s.started && !s.ended) begin(); // a session that never got going still gets its rows
    emit('error', { errorCode, errorMessage, fatal });
    if (fatal) end('error');
  }

  const handlers: Record<string, (e: any) => void> = {
    [DASH_EVENTS.MANIFEST_LOADING_STARTED]: () => {
      if ((!s.started || s.ended) && safe(() => player.getAutoPlay!())) begin();
    },
    [DASH_EVENTS.STREAM_INITIALIZED]: () => {
      streamType = safe(() => (player.isDynamic!() ? 'live' : 'vod'));
    },
    [DASH_EVENTS.PLAYBACK_STARTED]: () => begin(),
    [DASH_EVENTS.PLAYBACK_PLAYING]: () => {
      if (!s.started || s.ended) begin(true);
      if (!s.played) {
        s.played = true;
        s.paused = false;
        emit('play', { startupMs: s.t0 === undefined ? undefined : now() - s.t0 });
        return;
      }
      if (s.stallAt !== undefined) endStall();
      else if (s.paused || s.resumed) emit('playing');
      s.paused = s.resumed = false;
    },
    [DASH_EVENTS.PLAYBACK_WAITING]: onStall,
    [DASH_EVENTS.PLAYBACK_STALLED]: onStall,
    [DASH_EVENTS.PLAYBACK_SEEKING]: (e) => {
      if (!s.played || s.ended) return;
      endStall();
      s.seeking = true;
      emit('seek', { playhead: num(e && e.seekTime) });
    },
    [DASH_EVENTS.PLAYBACK_SEEKED]: () => {
      if (!s.seeking) return;
      s.seeking = false;
      s.resumed = true;
      emit('seeked');
    },
    [DASH_EVENTS.PLAYBACK_PAUSED]: (e) => {
      const v = video();
      if (!s.played || s.ended || s.paused || (e && e.ended) || (v && v.ended)) return;
      endStall();
      s.paused = true;
      emit('pause');
    },
    [DASH_EVENTS.PLAYBACK_ENDED]: () => end('ended'),
    [DASH_EVENTS.STREAM_TEARDOWN_COMPLETE]: () => end('reset'),
    [DASH_EVENTS.PLAYBACK_ERROR]: onError,
    [DASH_EVENTS.ERROR]: onError,
    [DASH_EVENTS.QUALITY_CHANGE_RENDERED]: (e) => {
      if (!e || e.mediaType !== 'video' || !e.newRepresentation) return;
      rendered = e.newRepresentation;
      // dash.js 5 also "renders" the first representation (no old one): a start, not a change
      if (s.started && e.oldRepresentation) emit('quality_change');
    },
    [DASH_EVENTS.FRAGMENT_LOADING_COMPLETED]: (e) => {
      const host = hostOf(e && e.request && e.request.url);
      if (host) cdnHost = host;
    },
  };

  function guard<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
    return (...a: A) => {
      try {
        if (attached) fn(...a);
      } catch {
        /* never into the page */
      }
    };
  }

  /** Keeps CDN-naming headers of media segment responses (and the final host, after redirects). */
  const interceptor = (response: any): Promise<any> => {
    try {
      const req = response.request && response.request.customData && response.request.customData.request;
      const headers = response.headers;
      if (attached && req && req.type === 'MediaSegment' && response.status >= 200 && response.status < 300) {
        cdnHost = hostOf(response.url) || cdnHost;
        if (headers && typeof headers === 'object') {
          const picked: Record<string, string> = {};
          let any = false;
          for (const k of Object.keys(headers)) {
            const name = k.toLowerCase();
            if (CDN_HEADERS.test(name)) {
              picked[name] = String(headers[k]).slice(0, 200);
              any = true;
            }
          }
          if (any) cdnHeaders = picked;
        }
      }
    } catch {
      /* never into the player */
    }
    return Promise.resolve(response);
  };

  try {
    for (const type of Object.keys(handlers)) {
      const fn = guard(handlers[type]!);
      player.on(type, fn);
      listeners.push([type, fn]);
    }
    safe(() => player.addResponseInterceptor!(interceptor));
    const onDom = (target: EventTarget, type: string, fn: () => void) => {
      const g = guard(fn);
      target.addEventListener(type, g);
      domListeners.push([target, type, g]);
    };
    if (typeof document !== 'undefined') {
      onDom(document, 'visibilitychange', () => {
        if (document.visibilityState === 'hidden') transport.flush(true);
      });
    }
    if (typeof window !== 'undefined') {
      onDom(window, 'pagehide', () => {
        transport.unloading(true);
        end('pagehide');
        transport.flush(true);
      });
      onDom(window, 'pageshow', () => transport.unloading(false)); // back from the back/forward cache
    }
    // Attached to a player that already plays: the session starts now, without a startup time.
    const v = video();
    if (v && !v.paused && v.readyState > 2) {
      begin(true);
      handlers[DASH_EVENTS.PLAYBACK_PLAYING]!({});
    }
  } catch {
    /* a broken player object: report nothing rather than break the page */
  }

  return {
    get sessionId() {
      return s.id;
    },
    get sampled() {
      return s.sampled;
    },
    flush: () => transport.flush(),
    detach() {
      try {
        if (!attached) return;
        end('detach');
        transport.flush();
        attached = false;
        clearInterval(heartbeat);
        for (const [type, fn] of listeners) safe(() => player.off(type, fn));
        for (const [target, type, fn] of domListeners) target.removeEventListener(type, fn);
        safe(() => player.removeResponseInterceptor!(interceptor));
        transport.stop();
      } catch {
        /* never into the page */
      }
    },
  };
}
