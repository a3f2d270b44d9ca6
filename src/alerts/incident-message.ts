// One alert message per incident: the named cause, its KPIs and their contrasts, the impacted
// sessions and severity, and the most severe anomalies (bounded, far below the queue's 64 KiB).
import { createHash } from 'node:crypto';
import { causeLabel, type Incident } from './incidents.js';
import { arrow, MAX_MESSAGE_JSON_BYTES, type AlertIncident, type AlertMessage } from './message.js';

export interface GrafanaLink {
  url: string;
  dashboardUid: string;
}

export interface IncidentMessageOptions {
  incidentId: string;
  kind: AlertIncident['kind'];
  detectedAt: Date;
  windowStart: Date;
  windowEnd: Date;
  grafana?: GrafanaLink;
  /** Anomalies listed per message (default 50); the rest are counted in `omitted`. */
  maxListed?: number;
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

/** The overview over [from, to), filtered on every dimension of the cause the dashboard has a variable for. */
export function dashboardLink(grafana: GrafanaLink | undefined, cause: Record<string, string>, from: Date, to: Date): string | undefined {
  if (!grafana) return undefined;
  const q = new URLSearchParams({ orgId: '1', from: String(from.getTime()), to: String(to.getTime()) });
  for (const [dimension, value] of Object.entries(cause).sort()) {
    const variable = DASHBOARD_VARIABLES[dimension];
    if (variable) q.set(`var-${variable}`, value);
  }
  return `${grafana.url}/d/${encodeURIComponent(grafana.dashboardUid)}?${q.toString()}`;
}

/** "[critical] QoE incident: Cdn=Fastly, Region=US-CA: vsf_rate ▲, qoe_score ▼" */
export function incidentTitle(i: Pick<Incident, 'cause' | 'severity' | 'kpis'>, kind: AlertIncident['kind']): string {
  const cause = causeLabel(i.cause);
  const shown = cause.length > 200 ? `${cause.slice(0, 199)}…` : cause;
  if (kind === 'resolved') return `Resolved: QoE incident on ${shown}`;
  const kpis = i.kpis.slice(0, 4).map((k) => `${k.kpi} ${arrow(k.direction)}`);
  return `[${i.severity}] QoE incident${kind === 'ongoing' ? ' (ongoing)' : ''}: ${shown}: ${kpis.join(', ')}${i.kpis.length > 4 ? ` and ${i.kpis.length - 4} more` : ''}`;
}

function build(i: Incident, o: IncidentMessageOptions, listed: number): AlertMessage {
  const members = [...i.anomalies]
    .sort((a, b) => Math.abs(b.score ?? 0) - Math.abs(a.score ?? 0))
    .slice(0, o.kind === 'resolved' ? 0 : listed)
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.kpi.localeCompare(b.kpi));
  const dims = Object.keys(i.cause).sort();
  return {
    version: 1,
    alertId: createHash('sha256').update(`${o.incidentId}|${o.kind}|${o.detectedAt.toISOString()}`).digest('hex').slice(0, 16),
    title: incidentTitle(i, o.kind),
    detectedAt: o.detectedAt.toISOString(),
    dimension: dims.length ? dims.join('+').slice(0, 64) : 'Overall',
    dimensionValue: dims.length
      ? dims
          .map((d) => i.cause[d])
          .join(', ')
          .slice(0, 1024) || 'all'
      : 'all',
    windowStart: o.windowStart.toISOString(),
    windowEnd: o.windowEnd.toISOString(),
    anomalies: members.map((a) => ({
      key: a.key,
      timestamp: a.timestamp.toISOString(),
      kpi: a.kpi,
      value: a.value,
      baseline: a.baseline,
      score: a.score,
      direction: a.direction,
      sessions: a.sessions,
      series: `${a.dimension}=${a.dimensionValue}`.slice(0, 1100),
    })),
    omitted: o.kind === 'resolved' ? 0 : i.anomalies.length - members.length,
    ...(o.grafana
      ? { dashboardUrl: dashboardLink(o.grafana, i.cause, new Date(o.windowStart.getTime() - LINK_CONTEXT_MS), o.windowEnd) }
      : {}),
    incident: {
      id: o.incidentId,
      kind: o.kind,
      severity: i.severity,
      cause: i.cause,
      impactedSessions: i.impactedSessions,
      kpis: i.kpis.slice(0, 16).map((k) => ({
        kpi: k.kpi,
        kpiInWindow: k.cause?.kpiInWindow ?? null,
        kpiBaseline: k.cause?.kpiBaseline ?? null,
        share: k.cause?.share ?? null,
        lift: k.cause?.lift ?? null,
        sessions: k.cause?.sessions ?? null,
      })),
    },
  };
}

export function incidentMessage(i: Incident, o: IncidentMessageOptions): AlertMessage {
  let listed = Math.min(i.anomalies.length, o.maxListed ?? 50);
  let m = build(i, o, listed);
  while (listed > 1 && Buffer.byteLength(JSON.stringify(m)) > MAX_MESSAGE_JSON_BYTES) {
    listed = Math.ceil(listed / 2);
    m = build(i, o, listed);
  }
  return m;
}
