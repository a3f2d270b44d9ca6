// npm run diagnose -- <rows.ndjson | folder> --kpi <name> --from <ISO> --to <ISO> [--min-sessions N]
// Ranks the root causes of a KPI offline on QoeEvents rows (an export, or the local file sink's
// folder): sessions that start in [from, to) are the window, all other sessions the baseline.
// Prints one JSON object: { kpi, window, baseline, causes: [...] }, strongest cause first;
// `causes: []` when nothing deviates beyond chance. Lines that are not JSON objects are counted
// on stderr and skipped.
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { isKpiName, KPI_NAMES } from '../analytics/root-cause-kpis.js';
import { sessionsFromQoeRows } from '../analytics/root-cause-sessions.js';
import { rankRootCauses } from '../analytics/root-cause.js';

/** A line longer than this is not a QoeEvents row (the widest real rows are a few KB). */
const MAX_LINE = 1024 * 1024;

async function filesOf(input: string): Promise<string[]> {
  if (!(await stat(input)).isDirectory()) return [input];
  const entries = await readdir(input, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.(ndjson|jsonl|json)$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

async function readRows(input: string): Promise<{ rows: Array<Record<string, unknown>>; skipped: number }> {
  const rows: Array<Record<string, unknown>> = [];
  let skipped = 0;
  for (const file of await filesOf(input)) {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      try {
        const v: unknown = line.length <= MAX_LINE ? JSON.parse(line) : undefined;
        if (v && typeof v === 'object' && !Array.isArray(v)) rows.push(v as Record<string, unknown>);
        else skipped++;
      } catch {
        skipped++;
      }
    }
  }
  return { rows, skipped };
}

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run diagnose -- <rows.ndjson | folder> --kpi <${KPI_NAMES.join('|')}> --from <ISO> --to <ISO> [--min-sessions N]`,
  );
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { kpi: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, 'min-sessions': { type: 'string', default: '30' } },
});
const [input] = positionals;
if (!input) usage('no rows file or folder given');
const kpi = values.kpi ?? '';
if (!isKpiName(kpi)) usage(`unknown --kpi ${JSON.stringify(kpi)}`);
const from = Date.parse(values.from ?? '');
const to = Date.parse(values.to ?? '');
if (Number.isNaN(from) || Number.isNaN(to) || to <= from) usage('--from and --to must be ISO times with from < to');
const minSessions = Number(values['min-sessions']);
if (!Number.isInteger(minSessions) || minSessions < 1) usage('--min-sessions must be a positive integer');

const { rows, skipped } = await readRows(input);
if (skipped) console.error(`diagnose: skipped ${skipped} line(s) that are not JSON objects`);
const sessions = sessionsFromQoeRows(rows);
const inWindow = (at: number) => at >= from && at < to;
const r = rankRootCauses(
  kpi,
  sessions.filter((s) => inWindow(s.at)),
  sessions.filter((s) => !inWindow(s.at)),
  { minSessions },
);
const out = {
  kpi,
  window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), sessions: r.window.sessions, value: r.window.kpi },
  baseline: { sessions: r.baseline.sessions, value: r.baseline.kpi },
  causes: r.causes.map((c) => ({
    dimensions: c.dimensions,
    sessions: c.sessions,
    kpiInWindow: c.kpiInWindow,
    kpiBaseline: c.kpiBaseline,
    share: c.share,
    lift: c.lift,
  })),
};
console.log(JSON.stringify(out, null, 2));
