// Checkpoints in Table Storage (Azurite): per blob URL and content version, created on first use;
// chunk tags are the same on every delivery and differ per blob, version and chunk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkTag, TableCheckpointStore } from '../../src/ingest/checkpoints.js';
import { storageAccess } from '../../src/storage.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => azurite?.stop());

describe('TableCheckpointStore', () => {
  it('creates its table on first use, keeps progress per URL and version, and survives a new instance', async () => {
    const table = () => storageAccess({ connectionString: azurite.connectionString }).table('checkpointtest');
    const store = new TableCheckpointStore(table());
    const url = 'http://127.0.0.1/devstoreaccount1/telemetry/a b/ü.ndjson';
    expect(await store.get(url, 'md5:AAA=')).toBeUndefined();
    await store.save(url, 'md5:AAA=', { records: 5000, done: false });
    await store.save(url, 'md5:AAA=', { records: 10000, done: false });
    await store.save(url, 'etag:"0x1"', { records: 7, done: true });
    const again = new TableCheckpointStore(table());
    expect(await again.get(url, 'md5:AAA=')).toEqual({ records: 10000, done: false });
    expect(await again.get(url, 'etag:"0x1"')).toEqual({ records: 7, done: true });
    expect(await again.get(`${url}.gz`, 'md5:AAA=')).toBeUndefined();
  });

  it('throws when storage is unreachable, so the event is delivered again', async () => {
    const store = new TableCheckpointStore(storageAccess({ connectionString: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1' }).table('nowhere'));
    await expect(store.get('u', 'v')).rejects.toThrow();
  }, 60_000);
});

describe('chunkTag', () => {
  it('is deterministic and names blob, version and records', () => {
    const t = chunkTag('https://a/telemetry/x.ndjson', 'md5:AAA=', 5000, 5000);
    expect(t).toMatch(/^blob-[0-9a-f]{40}$/);
    expect(chunkTag('https://a/telemetry/x.ndjson', 'md5:AAA=', 5000, 5000)).toBe(t);
    expect(new Set([t, chunkTag('https://a/telemetry/y.ndjson', 'md5:AAA=', 5000, 5000), chunkTag('https://a/telemetry/x.ndjson', 'md5:BBB=', 5000, 5000), chunkTag('https://a/telemetry/x.ndjson', 'md5:AAA=', 0, 5000), chunkTag('https://a/telemetry/x.ndjson', 'md5:AAA=', 5000, 4999)]).size).toBe(5);
  });
});
