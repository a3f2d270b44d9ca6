// A blob worker killed (SIGKILL, a real second process) half-way through a file: its claim
// expires, the next worker takes over at the last checkpoint, and every row lands once.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/composition/app.js';
import { processWorkItem, type BlobWorkerDeps } from '../../src/intake/blob/intake.js';
import type { WorkItem } from '../../src/intake/blob/work-item.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { readNdjsonTree } from '../support/files.js';
import { validBeacon } from '../support/services.js';

let azurite: TestAzurite;
let services: Services;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  azurite = await startTestAzurite();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fn-blob-worker-'));
  env = {
    AzureWebJobsStorage: azurite.connectionString,
    QOE_DATA_DIR: dir,
    QOE_DEADLETTER_STORE: 'file',
    QOE_SINK: 'file',
    QOE_BATCH_MAX_DELAY_MS: '5',
    QOE_BLOB_CHUNK_BYTES: '4096',
    QOE_BLOB_CLAIM_SECONDS: '2',
  };
  services = await createServices(loadConfig(env), { log: () => {} });
});
afterAll(async () => {
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

const seqs = async (session: string) =>
  (await readNdjsonTree(path.join(dir, 'sink')))
    .filter((r) => r.SessionId === session)
    .map((r) => Number(r.Seq))
    .sort((a, b) => a - b);

describe('blob worker killed mid-file', () => {
  it('the next worker resumes after the claim expires, and every row lands once', async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('telemetry');
    await container.createIfNotExists();
    const body = Array.from({ length: 400 }, (_, i) => JSON.stringify(validBeacon({ sessionId: 'killed', seq: i }))).join('\n');
    const blob = container.getBlockBlobClient('drops/killed.ndjson');
    await blob.upload(body, Buffer.byteLength(body));
    const item: WorkItem = { container: 'telemetry', name: 'drops/killed.ndjson', eTag: (await blob.getProperties()).etag! };

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/blob-worker-child.ts', import.meta.url)), JSON.stringify(item)],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // kill it once some rows are in the sink, with more to come
    for (let i = 0; i < 600 && (await seqs('killed')).length < 40; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(out).not.toContain('finished');
    const before = (await seqs('killed')).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(400);

    const sent: WorkItem[] = [];
    const b = services.config.blob;
    const deps: BlobWorkerDeps = {
      pipeline: services.pipeline,
      checkpoints: services.checkpoints,
      deadLetter: services.deadLetter,
      blobs: services.blobs,
      queue: { send: async (i) => void sent.push(i) },
      settings: {
        containers: b.containers,
        prefixes: b.prefixes,
        chunkBytes: b.chunkBytes,
        rangeBytes: b.rangeBytes,
        maxRecordBytes: b.maxRecordBytes,
        claimMs: b.claimSeconds * 1000,
      },
    };
    // the dead worker's lease still runs: the item comes back later
    const first = await processWorkItem(item, deps);
    expect(first).toMatchObject({ status: 'busy' });
    expect(sent).toEqual([item]);
    await new Promise((r) => setTimeout(r, (first as { retryAfterMs: number }).retryAfterMs + 100));
    const resumed = await processWorkItem(item, deps);
    expect(resumed).toMatchObject({ status: 'ingested', records: 400 });
    expect((resumed as { resumedFrom: number }).resumedFrom).toBeGreaterThan(0);
    expect(await seqs('killed')).toEqual([...Array(400).keys()]);
  }, 120_000);
});
