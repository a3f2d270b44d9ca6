// Grouping: the anomalies of one dimension value in a run become one message, however many KPIs
// and bins they span. A message lists the most severe ones and stays far below the queue's 64 KiB.
import { createHash } from 'node:crypto';
import type { Anomaly } from './anomaly.js';
import { MAX_MESSAGE_JSON_BYTES, type AlertAnomaly, type AlertMessage } from './message.js';

export interface GroupOptions {
  detectedAt: Date;
  windowStart: Date;
  windowEnd: Date;
  grafana?: { url: string; dashboardUid: string };
  /** Anomalies listed per message (default 50); the rest are counted in `omitted`. */
  maxListed?: number;
}

export interface AlertGroup {
  message: AlertMessage;
  /** Every anomaly the message stands for, listed or omitted. */
  members: Anomaly[];
}

/** Grafana template variables of infra/grafana/qoe-overview.json, by dimension. */
const DASHBOARD_VARIABLES: Record<string, string> = {
  Country: 'country',
  Cdn: 'cdn',
  Os: 'os',
  DeviceType: 'devicetype',
  ContentId: 'content',
};

/** Context before the window, so the chart shows what "normal" looked like. */
const LINK_CONTEXT_MS = 6 * 3600_000;

export function dashboardLink(
  grafana: GroupOptions['grafana'],
  dimension: string,
  value: string,
  from: Date,
  to: Date,
): string | undefined {
  if (!grafana) return undefined;
  const q = new URLSearchParams({ orgId: '1', from: String(from.getTime()), to: String(to.getTime()) });
  const variable = DASHBOARD_VARIABLES[dimension];
  if (variable) q.set(`var-${variable}`, value);
  return `${grafana.url}/d/${encodeURIComponent(grafana.dashboardUid)}?${q.toString()}`;
}

export const arrow = (direction: 'up' | 'down'): string => (direction === 'up' ? '▲' : '▼');

const TITLE_KPIS = 4;

/** "QoE anomaly: Cdn=Akamai: rebuffer_ratio ▲, startup_p95_ms ▲" (KPIs by their worst score, four at most). */
export function alertTitle(
  dimension: string,
  value: string,
  anomalies: ReadonlyArray<Pick<AlertAnomaly, 'kpi' | 'direction' | 'score'>>,
): string {
  const byKpi = new Map<string, { direction: 'up' | 'down'; score: number }>();
  for (const a of anomalies) {
    const score = Math.abs(a.score ?? 0);
    const prev = byKpi.get(a.kpi);
    if (!prev || score > prev.score) byKpi.set(a.kpi, { direction: a.direction, score });
  }
  const kpis = [...byKpi].sort((a, b) => b[1].score - a[1].score).map(([kpi, x]) => `${kpi} ${arrow(x.direction)}`);
  const listed = kpis.slice(0, TITLE_KPIS).join(', ') + (kpis.length > TITLE_KPIS ? ` and ${kpis.length - TITLE_KPIS} more` : '');
  const shown = value.length > 200 ? `${value.slice(0, 199)}…` : value;
  return `QoE anomaly: ${dimension}=${shown}: ${listed}`;
}

const severity = (a: Anomaly) => Math.abs(a.score ?? 0);

function toAlertAnomaly(a: Anomaly): AlertAnomaly {
  return {
    key: a.key,
    timestamp: a.timestamp.toISOString(),
    kpi: a.kpi,
    value: a.value,
    baseline: a.baseline,
    score: a.score,
    direction: a.direction,
    sessions: a.sessions,
  };
}

function buildMessage(dimension: string, value: string, members: Anomaly[], listedCount: number, o: GroupOptions): AlertMessage {
  const listed = [...members]
    .sort((a, b) => severity(b) - severity(a))
    .slice(0, listedCount)
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.kpi.localeCompare(b.kpi))
    .map(toAlertAnomaly);
  return {
    version: 1,
    alertId: createHash('sha256')
      .update(
        members
          .map((a) => a.key)
          .sort()
          .join(','),
      )
      .digest('hex')
      .slice(0, 16),
    title: alertTitle(dimension, value, members.map(toAlertAnomaly)),
    detectedAt: o.detectedAt.toISOString(),
    dimension,
    dimensionValue: value,
    windowStart: o.windowStart.toISOString(),
    windowEnd: o.windowEnd.toISOString(),
    anomalies: listed,
    omitted: members.length - listed.length,
    ...(o.grafana
      ? { dashboardUrl: dashboardLink(o.grafana, dimension, value, new Date(o.windowStart.getTime() - LINK_CONTEXT_MS), o.windowEnd) }
      : {}),
  };
}

/** One group per dimension value, the most severe first. */
export function groupAlerts(anomalies: Anomaly[], o: GroupOptions): AlertGroup[] {
  const groups = new Map<string, Anomaly[]>();
  for (const a of anomalies) {
    const k = `${a.dimension}\u0000${a.dimensionValue}`;
    const list = groups.get(k);
    if (list) list.push(a);
    else groups.set(k, [a]);
  }
  return [...groups.values()]
    .map((members) => {
      const { dimension, dimensionValue } = members[0]!;
      let listed = Math.min(members.length, o.maxListed ?? 50);
      let message = buildMessage(dimension, dimensionValue, members, listed, o);
      while (listed > 1 && Buffer.byteLength(JSON.stringify(message)) > MAX_MESSAGE_JSON_BYTES) {
        listed = Math.ceil(listed / 2);
        message = buildMessage(dimension, dimensionValue, members, listed, o);
      }
      return { message, members, top: Math.max(...members.map(severity)) };
    })
    .sort((a, b) => b.top - a.top)
    .map(({ message, members }) => ({ message, members }));
}
