import { describe, expect, it } from 'vitest';
import { rankRootCauses } from '../../src/analytics/root-cause.js';
import {
  binomialUpperTail,
  contrast,
  emptyMoments,
  addSample,
  normalQuantileUpper,
  normalUpperTail,
} from '../../src/analytics/root-cause-stats.js';
import { generateSessions, INCIDENTS } from '../../src/analytics/synthetic-incidents.js';

// Three days of traffic is plenty of baseline for ranking (detection needs 14; ranking does not).
const start = new Date('2026-11-13T00:00:00Z');
const end = new Date('2026-11-16T00:00:00Z');
const from = new Date('2026-11-15T19:00:00Z');
const to = new Date('2026-11-15T22:00:00Z');
const split = (sessions: ReturnType<typeof generateSessions>) => ({
  window: sessions.filter((s) => s.at >= from.getTime() && s.at < to.getTime()),
  baseline: sessions.filter((s) => s.at < from.getTime() || s.at >= to.getTime()),
});

describe('rankRootCauses', () => {
  it('names the least specific combination that explains the excess: the CDN and the region, not the CDN, not the region, not one OS of them', () => {
    const { window, baseline } = split(generateSessions({ start, end, seed: 3, incidents: [INCIDENTS.cdnRegionStartFailures(from)] }));
    const r = rankRootCauses('vsf_rate', window, baseline);
    expect(r.causes.map((c) => c.dimensions)).toEqual([{ Cdn: 'Fastly', Region: 'US-CA' }]);
    const [c] = r.causes;
    expect(c!.share).toBeGreaterThan(0.9);
    expect(c!.kpiInWindow!).toBeGreaterThan(0.3);
    expect(c!.kpiBaseline!).toBeLessThan(0.03);
    expect(c!.lift!).toBeCloseTo(c!.kpiInWindow! / c!.kpiBaseline!, 10);
    expect(c!.sessions).toBeGreaterThan(30);
  });

  it('finds two simultaneous incidents as two causes', () => {
    const { window, baseline } = split(
      generateSessions({
        start,
        end,
        seed: 4,
        incidents: [
          INCIDENTS.cdnRegionStartFailures(from),
          { ...INCIDENTS.cdnRegionStartFailures(from), where: { PlayerVersion: '5.1.0', DeviceType: 'tv' } },
        ],
      }),
    );
    const r = rankRootCauses('vsf_rate', window, baseline);
    expect(r.causes).toHaveLength(2);
    expect(r.causes.map((c) => c.dimensions)).toContainEqual({ Cdn: 'Fastly', Region: 'US-CA' });
    expect(r.causes.map((c) => c.dimensions)).toContainEqual({ DeviceType: 'tv', PlayerVersion: '5.1.0' });
  });

  it('an improvement is not a cause, and quiet traffic has none', () => {
    const better = split(
      generateSessions({ start, end, seed: 5, incidents: [{ name: 'better', from, to, where: { Cdn: 'Akamai' }, effect: { vsf: 0 } }] }),
    );
    expect(rankRootCauses('vsf_rate', better.window, better.baseline).causes).toEqual([]);
    const quiet = split(generateSessions({ start, end, seed: 6 }));
    for (const kpi of [
      'vsf_rate',
      'ebvs_rate',
      'playback_failure_rate',
      'rebuffering_ratio',
      'startup_p95_ms',
      'avg_bitrate_kbps',
      'qoe_score',
    ] as const) {
      expect(rankRootCauses(kpi, quiet.window, quiet.baseline).causes, kpi).toEqual([]);
    }
  });

  it('a lower bitrate is worse: a CDN serving low bitrates is named', () => {
    const { window, baseline } = split(generateSessions({ start, end, seed: 8 }));
    const degraded = window.map((s) =>
      s.dims.Cdn === 'CloudFront' && s.avgBitrateKbps ? { ...s, avgBitrateKbps: s.avgBitrateKbps * 0.4 } : s,
    );
    expect(rankRootCauses('avg_bitrate_kbps', degraded, baseline).causes.map((c) => c.dimensions)).toEqual([{ Cdn: 'CloudFront' }]);
  });
});

describe('statistics', () => {
  it('binomial tail, normal tail and its inverse agree with known values', () => {
    expect(binomialUpperTail(1, 10, 0.5)).toBeCloseTo(1 - 1 / 1024, 12);
    expect(binomialUpperTail(10, 60, 0.05)).toBeCloseTo(0.000738, 5);
    expect(normalUpperTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(normalQuantileUpper(0.025)).toBeCloseTo(1.959964, 5);
  });

  it('the two-proportion test is one-sided in the worse direction', () => {
    const a = emptyMoments();
    const b = emptyMoments();
    for (let i = 0; i < 200; i++) addSample(a, i < 20 ? 1 : 0, 1);
    for (let i = 0; i < 2000; i++) addSample(b, i < 40 ? 1 : 0, 1);
    expect(contrast(a, b, 1, true).p).toBeLessThan(1e-6);
    expect(contrast(a, b, -1, true).p).toBeGreaterThan(0.99);
  });
});
