import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { alertKey, parseAnomalyRows } from '../../src/alerts/anomaly.js';

const row = (over: Record<string, unknown> = {}) => ({
  Timestamp: new Date('2026-11-23T10:20:00Z'),
  Kpi: 'stall_rate',
  Dimension: 'Cdn',
  DimensionValue: 'Akamai',
  Value: 0.41,
  Baseline: 0.06,
  Score: 6.2,
  Direction: 'up',
  Sessions: 812,
  ...over,
});

describe('parseAnomalyRows', () => {
  it('turns detector rows into anomalies keyed by KPI, dimension value and time bin', () => {
    const { anomalies, invalid } = parseAnomalyRows([row(), row({ Timestamp: '2026-11-23T10:25:00Z', Sessions: '790' })]);
    expect(invalid).toEqual([]);
    expect(anomalies).toHaveLength(2);
    expect(anomalies[0]).toEqual({
      timestamp: new Date('2026-11-23T10:20:00Z'),
      kpi: 'stall_rate',
      dimension: 'Cdn',
      dimensionValue: 'Akamai',
      value: 0.41,
      baseline: 0.06,
      score: 6.2,
      direction: 'up',
      sessions: 812,
      key: createHash('sha256').update('2026-11-23T10:20:00.000Z|stall_rate|Cdn|Akamai').digest('hex').slice(0, 32),
    });
    expect(anomalies[1]!.sessions).toBe(790);
    expect(anomalies[1]!.key).not.toBe(anomalies[0]!.key);
  });

  it('the key ignores value, score and direction, and depends on each part of the identity', () => {
    const base = { timestamp: new Date('2026-11-23T10:20:00Z'), kpi: 'stall_rate', dimension: 'Cdn', dimensionValue: 'Akamai' };
    const k = alertKey(base);
    expect(parseAnomalyRows([row({ Value: 9, Score: 1, Direction: 'down' })]).anomalies[0]!.key).toBe(k);
    for (const other of [
      { kpi: 'error_rate' },
      { dimension: 'Os' },
      { dimensionValue: 'Fastly' },
      { timestamp: new Date('2026-11-23T10:25:00Z') },
    ]) {
      expect(alertKey({ ...base, ...other })).not.toBe(k);
    }
  });

  it('reports invalid rows instead of guessing, and keeps the good ones', () => {
    const { anomalies, invalid } = parseAnomalyRows([
      row({ Kpi: 'stall rate; .drop table X' }),
      row({ Direction: 'sideways' }),
      row({ Timestamp: 'yesterday' }),
      row({ Sessions: -1 }),
      row({ DimensionValue: '' }),
      row(),
    ]);
    expect(anomalies).toHaveLength(1);
    expect(invalid.map((i) => i.index)).toEqual([0, 1, 2, 3, 4]);
    expect(invalid[0]!.reason).toContain('Kpi');
    expect(invalid[1]!.reason).toContain('Direction');
  });

  it('non-finite numbers become null, control characters in values become spaces, a repeated row counts once', () => {
    const { anomalies } = parseAnomalyRows([
      row({ Value: 'NaN', Baseline: null, Score: Infinity, DimensionValue: 'Ak\namai\u2028x' }),
      row({ DimensionValue: 'Ak\namai\u2028x' }),
    ]);
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ value: null, baseline: null, score: null, dimensionValue: 'Ak amai x' });
  });
});
