// Synthetic QoE traffic for testing detection and root cause: sessions with a daily rhythm
// (evening peak, night trough) over realistic dimension mixes, plus injected incidents that
// change the KPIs of exactly one segment for a while. Deterministic for a seed.
import { DIMENSIONS, type DimensionName } from './root-cause-kpis.js';
import { provisionalQoeScore, type QoeSession } from './root-cause-sessions.js';

/** mulberry32: small, fast, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Weighted = ReadonlyArray<readonly [string, number]>;

const pick = (r: () => number, options: Weighted): string => {
  let u = r() * options.reduce((n, [, w]) => n + w, 0);
  for (const [v, w] of options) if ((u -= w) < 0) return v;
  return options[options.length - 1]![0];
};

const COUNTRIES: Weighted = [
  ['US', 0.5],
  ['DE', 0.2],
  ['GB', 0.15],
  ['FR', 0.15],
];
const REGIONS: Record<string, Weighted> = {
  US: [
    ['US-CA', 0.4],
    ['US-NY', 0.35],
    ['US-TX', 0.25],
  ],
  DE: [
    ['DE-BE', 0.5],
    ['DE-BY', 0.5],
  ],
  GB: [
    ['GB-ENG', 0.8],
    ['GB-SCT', 0.2],
  ],
  FR: [
    ['FR-IDF', 0.6],
    ['FR-ARA', 0.4],
  ],
};
const ASNS: Record<string, Weighted> = {
  US: [
    ['7922', 0.45],
    ['701', 0.3],
    ['7018', 0.25],
  ],
  DE: [
    ['3320', 0.6],
    ['6805', 0.4],
  ],
  GB: [
    ['2856', 0.5],
    ['5089', 0.5],
  ],
  FR: [
    ['3215', 0.55],
    ['12322', 0.45],
  ],
};
const CDNS: Weighted = [
  ['Akamai', 0.4],
  ['Fastly', 0.35],
  ['CloudFront', 0.25],
];
const OSES: Weighted = [
  ['Windows', 0.35],
  ['macOS', 0.15],
  ['Android', 0.25],
  ['iOS', 0.2],
  ['tvOS', 0.05],
];
const BROWSERS: Weighted = [
  ['Chrome', 0.55],
  ['Safari', 0.25],
  ['Edge', 0.1],
  ['Firefox', 0.1],
];
const DEVICES: Weighted = [
  ['desktop', 0.5],
  ['mobile', 0.35],
  ['tv', 0.15],
];
const PLAYERS: Weighted = [
  ['5.1.0', 0.3],
  ['5.2.0', 0.4],
  ['5.2.1', 0.3],
];
/** 30 titles, Zipf-like popularity: c001 is watched most. */
const CONTENTS: Weighted = Array.from({ length: 30 }, (_, i) => [`c${String(i + 1).padStart(3, '0')}`, 1 / (i + 1) ** 0.8] as const);

export interface IncidentEffect {
  /** Probability that an attempt fails to start (replaces the normal 1%). */
  vsf?: number;
  /** Multiplies the startup time. */
  startupFactor?: number;
  /** Probability of rebuffering, and the share of play time spent stalled when it happens. */
  stallProbability?: number;
  stallShare?: number;
  /** Probability of a fatal error after the first frame (replaces the normal 0.5%). */
  playbackFailure?: number;
}

export interface InjectedIncident {
  name: string;
  from: Date;
  to: Date;
  /** Sessions this incident hits; {} = all of them. */
  where: Partial<Record<DimensionName, string>>;
  effect: IncidentEffect;
}

/** The five incidents of issue 18, item 5, starting at `from` for `hours`. */
export const INCIDENTS = {
  cdnRegionStartFailures: (from: Date, hours = 3): InjectedIncident => ({
    name: 'CDN x region start-failure spike',
    from,
    to: plusHours(from, hours),
    where: { Cdn: 'Fastly', Region: 'US-CA' },
    effect: { vsf: 0.4 },
  }),
  playerStartupRegression: (from: Date, hours = 3): InjectedIncident => ({
    name: 'player-version startup regression',
    from,
    to: plusHours(from, hours),
    where: { PlayerVersion: '5.2.1' },
    effect: { startupFactor: 3 },
  }),
  asnRebuffering: (from: Date, hours = 3): InjectedIncident => ({
    name: 'ASN rebuffering',
    from,
    to: plusHours(from, hours),
    where: { Asn: '3320' },
    effect: { stallProbability: 0.9, stallShare: 0.08 },
  }),
  contentErrorBurst: (from: Date, hours = 3): InjectedIncident => ({
    name: 'content-specific error burst',
    from,
    to: plusHours(from, hours),
    where: { ContentId: 'c002' },
    effect: { playbackFailure: 0.5 },
  }),
  globalOutage: (from: Date, hours = 2): InjectedIncident => ({
    name: 'global outage',
    from,
    to: plusHours(from, hours),
    where: {},
    effect: { vsf: 0.6 },
  }),
};

const plusHours = (d: Date, h: number) => new Date(d.getTime() + h * 3600_000);

export interface TrafficOptions {
  start: Date;
  end: Date;
  /** Average attempts per hour over a day (default 400); the evening peak has about 1.6 times that. */
  sessionsPerHour?: number;
  seed?: number;
  incidents?: InjectedIncident[];
}

/** Relative traffic at an hour of day (UTC): peak at 21:00, trough at 09:00. */
export const dailyRhythm = (hourOfDay: number): number => 1 + 0.6 * Math.cos((2 * Math.PI * (hourOfDay - 21)) / 24);

export function generateSessions(o: TrafficOptions): QoeSession[] {
  const r = seededRandom(o.seed ?? 1);
  const perHour = o.sessionsPerHour ?? 400;
  const incidents = o.incidents ?? [];
  const dimsCache = new Map<string, Record<DimensionName, string>>();
  const sessions: QoeSession[] = [];
  let id = 0;
  // Minute by minute: a Poisson-ish count with the daily rhythm.
  for (let t = o.start.getTime(); t < o.end.getTime(); t += 60_000) {
    const hour = (t % 86_400_000) / 3_600_000;
    const expected = (perHour / 60) * dailyRhythm(hour);
    const count = Math.floor(expected) + (r() < expected - Math.floor(expected) ? 1 : 0);
    for (let i = 0; i < count; i++) {
      const at = t + Math.floor(r() * 60_000);
      const country = pick(r, COUNTRIES);
      const raw: Record<DimensionName, string> = {
        Country: country,
        Region: pick(r, REGIONS[country]!),
        Asn: pick(r, ASNS[country]!),
        Cdn: pick(r, CDNS),
        Os: pick(r, OSES),
        Browser: pick(r, BROWSERS),
        DeviceType: pick(r, DEVICES),
        PlayerVersion: pick(r, PLAYERS),
        ContentId: pick(r, CONTENTS),
      };
      const key = DIMENSIONS.map((d) => raw[d]).join('|');
      let dims = dimsCache.get(key);
      if (!dims) dimsCache.set(key, (dims = raw));
      const effect: IncidentEffect = Object.assign(
        {},
        ...incidents
          .filter(
            (x) =>
              at >= x.from.getTime() && at < x.to.getTime() && Object.entries(x.where).every(([d, v]) => dims![d as DimensionName] === v),
          )
          .map((x) => x.effect),
      );
      sessions.push(oneSession(r, `s${++id}`, at, dims, effect));
    }
  }
  return sessions;
}

function oneSession(r: () => number, sessionId: string, at: number, dims: Record<DimensionName, string>, e: IncidentEffect): QoeSession {
  const vsf = r() < (e.vsf ?? 0.01);
  const ebvs = !vsf && r() < 0.03;
  const started = !vsf && !ebvs;
  // Startup: log-normal, median 900 ms (p95 about 1.75 s).
  const gauss = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const startupMs = started ? Math.round(900 * Math.exp(0.4 * gauss) * (e.startupFactor ?? 1)) : null;
  const watchMs = started ? Math.round((2 + r() * 38) * 60_000) : 0;
  const stalls = started && r() < (e.stallProbability ?? 0.15);
  const stallMs = stalls ? Math.round(watchMs * (e.stallShare ?? 0.002 + r() * 0.01)) : 0;
  const device = dims.DeviceType === 'tv' ? 6000 : dims.DeviceType === 'desktop' ? 4500 : 2500;
  const avgBitrateKbps = started ? Math.round(device * (0.8 + r() * 0.4)) : null;
  const playbackFailure = started && r() < (e.playbackFailure ?? 0.005);
  const base = { attempt: true, started, vsf, ebvs, playbackFailure, startupMs, watchMs, stallMs, avgBitrateKbps };
  return { sessionId, at, dims, ...base, qoeScore: provisionalQoeScore(base) };
}

/** The QoeEvents rows a player would have sent for a session (for the diagnose CLI and the row adapter). */
export function toQoeRows(s: QoeSession): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  const row = (offset: number, EventType: string, extra: Record<string, unknown> = {}) =>
    rows.push({
      Timestamp: iso(s.at + offset),
      ReceivedAt: iso(s.at + offset + 1500),
      EventType,
      SessionId: s.sessionId,
      Seq: rows.length,
      Source: 'beacon',
      ...s.dims,
      Asn: Number(s.dims.Asn),
      ...extra,
    });
  row(0, 'start');
  if (s.vsf) {
    row(1200, 'error', { Fatal: true, ErrorCode: 'MEDIA_ERR_SRC_NOT_SUPPORTED' });
    return rows;
  }
  if (s.ebvs) {
    row(3000, 'end');
    return rows;
  }
  const first = s.startupMs!;
  row(first, 'play', { StartupMs: s.startupMs, BitrateKbps: s.avgBitrateKbps });
  if (s.stallMs > 0) {
    row(first + s.watchMs / 2 - s.stallMs, 'stall_start');
    row(first + s.watchMs / 2, 'stall_end', { StallMs: s.stallMs });
  }
  if (s.playbackFailure) row(first + s.watchMs, 'error', { Fatal: true, ErrorCode: 'NETWORK_ERROR', BitrateKbps: s.avgBitrateKbps });
  else row(first + s.watchMs, 'end', { BitrateKbps: s.avgBitrateKbps });
  return rows;
}
