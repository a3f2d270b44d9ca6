// kql:verify: the KQL session function against the golden sessions (test/analytics/golden/, written
// by hand from docs/kpis.md). Applies the migrations, ingests the golden rows, runs
// QoeSessionKpis at the golden evaluation time and compares every KPI and dimension of every
// session with the expected values: numbers to 1e-6 relative, times to the millisecond, null
// equal to "" (KQL strings cannot be null). Use a scratch database: the rows stay in it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SESSION_DIMENSION_COLUMNS, SESSION_KPI_COLUMNS, type SessionKpiField } from '../analytics/session-kpis.js';
import { KqlLiteral, type KustoExecutor, type Row } from './kusto-client.js';
import { migrate, type MigrationEvent } from './migrate.js';

export interface GoldenSession {
  sessionId: string;
  source: string;
  note?: string;
  dimensions: Record<string, unknown>;
  [field: string]: unknown;
}

export interface Golden {
  evaluationTime: string;
  inactivityTimeoutMs: number;
  sessions: GoldenSession[];
  /** The rows file's lines (QoeEvents rows as JSON, one a line). */
  rows: string[];
}

export interface KpiDifference {
  session: string;
  /** The KQL column, or "session" when the session is missing or unexpected. */
  column: string;
  want: unknown;
  got: unknown;
}

/** Reads expected.json and the rows file it names. */
export async function readGolden(dir: string): Promise<Golden> {
  const expected = JSON.parse(await readFile(path.join(dir, 'expected.json'), 'utf8')) as Omit<Golden, 'rows'> & { rows?: string };
  const text = await readFile(path.join(dir, expected.rows ?? 'rows.ndjson'), 'utf8');
  return { ...expected, rows: text.split('\n').filter((l) => l.trim()) };
}

/** The query kql:verify sends; values travel as query parameters. */
export const GOLDEN_QUERY = `declare query_parameters(start:datetime, end:datetime, evaluationTime:datetime, inactivityTimeout:timespan, sessionIds:dynamic);
QoeSessionKpis(start, end, evaluationTime, inactivityTimeout)
| where SessionId in (sessionIds)`;

/** Rows per `.ingest inline` command. */
const ROWS_PER_COMMAND = 200;

/** `.ingest inline` of golden rows, JSON lines through the table's own mapping (kql/V001). */
export function goldenIngestCommands(rows: string[]): string[] {
  const commands: string[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_COMMAND) {
    // Each line is re-serialised from parsed JSON: one object, one line, nothing else after `<|`.
    const lines = rows.slice(i, i + ROWS_PER_COMMAND).map((l) => JSON.stringify(JSON.parse(l) as object));
    commands.push(
      `.ingest inline into table QoeEvents with (format = "json", ingestionMappingReference = "QoeEvents_json") <|\n${lines.join('\n')}`,
    );
  }
  return commands;
}

/** The query's parameters: a window around every golden row, the evaluation time and the timeout. */
export function goldenParameters(g: Golden): Record<string, KqlLiteral> {
  const times = g.rows.map((l) => Date.parse((JSON.parse(l) as { Timestamp: string }).Timestamp)).filter(Number.isFinite);
  const ids = [...new Set(g.sessions.map((s) => s.sessionId))];
  return {
    start: KqlLiteral.datetime(new Date(Math.min(...times) - 1000)),
    end: KqlLiteral.datetime(new Date(Math.max(...times) + 1000)),
    evaluationTime: KqlLiteral.datetime(new Date(g.evaluationTime)),
    inactivityTimeout: KqlLiteral.timespan(g.inactivityTimeoutMs),
    sessionIds: KqlLiteral.dynamic(ids),
  };
}

const TIME_FIELDS = new Set<SessionKpiField>(['firstSeenAt', 'lastSeenAt', 'firstFrameAt', 'playEndAt']);

/** A value as the golden file writes it: times as ISO text (milliseconds), "" as null, bigint as a number. */
function normalise(value: unknown, isTime: boolean): unknown {
  if (value === undefined || value === null || value === '') return null;
  if (isTime) {
    const ms = value instanceof Date ? value.getTime() : Date.parse(String(value));
    return Number.isFinite(ms) ? new Date(ms).toISOString() : value; // compared as text: to the millisecond
  }
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function differs(want: unknown, got: unknown): boolean {
  if (typeof want === 'number' && typeof got === 'number') return Math.abs(want - got) > 1e-6 * Math.max(1, Math.abs(want));
  return want !== got;
}

/** Every difference between the golden sessions and the rows QoeSessionKpis returned. */
export function compareSessions(expected: GoldenSession[], rows: Row[]): KpiDifference[] {
  const key = (id: unknown, source: unknown) => `${String(id)}/${String(source ?? '')}`;
  const actual = new Map(rows.map((r) => [key(r.SessionId, r.Source), r]));
  const out: KpiDifference[] = [];
  for (const want of expected) {
    const session = key(want.sessionId, want.source);
    const got = actual.get(session);
    actual.delete(session);
    if (!got) {
      out.push({ session, column: 'session', want: 'present', got: 'missing' });
      continue;
    }
    for (const [field, column] of Object.entries(SESSION_KPI_COLUMNS) as Array<[SessionKpiField, string]>) {
      const isTime = TIME_FIELDS.has(field);
      const w = normalise(want[field], isTime);
      const g = normalise(got[column], isTime);
      if (differs(w, g)) out.push({ session, column, want: want[field] ?? null, got: got[column] ?? null });
    }
    for (const column of SESSION_DIMENSION_COLUMNS) {
      const w = normalise(want.dimensions[column], false);
      const g = normalise(got[column], false);
      if (differs(w, g)) out.push({ session, column, want: want.dimensions[column] ?? null, got: got[column] ?? null });
    }
  }
  for (const session of actual.keys()) out.push({ session, column: 'session', want: 'absent', got: 'unexpected' });
  return out;
}

export function formatDifference(d: KpiDifference): string {
  const show = (v: unknown) => (v instanceof Date ? v.toISOString() : JSON.stringify(v));
  return `${d.session} ${d.column}: want ${show(d.want)}, got ${show(d.got)}`;
}

export interface VerifyOptions {
  executor: KustoExecutor;
  database: string;
  kqlDir: string;
  goldenDir: string;
  appliedBy: string;
  onEvent?: (e: MigrationEvent | { kind: 'ingested' | 'compared'; script: string; message: string }) => void;
  operationPollMs?: number;
}

export interface VerifyReport {
  sessions: number;
  rows: number;
  differences: KpiDifference[];
}

/** Migrate, ingest the golden rows, run the session function, compare. */
export async function verifyGolden(opts: VerifyOptions): Promise<VerifyReport> {
  const { executor, database } = opts;
  const emit = opts.onEvent ?? (() => {});
  const golden = await readGolden(opts.goldenDir);
  await migrate({ dir: opts.kqlDir, database, executor, appliedBy: opts.appliedBy, onEvent: emit, operationPollMs: opts.operationPollMs });
  // Ingesting twice (a second run) changes nothing: repeats count once (docs/kpis.md section 1.2).
  for (const command of goldenIngestCommands(golden.rows)) await executor.command(database, command);
  emit({ kind: 'ingested', script: 'golden', message: `${golden.rows.length} rows` });
  const rows = await executor.query(database, GOLDEN_QUERY, goldenParameters(golden));
  const differences = compareSessions(golden.sessions, rows);
  emit({ kind: 'compared', script: 'golden', message: `${golden.sessions.length} sessions, ${differences.length} differences` });
  return { sessions: golden.sessions.length, rows: golden.rows.length, differences };
}
