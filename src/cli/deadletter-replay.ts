// npm run deadletter:replay [-- --dry-run]: re-ingests dead-lettered batches into the configured
// sink (file or Kusto), removing each one only after its ingestion succeeded. With Kusto and status
// reporting, Data Explorer's status reports are read first, so queued ingestions it failed since
// the last pass are among the batches replayed (docs/kusto.md).
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { createDeadLetterStore } from '../ingest/deadletter/index.js';
import { replayDeadLetters } from '../ingest/deadletter/replay.js';
import { createSink } from '../ingest/sinks/index.js';
import type { KustoSink } from '../ingest/sinks/kusto.js';

const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false } } });
const config = loadConfig();
const store = createDeadLetterStore(config);
const sink = await createSink(config, store);

const tracked = (sink as Partial<KustoSink>).checkIngestionStatus?.bind(sink);
if (!values['dry-run'] && tracked) {
  const pass = await tracked();
  if (pass)
    console.log(
      `ingestion status: ${pass.failed} failed (now dead letters), ${pass.succeeded} succeeded, ${pass.settled} settled, ${pass.pending} still pending`,
    );
}

const bar = (done: number, total: number) => {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`;
};

const report = await replayDeadLetters({
  store,
  sink,
  dryRun: values['dry-run'],
  onProgress: (p) => {
    process.stderr.write(`\r${bar(p.done, p.total)} ${p.outcome.padEnd(12)} ${p.name.slice(-60)}`);
    if (p.outcome === 'failed') process.stderr.write(`\n  ${p.error}\n`);
  },
});
process.stderr.write('\n');
console.log(
  values['dry-run']
    ? `deadletter:replay (dry run): ${report.batches} batches, ${report.rows} rows would be replayed into ${sink.name}`
    : `deadletter:replay: ${report.replayed}/${report.batches} batches replayed (${report.rows} rows) into ${sink.name}, ${report.failed} failed and kept`,
);
await sink.close?.();
process.exitCode = report.failed ? 1 : 0;
