// Blob checkpoints and claims: exactly-once effect over at-least-once delivery (Event Grid, then
// the work queue), with one reader per blob version and range at a time.
//
// 1. One row per (blob URL, content version, byte range) in Table Storage is both the CLAIM and
//    the CHECKPOINT. A worker claims the row (Owner, LeaseUntil) with a write conditional on the
//    row's eTag, so of several workers handed the same work item at once exactly one wins; the
//    others see a live lease and come back after it. The holder renews the lease while it reads,
//    and every progress write (bytes and records done, then done) is conditional on the eTag of
//    its own last write: a holder whose lease was taken over (it stalled past its lease) fails its
//    next write and stops, instead of two readers queueing the same chunks. A worker that dies
//    leaves its lease to expire; the next one resumes after the last checkpointed chunk.
//
// 2. An idempotency tag per chunk, chunkTag(blob, range, chunk offset, content hash), carried by
//    the chunk's batch to the sink: Kusto through `ingest-by:<tag>` extent tags with
//    `ingestIfNotExists` (queued ingestion), the file sink through its tagged files. It covers the
//    moment between a chunk becoming durable and its checkpoint write, and since it names the
//    chunk's CONTENT (not the upload's eTag) the same bytes uploaded again by Put Block List (no
//    Content-MD5, a new eTag, so a new checkpoint row) add nothing. kql/V007 drops `ingest-by:`
//    tags after 2 days; chunks are tens of MB, so a 1 GB drop carries a few dozen tags, not 400.
//
// What remains: Kusto checks ingestIfNotExists when it ingests, so two ingestions of one tag that
// are both still waiting in the ingestion queue can both land (a crash right after a chunk was
// queued, and a retry within the queued-ingestion batching window of kql/V002).
import { createHash, randomUUID } from 'node:crypto';
import { RestError, type TableClient } from '@azure/data-tables';
import { createOnce } from '../storage.js';

/** How far one range of one blob version got: bytes of its (decompressed) text and records. */
export interface Progress {
  bytes: number;
  records: number;
}

export interface Claim extends Progress {
  /** Moves the checkpoint (and the lease); throws ClaimLostError when another worker took over. */
  save(progress: Progress, done: boolean): Promise<void>;
  /** Extends the lease without moving the checkpoint. */
  renew(): Promise<void>;
  /** Lets the lease go now (a handled failure), so a retry need not wait for it to expire. */
  release(): Promise<void>;
}

export type ClaimResult = { kind: 'claimed'; claim: Claim } | { kind: 'done' } | { kind: 'busy'; retryAfterMs: number };

export interface CheckpointStore {
  claim(key: CheckpointKey, leaseMs: number): Promise<ClaimResult>;
}

export interface CheckpointKey {
  url: string;
  /** The content version: Content-MD5 when storage has one, else the eTag. */
  version: string;
  /** Byte offset where the range starts (0 for a whole file). */
  rangeStart: number;
}

export class ClaimLostError extends Error {
  override name = 'ClaimLostError';
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The idempotency tag of one chunk: which blob and range it belongs to, where in the range it
 * starts, and a hash of its bytes. Same content, same tag, whatever the upload.
 */
export function chunkTag(blobPath: string, rangeStart: number, chunkOffset: number, contentHash: string): string {
  return `blob-${hash(`${blobPath}\n${rangeStart}\n${chunkOffset}\n${contentHash}`).slice(0, 40)}`;
}

interface Row {
  Records: number;
  Bytes: number;
  Done: boolean;
  Owner: string;
  LeaseUntil: number;
}

const isStatus = (err: unknown, ...codes: number[]) => err instanceof RestError && codes.includes(err.statusCode ?? 0);

export class TableCheckpointStore implements CheckpointStore {
  private readonly ensure: () => Promise<void>;

  constructor(
    private readonly table: TableClient,
    private readonly now: () => number = Date.now,
  ) {
    this.ensure = createOnce(() => table.createTable());
  }

  async claim(key: CheckpointKey, leaseMs: number): Promise<ClaimResult> {
    await this.ensure();
    const partitionKey = hash(key.url);
    const rowKey = hash(`${key.version}\n${key.rangeStart}`);
    const owner = randomUUID();
    const base = { partitionKey, rowKey, Url: key.url, Version: key.version, RangeStart: key.rangeStart };
    let etag: string;
    let progress: Progress = { bytes: 0, records: 0 };
    let current: (Row & { etag: string }) | undefined;
    try {
      current = await this.table.getEntity<Row>(partitionKey, rowKey);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    if (current === undefined) {
      try {
        etag =
          (await this.table.createEntity({ ...base, Records: 0, Bytes: 0, Done: false, Owner: owner, LeaseUntil: this.now() + leaseMs }))
            .etag ?? '';
      } catch (err) {
        if (isStatus(err, 409)) return { kind: 'busy', retryAfterMs: leaseMs }; // another worker created it first
        throw err;
      }
    } else {
      if (current.Done) return { kind: 'done' };
      const left = Number(current.LeaseUntil) - this.now();
      if (left > 0) return { kind: 'busy', retryAfterMs: left };
      progress = { bytes: Number(current.Bytes), records: Number(current.Records) };
      try {
        etag =
          (
            await this.table.updateEntity(
              { ...base, ...progress, Done: false, Owner: owner, LeaseUntil: this.now() + leaseMs },
              'Replace',
              { etag: current.etag },
            )
          ).etag ?? '';
      } catch (err) {
        if (isStatus(err, 412)) return { kind: 'busy', retryAfterMs: leaseMs }; // lost the race to take it over
        throw err;
      }
    }
    // Writes of one holder run one after another: each is conditional on the previous one's eTag.
    let chain: Promise<void> = Promise.resolve();
    let lost = false;
    const write = (next: Progress, done: boolean, leaseUntil: number) => {
      const run = chain.then(async () => {
        if (lost) throw new ClaimLostError('the claim was taken over by another worker');
        try {
          etag =
            (
              await this.table.updateEntity(
                { ...base, Records: next.records, Bytes: next.bytes, Done: done, Owner: owner, LeaseUntil: leaseUntil },
                'Replace',
                { etag },
              )
            ).etag ?? '';
          progress = next;
        } catch (err) {
          if (isStatus(err, 412, 404)) {
            lost = true;
            throw new ClaimLostError('the claim was taken over by another worker');
          }
          throw err;
        }
      });
      chain = run.catch(() => undefined);
      return run;
    };
    const claim: Claim = {
      get bytes() {
        return progress.bytes;
      },
      get records() {
        return progress.records;
      },
      save: (next, done) => write(next, done, this.now() + leaseMs),
      renew: () => write(progress, false, this.now() + leaseMs),
      release: () => write(progress, false, 0),
    };
    return { kind: 'claimed', claim };
  }
}
