// Incidents: anomalies that share a root cause are one incident, whatever the number of KPIs,
// dimension values and bins they span. A global outage flags every dimension value of several
// KPIs, and its root cause is {} for all of them: one incident, one message.
import { createHash } from 'node:crypto';
import type { Cause } from '../analytics/root-cause.js';
import type { Anomaly } from './anomaly.js';

export type Severity = 'critical' | 'major' | 'minor';

export interface IncidentKpi {
  kpi: string;
  direction: 'up' | 'down';
  /** The worst anomalous bin of this KPI, and the cause's contrast when the ranking named it. */
  value: number | null;
  baseline: number | null;
  score: number | null;
  bins: number;
  cause?: Pick<Cause, 'kpiInWindow' | 'kpiBaseline' | 'share' | 'lift' | 'sessions' | 'impactedSessions'>;
}

export interface Incident {
  /** Canonical cause: "Cdn=Fastly|Region=US-CA"; "" for all sessions. */
  causeKey: string;
  cause: Record<string, string>;
  /** Whether a ranking named the cause (else it is the anomalous series itself). */
  ranked: boolean;
  kpis: IncidentKpi[];
  impactedSessions: number;
  maxScore: number;
  severity: Severity;
  anomalies: Anomaly[];
}

export const causeKeyOf = (dims: Record<string, string>): string =>
  Object.keys(dims)
    .sort()
    .map((d) => `${d}=${dims[d]}`)
    .join('|');

export const causeLabel = (dims: Record<string, string>): string =>
  Object.keys(dims).length
    ? Object.keys(dims)
        .sort()
        .map((d) => `${d}=${dims[d]}`)
        .join(', ')
    : 'all sessions';

/** A stable id for an incident: its cause and when it started. */
export const incidentIdOf = (causeKey: string, openedAt: Date): string =>
  createHash('sha256').update(`${causeKey}|${openedAt.toISOString()}`).digest('hex').slice(0, 16);

/**
 * Severity from impact and deviation: a global cause, or 500+ impacted sessions, or 100+ with a
 * score of 10 or more is critical; 25+ sessions or a score of 6 or more is major; the rest minor.
 */
export function severityOf(global: boolean, impactedSessions: number, maxScore: number): Severity {
  if (global || impactedSessions >= 500 || (impactedSessions >= 100 && maxScore >= 10)) return 'critical';
  if (impactedSessions >= 25 || maxScore >= 6) return 'major';
  return 'minor';
}

export interface RankedCauses {
  kpi: string;
  causes: Cause[];
}

/**
 * Anomalies -> incidents. Each anomaly joins the cause of its own KPI that overlaps its series
 * most (`overlap` counts the window sessions in both), else the overlapping cause of another KPI
 * (the same incident seen through another KPI), else it stands for itself.
 */
export function groupIncidents(
  anomalies: Anomaly[],
  ranked: RankedCauses[],
  overlap: (a: Anomaly, cause: Record<string, string>) => number,
): Incident[] {
  const byKey = new Map<string, { cause: Record<string, string>; ranked: boolean; members: Anomaly[]; causes: Map<string, Cause> }>();
  const allCauses = ranked.flatMap((r) => r.causes.map((c) => ({ kpi: r.kpi, cause: c })));
  for (const a of anomalies) {
    const fits = (list: typeof allCauses) =>
      list
        .map((c) => ({
          ...c,
          n: conflicts(a, c.cause.dimensions as Record<string, string>) ? 0 : overlap(a, c.cause.dimensions as Record<string, string>),
        }))
        .filter((c) => c.n > 0)
        .sort((x, y) => y.n - x.n)[0];
    const best = fits(allCauses.filter((c) => c.kpi === a.kpi)) ?? fits(allCauses);
    const named = best
      ? (best.cause.dimensions as Record<string, string>)
      : a.dimension === 'Overall'
        ? {}
        : { [a.dimension]: a.dimensionValue };
    const cause = Object.fromEntries(
      Object.keys(named)
        .sort()
        .map((d) => [d, named[d]!]),
    );
    const key = causeKeyOf(cause);
    const entry = byKey.get(key) ?? byKey.set(key, { cause, ranked: false, members: [], causes: new Map() }).get(key)!;
    entry.members.push(a);
    if (best) {
      entry.ranked = true;
      if (best.kpi === a.kpi) entry.causes.set(a.kpi, best.cause);
    }
  }
  return [...byKey.entries()]
    .map(([causeKey, e]): Incident => {
      const kpis = [...new Set(e.members.map((a) => a.kpi))].map((kpi): IncidentKpi => {
        const list = e.members.filter((a) => a.kpi === kpi);
        const worst = list.reduce((w, a) => (Math.abs(a.score ?? 0) > Math.abs(w.score ?? 0) ? a : w));
        const c = e.causes.get(kpi);
        return {
          kpi,
          direction: worst.direction,
          value: worst.value,
          baseline: worst.baseline,
          score: worst.score,
          bins: new Set(list.map((a) => a.timestamp.getTime())).size,
          ...(c
            ? {
                cause: {
                  kpiInWindow: c.kpiInWindow,
                  kpiBaseline: c.kpiBaseline,
                  share: c.share,
                  lift: c.lift,
                  sessions: c.sessions,
                  impactedSessions: c.impactedSessions,
                },
              }
            : {}),
        };
      });
      const impactedSessions = Math.max(
        ...kpis.map((k) => k.cause?.impactedSessions ?? 0),
        ...e.members.map((a) => (e.ranked ? 0 : a.sessions)),
      );
      const maxScore = Math.max(...e.members.map((a) => Math.abs(a.score ?? 0)));
      return {
        causeKey,
        cause: e.cause,
        ranked: e.ranked,
        kpis: kpis.sort((a, b) => Math.abs(b.score ?? 0) - Math.abs(a.score ?? 0)),
        impactedSessions,
        maxScore,
        severity: severityOf(causeKey === '' && e.ranked, impactedSessions, maxScore),
        anomalies: e.members,
      };
    })
    .sort((a, b) => b.impactedSessions - a.impactedSessions || b.maxScore - a.maxScore);
}

/** The anomaly's series names a value the cause contradicts (Cdn=Akamai vs a cause on Cdn=Fastly). */
function conflicts(a: Anomaly, cause: Record<string, string>): boolean {
  return a.dimension in cause && cause[a.dimension] !== a.dimensionValue;
}
