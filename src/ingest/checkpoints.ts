// Blob checkpoints: exactly-once effect over Event Grid's at-least-once delivery.
//
// Two mechanisms, because neither alone is enough:
//
// 1. A checkpoint per (blob URL, content version) in Table Storage (Azurite serves it too; one
//    small entity per file, strongly consistent, cheap). A file is read in chunks of a fixed number
//    of records, so chunk boundaries are the same on every read. After a chunk is durable (the
//    pipeline resolved: in the sink or the dead-letter store) the checkpoint records how many
//    records are done, and at the end it is marked done. A redelivered event finds a done checkpoint
//    and is acknowledged without reading the file; a function that died half-way resumes after the
//    last checkpointed chunk instead of reading and re-sending everything. The version is the
//    blob's Content-MD5 when storage has one, else its eTag: a re-upload of the same bytes (new
//    eTag, same MD5) adds nothing, changed content (new MD5 or eTag) is read again.
//
// 2. An idempotency tag per chunk, chunkTag(url, version, first record, count), carried by the
//    chunk's batch to the sink. The checkpoint is written after the chunk is durable, so a crash in
//    between (and two chunks are in the pipeline at once) leaves chunks that are in the sink but not
//    in the checkpoint; on redelivery they are sent again with the same tags and the sink drops
//    them: Kusto through `ingest-by:<tag>` extent tags with `ingestIfNotExists` (queued ingestion:
//    streaming ingestion carries no tags), the file sink through its tagged files. Tags alone would
//    do without checkpoints, but every redelivery would then re-read and re-send the whole file, and
//    Kusto would answer each chunk by checking extent tags: the checkpoint keeps that rare. Microsoft
//    warns that a unique ingest-by tag per ingestion costs performance as tags pile up in extent
//    metadata, so kql/V007 drops `ingest-by:` tags after 2 days, longer than Event Grid redelivers
//    (1 day). A larger QOE_BLOB_CHUNK_RECORDS means fewer, larger tagged ingestions (more memory).
//
// What remains: Kusto checks ingestIfNotExists when it ingests, so two ingestions of one tag that
// are both still waiting in the ingestion queue can both land. That takes a crash after a chunk was
// queued and a redelivery within the queued-ingestion batching window (30 s by kql/V002), and it
// repeats at most the chunks that were in flight. Rejected records of such a chunk are
// dead-lettered again (dead letters are not rows).
import { createHash } from 'node:crypto';
import { RestError, type TableClient } from '@azure/data-tables';
import { createOnce } from '../storage.js';

export interface Checkpoint {
  records: number;
  done: boolean;
}

export interface CheckpointStore {
  get(url: string, version: string): Promise<Checkpoint | undefined>;
  save(url: string, version: string, cp: Checkpoint): Promise<void>;
}

const key = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The idempotency tag of one chunk of one version of a blob: records [first, first + count) in
 * file order. Same file, same chunking: same tags, on every delivery.
 */
export function chunkTag(url: string, version: string, first: number, count: number): string {
  return `blob-${createHash('sha256').update(`${url}\n${version}\n${first}\n${count}`).digest('hex').slice(0, 40)}`;
}

export class TableCheckpointStore implements CheckpointStore {
  private readonly ensure: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.ensure = createOnce(() => table.createTable());
  }

  async get(url: string, version: string): Promise<Checkpoint | undefined> {
    await this.ensure();
    try {
      const e = await this.table.getEntity<{ Records: number; Done: boolean }>(key(url), key(version));
      return { records: Number(e.Records), done: Boolean(e.Done) };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async save(url: string, version: string, cp: Checkpoint): Promise<void> {
    await this.ensure();
    await this.table.upsertEntity({ partitionKey: key(url), rowKey: key(version), Url: url, Version: version, Records: cp.records, Done: cp.done, UpdatedAt: new Date() }, 'Replace');
  }
}
