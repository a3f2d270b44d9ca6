// npm run kpis -- <rows.ndjson | folder> [--at <ISO time>] [--timeout-ms <ms>]
// Per-session QoE KPIs (docs/kpis.md) of QoeEvents rows: one JSON object per session, then one
// {"totals": ...} object. A folder is read whole (the file sink's data/sink/QoeEvents/, or data/sink/).
import { parseArgs } from 'node:util';
import { kpiReport } from '../analytics/report.js';
import { errorMessage } from '../errors.js';

const USAGE =
  'usage: npm run kpis -- <rows.ndjson | folder> [--at <ISO evaluation time, default now>] [--timeout-ms <inactivity timeout, default 300000>]';

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { at: { type: 'string' }, 'timeout-ms': { type: 'string' } },
  });
  if (positionals.length !== 1) throw new Error(USAGE);
  const at = values.at === undefined ? Date.now() : Date.parse(values.at);
  const timeout = values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms']);
  if (!Number.isFinite(at)) throw new Error(`--at: not a time: ${values.at}`);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0))
    throw new Error(`--timeout-ms: not a positive number: ${values['timeout-ms']}`);
  const report = await kpiReport(positionals[0]!, { evaluationTime: at, inactivityTimeoutMs: timeout });
  for (const line of report.lines) process.stdout.write(line + '\n');
  process.stderr.write(
    `kpis: ${report.sessions} sessions from ${report.rows} rows in ${report.files} files${report.skipped ? `, ${report.skipped} lines skipped (not QoeEvents rows)` : ''}\n`,
  );
} catch (err) {
  process.stderr.write(`kpis: ${errorMessage(err)}\n`);
  process.exitCode = 2;
}
