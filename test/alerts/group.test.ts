import { describe, expect, it } from 'vitest';
import { alertKey, type Anomaly } from '../../src/alerts/anomaly.js';
import { alertTitle, dashboardLink, groupAlerts, type GroupOptions } from '../../src/alerts/group.js';
import { alertMessageSchema, MAX_MESSAGE_JSON_BYTES } from '../../src/alerts/message.js';

const T = (min: number) => new Date(Date.UTC(2026, 10, 23, 10, min));
const a = (over: Partial<Anomaly> = {}): Anomaly => {
  const base = { timestamp: T(20), kpi: 'stall_rate', dimension: 'Cdn', dimensionValue: 'Akamai', ...over };
  return { value: 0.4, baseline: 0.05, score: 6, direction: 'up', sessions: 800, ...over, ...base, key: alertKey(base) } as Anomaly;
};
const opts: GroupOptions = {
  detectedAt: T(32),
  windowStart: T(0),
  windowEnd: T(30),
  grafana: { url: 'https://grafana.example', dashboardUid: 'qoe-overview' },
};

describe('groupAlerts', () => {
  it('makes one message per dimension value with all its KPIs and bins, the most severe value first', () => {
    const groups = groupAlerts(
      [
        a({ kpi: 'stall_rate', score: 4 }),
        a({ dimension: 'Country', dimensionValue: 'BR', kpi: 'error_rate', score: 9 }),
        a({ kpi: 'startup_p95_ms', value: 5400, baseline: 1900, score: 5 }),
        a({ kpi: 'stall_rate', timestamp: T(25), score: 3.5 }),
        a({ dimension: 'Cdn', dimensionValue: 'Fastly', score: 3 }),
      ],
      opts,
    );
    expect(groups.map((g) => [g.message.dimension, g.message.dimensionValue, g.members.length])).toEqual([
      ['Country', 'BR', 1],
      ['Cdn', 'Akamai', 3],
      ['Cdn', 'Fastly', 1],
    ]);
    const akamai = groups[1]!.message;
    expect(akamai.anomalies.map((x) => [x.timestamp, x.kpi])).toEqual([
      ['2026-11-23T10:20:00.000Z', 'stall_rate'],
      ['2026-11-23T10:20:00.000Z', 'startup_p95_ms'],
      ['2026-11-23T10:25:00.000Z', 'stall_rate'],
    ]);
    expect(akamai.title).toBe('QoE anomaly: Cdn=Akamai: startup_p95_ms ▲, stall_rate ▲');
    expect(akamai).toMatchObject({
      version: 1,
      detectedAt: '2026-11-23T10:32:00.000Z',
      windowStart: '2026-11-23T10:00:00.000Z',
      windowEnd: '2026-11-23T10:30:00.000Z',
      omitted: 0,
    });
    for (const g of groups) expect(alertMessageSchema.safeParse(g.message).success).toBe(true);
  });

  it('gives the same alert id to the same set of anomalies, in any order, and another id to another set', () => {
    const list = [a({ kpi: 'stall_rate' }), a({ kpi: 'error_rate' }), a({ timestamp: T(25) })];
    const id = groupAlerts(list, opts)[0]!.message.alertId;
    expect(groupAlerts([...list].reverse(), opts)[0]!.message.alertId).toBe(id);
    expect(groupAlerts(list.slice(1), opts)[0]!.message.alertId).not.toBe(id);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('lists the 50 most severe anomalies and counts the rest, staying under the queue message limit', () => {
    const many = Array.from({ length: 120 }, (_, i) =>
      a({ kpi: `kpi_${i % 6}`, timestamp: new Date(T(0).getTime() + Math.floor(i / 6) * 60_000), score: i }),
    );
    const [g] = groupAlerts(many, opts);
    expect(g!.members).toHaveLength(120);
    expect(g!.message.anomalies).toHaveLength(50);
    expect(g!.message.omitted).toBe(70);
    expect(Math.min(...g!.message.anomalies.map((x) => x.score!))).toBe(70);

    const long = Array.from({ length: 50 }, (_, i) =>
      a({ dimension: 'ContentId', dimensionValue: 'x'.repeat(1024), kpi: `k${i}`.padEnd(64, 'k') }),
    );
    const [big] = groupAlerts(long, opts);
    expect(Buffer.byteLength(JSON.stringify(big!.message))).toBeLessThanOrEqual(MAX_MESSAGE_JSON_BYTES);
    expect(big!.message.anomalies.length + big!.message.omitted).toBe(50);
    expect(alertMessageSchema.safeParse(big!.message).success).toBe(true);
  });

  it('links the Grafana overview over the window, filtered on the dimension value when the dashboard has that variable', () => {
    const [g] = groupAlerts([a({ dimensionValue: 'Akamai & Co' })], opts);
    const url = new URL(g!.message.dashboardUrl!);
    expect(`${url.origin}${url.pathname}`).toBe('https://grafana.example/d/qoe-overview');
    expect(url.searchParams.get('var-cdn')).toBe('Akamai & Co');
    expect(url.searchParams.get('from')).toBe(String(T(0).getTime() - 6 * 3600_000));
    expect(url.searchParams.get('to')).toBe(String(T(30).getTime()));
    expect(dashboardLink(opts.grafana, 'ContentId', 'bbb', T(0), T(30))).toContain('var-content=bbb');
    expect(dashboardLink(opts.grafana, 'PlayerVersion', '5.2.1', T(0), T(30))).not.toContain('var-');
    expect(groupAlerts([a()], { ...opts, grafana: undefined })[0]!.message).not.toHaveProperty('dashboardUrl');
  });

  it('titles name the KPIs by their worst score, with the direction', () => {
    expect(
      alertTitle('Os', 'Android', [
        { kpi: 'avg_bitrate_kbps', direction: 'down', score: -7 },
        { kpi: 'error_rate', direction: 'up', score: 3 },
      ]),
    ).toBe('QoE anomaly: Os=Android: avg_bitrate_kbps ▼, error_rate ▲');
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((kpi, i) => ({ kpi, direction: 'up' as const, score: 10 - i }));
    expect(alertTitle('Os', 'Android', six)).toBe('QoE anomaly: Os=Android: a ▲, b ▲, c ▲, d ▲ and 2 more');
  });
});
