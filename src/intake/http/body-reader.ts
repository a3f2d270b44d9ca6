// Bytes in: read a request body under a size cap, then undo Content-Encoding under a second cap,
// so a gzip bomb is refused after inflating at most the cap, never whole.
import { promisify } from 'node:util';
import type { ReadableStream } from 'node:stream/web';
import zlib from 'node:zlib';
import { errorCode, errorMessage, IntakeError } from '../../errors.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);

/** Reads a web ReadableStream into one Buffer, refusing with 413 as soon as it passes `maxBytes`. */
export async function readCapped(body: ReadableStream | null, maxBytes: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new IntakeError(413, `body is larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, total);
}

function isTooLarge(err: unknown): boolean {
  return errorCode(err) === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
}

/** Below this many decoded bytes the ratio cap does not apply (a 300-byte gzip of one beacon may well be 40:1). */
export const RATIO_FREE_BYTES = 64 * 1024;

/**
 * Undoes `Content-Encoding` (identity, gzip, x-gzip, deflate) with an output cap: `maxDecodedBytes`,
 * and `maxRatio` times the bytes on the wire (past RATIO_FREE_BYTES), so a 16 KB bomb inflates
 * to at most 1.6 MB at 100:1, never to the 8 MB body cap.
 */
export async function decodeContent(
  body: Buffer,
  contentEncoding: string | null | undefined,
  maxDecodedBytes: number,
  maxRatio = Number.POSITIVE_INFINITY,
): Promise<Buffer> {
  const ratioCap = Math.max(RATIO_FREE_BYTES, body.length * maxRatio);
  const cap = Math.min(maxDecodedBytes, ratioCap);
  const tooLarge = () =>
    cap < maxDecodedBytes
      ? new IntakeError(413, `decoded body is more than ${maxRatio} times its ${body.length} encoded bytes`)
      : new IntakeError(413, `decoded body is larger than ${maxDecodedBytes} bytes`);
  const encodings = (contentEncoding ?? '')
    .toLowerCase()
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e && e !== 'identity');
  let out = body;
  // Encodings are listed in the order they were applied; undo them last to first.
  for (const enc of encodings.reverse()) {
    const opts = { maxOutputLength: cap };
    try {
      if (enc === 'gzip' || enc === 'x-gzip') out = await gunzip(out, opts);
      else if (enc === 'deflate') {
        // HTTP "deflate" is zlib-wrapped, but some clients send raw deflate; accept both.
        out = await inflate(out, opts).catch((err: unknown) => (isTooLarge(err) ? Promise.reject(err) : inflateRaw(out, opts)));
      } else throw new IntakeError(415, `unsupported Content-Encoding "${enc}" (use gzip or deflate)`);
    } catch (err) {
      if (err instanceof IntakeError) throw err;
      if (isTooLarge(err)) throw tooLarge();
      throw new IntakeError(400, `body is not valid ${enc}: ${errorMessage(err)}`);
    }
  }
  if (out.length > cap) throw tooLarge();
  return out;
}
