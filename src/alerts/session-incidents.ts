// The whole judgement on sessions in one call: detect -> rank root causes per KPI -> incidents.
// Used by the tests (on synthetic traffic) and by anyone holding sessions in memory; the timer
// does the same with Data Explorer doing the detection (src/alerts/detect-incidents.ts).
import { isKpiName, type DimensionName } from '../analytics/root-cause-kpis.js';
import { rankRootCauses, type RootCauseOptions } from '../analytics/root-cause.js';
import type { QoeSession } from '../analytics/root-cause-sessions.js';
import type { Anomaly } from './anomaly.js';
import { groupIncidents, type Incident, type RankedCauses } from './incidents.js';
import { detectOnSessions, indexByBin, slotSessions } from './session-detector.js';

export interface IncidentSettings {
  now: Date;
  binMinutes: number;
  /** Bins evaluated per run (the window), ending `latenessMinutes` before now. */
  windowMinutes: number;
  latenessMinutes: number;
  historyDays?: number;
  minAttempts?: number;
  rootCause?: RootCauseOptions;
}

export interface IncidentFindings {
  windowStart: Date;
  windowEnd: Date;
  anomalies: Anomaly[];
  ranked: RankedCauses[];
  incidents: Incident[];
  insufficientHistory?: true;
}

/** [start, end) of complete bins whose sessions had `latenessMinutes` to arrive. */
export function evaluationWindow(
  now: Date,
  binMinutes: number,
  windowMinutes: number,
  latenessMinutes: number,
): { start: Date; end: Date } {
  const bin = binMinutes * 60_000;
  const end = Math.floor((now.getTime() - latenessMinutes * 60_000) / bin) * bin;
  return { start: new Date(end - Math.max(1, Math.ceil(windowMinutes / binMinutes)) * bin), end: new Date(end) };
}

export function findIncidentsOnSessions(sessions: QoeSession[], s: IncidentSettings): IncidentFindings {
  const { start, end } = evaluationWindow(s.now, s.binMinutes, s.windowMinutes, s.latenessMinutes);
  const binMs = s.binMinutes * 60_000;
  const detection = detectOnSessions(sessions, {
    windowStart: start,
    windowEnd: end,
    binMinutes: s.binMinutes,
    historyDays: s.historyDays,
    minAttempts: s.minAttempts,
  });
  const findings: IncidentFindings = {
    windowStart: start,
    windowEnd: end,
    anomalies: detection.anomalies,
    ranked: [],
    incidents: [],
    ...(detection.insufficientHistory ? { insufficientHistory: true } : {}),
  };
  if (detection.anomalies.length === 0) return findings;

  Object.assign(
    findings,
    rankAndGroup(detection.anomalies, sessions, binMs, s.historyDays ?? 14, { minSessions: s.minAttempts, ...s.rootCause }),
  );
  return findings;
}

/**
 * Root causes for each KPI with anomalies (its anomalous bins against the same times of day
 * before), then the anomalies grouped into incidents by those causes.
 */
export function rankAndGroup(
  anomalies: Anomaly[],
  sessions: QoeSession[],
  binMs: number,
  historyDays: number,
  o: RootCauseOptions = {},
): { ranked: RankedCauses[]; incidents: Incident[] } {
  const byBin = indexByBin(sessions, binMs);
  const ranked: RankedCauses[] = [];
  // A KPI the ranking does not know (an older detector's) is grouped by its own series.
  for (const kpi of new Set(anomalies.map((a) => a.kpi).filter(isKpiName))) {
    const bins = [...new Set(anomalies.filter((a) => a.kpi === kpi).map((a) => a.timestamp.getTime() / binMs))];
    const window = bins.flatMap((b) => byBin.get(b) ?? []);
    const baseline = [...new Set(bins.flatMap((b) => slotSessions(byBin, b, binMs, historyDays)))];
    ranked.push({ kpi, causes: rankRootCauses(kpi, window, baseline, o).causes });
  }
  const overlap = (a: Anomaly, cause: Record<string, string>) =>
    (byBin.get(a.timestamp.getTime() / binMs) ?? []).filter(
      (x) =>
        (a.dimension === 'Overall' || x.dims[a.dimension as DimensionName] === a.dimensionValue) &&
        Object.entries(cause).every(([d, v]) => x.dims[d as DimensionName] === v),
    ).length;
  return { ranked, incidents: groupIncidents(anomalies, ranked, overlap) };
}
