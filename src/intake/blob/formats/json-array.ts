// A .json file holding one top-level array of records, read element by element.
import type { Readable } from 'node:stream';
import { errorMessage, UnreadableFileError } from '../../../errors.js';
import { boundedRaw } from '../../../pipeline/values.js';
import { tooLongRecord, type FileRecord } from './framing.js';

/**
 * Elements of a top-level JSON array, one at a time. Hand-written rather than a token-level
 * streaming parser because it only has to find element boundaries (depth, strings, escapes) and
 * leaves parsing to JSON.parse, which keeps it near JSON.parse speed. It scans bytes: every byte
 * it looks for is ASCII, which never occurs inside a UTF-8 multi-byte character. An element over
 * `maxRecordBytes` is not accumulated: it is rejected and the scan goes on to the next one.
 */
export async function* jsonArray(source: Readable, maxRecordBytes: number): AsyncGenerator<FileRecord> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let overLong = false;
  let index = 0;
  const emit = function* (last: Buffer): Generator<FileRecord> {
    const bytes = partBytes + last.length;
    const whole = parts.length ? Buffer.concat([...parts, last]) : last;
    const wasOverLong = overLong || bytes > maxRecordBytes;
    parts = [];
    partBytes = 0;
    overLong = false;
    if (wasOverLong) {
      index++;
      yield tooLongRecord(index - 1, index, `element ${index}`, bytes, maxRecordBytes);
      return;
    }
    const t = whole.toString('utf8').trim();
    if (!t) return;
    index++;
    try {
      yield { index: index - 1, value: JSON.parse(t), line: index, content: t, bytes: bytes + 1 };
    } catch (err) {
      yield {
        index: index - 1,
        error: `element ${index}: invalid JSON (${errorMessage(err)})`,
        raw: boundedRaw(t),
        line: index,
        content: t,
        bytes: bytes + 1,
      };
    }
  };
  let bom = 0;
  for await (const raw of source as AsyncIterable<Buffer | string>) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (!started) {
        if (c === 0x5b /* [ */) {
          started = true;
          from = i + 1;
        } else if (bom < 3 && c === [0xef, 0xbb, 0xbf][bom]) bom++;
        else if (c > 0x20) throw new UnreadableFileError('a .json file must hold one JSON array of records');
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d) depth--;
      else if (c === 0x5d) {
        if (depth === 0) {
          yield* emit(chunk.subarray(from, i));
          return;
        }
        depth--;
      } else if (c === 0x2c && depth === 0) {
        yield* emit(chunk.subarray(from, i));
        from = i + 1;
      }
    }
    if (started && from < chunk.length) {
      partBytes += chunk.length - from;
      if (partBytes > maxRecordBytes) {
        overLong = true;
        parts = [];
      } else if (!overLong) parts.push(chunk.subarray(from));
    }
  }
  if (started) throw new UnreadableFileError('JSON array is not closed (file truncated?)');
}
