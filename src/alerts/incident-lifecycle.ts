// An incident's life across timer runs, as a pure function of what this run found and what the
// alert state remembers (one record per cause):
// - a cause with no open record opens an incident: one message (kind "open");
// - a cause with an open record is the same incident: silent for `dedupeMinutes` (60) after its
//   last message, then one "ongoing" message per `dedupeMinutes` while it lasts;
// - an open incident whose cause found no anomaly for `resolveAfterMinutes` is resolved: one
//   "resolved" message, and the record is closed (the next anomaly opens a new incident).
import { incidentIdOf, type Incident } from './incidents.js';
import type { AlertIncident } from './message.js';

export interface IncidentRecord {
  causeKey: string;
  incidentId: string;
  cause: Record<string, string>;
  openedAt: Date;
  lastSeenAt: Date;
  lastAlertedAt: Date;
  severity: Incident['severity'];
  impactedSessions: number;
  kpis: string[];
  resolvedAt?: Date;
}

export interface LifecycleSettings {
  now: Date;
  dedupeMinutes: number;
  resolveAfterMinutes: number;
}

export interface PlannedMessage {
  kind: AlertIncident['kind'];
  incidentId: string;
  /** The incident found in this run; for "resolved", a summary rebuilt from the record. */
  incident: Incident;
}

export interface LifecyclePlan {
  messages: PlannedMessage[];
  /** Records to write back (new, updated, resolved). */
  records: IncidentRecord[];
  /** Incidents found that are inside their de-duplication hour: stored, not sent. */
  silenced: Incident[];
}

export function planIncidents(found: Incident[], open: IncidentRecord[], s: LifecycleSettings): LifecyclePlan {
  const plan: LifecyclePlan = { messages: [], records: [], silenced: [] };
  const byCause = new Map(open.filter((r) => !r.resolvedAt).map((r) => [r.causeKey, r]));
  const seen = new Set<string>();
  const minutesSince = (d: Date) => (s.now.getTime() - d.getTime()) / 60_000;
  for (const i of found) {
    seen.add(i.causeKey);
    const rec = byCause.get(i.causeKey);
    const firstBin = new Date(Math.min(...i.anomalies.map((a) => a.timestamp.getTime())));
    if (!rec) {
      const incidentId = incidentIdOf(i.causeKey, firstBin);
      plan.messages.push({ kind: 'open', incidentId, incident: i });
      plan.records.push({
        causeKey: i.causeKey,
        incidentId,
        cause: i.cause,
        openedAt: firstBin,
        lastSeenAt: s.now,
        lastAlertedAt: s.now,
        severity: i.severity,
        impactedSessions: i.impactedSessions,
        kpis: i.kpis.map((k) => k.kpi),
      });
      continue;
    }
    const updated: IncidentRecord = {
      ...rec,
      lastSeenAt: s.now,
      severity: i.severity,
      impactedSessions: Math.max(rec.impactedSessions, i.impactedSessions),
      kpis: [...new Set([...rec.kpis, ...i.kpis.map((k) => k.kpi)])],
    };
    if (minutesSince(rec.lastAlertedAt) >= s.dedupeMinutes) {
      plan.messages.push({ kind: 'ongoing', incidentId: rec.incidentId, incident: i });
      updated.lastAlertedAt = s.now;
    } else {
      plan.silenced.push(i);
    }
    plan.records.push(updated);
  }
  for (const rec of byCause.values()) {
    if (seen.has(rec.causeKey) || minutesSince(rec.lastSeenAt) < s.resolveAfterMinutes) continue;
    const summary: Incident = {
      causeKey: rec.causeKey,
      cause: rec.cause,
      ranked: true,
      kpis: rec.kpis.map((kpi) => ({ kpi, direction: 'up', value: null, baseline: null, score: null, bins: 0 })),
      impactedSessions: rec.impactedSessions,
      maxScore: 0,
      severity: rec.severity,
      anomalies: [],
    };
    plan.messages.push({ kind: 'resolved', incidentId: rec.incidentId, incident: summary });
    plan.records.push({ ...rec, resolvedAt: s.now, lastAlertedAt: s.now });
  }
  return plan;
}
