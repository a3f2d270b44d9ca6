// (a) JSON.parse + JSON.stringify of the same bytes vs (b) this pipeline's decode + validate +
// enrich + serialize (no sink), on one core.
import { loadConfig } from '../src/config.js';
import { Enricher } from '../src/enrich/enricher.js';
import { GroupCommitBatcher } from '../src/ingest/batcher.js';
import { FileDeadLetterStore } from '../src/ingest/deadletter/file.js';
import { bytesToText, formatFor, parseRecords } from '../src/intake/http/body-parser.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { makeCorpus } from './corpus.js';
import { fmt, measure } from './measure.js';

export async function benchPipeline(): Promise<Record<string, number>> {
  const config = loadConfig({ QOE_DATA_DIR: '/tmp/qoe-bench' });
  const corpus = makeCorpus(2000, 10);
  const beacons = corpus.reduce((n, c) => n + c.beacons, 0);
  const bytes = corpus.reduce((n, c) => n + c.body.length, 0);
  console.log(`pipeline: ${fmt(beacons)} beacons in ${corpus.length} requests, ${(bytes / 1e6).toFixed(1)} MB`);

  const baseline = measure('(a) JSON.parse + JSON.stringify', beacons, bytes, () => {
    for (const c of corpus) JSON.stringify(JSON.parse(c.body.toString('utf8')));
  });

  const enricher = await Enricher.create(config.enrich);
  const deadLetter = new FileDeadLetterStore('/tmp/qoe-bench/deadletter');
  const never = { name: 'none', write: async () => {} };
  const pipeline = new Pipeline(enricher, new GroupCommitBatcher(never, deadLetter, { ...config.batch, retry: config.retry }), deadLetter, {
    maxStringLength: config.http.maxStringLength,
    maxUrlLength: config.http.maxUrlLength,
    maxExtraBytes: 8192,
  });
  const format = formatFor('text/plain');
  const receivedAt = new Date();
  let rows = 0;
  const ours = measure('(b) decode + validate + enrich + serialize', beacons, bytes, () => {
    for (const c of corpus) {
      const candidates = parseRecords(bytesToText(c.body), format);
      const prepared = pipeline.prepare(candidates, {
        source: 'http',
        sourceRef: null,
        receivedAt,
        sender: { clientIp: c.clientIp, userAgent: c.userAgent },
      });
      rows += prepared.rows.length;
      if (prepared.rejected.length) throw new Error(`corpus record rejected: ${JSON.stringify(prepared.rejected[0])}`);
    }
  });
  if (rows === 0) throw new Error('pipeline produced no rows');
  const ratio = ours.perSecond / baseline.perSecond;
  console.log(`  ratio (b)/(a): ${ratio.toFixed(2)}   (targets: ratio >= 0.5, >= 150,000 beacons/s)`);
  return { baselineBeaconsPerSec: baseline.perSecond, pipelineBeaconsPerSec: ours.perSecond, pipelineMBps: ours.mbPerSecond, ratio };
}
