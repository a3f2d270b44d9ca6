// Record framing over the raw bytes of a dropped file: lines with a length cap, and the byte-range
// cut that lets several workers read one large file. Works on bytes (not decoded text, unlike
// pipeline/lines.ts) because caps, ranges and content hashes are all counted in bytes.
import { Transform } from 'node:stream';
import type { Candidate } from '../../../pipeline/contract.js';

/** Longest record a reader keeps (line, JSON-array element, CSV record), in bytes. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

/** A record as a file reader yields it: the pipeline's candidate, plus its raw content for the chunk's content hash. */
export interface FileRecord extends Candidate {
  /** The record's raw content ('' when it was too long to keep); an NDJSON line stays bytes, never decoded on the reading thread. */
  content: string | Buffer;
  /** Its size in bytes (separators included), for byte-sized chunks. */
  bytes: number;
  /** Set when `content` is a JSON record not parsed yet (NDJSON): the prepare step parses it, on whichever thread runs it. */
  unparsed?: true;
}

export interface RawLine {
  /** The line's bytes without its newline (a view into the stream's chunk where it fits in one). */
  data: Buffer;
  lineNo: number;
  /** Bytes of the line with its newline. */
  bytes: number;
  /** Set when the line was longer than the cap: its length in bytes (its text is not kept). */
  tooLong?: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * Lines of a byte stream, each at most `maxLineBytes`. A longer line is not accumulated: it is
 * counted until its newline and handed over as `tooLong`, so a 32 MB line costs one pass over
 * its bytes and no memory. Linear in the input.
 */
export async function* byteLines(source: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<RawLine> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let overLong = false;
  let lineNo = 0;
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf(0x0a, start)) >= 0) {
      const length = partBytes + (nl - start);
      lineNo++;
      if (overLong || length > maxLineBytes) yield { data: EMPTY, lineNo, bytes: length + 1, tooLong: length };
      else {
        const data = parts.length ? Buffer.concat([...parts, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
        yield { data, lineNo, bytes: length + 1 };
      }
      parts = [];
      partBytes = 0;
      overLong = false;
      start = nl + 1;
    }
    if (start < chunk.length) {
      partBytes += chunk.length - start;
      if (partBytes > maxLineBytes) {
        overLong = true;
        parts = [];
      } else if (!overLong) parts.push(chunk.subarray(start));
    }
  }
  if (partBytes > 0) {
    lineNo++;
    if (overLong) yield { data: EMPTY, lineNo, bytes: partBytes, tooLong: partBytes };
    else yield { data: Buffer.concat(parts), lineNo, bytes: partBytes };
  }
}

/** The rejection of a line over the cap. */
export function tooLongRecord(index: number, line: number, what: string, length: number, max: number): FileRecord {
  return {
    index,
    line,
    error: `${what}: ${length} bytes, longer than the ${max}-byte limit (skipped)`,
    raw: '',
    content: '',
    bytes: length,
  };
}

/**
 * The bytes of one range of a line-based file, from a download that starts at the range's
 * offset: a range other than the first starts after the first newline at or past its offset (the
 * line cut by the offset belongs to the range before), and every range ends with the line whose
 * newline is at or past its end. So consecutive ranges cover every line exactly once. `header`
 * (a CSV header line) is put in front.
 */
export function cutRange(opts: { skipFirstLine: boolean; length: number; header?: Buffer }): Transform {
  let skipping = opts.skipFirstLine;
  let seen = 0; // bytes of the download before this chunk
  let ended = false;
  return new Transform({
    construct(done) {
      if (opts.header) this.push(opts.header);
      done();
    },
    transform(chunk: Buffer, _enc, done) {
      if (ended) return done();
      let from = 0;
      if (skipping) {
        const nl = chunk.indexOf(0x0a);
        if (nl < 0) {
          seen += chunk.length;
          return done();
        }
        skipping = false;
        from = nl + 1;
        // the first newline is past the end: the range holds no line of its own
        if (seen + nl >= opts.length) {
          ended = true;
          this.push(null);
          return done();
        }
      }
      // the end: the first newline at or past `length` (relative to the download)
      const endSearch = Math.max(from, opts.length - seen);
      const nl = endSearch < chunk.length ? chunk.indexOf(0x0a, endSearch) : -1;
      seen += chunk.length;
      if (nl >= 0) {
        ended = true;
        this.push(chunk.subarray(from, nl + 1));
        this.push(null);
        return done();
      }
      done(null, from === 0 ? chunk : chunk.subarray(from));
    },
  });
}
