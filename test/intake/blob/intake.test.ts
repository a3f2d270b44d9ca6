// Blob drops end to end against Azurite: real blobs, real Table Storage claims and checkpoints,
// the real pipeline and file sink; redelivery, re-upload, crash-and-resume, ranges, bad files.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { CheckpointStore } from '../../../src/ingest/checkpoints.js';
import { processWorkItem, type BlobWorkerDeps } from '../../../src/intake/blob/intake.js';
import type { BatchPreparer } from '../../../src/intake/blob/prepare.js';
import type { WorkItem } from '../../../src/intake/blob/work-item.js';
import { createServices, type Services } from '../../../src/composition/app.js';
import { startTestAzurite, type TestAzurite } from '../../support/azurite.js';
import { glob, readNdjsonTree } from '../../support/files.js';
import { validBeacon } from '../../support/services.js';

let azurite: TestAzurite;
let services: Services;
let container: ContainerClient;
let dir: string;
const sent: Array<{ item: WorkItem; delay: number }> = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
  dir = await mkdtemp(path.join(os.tmpdir(), 'blob-intake-'));
  const config = loadConfig({
    AzureWebJobsStorage: azurite.connectionString,
    QOE_DATA_DIR: dir,
    QOE_DEADLETTER_STORE: 'file',
    QOE_BATCH_MAX_DELAY_MS: '5',
  });
  services = await createServices(config, { log: () => {} });
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('telemetry');
  await container.create();
});
afterAll(async () => {
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

// About 10 records a chunk (a test beacon line is 150-200 bytes).
const CHUNK_BYTES = 1800;

const deps = (over: Partial<BlobWorkerDeps> = {}): BlobWorkerDeps => ({
  pipeline: services.pipeline,
  checkpoints: services.checkpoints,
  deadLetter: services.deadLetter,
  blobs: services.blobs,
  queue: { send: async (item, delay = 0) => void sent.push({ item, delay }) },
  settings: {
    containers: ['telemetry'],
    prefixes: [],
    chunkBytes: CHUNK_BYTES,
    rangeBytes: 1 << 30,
    maxRecordBytes: 64 * 1024,
    claimMs: 60_000,
  },
  ...over,
});

async function upload(name: string, body: Buffer | string, contentType?: string): Promise<WorkItem> {
  const blob = container.getBlockBlobClient(name);
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  await blob.upload(bytes, bytes.length, { blobHTTPHeaders: { blobContentType: contentType } });
  const props = await blob.getProperties();
  return { container: 'telemetry', name, eTag: props.etag! };
}

const beacons = (session: string, n: number) => Array.from({ length: n }, (_, i) => validBeacon({ sessionId: session, seq: i }));
const rowsFor = async (session: string) => (await readNdjsonTree(path.join(dir, 'sink'))).filter((r) => r.SessionId === session);
const ndjson = (session: string, n: number) =>
  beacons(session, n)
    .map((b) => JSON.stringify(b))
    .join('\n');
const seqsOf = async (session: string) => (await rowsFor(session)).map((r) => Number(r.Seq)).sort((a, b) => a - b);

const urlOf = (item: WorkItem) => services.blobs.blobUrl(item.container, item.name);

/** Runs the items the worker re-enqueued (busy) or fanned out, until none is left. */
async function runQueued(d: BlobWorkerDeps = deps()): Promise<string[]> {
  const statuses: string[] = [];
  while (sent.length) {
    const { item } = sent.shift()!;
    statuses.push((await processWorkItem(item, d)).status);
  }
  return statuses;
}

/** Uploads by Put Block List (as AzCopy and large SDK uploads do): the blob has no Content-MD5. */
async function uploadBlocks(name: string, body: string): Promise<WorkItem> {
  const blob = container.getBlockBlobClient(name);
  const ids: string[] = [];
  const bytes = Buffer.from(body);
  for (let i = 0; i * 1000 < bytes.length; i++) {
    const id = Buffer.from(`block-${String(i).padStart(6, '0')}`).toString('base64');
    await blob.stageBlock(id, bytes.subarray(i * 1000, (i + 1) * 1000), Math.min(1000, bytes.length - i * 1000));
    ids.push(id);
  }
  await blob.commitBlockList(ids);
  const props = await blob.getProperties();
  expect(props.contentMD5).toBeUndefined();
  return { container: 'telemetry', name, eTag: props.etag! };
}

describe('blob worker', () => {
  it('ingests NDJSON, gzip JSON array and CSV files with Source=blob and the blob URL', async () => {
    const nd = await upload('drops/a.ndjson', ndjson('nd', 25));
    expect(await processWorkItem(nd, deps())).toMatchObject({
      status: 'ingested',
      records: 25,
      accepted: 25,
      rejected: 0,
      chunks: expect.any(Number),
    });
    const arr = await upload('drops/b.json.gz', zlib.gzipSync(JSON.stringify(beacons('arr', 12))), 'application/json');
    expect(await processWorkItem(arr, deps())).toMatchObject({ status: 'ingested', accepted: 12 });
    const csv = await upload(
      'drops/c.csv',
      `sessionId,seq,event,ts,bitrateKbps\ncsv,1,play,1795428000000,3200\ncsv,2,heartbeat,1795428010000,4800\n`,
      'text/csv',
    );
    expect(await processWorkItem(csv, deps())).toMatchObject({ status: 'ingested', accepted: 2 });

    const rows = await rowsFor('nd');
    expect(rows).toHaveLength(25);
    expect(rows[0]).toMatchObject({ Source: 'blob', SourceRef: urlOf(nd) });
    expect(await seqsOf('arr')).toEqual([...Array(12).keys()]);
    expect(await rowsFor('csv')).toEqual([
      expect.objectContaining({ EventType: 'play', BitrateKbps: 3200 }),
      expect.objectContaining({ EventType: 'heartbeat', BitrateKbps: 4800 }),
    ]);
  });

  it('adds no rows when the same item comes again or the same bytes are uploaded again (Put Blob)', async () => {
    const first = await upload('drops/again.ndjson', ndjson('again', 15));
    await processWorkItem(first, deps());
    expect(await processWorkItem(first, deps())).toEqual({ status: 'already-done' });
    const reupload = await upload('drops/again.ndjson', ndjson('again', 15));
    expect(reupload.eTag).not.toBe(first.eTag);
    expect(await processWorkItem(reupload, deps())).toEqual({ status: 'already-done' });
    expect(await rowsFor('again')).toHaveLength(15);
    const changed = await upload('drops/again.ndjson', ndjson('again2', 3));
    expect(await processWorkItem(changed, deps())).toMatchObject({ status: 'ingested', accepted: 3 });
  });

  it('the same content uploaded twice by Put Block List (no Content-MD5, new eTag): rows once', async () => {
    const body = ndjson('blocks', 40);
    const first = await uploadBlocks('drops/blocks.ndjson', body);
    expect(await processWorkItem(first, deps())).toMatchObject({ status: 'ingested', records: 40 });
    const second = await uploadBlocks('drops/blocks.ndjson', body);
    expect(second.eTag).not.toBe(first.eTag);
    // read again under the new eTag, but every chunk's content tag is already in the sink
    expect(await processWorkItem(second, deps())).toMatchObject({ status: 'ingested', records: 40 });
    expect(await seqsOf('blocks')).toEqual([...Array(40).keys()]);
  });

  it('the same item handed to three workers at once: one reads, the others come back later; rows exactly once', async () => {
    const item = await upload('drops/thrice.ndjson', ndjson('thrice', 60));
    const outcomes = await Promise.all([processWorkItem(item, deps()), processWorkItem(item, deps()), processWorkItem(item, deps())]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['busy', 'busy', 'ingested']);
    expect(sent).toHaveLength(2);
    expect(sent.every((s) => s.delay > 0)).toBe(true);
    expect(await runQueued()).toEqual(['already-done', 'already-done']);
    expect(await seqsOf('thrice')).toEqual([...Array(60).keys()]);
  });

  it('resumes after a reader died half-way through a file: every row present exactly once', async () => {
    const item = await upload('drops/crash.ndjson', ndjson('crash', 47));
    const dying = {
      ...services.blobs,
      open: async (...a: Parameters<typeof services.blobs.open>) => cutAfter(await services.blobs.open(...a), 33),
    };
    await expect(processWorkItem(item, deps({ blobs: dying }))).rejects.toThrow(/connection reset/);
    const landed = (await rowsFor('crash')).length;
    expect(landed).toBeGreaterThan(0);
    expect(landed).toBeLessThan(47);
    const resumed = await processWorkItem(item, deps());
    expect(resumed).toMatchObject({ status: 'ingested', records: 47, resumedFrom: landed });
    expect(await seqsOf('crash')).toEqual([...Array(47).keys()]);
  });

  it('dies after chunks became durable but before their checkpoint: the retry still adds every row once (chunk tags)', async () => {
    const item = await upload('drops/gap.ndjson', ndjson('gap', 47));
    // The process "dies" at the second checkpoint write: chunk 2 (and the one read ahead) reached
    // the sink, the checkpoint still stands after chunk 1.
    let saves = 0;
    const dying: CheckpointStore = {
      claim: async (key, leaseMs) => {
        const r = await services.checkpoints.claim(key, leaseMs);
        if (r.kind !== 'claimed') return r;
        const real = r.claim;
        return {
          kind: 'claimed',
          claim: {
            bytes: real.bytes,
            records: real.records,
            save: async (p, done) => (++saves >= 2 ? Promise.reject(new Error('process killed')) : real.save(p, done)),
            renew: () => real.renew(),
            release: () => real.release(),
          },
        };
      },
    };
    await expect(processWorkItem(item, deps({ checkpoints: dying }))).rejects.toThrow(/process killed/);
    const before = (await rowsFor('gap')).length;
    const again = await processWorkItem(item, deps());
    expect(again).toMatchObject({ status: 'ingested', records: 47 });
    expect((again as { resumedFrom: number }).resumedFrom).toBeLessThan(before); // more rows had landed than the checkpoint knew
    expect(await seqsOf('gap')).toEqual([...Array(47).keys()]);
    expect(await processWorkItem(item, deps())).toEqual({ status: 'already-done' });
  });

  it('cuts a large NDJSON or CSV file into ranges, one work item each: every row once; gzip is read whole', async () => {
    const d = deps({ settings: { ...deps().settings, rangeBytes: 2500 } });
    const nd = await upload('drops/ranges.ndjson', ndjson('ranges', 83) + '\n');
    expect(await processWorkItem(nd, d)).toEqual({ status: 'fanned-out', ranges: expect.any(Number) });
    expect(sent.length).toBeGreaterThan(3);
    expect(sent.every((s) => s.item.range !== undefined)).toBe(true);
    const statuses = await runQueued(d);
    expect(statuses.every((s) => s === 'ingested')).toBe(true);
    expect(await seqsOf('ranges')).toEqual([...Array(83).keys()]);

    const header = 'sessionId,seq,event,ts,bitrateKbps\n';
    const rows = Array.from({ length: 120 }, (_, i) => `csvr,${i},heartbeat,${1795428000000 + i * 1000},3200\n`).join('');
    const csv = await upload('drops/ranges.csv', header + rows, 'text/csv');
    expect(await processWorkItem(csv, d)).toMatchObject({ status: 'fanned-out' });
    await runQueued(d);
    expect(await seqsOf('csvr')).toEqual([...Array(120).keys()]);

    const gz = await upload('drops/ranges-gz.ndjson', zlib.gzipSync(ndjson('rangesgz', 200)));
    expect(await processWorkItem(gz, d)).toMatchObject({ status: 'ingested', records: 200 });
  });

  it('one 32 MB line: rejected with its reason, the rest of the file lands', async () => {
    const lines = beacons('longline', 6).map((b) => JSON.stringify(b));
    lines.splice(3, 0, JSON.stringify({ ...validBeacon({ sessionId: 'longline', seq: 99 }), pad: 'x'.repeat(32 * 1024 * 1024) }));
    const item = await upload('drops/long-line.ndjson', lines.join('\n'));
    expect(
      await processWorkItem(item, deps({ settings: { ...deps().settings, maxRecordBytes: 1024 * 1024, chunkBytes: 32 * 1024 * 1024 } })),
    ).toMatchObject({ status: 'ingested', records: 7, accepted: 6, rejected: 1 });
    expect(await seqsOf('longline')).toEqual([0, 1, 2, 3, 4, 5]);
    const docs = await Promise.all(
      (await glob(path.join(dir, 'deadletter'), /rejected\//)).map(async (f) => JSON.parse(await readFile(f, 'utf8'))),
    );
    expect(docs.find((doc) => doc.sourceRef === urlOf(item))!.records).toEqual([
      expect.objectContaining({ line: 4, errors: [expect.stringMatching(/^line 4: \d+ bytes, longer than the 1048576-byte limit/)] }),
    ]);
  }, 60_000);

  it('prepares on the pool threads with at most `capacity` batches out: the rows this thread makes, each once', async () => {
    const lines = beacons('pooled', 4000).map((b) => JSON.stringify(b));
    lines.splice(1234, 0, '{"sessionId":"pooled","seq":');
    const onThreads = await upload('drops/pooled.ndjson', lines.join('\n'));
    const here = await upload('drops/pooled-here.ndjson', lines.join('\n'));
    const pool = services.blobPreparer;
    let out = 0;
    let most = 0;
    const counted: BatchPreparer = {
      capacity: pool.capacity,
      close: () => pool.close(),
      prepare: (batch, ctx) => {
        most = Math.max(most, ++out);
        return pool.prepare(batch, ctx).finally(() => out--);
      },
    };
    // chunks of several batches each (a batch: 1,000 records or 512 KiB)
    const settings = { ...deps().settings, chunkBytes: 1024 * 1024 };
    const pooled = await processWorkItem(onThreads, deps({ preparer: counted, settings }));
    expect(pooled).toMatchObject({ status: 'ingested', records: 4001, accepted: 4000, rejected: 1 });
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(pool.capacity);
    expect(await processWorkItem(here, deps({ settings }))).toEqual({ ...pooled, resumedFrom: 0 });

    const rows = await rowsFor('pooled');
    const of = (item: WorkItem) =>
      rows
        .filter((r) => r.SourceRef === urlOf(item))
        .map(({ ReceivedAt: _r, SourceRef: _s, ...rest }) => rest)
        .sort((a, b) => Number(a.Seq) - Number(b.Seq));
    expect(of(onThreads).map((r) => Number(r.Seq))).toEqual([...Array(4000).keys()]);
    expect(of(onThreads)).toEqual(of(here));
  }, 60_000);

  it('dead-letters one bad line with the blob URL and line number and ingests the rest', async () => {
    const lines = beacons('badline', 5).map((b) => JSON.stringify(b));
    lines.splice(2, 0, '{"sessionId":"badline","event":"nope"}');
    const item = await upload('drops/bad-line.ndjson', lines.join('\n'));
    expect(await processWorkItem(item, deps())).toMatchObject({ status: 'ingested', accepted: 5, rejected: 1 });
    const docs = await Promise.all(
      (await glob(path.join(dir, 'deadletter'), /rejected\//)).map(async (f) => JSON.parse(await readFile(f, 'utf8'))),
    );
    const doc = docs.find((d) => d.sourceRef === urlOf(item))!;
    expect(doc.source).toBe('blob');
    expect(doc.records).toEqual([expect.objectContaining({ line: 3, index: 2 })]);
  });

  it('dead-letters a corrupt gzip or binary file whole and acknowledges it', async () => {
    const gz = zlib.gzipSync(ndjson('corrupt', 200));
    gz.fill(0x41, Math.floor(gz.length / 3), Math.floor(gz.length / 3) + 40);
    const bad = await upload('drops/corrupt.ndjson.gz', gz);
    expect(await processWorkItem(bad, deps())).toMatchObject({ status: 'unreadable' });
    expect(await processWorkItem(bad, deps())).toEqual({ status: 'already-done' });
    const png = await upload(
      'drops/picture.ndjson',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]),
    );
    expect(await processWorkItem(png, deps())).toMatchObject({ status: 'unreadable', reason: expect.stringMatching(/binary/) });
  });

  it('ignores blobs outside the watched containers and prefixes, and versions overwritten since the event', async () => {
    const item = await upload('elsewhere/x.ndjson', JSON.stringify(validBeacon()));
    expect(await processWorkItem({ ...item, container: 'other' }, deps())).toMatchObject({ status: 'ignored' });
    expect(await processWorkItem(item, deps({ settings: { ...deps().settings, prefixes: ['drops/'] } }))).toMatchObject({
      status: 'ignored',
    });
    const old = await upload('drops/overwritten.ndjson', ndjson('overwritten-old', 2));
    await upload('drops/overwritten.ndjson', ndjson('overwritten-new', 2));
    expect(await processWorkItem(old, deps())).toEqual({ status: 'superseded' });
    expect(await rowsFor('overwritten-old')).toEqual([]);
  });

  it('throws on a transient storage failure, lets go of its claim, and the retry reads the file', async () => {
    const item = await upload('drops/transient.ndjson', JSON.stringify(validBeacon({ sessionId: 'transient' })));
    const down = {
      ...services.blobs,
      open: async () => Promise.reject(Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    };
    await expect(processWorkItem(item, deps({ blobs: down }))).rejects.toThrow(/ECONNREFUSED/);
    expect(await processWorkItem(item, deps())).toMatchObject({ status: 'ingested', accepted: 1 });
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
