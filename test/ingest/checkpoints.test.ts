// Claims and checkpoints in Table Storage (Azurite): one holder per blob version and range, every
// write conditional on the holder's last eTag; chunk tags name blob, range, offset and content.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkTag, ClaimLostError, TableCheckpointStore } from '../../src/ingest/checkpoints.js';
import { storageAccess } from '../../src/storage.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => azurite?.stop());

const table = () => storageAccess({ connectionString: azurite.connectionString }).table('checkpointtest');
const key = { url: 'http://127.0.0.1/devstoreaccount1/telemetry/a b/ü.ndjson', version: 'etag:"0x1"', rangeStart: 0 };

describe('TableCheckpointStore', () => {
  it('gives a claim to one of several workers at once; the others are told when to look again', async () => {
    const store = new TableCheckpointStore(table());
    const k = { ...key, rangeStart: 100 };
    const results = await Promise.all([store.claim(k, 60_000), store.claim(k, 60_000), store.claim(k, 60_000)]);
    expect(results.map((r) => r.kind).sort()).toEqual(['busy', 'busy', 'claimed']);
    for (const r of results) if (r.kind === 'busy') expect(r.retryAfterMs).toBeGreaterThan(0);
  });

  it('keeps progress across holders: a claim whose lease ran out is taken over at the checkpoint, and the old holder can write no more', async () => {
    let now = 1_000_000;
    const store = new TableCheckpointStore(table(), () => now);
    const first = await store.claim(key, 1000);
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    await first.claim.save({ bytes: 5000, records: 50 }, false);
    expect(await store.claim(key, 1000)).toMatchObject({ kind: 'busy' });
    now += 1001; // the first holder stalled past its lease
    const second = await new TableCheckpointStore(table(), () => now).claim(key, 1000);
    if (second.kind !== 'claimed') throw new Error('expected a takeover');
    expect({ bytes: second.claim.bytes, records: second.claim.records }).toEqual({ bytes: 5000, records: 50 });
    await expect(first.claim.save({ bytes: 9000, records: 90 }, false)).rejects.toBeInstanceOf(ClaimLostError);
    await expect(first.claim.renew()).rejects.toBeInstanceOf(ClaimLostError);
    await second.claim.save({ bytes: 9000, records: 90 }, true);
    expect(await store.claim(key, 1000)).toEqual({ kind: 'done' });
  });

  it('a released claim can be taken at once', async () => {
    const store = new TableCheckpointStore(table());
    const k = { ...key, version: 'md5:AAA=' };
    const a = await store.claim(k, 60_000);
    if (a.kind !== 'claimed') throw new Error('expected a claim');
    await a.claim.release();
    expect((await store.claim(k, 60_000)).kind).toBe('claimed');
  });

  it('throws when storage is unreachable, so the item is delivered again', async () => {
    const store = new TableCheckpointStore(
      storageAccess({
        connectionString:
          'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1',
      }).table('nowhere'),
    );
    await expect(store.claim(key, 1000)).rejects.toThrow();
  }, 60_000);
});

describe('chunkTag', () => {
  it('is deterministic and names blob, range, offset and content', () => {
    const t = chunkTag('telemetry/x.ndjson', 0, 5000, 'aa');
    expect(t).toMatch(/^blob-[0-9a-f]{40}$/);
    expect(chunkTag('telemetry/x.ndjson', 0, 5000, 'aa')).toBe(t);
    expect(
      new Set([
        t,
        chunkTag('telemetry/y.ndjson', 0, 5000, 'aa'),
        chunkTag('telemetry/x.ndjson', 1, 5000, 'aa'),
        chunkTag('telemetry/x.ndjson', 0, 5001, 'aa'),
        chunkTag('telemetry/x.ndjson', 0, 5000, 'ab'),
      ]).size,
    ).toBe(5);
  });
});
