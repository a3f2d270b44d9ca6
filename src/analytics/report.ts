// What `npm run kpis` prints: one JSON line per session, then a totals line (docs/kpis.md).
import { aggregateKpis } from './aggregate.js';
import { readQoeRows } from './rows-file.js';
import { sessionsFromRows, type SessionOptions } from './session-kpis.js';

export interface KpiReport {
  lines: string[];
  sessions: number;
  rows: number;
  files: number;
  skipped: number;
}

export async function kpiReport(target: string, opts: SessionOptions): Promise<KpiReport> {
  const read = await readQoeRows(target);
  const sessions = sessionsFromRows(read.rows, opts);
  const lines = sessions.map((s) => JSON.stringify(s));
  lines.push(JSON.stringify({ totals: aggregateKpis(sessions) }));
  return { lines, sessions: sessions.length, rows: read.rows.length, files: read.files, skipped: read.skipped };
}
