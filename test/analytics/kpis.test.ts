// Synthetic sessions with hand-computed KPIs. The same definitions are written in KQL
// (kql/V003__session_kpis.kql) and explained in the README; this pins them.
import { describe, expect, it } from 'vitest';
import { aggregateKpis, sessionKpis, type KpiEvent } from '../../src/analytics/kpis.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
let seq = 0;
const ev = (SessionId: string, s: number, EventType: string, extra: Partial<KpiEvent> = {}): KpiEvent => ({ SessionId, Seq: seq++, Timestamp: at(s), EventType, ...extra });

// A: starts in 1.5 s (reported), watches 0..100 s with a 10 s pause and one 4 s stall,
//    bitrate 1000 kbps for 40 s then 3000 kbps for 50 s (a switch up), then down to 2000 at the end.
const A = [
  ev('A', 0, 'start'),
  ev('A', 1.5, 'play', { StartupMs: 1500, BitrateKbps: 1000 }),
  ev('A', 41.5, 'quality_change', { BitrateKbps: 3000 }),
  ev('A', 50, 'pause'),
  ev('A', 60, 'playing'),
  ev('A', 70, 'stall_start'),
  ev('A', 74, 'stall_end', { StallMs: 4000 }),
  ev('A', 91.5, 'quality_change', { BitrateKbps: 2000, DroppedFrames: 45 }),
  ev('A', 101.5, 'end'),
];
// B: asks to play and leaves after 8 s without a frame: EBVS.
const B = [ev('B', 0, 'start'), ev('B', 8, 'end')];
// C: fatal error before the first frame: VSF (not EBVS).
const C = [ev('C', 0, 'start'), ev('C', 3, 'error', { Fatal: true, ErrorCode: 'MANIFEST_404' })];
// D: plays (startup from timestamps: 2 s), non-fatal error, then a fatal one at 30 s: playback failure.
const D = [ev('D', 0, 'start'), ev('D', 2, 'play'), ev('D', 10, 'error', { Fatal: false }), ev('D', 30, 'error', { Fatal: true })];

describe('session KPIs (reference implementation)', () => {
  const kpis = Object.fromEntries(sessionKpis([...A, ...B, ...C, ...D]).map((k) => [k.SessionId, k]));

  it('startup time: reported StartupMs, else first frame minus play request', () => {
    expect(kpis.A!.StartupMs).toBe(1500);
    expect(kpis.D!.StartupMs).toBe(2000);
    expect(kpis.B!.StartupMs).toBeNull();
  });

  it('EBVS, VSF and playback failure are exclusive and follow their definitions', () => {
    expect([kpis.A!.Ebvs, kpis.A!.Vsf, kpis.A!.PlaybackFailure]).toEqual([false, false, false]);
    expect([kpis.B!.Ebvs, kpis.B!.Vsf, kpis.B!.PlaybackFailure]).toEqual([true, false, false]);
    expect([kpis.C!.Ebvs, kpis.C!.Vsf, kpis.C!.PlaybackFailure]).toEqual([false, true, false]);
    expect([kpis.D!.Ebvs, kpis.D!.Vsf, kpis.D!.PlaybackFailure]).toEqual([false, false, true]);
  });

  it('watch time excludes pauses; rebuffer ratio is stall over watch time', () => {
    // first frame at 1.5 s, last event 101.5 s: 100 s, minus the 10 s pause = 90 s
    expect(kpis.A!.WatchMs).toBe(90_000);
    expect(kpis.A!.StallMs).toBe(4000);
    expect(kpis.A!.RebufferRatio).toBeCloseTo(4000 / 90_000, 12);
    expect(kpis.A!.RebuffersPerHour).toBeCloseTo(1 / (90_000 / 3_600_000), 9); // 40 per hour
    expect(kpis.D!.WatchMs).toBe(28_000);
    expect(kpis.D!.RebufferRatio).toBe(0);
  });

  it('average bitrate is time-weighted; switches count direction', () => {
    // 1000 kbps held 40 s, 3000 kbps held 50 s, 2000 kbps is the last sample (held 0)
    expect(kpis.A!.AvgBitrateKbps).toBeCloseTo((1000 * 40 + 3000 * 50) / 90, 9);
    expect([kpis.A!.UpSwitches, kpis.A!.DownSwitches]).toEqual([1, 1]);
  });

  it('dropped frames per minute of watch time; errors counted per session', () => {
    expect(kpis.A!.DroppedFramesPerMin).toBeCloseTo(45 / 1.5, 9);
    expect(kpis.D!.ErrorCount).toBe(2);
    expect(kpis.C!.ErrorCount).toBe(1);
  });

  it('a repeated beacon (same SessionId and Seq) counts once', () => {
    const dup = { ...A[6]!, ReceivedAt: '2026-11-23T10:05:00Z' };
    const again = sessionKpis([...A, dup]).find((k) => k.SessionId === 'A')!;
    expect(again.StallCount).toBe(1);
    expect(again.StallMs).toBe(4000);
  });

  it('a CMCD-only session: first frame at the first playing, stalls closed by the next event (V006)', () => {
    const cmcd = [
      ev('E', 0, 'start', { Source: 'cmcd' }),
      ev('E', 2.5, 'playing', { Source: 'cmcd' }),
      ev('E', 12.5, 'stall_start', { Source: 'cmcd' }),
      ev('E', 15.5, 'playing', { Source: 'cmcd' }),
      ev('E', 42.5, 'end', { Source: 'cmcd' }),
    ];
    const [e] = sessionKpis(cmcd);
    expect(e).toMatchObject({ Started: true, StartupMs: 2500, Ebvs: false, StallMs: 3000, StallCount: 1, WatchMs: 40_000 });
    expect(e!.RebufferRatio).toBeCloseTo(3000 / 40_000, 12);
  });

  it('counts a repeat only within the same source, and keeps every row without Seq', () => {
    const beacon = ev('F', 0, 'play', { Source: 'http', StartupMs: 800 });
    const cmcdSameSeq = { ...ev('F', 5, 'stall_start', { Source: 'cmcd' }), Seq: beacon.Seq };
    const noSeq = [ev('F', 6, 'playing', { Source: 'cmcd' }), ev('F', 9, 'end', { Source: 'cmcd' })].map((x) => ({ ...x, Seq: null }));
    const [f] = sessionKpis([beacon, cmcdSameSeq, ...noSeq]);
    expect(f).toMatchObject({ StartupMs: 800, StallMs: 1000, StallCount: 1, WatchMs: 9000 });
  });

  it('aggregates as ratios of sums over the sessions of a bin', () => {
    const agg = aggregateKpis(Object.values(kpis));
    expect(agg.Sessions).toBe(4);
    expect(agg.EbvsRate).toBe(1 / 4);
    expect(agg.VsfRate).toBe(1 / 4);
    expect(agg.PlaybackFailureRate).toBe(1 / 2); // of the two that started
    expect(agg.RebufferRatio).toBeCloseTo(4000 / (90_000 + 28_000), 12);
    expect(agg.ErrorsPerSession).toBe(3 / 4);
  });
});
