// Text shared by the Teams and Slack renderings: KPI values in their units, one line per KPI.
import { causeLabel } from '../incidents.js';
import { arrow, type AlertAnomaly, type AlertMessage } from '../message.js';

/** Ratios and rates as percentages, times in ms, bitrates in kbps. */
export function formatValue(kpi: string, v: number | null): string {
  if (v === null) return 'n/a';
  if (/(_ratio|_rate)$/.test(kpi)) return `${(v * 100).toFixed(2)}%`;
  if (/_ms$/.test(kpi)) return `${Math.round(v).toLocaleString('en-US')} ms`;
  if (/_kbps$/.test(kpi)) return `${Math.round(v).toLocaleString('en-US')} kbps`;
  return Number(v.toPrecision(4)).toString();
}

/** "10:20 UTC" (same day as the window), else "2026-11-23 10:20 UTC". */
export function formatTime(iso: string, windowEnd: string): string {
  const t = iso.slice(11, 16);
  return iso.slice(0, 10) === windowEnd.slice(0, 10) ? `${t} UTC` : `${iso.slice(0, 10)} ${t} UTC`;
}

export interface KpiLine {
  kpi: string;
  text: string;
}

/** One line per KPI: its most severe point, and how many bins were anomalous. */
export function kpiLines(m: AlertMessage): KpiLine[] {
  const byKpi = new Map<string, AlertAnomaly[]>();
  for (const a of m.anomalies) byKpi.set(a.kpi, [...(byKpi.get(a.kpi) ?? []), a]);
  return [...byKpi].map(([kpi, list]) => {
    const worst = list.reduce((w, a) => (Math.abs(a.score ?? 0) > Math.abs(w.score ?? 0) ? a : w));
    const bins = new Set(list.map((a) => a.timestamp)).size;
    const series = new Set(list.flatMap((a) => (a.series ? [a.series] : []))).size;
    const more = `${bins > 1 ? `, ${bins} bins` : ''}${series > 1 ? `, ${series} series` : ''}`;
    const score = worst.score === null ? '' : `score ${worst.score.toFixed(1)}, `;
    return {
      kpi,
      text: `${kpi} ${arrow(worst.direction)} ${formatValue(kpi, worst.value)} (baseline ${formatValue(kpi, worst.baseline)}; ${score}${worst.sessions.toLocaleString('en-US')} sessions) at ${formatTime(worst.timestamp, m.windowEnd)}${more}`,
    };
  });
}

export function windowText(m: AlertMessage): string {
  return `${formatTime(m.windowStart, m.windowEnd)} – ${formatTime(m.windowEnd, m.windowEnd)}`;
}

export function omittedText(m: AlertMessage): string | undefined {
  if (m.omitted <= 0) return undefined;
  return `…and ${m.omitted} more anomalies ${m.incident ? 'in this incident' : `of this ${m.dimension}`} (QoeAnomalies has them all).`;
}

/** Incident messages: the named cause first, then each KPI's contrast in that cause. */
export function incidentLines(m: AlertMessage): string[] {
  const i = m.incident;
  if (!i) return [];
  if (i.kind === 'resolved') return [`Resolved: no anomaly with cause ${causeLabel(i.cause)} any more (incident ${i.id}).`];
  const head = `Cause: ${causeLabel(i.cause)} · severity ${i.severity} · ${i.impactedSessions.toLocaleString('en-US')} impacted sessions${i.kind === 'ongoing' ? ' · still ongoing' : ''}`;
  const kpis = i.kpis
    .filter((k) => k.kpiInWindow !== null)
    .map(
      (k) =>
        `${k.kpi} in the cause: ${formatValue(k.kpi, k.kpiInWindow)} vs ${formatValue(k.kpi, k.kpiBaseline)} baseline` +
        `${k.lift !== null ? ` (${k.lift.toFixed(1)}x` : ' ('}${k.share !== null ? `, ${Math.round(k.share * 100)}% of the excess` : ''}${k.sessions !== null ? `, ${k.sessions.toLocaleString('en-US')} sessions` : ''})`,
    );
  return [head, ...kpis];
}
