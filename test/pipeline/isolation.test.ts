// Per-record isolation: whatever one record does while it is validated, enriched or serialized is
// that record's rejection; its neighbours are stored and the request never answers 5xx.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { handleBeaconRequest } from '../../src/intake/http/handlers.js';
import { glob, readNdjsonTree } from '../support/files.js';
import { httpRequest, invocationContext, testServices, validBeacon, type TestServices } from '../support/services.js';

let svc: TestServices | undefined;
afterEach(async () => {
  await svc?.cleanup();
  svc = undefined;
});

/** `[[[...0...]]]` nested `depth` deep, as JSON text (JSON.parse builds it without recursion). */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}0${']'.repeat(depth)}`;

async function deadLetters(
  dir: string,
): Promise<Array<{ records: Array<{ index: number; errors: string[]; raw?: string; record?: unknown }> }>> {
  const files = await glob(path.join(dir, 'deadletter'), /rejected\/.*\.json$/);
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(f, 'utf8'))));
}

describe('per-record isolation', () => {
  it('a cmcd nested 20,000 arrays deep is rejected alone; the valid beacon beside it is stored (was: 500, both lost)', async () => {
    svc = await testServices();
    const poison = JSON.stringify(validBeacon({ sessionId: 'poison' })).replace(/}$/, `,"cmcd":{"x":${nestedArrays(20_000)}}}`);
    const body = `[${JSON.stringify(validBeacon({ sessionId: 'neighbour' }))},${poison}]`;
    const res = await handleBeaconRequest(httpRequest({ body, headers: { 'content-type': 'application/json' } }), invocationContext(), svc);
    expect(res.status).toBe(202);
    const answer = res.jsonBody as { accepted: number; rejected: Array<{ index: number; errors: string[] }> };
    expect(answer.accepted).toBe(1);
    expect(answer.rejected).toEqual([{ index: 1, errors: [expect.stringMatching(/^cmcd: nested deeper than/)] }]);
    const rows = await readNdjsonTree(path.join(svc.dir, 'sink'));
    expect(rows.map((r) => r.SessionId)).toEqual(['neighbour']);
    const [doc] = await deadLetters(svc.dir);
    expect(doc!.records).toHaveLength(1);
    expect(doc!.records[0]!.index).toBe(1);
    expect(JSON.stringify(doc).length).toBeLessThan(8 * 1024);
  });

  it("a record that throws inside the pipeline (any source adapter, any bug) becomes that record's rejection", async () => {
    svc = await testServices();
    const throwing = { ...validBeacon({ sessionId: 'bad' }) };
    Object.defineProperty(throwing, 'event', {
      enumerable: true,
      get: () => {
        throw new Error('getter exploded');
      },
    });
    const prepared = svc.pipeline.prepare(
      [
        { index: 0, value: validBeacon({ sessionId: 'a' }) },
        { index: 1, value: throwing },
        { index: 2, value: validBeacon({ sessionId: 'b' }) },
      ],
      { source: 'blob', sourceRef: 'https://x/telemetry/f.ndjson', receivedAt: new Date(), sender: {} },
    );
    expect(prepared.rows.map((r) => (JSON.parse(r) as { SessionId: string }).SessionId)).toEqual(['a', 'b']);
    expect(prepared.rejected).toEqual([
      expect.objectContaining({ index: 1, errors: [expect.stringMatching(/record could not be processed: getter exploded/)] }),
    ]);
  });

  it('a blob chunk with the poison record still lands its other records (prepare never throws)', async () => {
    svc = await testServices();
    const poison = JSON.parse(JSON.stringify(validBeacon({ sessionId: 'poison' }))) as Record<string, unknown>;
    poison.cmcd = { x: JSON.parse(nestedArrays(20_000)) as unknown };
    poison.extraDeep = JSON.parse(nestedArrays(20_000)) as unknown;
    const result = await svc.pipeline.process(
      [
        { index: 0, value: validBeacon({ sessionId: 'ok1' }) },
        { index: 1, value: poison },
        { index: 2, value: validBeacon({ sessionId: 'ok2' }) },
      ],
      { source: 'blob', sourceRef: 'https://x/telemetry/f.ndjson', receivedAt: new Date(), sender: {} },
    );
    expect(result.accepted).toBe(2);
    expect(result.rejected.map((r) => r.index)).toEqual([1]);
    const [doc] = await deadLetters(svc.dir);
    expect(doc!.records[0]!.index).toBe(1);
  });
});
