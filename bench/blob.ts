// Blob intake: MB/s and peak RSS for 100 MB and 1 GB NDJSON blobs in Azurite, next to
// JSON.parse + JSON.stringify of the same bytes (the per-core baseline), the ingestion calls
// (tagged chunks) per file, and the Event Grid function's event-to-answer time (check + enqueue).
// Each size runs in a child process so the two do not share a heap and the peak RSS figures compare.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os, { availableParallelism } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { loadConfig } from '../src/config.js';
import { parseBlobEvents } from '../src/intake/blob/event.js';
import { handOff } from '../src/intake/blob/handoff.js';
import { processWorkItem } from '../src/intake/blob/intake.js';
import type { WorkItem } from '../src/intake/blob/work-item.js';
import { startAzurite } from '../src/local/azurite.js';
import { blobCreatedEvent } from '../src/local/event-grid.js';
import { createServices } from '../src/composition/app.js';
import { Enricher } from '../src/enrich/enricher.js';
import { readRecords } from '../src/intake/blob/formats/read.js';
import { BatchBuilder, inlinePreparer, type BatchPreparer, type RecordBatch } from '../src/intake/blob/prepare.js';
import { PreparePool } from '../src/intake/blob/prepare-pool.js';
import { RecordPreparer } from '../src/pipeline/prepare.js';
import { beacon, rng } from './corpus.js';

function* lines(bytes: number): Generator<string> {
  const r = rng(11);
  let written = 0;
  for (let s = 0; written < bytes; s++) {
    let chunk = '';
    for (let seq = 0; seq < 50; seq++) chunk += JSON.stringify(beacon(r, `blob-${s}`, seq, 'd1.cloudfront.net')) + '\n';
    written += chunk.length;
    yield chunk;
  }
}

/** JSON.parse + JSON.stringify of every line of the file: MB/s on one core. */
async function baseline(file: string, size: number): Promise<number> {
  const started = process.hrtime.bigint();
  let tail = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const parts = (tail + (chunk as string)).split('\n');
    tail = parts.pop() ?? '';
    for (const p of parts) if (p) JSON.stringify(JSON.parse(p));
  }
  return size / 1e6 / (Number(process.hrtime.bigint() - started) / 1e9);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/** Child: upload one blob of `mb` MB to a fresh Azurite, ingest it as the worker does, print one JSON line of figures. */
async function child(mb: number, threads: string): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-blob-'));
  const azurite = await startAzurite({ location: path.join(dir, 'azurite') });
  try {
    const file = path.join(dir, 'drop.ndjson');
    await pipeline(Readable.from(lines(mb * 1024 * 1024)), createWriteStream(file));
    const size = (await stat(file)).size;
    const baselineMbps = await baseline(file, size);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('telemetry');
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient('drop.ndjson');
    await blob.uploadFile(file, { blockSize: 8 * 1024 * 1024, concurrency: 2 });
    await rm(file);
    const props = await blob.getProperties();
    const config = loadConfig({
      AzureWebJobsStorage: azurite.connectionString,
      QOE_DATA_DIR: path.join(dir, 'data'),
      QOE_DEADLETTER_STORE: 'file',
      QOE_BLOB_PREPARE_THREADS: threads,
    });
    const s = await createServices(config, { log: () => {} });
    const event = blobCreatedEvent({
      accountUrl: container.url.replace(/\/telemetry$/, ''),
      container: 'telemetry',
      name: 'drop.ndjson',
      eTag: props.etag!,
      contentLength: size,
      sequencer: 1,
    });

    // The Event Grid function's work per event: parse, check, enqueue (the queue in Azurite).
    const answers: number[] = [];
    const queue: WorkItem[] = [];
    for (let i = 0; i < 220; i++) {
      const t = process.hrtime.bigint();
      for (const parsed of await parseBlobEvents(event)) {
        if (parsed.kind !== 'blob-created') throw new Error('no event');
        const out = await handOff(parsed.blob, { account: s.blobs, queue: s.blobQueue, containers: ['telemetry'], prefixes: [] });
        if (out.status !== 'queued') throw new Error(out.reason);
        if (i === 0) queue.push(out.item);
      }
      if (i >= 20) answers.push(Number(process.hrtime.bigint() - t) / 1e6); // after warm-up
    }
    answers.sort((a, b) => a - b);

    const b = config.blob;
    const deps = {
      pipeline: s.pipeline,
      checkpoints: s.checkpoints,
      deadLetter: s.deadLetter,
      blobs: s.blobs,
      queue: { send: async (item: WorkItem) => void queue.push(item) },
      preparer: s.blobPreparer,
      settings: {
        containers: ['telemetry'],
        prefixes: [],
        chunkBytes: b.chunkBytes,
        rangeBytes: b.rangeBytes,
        maxRecordBytes: b.maxRecordBytes,
        claimMs: b.claimSeconds * 1000,
      },
    };
    // The threads start (and load their Enrichers) once per instance, on its first blob: timed apart.
    const warming = process.hrtime.bigint();
    const empty = () => ({ lines: new Uint8Array(0), lineIndexes: [], lineNumbers: [], candidates: [] });
    const ctx = { source: 'blob' as const, sourceRef: null, receivedAt: new Date(), sender: {} };
    await Promise.all(Array.from({ length: s.blobPreparer.capacity }, () => s.blobPreparer.prepare(empty(), ctx)));
    const threadStartMs = Number(process.hrtime.bigint() - warming) / 1e6;
    const rssBefore = process.memoryUsage.rss();
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 25);
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    let records = 0;
    let ranges = 0;
    // One instance works through the item and the ranges it fans out into (many instances would share them).
    while (queue.length) {
      const outcome = await processWorkItem(queue.shift()!, deps);
      if (outcome.status === 'ingested') records += outcome.records;
      if (outcome.status === 'fanned-out') ranges = outcome.ranges;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(sampler);
    console.log(
      JSON.stringify({
        mb,
        threads: config.blob.prepareThreads,
        threadStartMs,
        size,
        cpuUser: cpu.user / 1e6,
        cpuSystem: cpu.system / 1e6,
        seconds,
        peakRss: peak,
        records,
        ranges,
        calls: s.batcher.stats.batchesWritten,
        baselineMbps,
        p50: pct(answers, 50),
        p99: pct(answers, 99),
      }),
    );
  } finally {
    await azurite.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface ChildResult {
  mb: number;
  threads: number;
  threadStartMs: number;
  cpuUser: number;
  cpuSystem: number;
  size: number;
  seconds: number;
  peakRss: number;
  records: number;
  ranges: number;
  calls: number;
  baselineMbps: number;
  p50: number;
  p99: number;
}

function runChild(mb: number, threads = ''): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(mb), threads], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildResult)
        : reject(new Error(`child for ${mb} MB exited ${code}`)),
    );
  });
}

function report(r: ChildResult): void {
  const mbps = r.size / 1e6 / r.seconds;
  const cpu = r.cpuUser + r.cpuSystem;
  const perCore = r.size / 1e6 / cpu;
  console.log(
    `  ${String(r.mb).padStart(5)} MB NDJSON, ${r.threads ? `${r.threads} prepare threads` : 'prepared on the reading thread'}: ` +
      `${r.records.toLocaleString('en-US')} records in ${r.seconds.toFixed(1)} s = ${mbps.toFixed(1)} MB/s, ` +
      `peak RSS ${(r.peakRss / 1024 / 1024).toFixed(0)} MB, ingestion calls ${r.calls}${r.ranges ? `, ${r.ranges} ranges` : ''}` +
      (r.threads ? ` (the threads started in ${r.threadStartMs.toFixed(0)} ms before, once per instance)` : ''),
  );
  console.log(
    `         CPU ${cpu.toFixed(1)} s (${r.cpuSystem.toFixed(1)} s system; Azurite's not counted) = ${perCore.toFixed(1)} MB per CPU-second; ` +
      `JSON.parse+stringify of the same bytes ${r.baselineMbps.toFixed(1)} MB/s on one core: ${(perCore / r.baselineMbps).toFixed(2)}x per core`,
  );
  console.log(`         Event Grid function event-to-answer (check + enqueue): p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`);
}

/**
 * The prepare step alone, no storage and no sink: the same batches on the reading thread and on
 * the pool, so what the threads add shows apart from Azurite and the sink sharing these cores.
 */
export async function prepareScaling(mb: number): Promise<void> {
  const text = Buffer.from([...lines(mb * 1024 * 1024)].join(''));
  const batches: RecordBatch[] = [];
  const builder = new BatchBuilder();
  for await (const r of readRecords(Readable.from([text]), 'ndjson', false)) {
    builder.add(r);
    if (builder.size >= 1000) batches.push(builder.take());
  }
  if (builder.size) batches.push(builder.take());
  const copies = () => batches.map((b) => ({ ...b, lines: new Uint8Array(b.lines) })); // the pool moves each batch's buffer away
  const config = loadConfig({});
  const limits = { maxStringLength: config.http.maxStringLength, maxUrlLength: config.http.maxUrlLength, maxExtraBytes: 8192 };
  const ctx = { source: 'blob' as const, sourceRef: 'bench', receivedAt: new Date(), sender: {} };
  const run = async (preparer: BatchPreparer): Promise<number> => {
    const work = copies();
    const started = process.hrtime.bigint();
    const out: Array<Promise<unknown>> = [];
    for (const b of work) {
      if (out.length >= preparer.capacity) await out.shift();
      out.push(preparer.prepare(b, ctx));
    }
    await Promise.all(out);
    return text.length / 1e6 / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  const inline = inlinePreparer(new RecordPreparer(await Enricher.create(config.enrich), limits));
  const pool = new PreparePool(availableParallelism(), { enrich: config.enrich, limits });
  await run(pool); // threads started and warm
  await run(inline);
  const here = [await run(inline), await run(inline)];
  const threads = [await run(pool), await run(pool)];
  await pool.close();
  const best = (xs: number[]) => Math.max(...xs);
  const parseStringify = () => {
    const started = process.hrtime.bigint();
    for (const line of text.toString('utf8').split('\n')) if (line) JSON.stringify(JSON.parse(line));
    return text.length / 1e6 / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  const baselineMbps = best([parseStringify(), parseStringify()]);
  console.log(
    `  prepare alone (${mb} MB NDJSON in batches of 1,000, no storage, no sink): reading thread ${best(here).toFixed(1)} MB/s, ` +
      `${pool.threads} prepare threads ${best(threads).toFixed(1)} MB/s = ${(best(threads) / best(here)).toFixed(2)}x; ` +
      `JSON.parse+stringify ${baselineMbps.toFixed(1)} MB/s on one core: the prepare step ${(best(here) / baselineMbps).toFixed(2)}x of it per core`,
  );
}

export async function benchBlob(sizesMb = [100, 1024]): Promise<Record<string, number>> {
  await prepareScaling(50);
  // The reading thread alone first, at the smallest size: what the prepare threads add, same run.
  const alone = await runChild(sizesMb[0]!, '0');
  report(alone);
  const results: ChildResult[] = [];
  for (const mb of sizesMb) {
    const r = await runChild(mb);
    results.push(r);
    report(r);
  }
  const first = results[0]!;
  const last = results[results.length - 1]!;
  const ratio = last.peakRss / first.peakRss;
  console.log(
    `  prepare threads vs the reading thread alone at ${first.mb} MB: ${(alone.seconds / first.seconds).toFixed(2)}x the throughput` +
      (results.length > 1 ? `; peak RSS ${last.mb} MB / ${first.mb} MB: ${ratio.toFixed(2)}x` : ''),
  );
  console.log('  (targets: >= 80 MB/s, >= 0.5x per core, <= 1.2x RSS, p99 < 50 ms)');
  return { rssRatio: ratio, mbPerSecond: last.size / 1e6 / last.seconds };
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]), process.argv[4] ?? '');
