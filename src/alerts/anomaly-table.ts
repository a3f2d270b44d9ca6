// Data Explorer side of alerting: run the session detector (kql/V011) for a window, read the
// sessions the ranking contrasts, read which anomalies are already stored, and append new ones to
// QoeAnomalies (kql/V005, V012).
import { KqlLiteral, type KustoExecutor } from '../kql/kusto-client.js';
import { cleanText, parseAnomalyRows, type Anomaly, type InvalidRow } from './anomaly.js';
import type { QoeSession } from '../analytics/root-cause-sessions.js';
import { DETECT_SESSION_ANOMALIES, RANKING_SESSIONS, STORED_KEYS } from './queries.js';

export interface StoredAnomaly extends Anomaly {
  detectedAt: Date;
  /** false: kept for the record but not sent (its incident within its hour of silence, or no target configured). */
  alerted: boolean;
  /** The incident it belongs to and what the ranking said (kql/V012); empty on rows written before V012. */
  incident?: {
    id: string;
    rootCause: Record<string, string>;
    share: number | null;
    lift: number | null;
    impactedSessions: number;
    severity: string;
  };
}

export interface SessionDetectWindow {
  start: Date;
  end: Date;
  binMinutes: number;
  minAttempts: number;
  historyDays: number;
}

export interface AnomalyStore {
  /** DetectSessionAnomalies (kql/V011). */
  detectSessions(window: SessionDetectWindow): Promise<{ anomalies: Anomaly[]; invalid: InvalidRow[] }>;
  /** Sessions of the window and of the same time of day on the days before, for the ranking. */
  rankingSessions(window: SessionDetectWindow, maxRows: number): Promise<QoeSession[]>;
  storedKeys(since: Date, until: Date): Promise<Set<string>>;
  append(rows: StoredAnomaly[]): Promise<void>;
}

/** Rows per `.ingest inline` command: keeps each command small. */
const ROWS_PER_COMMAND = 500;

/** The columns of QoeAnomalies in table order (kql/V005); the CSV maps by position. */
export const QOE_ANOMALIES_COLUMNS = [
  ...[
    'Timestamp',
    'Kpi',
    'Dimension',
    'DimensionValue',
    'Value',
    'Baseline',
    'Score',
    'Direction',
    'Sessions',
    'DetectedAt',
    'AlertKey',
    'Alerted',
  ],
  ...['IncidentId', 'RootCause', 'CauseShare', 'CauseLift', 'ImpactedSessions', 'Severity'], // kql/V012
] as const;

function csvField(v: string | number | boolean | Date | null): string {
  if (v === null) return ''; // an empty CSV field is null
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return `"${cleanText(v).replace(/"/g, '""')}"`;
}

/**
 * `.ingest inline` of anomalies as CSV. Management commands take no query parameters, so this is
 * the one place values go into command text; it stays safe because:
 * - everything after `<|` is data for the CSV parser, never parsed as KQL, so no value can add
 *   a command, a pipe or a table name (the table name is a constant here);
 * - every string is quoted with quotes doubled, and line breaks and control characters are
 *   replaced, so a value cannot end its field or its record (no forged rows or columns);
 * - dates are ISO strings from valid Date objects, numbers are finite (else empty = null),
 *   KPI and dimension names were checked against an identifier pattern (anomaly.ts).
 * Microsoft calls `.ingest inline` a tool for small, ad-hoc loads; a few rows every five minutes
 * is that, it is synchronous (the rows are queryable when it returns), and it needs only Ingestor.
 */
export function ingestInlineCommands(rows: StoredAnomaly[]): string[] {
  const commands: string[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_COMMAND) {
    const csv = rows
      .slice(i, i + ROWS_PER_COMMAND)
      .map((a) => {
        const i = a.incident;
        const incident = i
          ? [i.id, JSON.stringify(i.rootCause), i.share, i.lift, i.impactedSessions, i.severity]
          : [null, null, null, null, null, null];
        return [
          a.timestamp,
          a.kpi,
          a.dimension,
          a.dimensionValue,
          a.value,
          a.baseline,
          a.score,
          a.direction,
          a.sessions,
          a.detectedAt,
          a.key,
          a.alerted,
          ...incident,
        ]
          .map(csvField)
          .join(',');
      })
      .join('\n');
    commands.push(`.ingest inline into table QoeAnomalies with (format = "csv") <|\n${csv}`);
  }
  return commands;
}

export function kustoAnomalyStore(executor: KustoExecutor, database: string): AnomalyStore {
  return {
    async detectSessions(w) {
      const rows = await executor.query(database, DETECT_SESSION_ANOMALIES, {
        start: KqlLiteral.datetime(w.start),
        end: KqlLiteral.datetime(w.end),
        binSize: KqlLiteral.timespan(w.binMinutes * 60_000),
        minAttempts: KqlLiteral.long(w.minAttempts),
        historyDays: KqlLiteral.long(w.historyDays),
      });
      return parseAnomalyRows(rows);
    },
    async rankingSessions(w, maxRows) {
      const rows = await executor.query(database, RANKING_SESSIONS, {
        start: KqlLiteral.datetime(w.start),
        end: KqlLiteral.datetime(w.end),
        binSize: KqlLiteral.timespan(w.binMinutes * 60_000),
        historyDays: KqlLiteral.long(w.historyDays),
        maxRows: KqlLiteral.long(maxRows),
      });
      return rows.flatMap((r) => sessionFromRow(r) ?? []);
    },
    async storedKeys(since, until) {
      const rows = await executor.query(database, STORED_KEYS, { since: KqlLiteral.datetime(since), until: KqlLiteral.datetime(until) });
      return new Set(rows.map((r) => String(r.AlertKey)));
    },
    async append(rows) {
      for (const command of ingestInlineCommands(rows)) await executor.command(database, command);
    },
  };
}

const bool = (v: unknown) => v === true || v === 'true' || v === 1;
const numOrNull = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : null);
const text = (v: unknown) => (v === null || v === undefined ? '' : cleanText(String(v)).slice(0, 1024));

/** A RANKING_SESSIONS row -> a session; rows without an id or a time are skipped. */
export function sessionFromRow(r: Record<string, unknown>): QoeSession | undefined {
  const at = Date.parse(String(r.FirstSeen ?? ''));
  if (!r.SessionId || Number.isNaN(at)) return undefined;
  return {
    sessionId: text(r.SessionId),
    at,
    dims: {
      Country: text(r.Country),
      Region: text(r.Region),
      Asn: text(r.Asn),
      Cdn: text(r.Cdn),
      Os: text(r.Os),
      Browser: text(r.Browser),
      DeviceType: text(r.DeviceType),
      PlayerVersion: text(r.PlayerVersion),
      ContentId: text(r.ContentId),
    },
    attempt: bool(r.Attempt),
    started: bool(r.Started),
    vsf: bool(r.Vsf),
    ebvs: bool(r.Ebvs),
    playbackFailure: bool(r.PlaybackFailure),
    startupMs: numOrNull(r.StartupMs),
    watchMs: numOrNull(r.WatchMs) ?? 0,
    stallMs: numOrNull(r.StallMs) ?? 0,
    avgBitrateKbps: numOrNull(r.AvgBitrateKbps),
    qoeScore: numOrNull(r.QoeScore),
  };
}
