// Ingestion calls per million beacons at a steady 20k beacons/s, through the real batcher and the
// real Kusto SDK (managed streaming) against the loopback stub; and the gzip ratio on the wire.
import { QOE_EVENTS_TABLE } from '../src/beacon/qoe-event.js';
import { loadConfig } from '../src/config.js';
import { Enricher } from '../src/enrich/enricher.js';
import { GroupCommitBatcher } from '../src/ingest/batcher.js';
import { FileDeadLetterStore } from '../src/ingest/deadletter/file.js';
import { KustoSink } from '../src/ingest/sinks/kusto.js';
import { mappingFor } from '../src/ingest/sinks/index.js';
import { bytesToText, parseRecords } from '../src/intake/http/body-parser.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { startKustoStub } from '../test/support/kusto-stub.js';
import { makeCorpus } from './corpus.js';
import { fmt } from './measure.js';

export async function benchKusto(seconds = 10, ratePerSec = 20_000): Promise<Record<string, number>> {
  const stub = await startKustoStub();
  const config = loadConfig({
    QOE_DATA_DIR: '/tmp/qoe-bench',
    KUSTO_CLUSTER_URI: stub.url,
    KUSTO_INGEST_URI: stub.url,
    KUSTO_ACCESS_TOKEN: 'bench',
    KUSTO_REPORT_STATUS: 'none',
  });
  const sink = new KustoSink({ ...config.kusto, mappingFor });
  const deadLetter = new FileDeadLetterStore('/tmp/qoe-bench/deadletter');
  const batcher = new GroupCommitBatcher(sink, deadLetter, { ...config.batch, retry: config.retry });
  const pipeline = new Pipeline(await Enricher.create(config.enrich), batcher, deadLetter, {
    maxStringLength: config.http.maxStringLength,
    maxUrlLength: config.http.maxUrlLength,
    maxExtraBytes: 8192,
  });
  // Pre-serialize rows so the producer can hold the rate; requests of 10 beacons each.
  const corpus = makeCorpus(2000, 10);
  const rowsPerRequest = corpus.map(
    (c) =>
      pipeline.prepare(parseRecords(bytesToText(c.body), 'json'), {
        source: 'http',
        sourceRef: null,
        receivedAt: new Date(),
        sender: { clientIp: c.clientIp, userAgent: c.userAgent },
      }).rows,
  );
  const tickMs = 10;
  const started = Date.now();
  let sent = 0;
  let i = 0;
  const inflight: Promise<unknown>[] = [];
  while (Date.now() - started < seconds * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * ratePerSec);
    while (sent < due) {
      const rows = rowsPerRequest[i++ % rowsPerRequest.length]!;
      inflight.push(batcher.submit(QOE_EVENTS_TABLE, rows));
      sent += rows.length;
    }
    await new Promise((r) => setTimeout(r, Math.max(1, tickMs / 2)));
  }
  await Promise.all(inflight);
  await batcher.flush();
  const calls = stub.streaming.length;
  const raw = stub.streaming.reduce((n, c) => n + Buffer.byteLength(c.text), 0);
  const wire = stub.streaming.reduce((n, c) => n + c.wireBytes, 0);
  const rowsIngested = stub.streaming.reduce((n, c) => n + c.text.split('\n').filter(Boolean).length, 0);
  const perMillion = (calls / rowsIngested) * 1e6;
  console.log(`  ${fmt(rowsIngested)} beacons in ${seconds}s at ${fmt(ratePerSec)}/s -> ${calls} streaming calls`);
  console.log(
    `  ingestion calls per million beacons: ${perMillion.toFixed(0)}   (target <= 300; batch delay ${config.batch.maxDelayMs} ms)`,
  );
  console.log(`  gzip ratio: ${(raw / wire).toFixed(1)}x (${(raw / 1e6).toFixed(1)} MB raw -> ${(wire / 1e6).toFixed(1)} MB on the wire)`);
  if (rowsIngested !== sent) throw new Error(`sent ${sent} rows, stub saw ${rowsIngested}`);
  await sink.close();
  await stub.close();
  return { callsPerMillion: perMillion, gzipRatio: raw / wire };
}
