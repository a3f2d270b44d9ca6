// Public types of the browser reporter. Type-only: nothing here ends up in the bundle.
import type { Beacon } from '../beacon/schema.js';

/** A beacon as the reporter sends it: schema v1 (src/beacon/schema.ts) with `v`, `seq` and epoch-ms `ts` always set. */
export type QoeBeacon = Omit<Beacon, 'v' | 'seq' | 'ts'> & { v: 1; seq: number; ts: number; endReason?: EndReason } & Record<
    string,
    unknown
  >;

export type QoeEventType = Beacon['event'];

/** Why a session ended: playback ended, the page went away, the player was reset, a fatal error, or detach(). */
export type EndReason = 'ended' | 'pagehide' | 'reset' | 'error' | 'detach';

export interface QoeReporterOptions {
  /** Where beacons are POSTed, e.g. `https://<app>.azurewebsites.net/api/beacons`. */
  endpoint: string;
  /** Content id; else the service derives one from CMCD `cid` or the manifest URL. */
  contentId?: string;
  /** Pseudonymous viewer id (never an e-mail address or a name). */
  viewerId?: string;
  /** CDN name, if the page knows it better than the service's host and header rules. */
  cdn?: string;
  /** Seconds between heartbeats while playing or stalled. Default 10; at least 1. */
  heartbeatSeconds?: number;
  /** Share of sessions that report, 0..1, decided once per session. Default 1. */
  sampleRate?: number;
  /** Extra fields sent with every beacon (kept in the row's `Extra` column), e.g. `{ abTestGroup: 'B' }`. */
  fields?: Record<string, string | number | boolean>;
}

export interface QoeReporterHandle {
  /** The current session id (a new one starts when playback restarts after an `end`). */
  readonly sessionId: string;
  /** Whether the current session was sampled in (sends beacons). */
  readonly sampled: boolean;
  /** Sends queued beacons now. */
  flush(): void;
  /** Ends the session (beacon `end`, reason `detach`) if one is open, flushes, and removes every listener and timer. */
  detach(): void;
}

/** A dash.js representation (the fields the reporter reads). */
export interface RepresentationLike {
  bitrateInKbit?: number;
  bandwidth?: number;
  width?: number;
  height?: number;
}

/** What the reporter needs from a dash.js `MediaPlayer` instance (dash.js 5's `MediaPlayerClass` satisfies it). */
export interface DashPlayerLike {
  on(type: string, listener: (e: any) => void, scope?: object): void;
  off(type: string, listener: (e: any) => void, scope?: object): void;
  getVersion?(): string;
  isDynamic?(): boolean;
  getSource?(): string | object;
  getAutoPlay?(): boolean;
  time?(): number;
  getVideoElement?(): HTMLVideoElement;
  getBufferLength?(type: 'video'): number;
  getAverageThroughput?(type: 'video'): number;
  getCurrentRepresentationForType?(type: 'video'): RepresentationLike | null;
  getRepresentationsByType?(type: 'video'): RepresentationLike[];
  getDashMetrics?(): {
    getCurrentBufferLevel(type: 'video'): number;
    getCurrentDroppedFrames(): { droppedFrames: number } | null;
  };
  addResponseInterceptor?(interceptor: (response: any) => Promise<any>): void;
  removeResponseInterceptor?(interceptor: (response: any) => Promise<any>): void;
}
