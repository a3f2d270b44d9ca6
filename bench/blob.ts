// Blob intake: MB/s and peak RSS for 100 MB and 1 GB NDJSON blobs in Azurite. Each size runs in a
// child process so the two do not share a heap and the peak RSS figures compare.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { loadConfig } from '../src/config.js';
import { parseBlobEvent } from '../src/intake/blob/event.js';
import { ingestBlob } from '../src/intake/blob/intake.js';
import { startAzurite } from '../src/local/azurite.js';
import { blobCreatedEvent } from '../src/local/event-grid.js';
import { createServices } from '../src/composition/app.js';
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

/** Child: upload one blob of `mb` MB to a fresh Azurite, ingest it, print one JSON line of figures. */
async function child(mb: number): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-blob-'));
  const azurite = await startAzurite({ location: path.join(dir, 'azurite') });
  try {
    const file = path.join(dir, 'drop.ndjson');
    await pipeline(Readable.from(lines(mb * 1024 * 1024)), createWriteStream(file));
    const size = (await stat(file)).size;
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('telemetry');
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient('drop.ndjson');
    await blob.uploadFile(file, { blockSize: 8 * 1024 * 1024, concurrency: 2 });
    await rm(file);
    const props = await blob.getProperties();
    const parsed = await parseBlobEvent(blobCreatedEvent({ accountUrl: container.url.replace(/\/telemetry$/, ''), container: 'telemetry', name: 'drop.ndjson', eTag: props.etag!, contentLength: size, sequencer: 1 }));
    if (parsed.kind !== 'blob-created') throw new Error('no event');
    const config = loadConfig({ AzureWebJobsStorage: azurite.connectionString, QOE_DATA_DIR: path.join(dir, 'data'), QOE_DEADLETTER_STORE: 'file' });
    const s = await createServices(config, { log: () => {} });
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const started = process.hrtime.bigint();
    const outcome = await ingestBlob(parsed.blob, { pipeline: s.pipeline, checkpoints: s.checkpoints, deadLetter: s.deadLetter, blobs: s.blobs, chunkRecords: config.blob.chunkRecords, containers: ['telemetry'], prefixes: [] });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    console.log(JSON.stringify({ mb, size, seconds, peakRss: peak, outcome }));
  } finally {
    await azurite.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function runChild(mb: number): Promise<{ mb: number; size: number; seconds: number; peakRss: number; outcome: { records: number } }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(mb)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`child for ${mb} MB exited ${code}`))));
  });
}

export async function benchBlob(sizesMb = [100, 1024]): Promise<Record<string, number>> {
  const results = [];
  for (const mb of sizesMb) {
    const r = await runChild(mb);
    results.push(r);
    console.log(`  ${String(mb).padStart(5)} MB NDJSON: ${r.outcome.records.toLocaleString('en-US')} records in ${r.seconds.toFixed(1)} s = ${(r.size / 1e6 / r.seconds).toFixed(1)} MB/s, peak RSS ${(r.peakRss / 1024 / 1024).toFixed(0)} MB`);
  }
  const ratio = results.length > 1 ? results[results.length - 1]!.peakRss / results[0]!.peakRss : 1;
  if (results.length > 1) console.log(`  peak RSS ${sizesMb[sizesMb.length - 1]} MB / ${sizesMb[0]} MB: ${ratio.toFixed(2)}x   (targets: >= 80 MB/s, <= 1.2x)`);
  return { rssRatio: ratio, mbPerSecond: results[0] ? results[0].size / 1e6 / results[0].seconds : 0 };
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]));
