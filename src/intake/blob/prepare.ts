// A dropped file's records -> rows and rejects, a batch at a time, on the reading thread or on a
// pool of worker threads (prepare-pool.ts): JSON parsing, validation, enrichment and serialization
// then use every core while the reading thread only frames, hashes and commits. A batch is made
// to cross a thread cheaply: NDJSON lines go as one buffer of bytes, rows come back as another,
// both moved (transferred), not copied.
import type { Candidate, IntakeContext, PreparedRecords } from '../../pipeline/contract.js';
import type { RejectedRecord } from '../../ingest/deadletter/store.js';
import type { FileRecord } from './formats/framing.js';
import { parseNdjsonLine } from './formats/ndjson.js';

export interface RecordBatch {
  /** NDJSON lines not parsed yet, as UTF-8 joined by '\n' (a framed line holds no newline); its own ArrayBuffer. */
  lines: Uint8Array;
  /** Index and line number of each of those lines. */
  lineIndexes: number[];
  lineNumbers: number[];
  /** Records the reader parsed already (CSV, JSON array, CDN log) or rejected (too long). */
  candidates: Candidate[];
}

export interface PreparedBatch {
  /** The rows, '\n'-separated, as UTF-8 (outside the JS heap while the rest of the chunk is read). */
  rows: Uint8Array;
  rowCount: number;
  rejected: RejectedRecord[];
}

/** Prepares batches in order of submission; `capacity` is how many may wait at once before the reader should pause. */
export interface BatchPreparer {
  readonly capacity: number;
  prepare(batch: RecordBatch, ctx: IntakeContext): Promise<PreparedBatch>;
  close(): Promise<void>;
}

/** What prepares candidates into rows: the pipeline, or a RecordPreparer of a prepare thread. */
export interface CandidatePreparer {
  prepare(candidates: Candidate[], ctx: IntakeContext): PreparedRecords;
}

/** A file record as the pipeline's candidate (an NDJSON line is parsed here). */
export function toCandidate(r: FileRecord): Candidate {
  if (r.unparsed)
    return parseNdjsonLine(typeof r.content === 'string' ? r.content : r.content.toString('utf8'), r.index, r.line ?? r.index + 1);
  const { content: _content, bytes: _bytes, ...candidate } = r;
  return candidate;
}

const bytesOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * One batch, prepared where this runs. No string here is larger than one record: a string of a
 * whole batch would live in V8's large-object space, fresh pages for every batch, and on a VM
 * every page fault counts (they were a fifth of the blob worker's CPU).
 */
export function prepareBatch(preparer: CandidatePreparer, batch: RecordBatch, ctx: IntakeContext): PreparedBatch {
  const candidates = batch.candidates.slice();
  const lines = bytesOf(batch.lines);
  let start = 0;
  for (let i = 0; i < batch.lineIndexes.length; i++) {
    const nl = lines.indexOf(0x0a, start);
    const end = nl < 0 ? lines.length : nl;
    candidates.push(parseNdjsonLine(lines.toString('utf8', start, end), batch.lineIndexes[i]!, batch.lineNumbers[i]!));
    start = end + 1;
  }
  const { rows, rejected } = preparer.prepare(candidates, ctx);
  return { rows: joinLines(rows), rowCount: rows.length, rejected };
}

/** Pieces joined by '\n' as UTF-8, in a buffer of its own (never a pool slab: it is transferred). */
function joinLines(pieces: Array<string | Buffer>): Uint8Array {
  let size = Math.max(0, pieces.length - 1);
  for (const p of pieces) size += typeof p === 'string' ? Buffer.byteLength(p) : p.length;
  const out = Buffer.allocUnsafeSlow(size);
  let at = 0;
  pieces.forEach((p, i) => {
    if (i > 0) out[at++] = 0x0a;
    at += typeof p === 'string' ? out.write(p, at) : p.copy(out, at);
  });
  return out;
}

/** Collects a batch's records as the reader yields them. */
export class BatchBuilder {
  private lines: Buffer[] = [];
  private lineIndexes: number[] = [];
  private lineNumbers: number[] = [];
  private candidates: Candidate[] = [];
  size = 0;
  bytes = 0;

  add(r: FileRecord): void {
    this.size++;
    this.bytes += r.bytes;
    if (r.unparsed && typeof r.content !== 'string') {
      this.lines.push(r.content);
      this.lineIndexes.push(r.index);
      this.lineNumbers.push(r.line ?? r.index + 1);
    } else this.candidates.push(toCandidate(r));
  }

  take(): RecordBatch {
    const batch = {
      lines: joinLines(this.lines),
      lineIndexes: this.lineIndexes,
      lineNumbers: this.lineNumbers,
      candidates: this.candidates,
    };
    this.lines = [];
    this.lineIndexes = [];
    this.lineNumbers = [];
    this.candidates = [];
    this.size = 0;
    this.bytes = 0;
    return batch;
  }
}

/** Prepares on the reading thread (no pool configured, or a pool of none). */
export function inlinePreparer(preparer: CandidatePreparer): BatchPreparer {
  return {
    capacity: 1,
    prepare: async (batch, ctx) => prepareBatch(preparer, batch, ctx),
    close: async () => {},
  };
}

const NEWLINE = Buffer.from('\n');

/** A chunk's prepared batches as one commit: the rows as the bytes the threads made (never decoded here), and the rejects. */
export function chunkRows(batches: PreparedBatch[]): PreparedRecords {
  const rejected: RejectedRecord[] = [];
  const parts: Buffer[] = [];
  let count = 0;
  for (const b of batches) {
    if (b.rowCount > 0) {
      parts.push(bytesOf(b.rows), NEWLINE);
      count += b.rowCount;
    }
    for (const r of b.rejected) rejected.push(r);
  }
  return { rows: [], rejected, ...(count > 0 && { encoded: { parts, count } }) };
}
