// The blob worker's core: one work item (a blob version, or a byte range of it) -> the one
// pipeline, chunk by chunk, under a claim only one worker holds (ingest/checkpoints.ts). Each
// chunk (QOE_BLOB_CHUNK_BYTES of text) is durable under a tag derived from its content before the
// checkpoint moves past it. Bad records are dead-lettered with the blob URL and line; an
// unreadable file is dead-lettered whole and acknowledged; a transient failure throws, so the
// queue delivers the item again.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { chunkTag, type CheckpointStore, type Claim, type Progress } from '../../ingest/checkpoints.js';
import type { DeadLetterStore } from '../../ingest/deadletter/store.js';
import { errorMessage, UnreadableFileError } from '../../errors.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import type { BlobReader } from './blob-reader.js';
import { detectFormat } from './formats/detect.js';
import { cutRange } from './formats/framing.js';
import { readRecords } from './formats/read.js';
import { isWatched } from './handoff.js';
import { BatchBuilder, chunkRows, inlinePreparer, type BatchPreparer, type PreparedBatch } from './prepare.js';
import type { WorkItem, WorkQueue } from './work-item.js';

const CHUNKS_IN_FLIGHT = 2;
/** Records (or bytes of them) per prepare batch: large enough that crossing to a thread is cheap, small enough to spread. */
const BATCH_RECORDS = 1000;
const BATCH_BYTES = 512 * 1024;

export interface BlobWorkerSettings {
  containers: string[];
  prefixes: string[];
  chunkBytes: number;
  rangeBytes: number;
  maxRecordBytes: number;
  claimMs: number;
}

export interface BlobWorkerDeps {
  pipeline: Pipeline;
  checkpoints: CheckpointStore;
  deadLetter: DeadLetterStore;
  blobs: BlobReader;
  queue: WorkQueue;
  settings: BlobWorkerSettings;
  /** Where records are parsed, validated, enriched and serialized: the prepare threads (prepare-pool.ts), else this thread. */
  preparer?: BatchPreparer;
}

export type WorkOutcome =
  | { status: 'ingested'; records: number; accepted: number; rejected: number; resumedFrom: number; chunks: number }
  | { status: 'already-done' }
  | { status: 'busy'; retryAfterMs: number }
  | { status: 'fanned-out'; ranges: number }
  | { status: 'superseded' }
  | { status: 'ignored'; reason: string }
  | { status: 'unreadable'; reason: string; recordsBefore: number };

export async function processWorkItem(item: WorkItem, deps: BlobWorkerDeps): Promise<WorkOutcome> {
  const { settings, blobs } = deps;
  if (!isWatched(item, settings.containers, settings.prefixes))
    return { status: 'ignored', reason: `${item.container}/${item.name} is outside the watched containers/prefixes` };
  const props = await blobs.properties(item.container, item.name, item.eTag);
  // Deleted or overwritten since the event: a newer version has its own event.
  if (!props) return { status: 'superseded' };
  const url = blobs.blobUrl(item.container, item.name);
  const detected = detectFormat(item.name, props.contentType);
  const lineBased = detected.format !== 'json-array';

  if (!item.range && lineBased && !detected.gzip && props.contentLength > settings.rangeBytes && !(await startsWithGzipMagic(deps, item))) {
    // One work item per range: whichever instances the platform runs read them at once.
    const ranges: Array<{ start: number; end: number }> = [];
    for (let start = 0; start < props.contentLength; start += settings.rangeBytes)
      ranges.push({ start, end: Math.min(start + settings.rangeBytes, props.contentLength) });
    await Promise.all(ranges.map((range) => deps.queue.send({ container: item.container, name: item.name, eTag: item.eTag, range })));
    return { status: 'fanned-out', ranges: ranges.length };
  }

  // The checkpoint names the content version: same Content-MD5 (a re-upload by Put Blob) is done
  // already; without one, the eTag, and the content-derived chunk tags make a re-upload add nothing.
  const version = props.contentMd5 ? `md5:${props.contentMd5}` : `etag:${item.eTag}`;
  const rangeStart = item.range?.start ?? 0;
  const claimed = await deps.checkpoints.claim({ url, version, rangeStart }, settings.claimMs);
  if (claimed.kind === 'done') return { status: 'already-done' };
  if (claimed.kind === 'busy') {
    // Another worker reads it now: look again once its lease would have run out (if it dies).
    await deps.queue.send(item, Math.ceil(claimed.retryAfterMs / 1000) + 1);
    return { status: 'busy', retryAfterMs: claimed.retryAfterMs };
  }
  const claim = claimed.claim;
  let lost: unknown;
  const renewal = setInterval(
    () => void claim.renew().catch((err: unknown) => (lost ??= err)),
    Math.max(200, Math.floor(settings.claimMs / 3)),
  );
  try {
    return await readUnderClaim(item, deps, { url, format: detected.format, gzip: detected.gzip, claim, lostClaim: () => lost });
  } catch (err) {
    if (lost === undefined) await claim.release().catch(() => undefined); // the retry need not wait for the lease
    throw err;
  } finally {
    clearInterval(renewal);
  }
}

async function startsWithGzipMagic(deps: BlobWorkerDeps, item: WorkItem): Promise<boolean> {
  const head: Buffer[] = [];
  for await (const b of await deps.blobs.open(item.container, item.name, item.eTag, 0, 2)) head.push(b as Buffer);
  const h = Buffer.concat(head);
  return h[0] === 0x1f && h[1] === 0x8b;
}

/** The first line of the file (a CSV header), for ranges other than the first. */
async function firstLine(deps: BlobWorkerDeps, item: WorkItem): Promise<Buffer> {
  const head: Buffer[] = [];
  for await (const b of await deps.blobs.open(item.container, item.name, item.eTag, 0, deps.settings.maxRecordBytes + 1))
    head.push(b as Buffer);
  const h = Buffer.concat(head);
  const nl = h.indexOf(0x0a);
  return nl < 0 ? h : h.subarray(0, nl + 1);
}

interface ReadContext {
  url: string;
  format: ReturnType<typeof detectFormat>['format'];
  gzip: boolean;
  claim: Claim;
  lostClaim: () => unknown;
}

async function readUnderClaim(item: WorkItem, deps: BlobWorkerDeps, rc: ReadContext): Promise<WorkOutcome> {
  const { settings } = deps;
  const { claim, url } = rc;
  const resumedFrom = claim.records;
  const blobPath = `${item.container}/${item.name}`;
  const rangeStart = item.range?.start ?? 0;
  const ctx = { source: rc.format === 'cdnlog' ? ('cdnlog' as const) : ('blob' as const), sourceRef: url, sender: {} };

  let ordinal = 0; // records read in this range
  let offset = 0; // bytes of text read in this range
  let accepted = 0;
  let rejected = 0;
  let chunks = 0;
  // The chunk being read. Its records go to the preparer a batch at a time as they arrive (to the
  // prepare threads, where there are some), and come back as rows in UTF-8 bytes (outside the JS
  // heap) that wait until the chunk is committed. At most `preparer.capacity` batches are out at
  // once: past that the reader waits, so memory stays flat however fast the download is.
  const preparer = deps.preparer ?? inlinePreparer(deps.pipeline);
  const batch = new BatchBuilder();
  let chunkBatches: Array<Promise<PreparedBatch>> = [];
  const outstanding: Array<Promise<PreparedBatch>> = [];
  let chunkRecords = 0;
  let chunkStart = 0;
  let hash = createHash('sha256');
  let chunkReceivedAt = new Date();
  const prepare = async () => {
    if (batch.size === 0) return;
    while (outstanding.length >= preparer.capacity) await outstanding.shift()!.catch(() => undefined);
    const prepared = preparer.prepare(batch.take(), { ...ctx, receivedAt: chunkReceivedAt });
    prepared.catch(() => undefined); // awaited with its chunk; never left unhandled
    chunkBatches.push(prepared);
    outstanding.push(prepared);
  };
  // Up to CHUNKS_IN_FLIGHT chunks are being made durable while the next one is read; they
  // complete in order, and the checkpoint moves only past chunks that are all durable.
  const inFlight: Array<{ done: Promise<{ accepted: number; rejected: unknown[] }>; upTo: Progress }> = [];
  const settleOldest = async () => {
    const oldest = inFlight.shift()!;
    const result = await oldest.done;
    accepted += result.accepted;
    rejected += result.rejected.length;
    await claim.save(oldest.upTo, false);
  };
  const flush = async () => {
    await prepare();
    if (chunkRecords > 0) {
      // The tag names this chunk's content: the same bytes, read again or uploaded again, add nothing.
      const ingestTag = chunkTag(blobPath, rangeStart, chunkStart, hash.digest('hex'));
      const chunkCtx = { ...ctx, receivedAt: chunkReceivedAt };
      const done = Promise.all(chunkBatches).then((prepared) => deps.pipeline.commit(chunkRows(prepared), chunkCtx, { ingestTag }));
      done.catch(() => undefined); // awaited in order by settleOldest; never left unhandled
      inFlight.push({ done, upTo: { bytes: offset, records: ordinal } });
      chunks++;
      chunkBatches = [];
      chunkRecords = 0;
      chunkStart = offset;
      hash = createHash('sha256');
    }
    while (inFlight.length > CHUNKS_IN_FLIGHT) await settleOldest();
  };
  const drain = async () => {
    await flush();
    while (inFlight.length > 0) await settleOldest();
  };

  try {
    let body: Readable;
    if (item.range) {
      const { start, end } = item.range;
      const header = rc.format === 'csv' && start > 0 ? await firstLine(deps, item) : undefined;
      // One record past the end at most: the range's last line ends within maxRecordBytes or is rejected anyway.
      const download = await deps.blobs.open(item.container, item.name, item.eTag, start, end - start + settings.maxRecordBytes + 1);
      const cut = cutRange({ skipFirstLine: start > 0, length: end - start, header });
      download.on('error', (err) => cut.destroy(err));
      body = download.pipe(cut);
    } else body = await deps.blobs.open(item.container, item.name, item.eTag);
    for await (const r of readRecords(body, rc.format, rc.gzip, settings.maxRecordBytes)) {
      ordinal++;
      offset += r.bytes;
      if (ordinal <= resumedFrom) {
        chunkStart = offset; // durable before a crash: skipped whole chunks, same boundaries as before
        continue;
      }
      if (rc.lostClaim() !== undefined) throw rc.lostClaim();
      if (chunkRecords++ === 0) chunkReceivedAt = new Date();
      hash.update(r.content);
      hash.update('\n');
      batch.add(r);
      if (batch.size >= BATCH_RECORDS || batch.bytes >= BATCH_BYTES) await prepare();
      if (offset - chunkStart >= settings.chunkBytes) await flush();
    }
    await drain();
  } catch (err) {
    if (!(err instanceof UnreadableFileError)) {
      // Chunks already started finish, and the checkpoint moves past those that became durable,
      // so the retry neither loses nor repeats them. Then the queue delivers the item again.
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
      sourceRef: url,
      receivedAt: new Date(),
      records: [{ index: ordinal, errors: [`unreadable file: ${errorMessage(err)}`] }],
    });
    await claim.save({ bytes: offset, records: ordinal }, true);
    return { status: 'unreadable', reason: err.message, recordsBefore: ordinal };
  }
  await claim.save({ bytes: offset, records: ordinal }, true);
  return { status: 'ingested', records: ordinal, accepted, rejected, resumedFrom, chunks };
}
