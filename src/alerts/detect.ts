// The anomaly timer's work: run DetectQoeAnomalies over the last window (values as query
// parameters), keep only anomalies not stored before (same KPI, dimension value and time bin),
// store them in QoeAnomalies, and group the ones outside their quiet period into alert messages.
import { createHash } from 'node:crypto';
import type { KustoExecutor } from '../kql/kusto-client.js';

export interface Anomaly {
  Timestamp: string;
  Kpi: string;
  Dimension: string;
  DimensionValue: string;
  Value: number;
  Baseline: number;
  Score: number;
  Direction: 'up' | 'down';
  Sessions: number;
}

/** One message per dimension value: its anomalies of this run, grouped. */
export interface AlertMessage {
  version: 1;
  alertId: string;
  detectedAt: string;
  dimension: string;
  dimensionValue: string;
  windowStart: string;
  windowEnd: string;
  anomalies: Array<Pick<Anomaly, 'Timestamp' | 'Kpi' | 'Value' | 'Baseline' | 'Score' | 'Direction' | 'Sessions'>>;
  dashboardUrl?: string;
}

export interface QuietPeriods {
  /** When this KPI + dimension value was last alerted, if ever. */
  lastAlerted(kpi: string, dimension: string, value: string): Promise<Date | undefined>;
  markAlerted(kpi: string, dimension: string, value: string, at: Date): Promise<void>;
}

export interface DetectOptions {
  executor: KustoExecutor;
  database: string;
  now: Date;
  windowMinutes: number;
  binMinutes: number;
  threshold: number;
  minSessions: number;
  quietMinutes: number;
  quiet: QuietPeriods;
  grafanaUrl?: string;
}

const DETECT = `declare query_parameters(start:datetime, end:datetime, binSize:timespan, threshold:real, minSessions:long);
DetectQoeAnomalies(start, end, binSize, threshold, minSessions)`;

const STORED_KEYS = `declare query_parameters(since:datetime);
QoeAnomalies
| where Timestamp >= since
| distinct AlertKey`;

/** Same KPI, dimension value and time bin: the same anomaly. */
export function alertKey(a: Pick<Anomaly, 'Timestamp' | 'Kpi' | 'Dimension' | 'DimensionValue'>): string {
  return createHash('sha256').update(`${new Date(a.Timestamp).toISOString()}|${a.Kpi}|${a.Dimension}|${a.DimensionValue}`).digest('hex').slice(0, 32);
}

/** A CSV field for `.ingest inline`: quoted, quotes doubled, no line breaks (they would end the record). */
function csvField(v: string | number | boolean): string {
  return `"${String(v).replace(/[\r\n]+/g, ' ').replace(/"/g, '""')}"`;
}

const DIMENSION_VARIABLES: Record<string, string> = { Country: 'country', Cdn: 'cdn', Os: 'os', DeviceType: 'devicetype', ContentId: 'content' };

export function dashboardLink(grafanaUrl: string | undefined, dimension: string, value: string, from: Date, to: Date): string | undefined {
  if (!grafanaUrl) return undefined;
  const q = new URLSearchParams({ from: String(from.getTime()), to: String(to.getTime()) });
  const variable = DIMENSION_VARIABLES[dimension];
  if (variable) q.set(`var-${variable}`, value);
  return `${grafanaUrl}/d/qoe-overview/qoe-overview?${q.toString()}`;
}

function toAnomaly(r: Record<string, unknown>): Anomaly {
  return {
    Timestamp: new Date(String(r.Timestamp)).toISOString(),
    Kpi: String(r.Kpi),
    Dimension: String(r.Dimension),
    DimensionValue: String(r.DimensionValue),
    Value: Number(r.Value),
    Baseline: Number(r.Baseline),
    Score: Number(r.Score),
    Direction: r.Direction === 'down' ? 'down' : 'up',
    Sessions: Number(r.Sessions),
  };
}

export async function detectAndStore(o: DetectOptions): Promise<{ found: number; fresh: Anomaly[]; messages: AlertMessage[] }> {
  const end = new Date(Math.floor(o.now.getTime() / (o.binMinutes * 60_000)) * o.binMinutes * 60_000);
  const start = new Date(end.getTime() - o.windowMinutes * 60_000);
  const rows = await o.executor.query(o.database, DETECT, {
    start,
    end,
    binSize: `${o.binMinutes}m`,
    threshold: o.threshold,
    minSessions: o.minSessions,
  });
  const found = rows.map(toAnomaly);
  const stored = new Set((await o.executor.query(o.database, STORED_KEYS, { since: start })).map((r) => String(r.AlertKey)));
  const fresh = found.filter((a) => !stored.has(alertKey(a)));
  if (fresh.length === 0) return { found: found.length, fresh, messages: [] };

  // Quiet period: an anomaly of a KPI + value alerted recently is stored but not sent again.
  const alerted: Anomaly[] = [];
  const flags = new Map<Anomaly, boolean>();
  for (const a of fresh) {
    const last = await o.quiet.lastAlerted(a.Kpi, a.Dimension, a.DimensionValue);
    const quiet = last !== undefined && o.now.getTime() - last.getTime() < o.quietMinutes * 60_000;
    flags.set(a, !quiet);
    if (!quiet) alerted.push(a);
  }

  // Stored before anything is sent: a crash after this point loses no anomaly, and a rerun sends nothing twice.
  const detectedAt = o.now.toISOString();
  const csv = fresh
    .map((a) => [a.Timestamp, a.Kpi, a.Dimension, a.DimensionValue, a.Value, a.Baseline, a.Score, a.Direction, a.Sessions, detectedAt, alertKey(a), flags.get(a)!].map(csvField).join(','))
    .join('\n');
  await o.executor.command(o.database, `.ingest inline into table QoeAnomalies with (format = "csv") <|\n${csv}`);

  const groups = new Map<string, Anomaly[]>();
  for (const a of alerted) {
    const k = `${a.Dimension}\u0000${a.DimensionValue}`;
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  const messages: AlertMessage[] = [...groups.values()].map((list) => ({
    version: 1,
    alertId: createHash('sha256').update(list.map(alertKey).sort().join(',')).digest('hex').slice(0, 16),
    detectedAt,
    dimension: list[0]!.Dimension,
    dimensionValue: list[0]!.DimensionValue,
    windowStart: start.toISOString(),
    windowEnd: end.toISOString(),
    anomalies: list.map(({ Timestamp, Kpi, Value, Baseline, Score, Direction, Sessions }) => ({ Timestamp, Kpi, Value, Baseline, Score, Direction, Sessions })),
    dashboardUrl: dashboardLink(o.grafanaUrl, list[0]!.Dimension, list[0]!.DimensionValue, new Date(start.getTime() - 6 * 3600_000), end),
  }));
  for (const a of alerted) await o.quiet.markAlerted(a.Kpi, a.Dimension, a.DimensionValue, o.now);
  return { found: found.length, fresh, messages };
}
