// npm run kql:check [folder [dashboards]]: analyses the versioned KQL scripts (default kql/) offline with
// Microsoft's Kusto.Language parser, in version order, against the schema they build.
// Prints `file:line:col message` per problem and a summary; exit code 1 on any problem.
import { existsSync } from 'node:fs';
import { ALERT_QUERIES } from '../alerts/queries.js';
import { checkKqlFolder } from '../kql/analyzer.js';
import { checkDashboards, checkFilters } from '../kql/dashboards.js';
import { KqlScriptError } from '../kql/scripts.js';

async function main(dir: string): Promise<number> {
  try {
    const { scripts, commands, diagnostics, builder } = await checkKqlFolder(dir);
    // Dashboards and alert rules are analysed against the schema the scripts built.
    const dashboards =
      dashboardDir && existsSync(dashboardDir) ? await checkDashboards(dashboardDir, builder) : { queries: 0, diagnostics: [] };
    diagnostics.push(...dashboards.diagnostics);
    // Filters that would hide rows with an empty dimension, or list only the top N values.
    const filters = dashboardDir && existsSync(dashboardDir) ? await checkFilters(dashboardDir) : [];
    for (const problem of filters)
      diagnostics.push({
        file: problem.split(': ', 1)[0]!,
        line: 1,
        column: 1,
        code: 'dashboard-filter',
        message: problem.slice(problem.indexOf(': ') + 2),
      });
    // The queries the app itself sends (anomaly alerting), with the project's own scripts.
    const appQueries = dashboardDir ? Object.entries(ALERT_QUERIES) : [];
    for (const [name, query] of appQueries) diagnostics.push(...builder.analyzeQuery(query, `src/alerts/queries.ts ${name}`));
    for (const d of diagnostics) console.log(`${d.file}:${d.line}:${d.column} ${d.message} [${d.code}]`);
    console.log(
      `kql:check: ${count(scripts.length, 'script')}, ${count(commands, 'command')}, ${dashboardDir ? `${count(dashboards.queries, 'dashboard query', 'dashboard queries')}, ${count(appQueries.length, 'app query', 'app queries')}, ` : ''}${count(diagnostics.length, 'problem')}`,
    );
    return diagnostics.length ? 1 : 0;
  } catch (err) {
    if (!(err instanceof KqlScriptError)) throw err;
    console.log(err.message);
    console.log('kql:check: 1 problem');
    return 1;
  }
}

const count = (n: number, noun: string, plural = `${noun}s`) => `${n} ${n === 1 ? noun : plural}`;

// Dashboards are checked with the project's own scripts: by default, or when named explicitly.
const dashboardDir = process.argv[3] ?? (process.argv[2] ? undefined : 'infra/grafana');
process.exitCode = await main(process.argv[2] ?? 'kql');
