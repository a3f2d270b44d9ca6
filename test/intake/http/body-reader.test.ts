import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeContent, readCapped } from '../../../src/intake/http/body-reader.js';
import { IntakeError } from '../../../src/errors.js';

const stream = (...chunks: Buffer[]) => Readable.toWeb(Readable.from(chunks)) as unknown as ReadableStream;

async function intakeError(p: Promise<unknown>): Promise<IntakeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IntakeError);
  return err as IntakeError;
}

describe('readCapped', () => {
  it('joins chunks under the cap', async () => {
    const out = await readCapped(stream(Buffer.from('ab'), Buffer.from('cd')), 4);
    expect(out.toString()).toBe('abcd');
  });

  it('refuses with 413 once the body passes the cap', async () => {
    const err = await intakeError(readCapped(stream(Buffer.alloc(3), Buffer.alloc(3)), 5));
    expect(err.status).toBe(413);
  });

  it('reads an absent body as empty', async () => {
    expect((await readCapped(null, 10)).length).toBe(0);
  });
});

describe('decodeContent', () => {
  const text = Buffer.from('{"hello":"world"}');

  it('passes identity through and undoes gzip, x-gzip, deflate (zlib and raw)', async () => {
    expect((await decodeContent(text, undefined, 100)).toString()).toBe(text.toString());
    expect((await decodeContent(text, 'identity', 100)).toString()).toBe(text.toString());
    expect((await decodeContent(zlib.gzipSync(text), 'gzip', 100)).toString()).toBe(text.toString());
    expect((await decodeContent(zlib.gzipSync(text), 'X-GZIP', 100)).toString()).toBe(text.toString());
    expect((await decodeContent(zlib.deflateSync(text), 'deflate', 100)).toString()).toBe(text.toString());
    expect((await decodeContent(zlib.deflateRawSync(text), 'deflate', 100)).toString()).toBe(text.toString());
  });

  it('refuses a gzip bomb with 413 without inflating it whole', async () => {
    // 512 gzip members of 1 MiB of zeros each: 512 MiB inflated, ~500 KB on the wire
    const member = zlib.gzipSync(Buffer.alloc(1024 * 1024));
    const bomb = Buffer.concat(Array.from({ length: 512 }, () => member));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    const err = await intakeError(decodeContent(bomb, 'gzip', 8 * 1024 * 1024));
    expect(err.status).toBe(413);
    // inflating it whole would have needed 512 MiB; the cap stops at 8 MiB
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('answers 400 for a corrupt or truncated gzip body and 415 for an unknown encoding', async () => {
    const gz = zlib.gzipSync(Buffer.from('x'.repeat(1000) + Math.random()));
    expect((await intakeError(decodeContent(gz.subarray(0, gz.length - 10), 'gzip', 1 << 20))).status).toBe(400);
    expect((await intakeError(decodeContent(Buffer.from('not gzip'), 'gzip', 1 << 20))).status).toBe(400);
    expect((await intakeError(decodeContent(text, 'br', 1 << 20))).status).toBe(415);
  });

  it('refuses an identity body over the decoded cap', async () => {
    expect((await intakeError(decodeContent(Buffer.alloc(200), undefined, 100))).status).toBe(413);
  });
});
