// npm run kql:migrate -- --cluster https://mycluster.westeurope.kusto.windows.net --database qoe [--dry-run]
// Applies the pending kql/V*.kql scripts in order, each exactly once (see src/kql/migrate.ts).
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../errors.js';
import { createKustoExecutor } from '../kql/kusto-client.js';
import { migrate } from '../kql/migrate.js';

const { values } = parseArgs({
  options: {
    cluster: { type: 'string' },
    database: { type: 'string' },
    dir: { type: 'string', default: 'kql' },
    'dry-run': { type: 'boolean', default: false },
    token: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help || !values.cluster || !values.database) {
  console.log('usage: npm run kql:migrate -- --cluster URI --database DB [--dry-run] [--dir kql] [--token BEARER]');
  console.log('Authenticates with DefaultAzureCredential (az login locally, managed identity in Azure) unless --token is given.');
  process.exit(values.help ? 0 : 2);
}

const executor = createKustoExecutor({ clusterUri: values.cluster, accessToken: values.token, timeoutMs: 10 * 60_000 });
const icon = { applied: '✔', pending: '…', skipped: '·', command: ' ', waiting: '⏳', failed: '✘' } as const;
try {
  const report = await migrate({
    dir: path.resolve(values.dir!),
    database: values.database,
    executor,
    dryRun: values['dry-run'],
    appliedBy: `${os.userInfo().username}@${os.hostname()}`,
    onEvent: (e) => console.log(`${icon[e.kind]} ${e.script} ${e.message}`),
  });
  const verb = values['dry-run'] ? 'pending' : 'applied';
  const count = values['dry-run'] ? report.pending.length : report.applied.length;
  console.log(`kql:migrate: ${count} ${verb}, ${report.skipped.length} already applied`);
} catch (err) {
  console.error(`kql:migrate: ${errorMessage(err)}`);
  process.exitCode = 1;
} finally {
  executor.close();
}
