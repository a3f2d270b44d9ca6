// An example alert, as the timer would queue it: an incident opened on one CDN in one region, its
// cause named by the ranking. For `npm run alerts -- sample` (try the notifier and the targets
// without a Data Explorer cluster), the notifier's tests and docs/alerting.md.
import { alertKey, type Anomaly } from './anomaly.js';
import { incidentMessage, type GrafanaLink } from './incident-message.js';
import { causeKeyOf, incidentIdOf, type Incident } from './incidents.js';
import type { AlertMessage } from './message.js';
import { evaluationWindow } from './session-incidents.js';

export function sampleAlert(now: Date, grafana?: GrafanaLink): AlertMessage {
  const { start, end } = evaluationWindow(now, 5, 30, 10);
  const bin = (back: number) => new Date(end.getTime() - back * 5 * 60_000);
  const a = (
    timestamp: Date,
    kpi: string,
    value: number,
    baseline: number,
    score: number,
    direction: 'up' | 'down',
    sessions: number,
  ): Anomaly => {
    const base = { timestamp, kpi, dimension: 'Cdn', dimensionValue: 'Akamai' };
    return { ...base, value, baseline, score, direction, sessions, key: alertKey(base) };
  };
  const anomalies = [
    a(bin(2), 'vsf_rate', 0.112, 0.009, 7.4, 'up', 812),
    a(bin(1), 'vsf_rate', 0.097, 0.009, 6.6, 'up', 798),
    a(bin(1), 'startup_p95_ms', 5400, 1900, 4.1, 'up', 798),
  ];
  const cause = { Cdn: 'Akamai', Region: 'US-CA' };
  const incident: Incident = {
    causeKey: causeKeyOf(cause),
    cause,
    ranked: true,
    kpis: [
      {
        kpi: 'vsf_rate',
        direction: 'up',
        value: 0.112,
        baseline: 0.009,
        score: 7.4,
        bins: 2,
        cause: { kpiInWindow: 0.31, kpiBaseline: 0.011, share: 0.86, lift: 28.2, sessions: 264, impactedSessions: 79 },
      },
      {
        kpi: 'startup_p95_ms',
        direction: 'up',
        value: 5400,
        baseline: 1900,
        score: 4.1,
        bins: 1,
        cause: { kpiInWindow: 9100, kpiBaseline: 2000, share: 0.74, lift: 4.6, sessions: 264, impactedSessions: 51 },
      },
    ],
    impactedSessions: 79,
    maxScore: 7.4,
    severity: 'major',
    anomalies,
  };
  return incidentMessage(incident, {
    incidentId: incidentIdOf(incident.causeKey, bin(2)),
    kind: 'open',
    detectedAt: now,
    windowStart: start,
    windowEnd: end,
    grafana,
  });
}
