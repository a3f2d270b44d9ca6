// Commit latency (receipt to durable: the moment an HTTP intake could answer 200) at a steady
// load, at the file-sink settings and at the Kusto settings (managed streaming through the real
// SDK to the loopback stub, in this process); and what telemetry costs: the same in-process
// pipeline with telemetry off and on (in-memory exporters), rounds alternated, in one run.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config.js';
import { Enricher } from '../src/enrich/enricher.js';
import { GroupCommitBatcher } from '../src/ingest/batcher.js';
import { FileDeadLetterStore } from '../src/ingest/deadletter/file.js';
import { FileSink } from '../src/ingest/sinks/file.js';
import { mappingFor } from '../src/ingest/sinks/index.js';
import { KustoSink } from '../src/ingest/sinks/kusto.js';
import type { Sink } from '../src/ingest/sink.js';
import { bytesToText, parseRecords } from '../src/intake/http/body-parser.js';
import type { Candidate } from '../src/pipeline/contract.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { telemetry } from '../src/telemetry/instruments.js';
import { startTelemetry } from '../src/telemetry/setup.js';
import { startKustoStub } from '../test/support/kusto-stub.js';
import { makeCorpus } from './corpus.js';
import { fmt } from './measure.js';

interface Request {
  candidates: Candidate[];
  clientIp: string;
  userAgent: string;
}

async function pipelineFor(config: Config, sink: Sink, dir: string): Promise<Pipeline> {
  const deadLetter = new FileDeadLetterStore(path.join(dir, 'deadletter'));
  const batcher = new GroupCommitBatcher(sink, deadLetter, { ...config.batch, retry: config.retry });
  return new Pipeline(await Enricher.create(config.enrich), batcher, deadLetter, {
    maxStringLength: config.http.maxStringLength,
    maxUrlLength: config.http.maxUrlLength,
    maxExtraBytes: 8192,
  });
}

function requests(n: number, beaconsPerRequest: number): Request[] {
  return makeCorpus(n, beaconsPerRequest).map((c) => ({
    candidates: parseRecords(bytesToText(c.body), 'json'),
    clientIp: c.clientIp,
    userAgent: c.userAgent,
  }));
}

const send = (pipeline: Pipeline, r: Request) =>
  pipeline.process(r.candidates, {
    source: 'http',
    sourceRef: null,
    receivedAt: new Date(),
    sender: { clientIp: r.clientIp, userAgent: r.userAgent },
  });

/** Requests at `ratePerSec` beacons/s for `seconds`; each one's receipt-to-durable time. */
async function steady(pipeline: Pipeline, reqs: Request[], ratePerSec: number, seconds: number): Promise<number[]> {
  const perRequest = reqs[0]!.candidates.length;
  const latencies: number[] = [];
  const inflight: Promise<unknown>[] = [];
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * ratePerSec);
    while (sent < due) {
      const t0 = performance.now();
      inflight.push(send(pipeline, reqs[((sent / perRequest) % reqs.length) | 0]!).then(() => latencies.push(performance.now() - t0)));
      sent += perRequest;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(inflight);
  return latencies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function benchFreshness(seconds = 8, ratePerSec = 5_000): Promise<Record<string, number>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-freshness-'));
  const reqs = requests(2000, 10);
  const figures: Record<string, number> = {};
  try {
    const fileConfig = loadConfig({ QOE_DATA_DIR: dir });
    const stub = await startKustoStub();
    const kustoConfig = loadConfig({
      QOE_DATA_DIR: dir,
      KUSTO_CLUSTER_URI: stub.url,
      KUSTO_INGEST_URI: stub.url,
      KUSTO_ACCESS_TOKEN: 'bench',
      KUSTO_REPORT_STATUS: 'none',
    });
    const kustoSink = new KustoSink({ ...kustoConfig.kusto, mappingFor });
    for (const [label, config, sink] of [
      ['file sink', fileConfig, new FileSink(path.join(dir, 'sink'), 60)],
      ['kusto (managed streaming, stub)', kustoConfig, kustoSink],
    ] as const) {
      const lat = (await steady(await pipelineFor(config, sink, dir), reqs, ratePerSec, seconds)).sort((a, b) => a - b);
      const [p50, p99] = [percentile(lat, 50), percentile(lat, 99)];
      console.log(
        `  commit latency, ${label.padEnd(32)} batch delay ${String(config.batch.maxDelayMs).padStart(3)} ms: p50 ${p50.toFixed(0)} ms  p99 ${p99.toFixed(0)} ms  (${fmt(lat.length)} requests at ${fmt(ratePerSec)} beacons/s)`,
      );
      figures[`${config.sink}P50Ms`] = p50;
      figures[`${config.sink}P99Ms`] = p99;
    }
    console.log(
      `  goal at the Kusto settings: p99 <= 300 ms -> ${figures.kustoP99Ms! <= 300 ? 'met' : 'NOT met'}   (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`,
    );
    await kustoSink.close();
    await stub.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}

/**
 * Pipeline throughput (validate, enrich, batch, null sink) with telemetry off and on. Rounds come
 * in adjacent off/on pairs and each is measured in CPU time of this process (beacons per
 * CPU-second), so other work on a shared machine disturbs both sides of a pair alike; the figure
 * is the median of the pairs' ratios.
 */
export async function benchTelemetry(pairs = 12, requestsPerRound = 3000): Promise<Record<string, number>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-telemetry-'));
  try {
    const config = loadConfig({ QOE_DATA_DIR: dir });
    const pipeline = await pipelineFor(config, { name: 'null', write: async () => {} }, dir);
    const reqs = requests(2000, 10);
    const run = async () => {
      const cpu = process.cpuUsage();
      const window = 256; // requests in flight, as concurrent HTTP requests would be
      let next = 0;
      await Promise.all(
        Array.from({ length: window }, async () => {
          while (next < requestsPerRound) await send(pipeline, reqs[next++ % reqs.length]!);
        }),
      );
      const used = process.cpuUsage(cpu);
      return (requestsPerRound * 10) / ((used.user + used.system) / 1e6);
    };
    // Started once, as in the service; the off rounds pause it (no-op instruments, no spans).
    const handle = await startTelemetry({ mode: 'memory' });
    const off: number[] = [];
    const on: number[] = [];
    const measureOff = async () => {
      const resume = telemetry.pause();
      off.push(await run());
      resume();
    };
    const measureOn = async () => {
      on.push(await run());
      await handle.flush();
      handle.spans!.reset(); // what an exporter would have sent is not kept
    };
    await run(); // warm-up, telemetry on
    await measureOff();
    off.length = 0;
    on.length = 0;
    // ABBA order, so neither side always runs first.
    for (let i = 0; i < pairs; i++) {
      for (const measure of i % 2 ? [measureOn, measureOff] : [measureOff, measureOn]) await measure();
    }
    await handle.shutdown();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const ratio = median(on.map((x, i) => x / off[i]!));
    const overhead = (1 - ratio) * 100;
    console.log(
      `  telemetry off ${fmt(median(off)).padStart(9)} beacons/CPU-s   on ${fmt(median(on)).padStart(9)} beacons/CPU-s (medians of ${pairs})   ratio on/off ${ratio.toFixed(3)} (median of pairs)   overhead ${overhead.toFixed(1)}% (budget 5%)`,
    );
    return { telemetryOffBeaconsPerCpuSec: median(off), telemetryOnBeaconsPerCpuSec: median(on), telemetryOverheadPct: overhead };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
