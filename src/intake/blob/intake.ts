// A dropped file -> the one pipeline, chunk by chunk, each chunk durable before its checkpoint.
// Bad records are dead-lettered with the blob URL and line; an unreadable file is dead-lettered
// whole and acknowledged; a transient failure (storage, sink) throws so Event Grid retries.
import type { Readable } from 'node:stream';
import type { CheckpointStore } from '../../ingest/checkpoints.js';
import type { DeadLetterStore } from '../../ingest/deadletter/store.js';
import type { Pipeline } from '../../pipeline.js';
import type { Candidate } from '../records.js';
import type { BlobCreated } from './event.js';
import { detectFormat, readRecords, UnreadableFileError } from './formats.js';

const CHUNKS_IN_FLIGHT = 2;

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
  let chunk: Candidate[] = [];
  // Up to CHUNKS_IN_FLIGHT chunks go through the pipeline while the next one is read; they
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
    if (chunk.length > 0) {
      const done = deps.pipeline.process(chunk, { ...ctx, receivedAt: new Date() });
      done.catch(() => undefined); // awaited in order by settleOldest; never left unhandled
      inFlight.push({ done, upTo: ordinal });
      chunk = [];
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
      chunk.push({ index: ordinal - 1, line: r.line, value: r.value, error: r.error, raw: r.raw, sender: r.sender });
      if (chunk.length >= deps.chunkRecords) await flush();
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
