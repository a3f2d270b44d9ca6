// An example alert, as the timer would queue it: for `npm run alerts -- sample` (try the notifier
// and the targets without a Data Explorer cluster) and docs/alerting.md.
import { alertKey, type Anomaly } from './anomaly.js';
import { detectionWindow } from './detect.js';
import { groupAlerts, type GroupOptions } from './group.js';
import type { AlertMessage } from './message.js';

export function sampleAlert(now: Date, grafana?: GroupOptions['grafana']): AlertMessage {
  const { start, end } = detectionWindow(now, 30, 5);
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
    a(bin(2), 'stall_rate', 0.412, 0.061, 6.2, 'up', 812),
    a(bin(1), 'stall_rate', 0.377, 0.059, 5.4, 'up', 798),
    a(bin(1), 'startup_p95_ms', 5400, 1900, 4.1, 'up', 798),
  ];
  return groupAlerts(anomalies, { detectedAt: now, windowStart: start, windowEnd: end, grafana })[0]!.message;
}
