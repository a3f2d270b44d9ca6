// A dropped file -> the one pipeline, chunk by chunk, each chunk durable (under its idempotency
// tag) before its checkpoint; see ingest/checkpoints.ts for why this adds every row once.
// Bad records are dead-lettered with the blob URL and line; an unreadable file is dead-lettered
// whole and acknowledged; a transient failure (storage, sink) throws so Event Grid retries.
import type { Readable } from 'node:stream';
import { chunkTag, type CheckpointStore } from '../../ingest/checkpoints.js';
import type { DeadLetterStore } from '../../ingest/deadletter/store.js';
import { UnreadableFileError } from '../../errors.js';
import type { Candidate, PreparedRecords } from '../../pipeline/contract.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import type { BlobCreated } from './event.js';
import { detectFormat } from './formats/detect.js';
import { readRecords } from './formats/read.js';

const CHUNKS_IN_FLIGHT = 2;
const PREPARE_EVERY = 250;

export interface BlobIntakeDeps {
  pipeline: Pipeline;
  checkpoints: CheckpointStore;
  deadLetter: DeadLetterStore;
  blobs: BlobReader;
  chunkRecords: number;
  containers: string[];
  prefixes: string[];
  log?: (message: string) => void;
}

export interface BlobReader {
  /** The blob's Content-MD5 (base64) when storage has one: it identifies the content across re-uploads. */
  contentMd5(url: string): Promise<string | undefined>;
  /** The blob's content as a stream, never buffered whole. */
  open(url: string): Promise<Readable>;
}

export type BlobOutcome =
  | { status: 'ingested'; records: number; accepted: number; rejected: number; resumedFrom: number }
  | { status: 'already-done' }
  | { status: 'ignored'; reason: string }
  | { status: 'unreadable'; reason: string; recordsBefore: number };

export function isWatched(blob: Pick<BlobCreated, 'container' | 'name'>, containers: string[], prefixes: string[]): boolean {
  return containers.includes(blob.container) && (prefixes.length === 0 || prefixes.some((p) => blob.name.startsWith(p)));
}

export async function ingestBlob(blob: BlobCreated, deps: BlobIntakeDeps): Promise<BlobOutcome> {
  if (!isWatched(blob, deps.containers, deps.prefixes)) return { status: 'ignored', reason: `${blob.container}/${blob.name} is outside the watched containers/prefixes` };
  // The checkpoint names the content, not the upload: a re-upload of the same bytes gets a new eTag
  // but keeps its Content-MD5, so it adds nothing; changed content is read again.
  const md5 = await deps.blobs.contentMd5(blob.url);
  const version = md5 ? `md5:${md5}` : `etag:${blob.eTag}`;
  const cp = await deps.checkpoints.get(blob.url, version);
  if (cp?.done) return { status: 'already-done' };
  const resumedFrom = cp?.records ?? 0;
  const { format, gzip } = detectFormat(blob.name, blob.contentType);
  const ctx = { source: format === 'cdnlog' ? ('cdnlog' as const) : ('blob' as const), sourceRef: blob.url, sender: {} };

  let ordinal = 0;
  let accepted = 0;
  let rejected = 0;
  // The chunk being read. Its records are validated, enriched and serialized PREPARE_EVERY at a
  // time as they arrive, and the rows are kept as UTF-8 bytes (outside the JS heap) until the chunk
  // is committed: a chunk's worth of parsed records or row strings held while the rest of it is
  // read would be copied by every young-generation GC meanwhile, which measured as the larger
  // part of the CPU time of a blob drop.
  let pending: Candidate[] = [];
  let encoded: Buffer[] = [];
  let chunkRejected: PreparedRecords['rejected'] = [];
  let chunkRecords = 0;
  let chunkReceivedAt = new Date();
  const prepare = () => {
    if (pending.length === 0) return;
    const p = deps.pipeline.prepare(pending, { ...ctx, receivedAt: chunkReceivedAt });
    if (p.rows.length > 0) encoded.push(Buffer.from(p.rows.join('\n'), 'utf8'));
    for (const r of p.rejected) chunkRejected.push(r);
    pending = [];
  };
  /** The chunk's rows as strings again (a row is one JSON line: it holds no raw newline). */
  const takeChunk = (): PreparedRecords => {
    const rows = encoded.length === 0 ? [] : encoded.map((b) => b.toString('utf8')).join('\n').split('\n');
    const out = { rows, rejected: chunkRejected };
    encoded = [];
    chunkRejected = [];
    return out;
  };
  // Up to CHUNKS_IN_FLIGHT chunks are being made durable while the next one is read; they
  // complete in order, and the checkpoint moves only past chunks that are all durable.
  const inFlight: Array<{ done: Promise<{ accepted: number; rejected: unknown[] }>; upTo: number }> = [];
  const settleOldest = async () => {
    const oldest = inFlight.shift()!;
    const result = await oldest.done;
    accepted += result.accepted;
    rejected += result.rejected.length;
    await deps.checkpoints.save(blob.url, version, { records: oldest.upTo, done: false });
  };
  const flush = async () => {
    prepare();
    if (chunkRecords > 0) {
      // The chunk's tag lets the sink drop it if it already landed before a crash (checkpoints.ts).
      const ingestTag = chunkTag(blob.url, version, ordinal - chunkRecords, chunkRecords);
      const done = deps.pipeline.commit(takeChunk(), { ...ctx, receivedAt: chunkReceivedAt }, { ingestTag });
      done.catch(() => undefined); // awaited in order by settleOldest; never left unhandled
      inFlight.push({ done, upTo: ordinal });
      chunkRecords = 0;
    }
    while (inFlight.length > CHUNKS_IN_FLIGHT) await settleOldest();
  };
  const drain = async () => {
    await flush();
    while (inFlight.length > 0) await settleOldest();
  };

  try {
    const body = await deps.blobs.open(blob.url);
    for await (const r of readRecords(body, format, gzip)) {
      ordinal++;
      if (ordinal <= resumedFrom) continue; // durable before a crash: skip, same chunking as before
      if (chunkRecords++ === 0) chunkReceivedAt = new Date();
      pending.push(r);
      if (pending.length >= PREPARE_EVERY) prepare();
      if (chunkRecords >= deps.chunkRecords) await flush();
    }
    await drain();
  } catch (err) {
    if (!(err instanceof UnreadableFileError)) {
      // Chunks already started finish, and the checkpoint moves past those that became durable,
      // so the retry neither loses nor repeats them. Then Event Grid delivers again.
      try {
        while (inFlight.length > 0) await settleOldest();
      } catch {
        // a chunk failed too: the checkpoint stays before it
      }
      throw err;
    }
    await drain(); // the records read before the damage are good: keep them
    await deps.deadLetter.writeRejected({
      source: 'blob',
      sourceRef: blob.url,
      receivedAt: new Date(),
      records: [{ index: ordinal, errors: [`unreadable file: ${err.message}`] }],
    });
    await deps.checkpoints.save(blob.url, version, { records: ordinal, done: true });
    return { status: 'unreadable', reason: err.message, recordsBefore: ordinal };
  }
  await deps.checkpoints.save(blob.url, version, { records: ordinal, done: true });
  return { status: 'ingested', records: ordinal, accepted, rejected, resumedFrom };
}
