// npm run kql:verify [-- --database scratch] : the KQL session function against the golden sessions on
// a real cluster or the Kusto emulator (KUSTO_CLUSTER_URI; KUSTO_DATABASE unless --database).
// Applies the migrations, ingests test/analytics/golden/rows.ndjson, runs QoeSessionKpis and prints
// every KPI that differs from test/analytics/golden/expected.json; exit code 1 on any difference.
// Use a scratch database: the golden rows stay in it.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { createKustoExecutor } from '../kql/kusto-client.js';
import { formatDifference, verifyGolden } from '../kql/verify.js';

const { values } = parseArgs({
  options: {
    database: { type: 'string' },
    dir: { type: 'string', default: 'kql' },
    golden: { type: 'string', default: 'test/analytics/golden' },
    help: { type: 'boolean', default: false },
  },
});

const config = loadConfig();
if (values.help || !config.kusto.clusterUri) {
  console.log(
    'usage: KUSTO_CLUSTER_URI=https://... npm run kql:verify -- [--database scratch] [--dir kql] [--golden test/analytics/golden]',
  );
  console.log(
    'Authenticates with KUSTO_ACCESS_TOKEN when set, else DefaultAzureCredential; needs Database Admin (it applies the migrations).',
  );
  process.exit(values.help ? 0 : 2);
}

const database = values.database ?? config.kusto.database;
const executor = createKustoExecutor({
  clusterUri: config.kusto.clusterUri,
  accessToken: config.kusto.accessToken,
  timeoutMs: 10 * 60_000,
});
try {
  const report = await verifyGolden({
    executor,
    database,
    kqlDir: path.resolve(values.dir!),
    goldenDir: path.resolve(values.golden!),
    appliedBy: `${os.userInfo().username}@${os.hostname()}`,
    onEvent: (e) => {
      if (e.kind !== 'command' && e.kind !== 'skipped') console.log(`${e.kind} ${e.script} ${e.message}`);
    },
  });
  for (const d of report.differences) console.log(formatDifference(d));
  console.log(`kql:verify: ${report.sessions} golden sessions, ${report.rows} rows, ${report.differences.length} differences`);
  process.exitCode = report.differences.length ? 1 : 0;
} catch (err) {
  console.error(`kql:verify: ${errorMessage(err)}`);
  process.exitCode = 1;
} finally {
  executor.close();
}
