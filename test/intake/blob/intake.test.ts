// Blob drops end to end against Azurite: real blobs, real Table Storage checkpoints, the real
// pipeline and file sink; redelivery, re-upload, crash-and-resume, bad files.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { CheckpointStore } from '../../../src/ingest/checkpoints.js';
import { ingestBlob, type BlobIntakeDeps } from '../../../src/intake/blob/intake.js';
import { blobCreatedEvent } from '../../../src/local/event-grid.js';
import { parseBlobEvent, type BlobCreated } from '../../../src/intake/blob/event.js';
import { createServices, type Services } from '../../../src/composition/app.js';
import { startTestAzurite, type TestAzurite } from '../../support/azurite.js';
import { glob, readNdjsonTree } from '../../support/files.js';
import { validBeacon } from '../../support/services.js';

let azurite: TestAzurite;
let services: Services;
let container: ContainerClient;
let dir: string;

beforeAll(async () => {
  azurite = await startTestAzurite();
  dir = await mkdtemp(path.join(os.tmpdir(), 'blob-intake-'));
  const config = loadConfig({ AzureWebJobsStorage: azurite.connectionString, QOE_DATA_DIR: dir, QOE_DEADLETTER_STORE: 'file', QOE_BATCH_MAX_DELAY_MS: '5', QOE_BLOB_CHUNK_RECORDS: '10' });
  services = await createServices(config, { log: () => {} });
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('telemetry');
  await container.create();
});
afterAll(async () => {
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

const deps = (over: Partial<BlobIntakeDeps> = {}): BlobIntakeDeps => ({
  pipeline: services.pipeline,
  checkpoints: services.checkpoints,
  deadLetter: services.deadLetter,
  blobs: services.blobs,
  chunkRecords: 10,
  containers: ['telemetry'],
  prefixes: [],
  ...over,
});

async function upload(name: string, body: Buffer | string, contentType?: string): Promise<BlobCreated> {
  const blob = container.getBlockBlobClient(name);
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  await blob.upload(bytes, bytes.length, { blobHTTPHeaders: { blobContentType: contentType } });
  const props = await blob.getProperties();
  const parsed = await parseBlobEvent(blobCreatedEvent({ accountUrl: container.url.replace(/\/telemetry$/, ''), container: 'telemetry', name, eTag: props.etag!, contentType, contentLength: bytes.length, sequencer: 1 }));
  if (parsed.kind !== 'blob-created') throw new Error('expected a blob event');
  return parsed.blob;
}

const beacons = (session: string, n: number) => Array.from({ length: n }, (_, i) => validBeacon({ sessionId: session, seq: i }));
const rowsFor = async (session: string) => (await readNdjsonTree(path.join(dir, 'sink'))).filter((r) => r.SessionId === session);

describe('blob intake', () => {
  it('ingests NDJSON, gzip JSON array and CSV files with Source=blob and the blob URL', async () => {
    const nd = await upload('drops/a.ndjson', beacons('nd', 25).map((b) => JSON.stringify(b)).join('\n'));
    expect(await ingestBlob(nd, deps())).toMatchObject({ status: 'ingested', records: 25, accepted: 25, rejected: 0 });
    const arr = await upload('drops/b.json.gz', zlib.gzipSync(JSON.stringify(beacons('arr', 12))), 'application/json');
    expect(await ingestBlob(arr, deps())).toMatchObject({ status: 'ingested', accepted: 12 });
    const csv = await upload('drops/c.csv', `sessionId,seq,event,ts,bitrateKbps\ncsv,1,play,1795428000000,3200\ncsv,2,heartbeat,1795428010000,4800\n`, 'text/csv');
    expect(await ingestBlob(csv, deps())).toMatchObject({ status: 'ingested', accepted: 2 });

    const rows = await rowsFor('nd');
    expect(rows).toHaveLength(25);
    expect(rows[0]).toMatchObject({ Source: 'blob', SourceRef: nd.url });
    expect((await rowsFor('arr')).map((r) => r.Seq).sort((a, b) => Number(a) - Number(b))).toEqual([...Array(12).keys()]);
    expect(await rowsFor('csv')).toEqual([expect.objectContaining({ EventType: 'play', BitrateKbps: 3200 }), expect.objectContaining({ EventType: 'heartbeat', BitrateKbps: 4800 })]);
  });

  it('adds no rows when the same event is delivered again or the same bytes are uploaded again', async () => {
    const ev = await upload('drops/again.ndjson', beacons('again', 15).map((b) => JSON.stringify(b)).join('\n'));
    await ingestBlob(ev, deps());
    expect(await ingestBlob(ev, deps())).toEqual({ status: 'already-done' });
    const reupload = await upload('drops/again.ndjson', beacons('again', 15).map((b) => JSON.stringify(b)).join('\n'));
    expect(reupload.eTag).not.toBe(ev.eTag);
    expect(await ingestBlob(reupload, deps())).toEqual({ status: 'already-done' });
    expect(await rowsFor('again')).toHaveLength(15);
    // changed content under the same name is read again
    const changed = await upload('drops/again.ndjson', beacons('again2', 3).map((b) => JSON.stringify(b)).join('\n'));
    expect(await ingestBlob(changed, deps())).toMatchObject({ status: 'ingested', accepted: 3 });
  });

  it('resumes after a crash half-way through a file: every row present exactly once', async () => {
    const ev = await upload('drops/crash.ndjson', beacons('crash', 47).map((b) => JSON.stringify(b)).join('\n'));
    // the function dies while streaming record 33 (after 3 durable chunks of 10)
    const dying = { ...services.blobs, open: async (url: string) => cutAfter(await services.blobs.open(url), 33) };
    await expect(ingestBlob(ev, deps({ blobs: dying }))).rejects.toThrow(/connection reset/);
    expect(await rowsFor('crash')).toHaveLength(30);
    const resumed = await ingestBlob(ev, deps());
    expect(resumed).toMatchObject({ status: 'ingested', resumedFrom: 30, records: 47, accepted: 17 });
    const seqs = (await rowsFor('crash')).map((r) => Number(r.Seq)).sort((a, b) => a - b);
    expect(seqs).toEqual([...Array(47).keys()]);
  });

  it('dies after chunks became durable but before their checkpoint: redelivery still adds every row once (chunk tags)', async () => {
    const ev = await upload('drops/gap.ndjson', beacons('gap', 47).map((b) => JSON.stringify(b)).join('\n'));
    // The process "dies" at the second checkpoint write: chunk 2 (and the chunk read ahead of it)
    // reached the sink, the checkpoint still says 10 records.
    let saves = 0;
    const dying: CheckpointStore = {
      get: (url, version) => services.checkpoints.get(url, version),
      save: async (url, version, cp) => {
        if (++saves >= 2) throw new Error('process killed');
        return services.checkpoints.save(url, version, cp);
      },
    };
    await expect(ingestBlob(ev, deps({ checkpoints: dying }))).rejects.toThrow(/process killed/);
    const before = (await rowsFor('gap')).length;
    expect(before).toBeGreaterThanOrEqual(20); // more rows landed than the checkpoint knows of
    const again = await ingestBlob(ev, deps());
    expect(again).toMatchObject({ status: 'ingested', resumedFrom: 10, records: 47 });
    const seqs = (await rowsFor('gap')).map((r) => Number(r.Seq)).sort((a, b) => a - b);
    expect(seqs).toEqual([...Array(47).keys()]);
    // and once more, as Event Grid may: nothing
    expect(await ingestBlob(ev, deps())).toEqual({ status: 'already-done' });
    expect(await rowsFor('gap')).toHaveLength(47);
  });

  it('dead-letters one bad line with the blob URL and line number and ingests the rest', async () => {
    const lines = beacons('badline', 5).map((b) => JSON.stringify(b));
    lines.splice(2, 0, '{"sessionId":"badline","event":"nope"}');
    const ev = await upload('drops/bad-line.ndjson', lines.join('\n'));
    expect(await ingestBlob(ev, deps())).toMatchObject({ status: 'ingested', accepted: 5, rejected: 1 });
    const docs = await Promise.all((await glob(path.join(dir, 'deadletter'), /rejected\//)).map(async (f) => JSON.parse(await readFile(f, 'utf8'))));
    const doc = docs.find((d) => d.sourceRef === ev.url)!;
    expect(doc.source).toBe('blob');
    expect(doc.records).toEqual([expect.objectContaining({ line: 3, index: 2 })]);
  });

  it('dead-letters a corrupt gzip or binary file whole and acknowledges it', async () => {
    const gz = zlib.gzipSync(beacons('corrupt', 200).map((b) => JSON.stringify(b)).join('\n'));
    gz.fill(0x41, Math.floor(gz.length / 3), Math.floor(gz.length / 3) + 40);
    const bad = await upload('drops/corrupt.ndjson.gz', gz);
    const out = await ingestBlob(bad, deps());
    expect(out).toMatchObject({ status: 'unreadable' });
    expect(await ingestBlob(bad, deps())).toEqual({ status: 'already-done' });
    const png = await upload('drops/picture.ndjson', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]));
    expect(await ingestBlob(png, deps())).toMatchObject({ status: 'unreadable', reason: expect.stringMatching(/binary/) });
    const docs = await Promise.all((await glob(path.join(dir, 'deadletter'), /rejected\//)).map(async (f) => JSON.parse(await readFile(f, 'utf8'))));
    expect(docs.filter((d) => d.sourceRef === bad.url || d.sourceRef === png.url).map((d) => d.records[0].errors[0])).toEqual(
      expect.arrayContaining([expect.stringMatching(/unreadable file: corrupt gzip/), expect.stringMatching(/unreadable file: file is binary/)]),
    );
  });

  it('ignores blobs outside the watched containers and prefixes', async () => {
    const ev = await upload('elsewhere/x.ndjson', JSON.stringify(validBeacon()));
    expect(await ingestBlob({ ...ev, container: 'other' }, deps())).toMatchObject({ status: 'ignored' });
    expect(await ingestBlob(ev, deps({ prefixes: ['drops/'] }))).toMatchObject({ status: 'ignored' });
  });

  it('throws on a transient storage failure so Event Grid retries', async () => {
    const ev = await upload('drops/transient.ndjson', JSON.stringify(validBeacon({ sessionId: 'transient' })));
    const down = { ...services.blobs, open: async () => Promise.reject(Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' })) };
    await expect(ingestBlob(ev, deps({ blobs: down }))).rejects.toThrow(/ECONNREFUSED/);
    expect(await ingestBlob(ev, deps())).toMatchObject({ status: 'ingested', accepted: 1 });
  });
});

/** A stream that breaks (like a reset connection) once `records` newlines went through. */
function cutAfter(source: Readable, records: number): Readable {
  const out = new PassThrough();
  let seen = 0;
  source.on('data', (chunk: Buffer) => {
    if (seen >= records) return;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0x0a && ++seen === records) {
        out.write(chunk.subarray(0, i + 1));
        source.destroy();
        // the bytes before the break were delivered; the connection dies a moment later
        setTimeout(() => out.destroy(new Error('connection reset')), 300);
        return;
      }
    }
    out.write(chunk);
  });
  source.on('end', () => out.end());
  return out;
}
