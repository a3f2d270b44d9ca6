// One anomaly-timer run on session KPIs (issue 18): detect (DetectSessionAnomalies, kql/V011) ->
// rank root causes on the sessions of the anomalous bins -> group into incidents -> plan messages
// against the open incidents (one per cause, an hour of silence, resolved when clean) -> queue ->
// remember -> store. A message is queued before its record is written and the
// anomalies are stored last: a failure anywhere is caught up by the next run (its window
// overlaps), at worst with a repeated message, never a lost one.
import { errorMessage } from '../errors.js';
import type { InvalidRow } from './anomaly.js';
import type { AlertState } from './alert-state-table.js';
import type { AnomalyStore, StoredAnomaly } from './anomaly-table.js';
import { planIncidents } from './incident-lifecycle.js';
import { incidentMessage } from './incident-message.js';
import type { Incident } from './incidents.js';
import type { AlertMessage } from './message.js';
import type { AlertQueue } from './queue.js';
import { evaluationWindow, rankAndGroup } from './session-incidents.js';

export interface IncidentRunSettings {
  windowMinutes: number;
  binMinutes: number;
  /** Attempts a series needs in a bin (QOE_ALERT_MIN_SESSIONS). */
  minSessions: number;
  /** An open incident is messaged at most once per this many minutes (QOE_ALERT_QUIET_MINUTES). */
  quietMinutes: number;
  latenessMinutes?: number;
  historyDays?: number;
  resolveAfterMinutes?: number;
  /** Sessions read for the ranking at most (the window and the same times of day before). */
  maxRankingSessions?: number;
  grafanaUrl?: string;
  grafanaDashboardUid: string;
  notify: boolean;
}

export interface IncidentRunDeps {
  store: AnomalyStore;
  state: AlertState;
  queue: AlertQueue;
  settings: IncidentRunSettings;
  now: Date;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface IncidentRunResult {
  windowStart: Date;
  windowEnd: Date;
  found: number;
  invalid: InvalidRow[];
  fresh: number;
  incidents: Incident[];
  /** Incidents inside their hour of silence. */
  silenced: number;
  messages: AlertMessage[];
}

export async function detectIncidentsAndQueue(d: IncidentRunDeps): Promise<IncidentRunResult> {
  const log = d.log ?? (() => {});
  const s = d.settings;
  const historyDays = s.historyDays ?? 14;
  const { start, end } = evaluationWindow(d.now, s.binMinutes, s.windowMinutes, s.latenessMinutes ?? 10);
  const window = { start, end, binMinutes: s.binMinutes, minAttempts: s.minSessions, historyDays };
  const { anomalies, invalid } = await d.store.detectSessions(window);
  if (invalid.length)
    log(
      'error',
      `${invalid.length} anomaly row(s) from DetectSessionAnomalies are invalid and were skipped; first: row ${invalid[0]!.index}: ${invalid[0]!.reason}`,
    );

  let incidents: Incident[] = [];
  if (anomalies.length) {
    const max = s.maxRankingSessions ?? 500_000;
    const sessions = await d.store.rankingSessions(window, max);
    if (sessions.length >= max) log('warn', `the ranking read its cap of ${max} sessions: causes are ranked on a part of the traffic`);
    incidents = rankAndGroup(anomalies, sessions, s.binMinutes * 60_000, historyDays, { minSessions: s.minSessions }).incidents;
  }
  const plan = planIncidents(incidents, await d.state.openIncidents(), {
    now: d.now,
    dedupeMinutes: s.quietMinutes,
    resolveAfterMinutes: s.resolveAfterMinutes ?? 30,
  });
  const result: IncidentRunResult = {
    windowStart: start,
    windowEnd: end,
    found: anomalies.length,
    invalid,
    fresh: 0,
    incidents,
    silenced: plan.silenced.length,
    messages: [],
  };

  const grafana = s.grafanaUrl ? { url: s.grafanaUrl, dashboardUid: s.grafanaDashboardUid } : undefined;
  const sent = new Set<string>();
  for (const p of plan.messages) {
    const record = plan.records.find((r) => r.causeKey === p.incident.causeKey)!;
    if (s.notify) {
      const message = incidentMessage(p.incident, {
        incidentId: p.incidentId,
        kind: p.kind,
        detectedAt: d.now,
        windowStart: start,
        windowEnd: end,
        grafana,
      });
      await d.queue.send(message);
      result.messages.push(message);
      sent.add(p.incident.causeKey);
    }
    await d.state.saveIncident(record);
  }
  // Silenced incidents: their last-seen time moves on, so they are not resolved while they last.
  for (const r of plan.records) if (!plan.messages.some((p) => p.incident.causeKey === r.causeKey)) await d.state.saveIncident(r);

  // Stored keys over the bins the detector returned (they can lie outside the window when it says so).
  const times = anomalies.map((a) => a.timestamp.getTime());
  const stored = anomalies.length
    ? await d.store.storedKeys(new Date(Math.min(start.getTime(), ...times)), new Date(Math.max(end.getTime(), ...times.map((t) => t + 1))))
    : new Set<string>();
  const rows: StoredAnomaly[] = [];
  for (const i of incidents) {
    const id = plan.records.find((r) => r.causeKey === i.causeKey)?.incidentId ?? '';
    for (const a of i.anomalies) {
      if (stored.has(a.key)) continue;
      const k = i.kpis.find((x) => x.kpi === a.kpi)?.cause;
      rows.push({
        ...a,
        detectedAt: d.now,
        alerted: sent.has(i.causeKey),
        incident: {
          id,
          rootCause: i.cause,
          share: k?.share ?? null,
          lift: k?.lift ?? null,
          impactedSessions: i.impactedSessions,
          severity: i.severity,
        },
      });
    }
  }
  result.fresh = rows.length;
  if (rows.length) await d.store.append(rows);
  await d.state
    .prune(new Date(d.now.getTime() - 8 * 24 * 3600_000))
    .catch((err: unknown) => log('warn', `pruning old alert state failed: ${errorMessage(err)}`));
  return result;
}
