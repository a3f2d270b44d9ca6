// Rules of docs/kpis.md that the golden sessions do not pin one by one, and invariants over random plays.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateByDimension, aggregateKpis, percentile } from '../../src/analytics/aggregate.js';
import { isBusinessErrorCode, qoeScore, sessionsFromRows, type KpiRow } from '../../src/analytics/session-kpis.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const E = { evaluationTime: T0 + 3_600_000 };
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const row = (s: number, EventType: string, extra: Partial<KpiRow> = {}): KpiRow => ({
  SessionId: 's',
  Source: 'http',
  Timestamp: at(s),
  EventType,
  ...extra,
});
const one = (rows: KpiRow[], opts = E) => {
  const [k] = sessionsFromRows(rows, opts);
  return k!;
};

describe('session KPI rules', () => {
  it('business error codes: the published list and the business: prefix, any case; everything else technical', () => {
    for (const c of ['403', 'HTTP-403', 'Geo-Blocked', 'business:blackout-nfl', 'BUSINESS:anything'])
      expect(isBusinessErrorCode(c)).toBe(true);
    for (const c of ['404', '25', 'MEDIA_ERR_DECODE', 'geo', '', null, undefined, 'x-business:403'])
      expect(isBusinessErrorCode(c)).toBe(false);
  });

  it('dropped frames: the first sample is the baseline, a decrease is a counter reset', () => {
    const k = one([
      row(0, 'start'),
      row(1, 'play', { DroppedFrames: 100 }),
      row(2, 'heartbeat', { DroppedFrames: 104 }),
      row(3, 'heartbeat', { DroppedFrames: 3 }),
      row(4, 'heartbeat', { DroppedFrames: 5 }),
    ]);
    expect(k.droppedFrames).toBe(4 + 3 + 2);
    expect(one([row(0, 'start'), row(1, 'play', { DroppedFrames: 9 })]).droppedFrames).toBe(0);
    expect(one([row(0, 'start'), row(1, 'play')]).droppedFrames).toBeNull();
  });

  it('a stall_end with no open stall and no StallMs is ignored; with StallMs it is a stall cut from the interval before', () => {
    expect(one([row(0, 'start'), row(1, 'play'), row(11, 'stall_end'), row(21, 'end')])).toMatchObject({
      stallCount: 0,
      stallMs: 0,
      playTimeMs: 20_000,
    });
    // StallMs larger than the interval before it: play time loses at most that interval
    expect(one([row(0, 'start'), row(1, 'play'), row(3, 'stall_end', { StallMs: 5000 }), row(13, 'end')])).toMatchObject({
      stallCount: 1,
      stallMs: 5000,
      playTimeMs: 10_000,
    });
  });

  it('a JSON `waiting` after the first frame is not a stall and not play time', () => {
    expect(one([row(0, 'start'), row(1, 'play'), row(11, 'waiting'), row(14, 'playing'), row(20, 'end')])).toMatchObject({
      stallCount: 0,
      stallMs: 0,
      playTimeMs: 16_000,
    });
  });

  it('repeats: rows without Seq are one event only when Timestamp and EventType match too', () => {
    const k = one([row(0, 'start'), row(1, 'play'), row(5, 'error'), row(5, 'error'), row(6, 'error'), row(7, 'end')]);
    expect(k.errorCount).toBe(2);
    const seqd = one([row(0, 'start', { Seq: 0 }), row(1, 'play', { Seq: 1 }), row(5, 'error', { Seq: 2 }), row(5, 'error', { Seq: 3 })]);
    expect(seqd.errorCount).toBe(2);
  });

  it('rows without a SessionId or a parseable Timestamp belong to no session', () => {
    const rows = [row(0, 'start'), { ...row(1, 'play'), SessionId: '' }, { ...row(1, 'play'), Timestamp: 'soon' }];
    expect(sessionsFromRows(rows, E)).toHaveLength(1);
    expect(one(rows).firstFrameAt).toBeNull();
  });

  it('a start after the first frame gives no video start time (reporter attached mid-play)', () => {
    expect(one([row(0, 'playing'), row(0.5, 'start'), row(10, 'end')])).toMatchObject({
      firstFrameAt: at(0),
      videoStartTimeMs: null,
      playTimeMs: 10_000,
    });
  });

  it('QoE score anchors: 1 s start, no stalls, top bitrate = 100; 5 s start halves startup; 5 % rebuffering halves smoothness', () => {
    const base = {
      attempt: true,
      started: true,
      vsf: false,
      playbackFailure: false,
      videoStartTimeMs: 1000,
      rebufferingRatio: 0,
      avgBitrateKbps: 3000,
      topBitrate: 3000,
    };
    expect(qoeScore(base)).toBe(100);
    expect(qoeScore({ ...base, videoStartTimeMs: 5000 })).toBeCloseTo(100 * Math.cbrt(0.5), 9);
    expect(qoeScore({ ...base, rebufferingRatio: 0.05 })).toBeCloseTo(100 * Math.cbrt(0.5), 9);
    expect(qoeScore({ ...base, avgBitrateKbps: 1500 })).toBeCloseTo(100 * Math.cbrt(0.5), 9);
    expect(qoeScore({ ...base, playbackFailure: true })).toBe(0);
    expect(qoeScore({ ...base, started: false })).toBeNull();
    expect(qoeScore({ ...base, videoStartTimeMs: null, rebufferingRatio: null, avgBitrateKbps: null })).toBe(100);
  });

  it('rates leave sessions still starting out of the denominator; playback failure is over ended plays', () => {
    const rows = [
      ...[row(0, 'start'), row(1, 'play'), row(9, 'end')].map((r) => ({ ...r, SessionId: 'ok' })),
      ...[row(0, 'start'), row(2, 'error', { Fatal: true })].map((r) => ({ ...r, SessionId: 'vsf' })),
      ...[row(0, 'start')].map((r) => ({ ...r, SessionId: 'starting', ReceivedAt: at(3590) })),
      ...[row(0, 'start'), row(1, 'play'), row(3590, 'heartbeat')].map((r) => ({ ...r, SessionId: 'playing', ReceivedAt: at(3590) })),
    ];
    const agg = aggregateKpis(sessionsFromRows(rows, E));
    expect(agg).toMatchObject({
      attempts: 4,
      starting: 1,
      decidedAttempts: 3,
      vsfRate: 1 / 3,
      plays: 2,
      endedPlays: 1,
      playbackFailureRate: 0,
    });
  });

  it('a late row reverses a provisional outcome: EBVS by inactivity becomes a play when its first frame arrives', () => {
    const start = { ...row(0, 'start'), ReceivedAt: at(1) };
    expect(one([start])).toMatchObject({ ebvs: true, ended: true });
    const latePlay = { ...row(3, 'play', { StartupMs: 3000 }), ReceivedAt: at(3000) }; // uploaded 50 minutes later
    expect(one([start, latePlay])).toMatchObject({
      ebvs: false,
      firstFrameAt: at(3),
      videoStartTimeMs: 3000,
      ended: true,
      playEndAt: at(3),
    });
    // and a session counted as still playing ends by inactivity once the evaluation time moves on
    const playing = [start, { ...row(2, 'play'), ReceivedAt: at(2) }];
    expect(one(playing, { evaluationTime: T0 + 60_000 })).toMatchObject({ ended: false, playEndAt: null });
    expect(one(playing, { evaluationTime: T0 + 302_000 })).toMatchObject({ ended: true, playEndAt: at(2) });
  });

  it('breakdowns by a dimension keep sessions without a value (the "" group)', () => {
    const rows = [
      ...[row(0, 'start', { Cdn: 'Akamai' }), row(1, 'play'), row(9, 'end')].map((r) => ({ ...r, SessionId: 'a' })),
      ...[row(0, 'start'), row(2, 'error', { Fatal: true, Cdn: 'Fastly' })].map((r) => ({ ...r, SessionId: 'b' })),
      ...[row(0, 'start'), row(5, 'end')].map((r) => ({ ...r, SessionId: 'c' })),
    ];
    const by = aggregateByDimension(sessionsFromRows(rows, E), 'Cdn');
    expect([...by.keys()].sort()).toEqual(['', 'Akamai', 'Fastly']);
    expect(by.get('Fastly')).toMatchObject({ attempts: 1, vsf: 1, vsfRate: 1 });
    expect(by.get('')).toMatchObject({ attempts: 1, ebvs: 1 });
  });

  it('percentile is nearest rank', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 95)).toBe(19);
    expect(percentile([], 95)).toBeNull();
  });
});

describe('invariants over random plays', () => {
  const TYPES = [
    'start',
    'play',
    'playing',
    'pause',
    'seek',
    'seeked',
    'waiting',
    'stall_start',
    'stall_end',
    'quality_change',
    'heartbeat',
    'error',
    'end',
    'request',
    'other',
  ];
  const arbRow = fc.record({
    s: fc.integer({ min: 0, max: 900 }),
    type: fc.constantFrom(...TYPES),
    fatal: fc.boolean(),
    stallMs: fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: null }),
    br: fc.option(fc.constantFrom(500, 1000, 3000), { nil: null }),
    seq: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }),
  });

  it('outcomes are exclusive, times are non-negative and bounded, ratios and scores in range', () => {
    fc.assert(
      fc.property(fc.array(arbRow, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 2000 }), (spec, evalS) => {
        const rows = spec.map((x) =>
          row(x.s, x.type, {
            Seq: x.seq,
            Fatal: x.type === 'error' ? x.fatal : null,
            StallMs: x.type === 'stall_end' ? x.stallMs : null,
            BitrateKbps: x.br,
            TopBitrateKbps: 3000,
          }),
        );
        const k = one(rows, { evaluationTime: T0 + evalS * 1000 });
        const started = k.firstFrameAt !== null;
        expect([started, k.vsf, k.ebvs, k.starting].filter(Boolean).length).toBe(k.attempt ? 1 : 0);
        expect(k.playbackFailure && !started).toBe(false);
        expect(k.playTimeMs).toBeGreaterThanOrEqual(0);
        expect(k.stallMs).toBeGreaterThanOrEqual(0);
        if (started) expect(k.playTimeMs).toBeLessThanOrEqual(Date.parse(k.lastSeenAt) - Date.parse(k.firstFrameAt!));
        else expect([k.playTimeMs, k.stallMs, k.stallCount]).toEqual([0, 0, 0]);
        if (k.rebufferingRatio !== null) expect(k.rebufferingRatio).toBeGreaterThanOrEqual(0);
        if (k.rebufferingRatio !== null) expect(k.rebufferingRatio).toBeLessThanOrEqual(1);
        if (k.qoeScore !== null) expect(k.qoeScore).toBeGreaterThanOrEqual(0);
        if (k.qoeScore !== null) expect(k.qoeScore).toBeLessThanOrEqual(100);
        if (k.avgBitrateKbps !== null)
          expect([500, 3000].map((b, i) => (i ? k.avgBitrateKbps! <= b + 1e-9 : k.avgBitrateKbps! >= b - 1e-9))).toEqual([true, true]);
      }),
      { numRuns: 300 },
    );
  });
});
