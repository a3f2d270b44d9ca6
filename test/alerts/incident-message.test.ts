import { describe, expect, it } from 'vitest';
import { alertKey, type Anomaly } from '../../src/alerts/anomaly.js';
import { dashboardLink, incidentMessage, incidentTitle, type IncidentMessageOptions } from '../../src/alerts/incident-message.js';
import { causeKeyOf, type Incident } from '../../src/alerts/incidents.js';
import { alertMessageSchema, MAX_MESSAGE_JSON_BYTES } from '../../src/alerts/message.js';
import { sampleAlert } from '../../src/alerts/sample.js';

const T = (min: number) => new Date(Date.UTC(2026, 10, 23, 10, min));
const grafana = { url: 'https://grafana.example', dashboardUid: 'qoe-overview' };
const opts: IncidentMessageOptions = {
  incidentId: '0123456789abcdef',
  kind: 'open',
  detectedAt: T(32),
  windowStart: T(0),
  windowEnd: T(30),
  grafana,
};

function anomaly(kpi: string, minute: number, score: number, dimensionValue = 'Akamai'): Anomaly {
  const base = { timestamp: T(minute), kpi, dimension: 'Cdn', dimensionValue };
  return { ...base, value: 0.3, baseline: 0.01, score, direction: 'up', sessions: 100, key: alertKey(base) };
}

function incident(cause: Record<string, string>, anomalies: Anomaly[]): Incident {
  const kpis = [...new Set(anomalies.map((a) => a.kpi))].map((kpi) => ({
    kpi,
    direction: 'up' as const,
    value: 0.3,
    baseline: 0.01,
    score: 5,
    bins: 1,
  }));
  return { causeKey: causeKeyOf(cause), cause, ranked: true, kpis, impactedSessions: 40, maxScore: 5, severity: 'major', anomalies };
}

describe('incident message', () => {
  it('titles name the severity, the cause and the KPIs with their direction, four at most', () => {
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((kpi) => ({ kpi, direction: 'up' as const, value: 1, baseline: 0, score: 5, bins: 1 }));
    const cause = { Region: 'US-CA', Cdn: 'Fastly' };
    expect(incidentTitle({ cause, severity: 'critical', kpis: six.slice(0, 2) }, 'open')).toBe(
      '[critical] QoE incident: Cdn=Fastly, Region=US-CA: a ▲, b ▲',
    );
    expect(incidentTitle({ cause, severity: 'minor', kpis: six }, 'ongoing')).toBe(
      '[minor] QoE incident (ongoing): Cdn=Fastly, Region=US-CA: a ▲, b ▲, c ▲, d ▲ and 2 more',
    );
    expect(incidentTitle({ cause: {}, severity: 'critical', kpis: six }, 'resolved')).toBe('Resolved: QoE incident on all sessions');
  });

  it('links the overview over the window and six hours before, filtered on every cause dimension the dashboard has', () => {
    const m = incidentMessage(incident({ Cdn: 'Akamai & Co', Country: 'BR', PlayerVersion: '5.2.1' }, [anomaly('vsf_rate', 20, 5)]), opts);
    const url = new URL(m.dashboardUrl!);
    expect(`${url.origin}${url.pathname}`).toBe('https://grafana.example/d/qoe-overview');
    expect([url.searchParams.get('var-cdn'), url.searchParams.get('var-country')]).toEqual(['Akamai & Co', 'BR']);
    expect([...url.searchParams.keys()].filter((k) => k.startsWith('var-'))).toHaveLength(2); // no PlayerVersion variable
    expect(url.searchParams.get('from')).toBe(String(T(0).getTime() - 6 * 3600_000));
    expect(url.searchParams.get('to')).toBe(String(T(30).getTime()));
    expect(dashboardLink(undefined, { Cdn: 'x' }, T(0), T(30))).toBeUndefined();
    expect(incidentMessage(incident({}, [anomaly('vsf_rate', 20, 5)]), { ...opts, grafana: undefined })).not.toHaveProperty('dashboardUrl');
  });

  it('lists the 50 most severe anomalies and counts the rest, staying under the queue message limit', () => {
    const many = Array.from({ length: 400 }, (_, i) => anomaly('vsf_rate', i % 30, i, `cdn-${i}-${'x'.repeat(900)}`));
    const m = incidentMessage(incident({}, many), opts);
    expect(m.anomalies.length + m.omitted).toBe(400);
    expect(m.anomalies.length).toBeLessThanOrEqual(50);
    expect(Math.min(...m.anomalies.map((a) => a.score ?? 0))).toBeGreaterThanOrEqual(400 - 50);
    expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThanOrEqual(MAX_MESSAGE_JSON_BYTES);
    expect(alertMessageSchema.safeParse(m).success).toBe(true);
  });

  it('the sample (npm run alerts -- sample) is a valid incident message with its named cause', () => {
    const m = sampleAlert(T(42), grafana);
    expect(alertMessageSchema.safeParse(m).success).toBe(true);
    expect(m.title).toBe('[major] QoE incident: Cdn=Akamai, Region=US-CA: vsf_rate ▲, startup_p95_ms ▲');
    expect(m.incident).toMatchObject({ kind: 'open', cause: { Cdn: 'Akamai', Region: 'US-CA' }, impactedSessions: 79 });
    expect([m.windowStart, m.windowEnd]).toEqual([T(0).toISOString(), T(30).toISOString()]);
  });
});
