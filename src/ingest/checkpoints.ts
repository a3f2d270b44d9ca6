// Blob checkpoints: exactly-once effect over Event Grid's at-least-once delivery.
//
// A file is read in chunks of a fixed number of records, so chunk boundaries are the same on every
// read. After a chunk is durable (the pipeline resolved: in the sink or the dead-letter store) the
// checkpoint for (blob URL, version) records how many records are done; at the end it is marked
// done. The version is the blob's Content-MD5 when storage has one, else its eTag: a redelivered
// event, or a re-upload of the same bytes, finds a done checkpoint and is acknowledged without
// reading; a file the function died in resumes after the last durable chunk; changed content (a
// new MD5 or eTag) is a new key, so it is read again. Table Storage (Azurite serves it too) holds the checkpoints: one
// small entity per file, strongly consistent, cheap.
//
// What remains: if the process dies after a chunk became durable but before its checkpoint write,
// that chunk (and the one read ahead of it) is ingested again on redelivery. The KPI functions count a (SessionId, Seq) once,
// so the KPIs are unaffected; raw row counts can show the repeat.
import { createHash } from 'node:crypto';
import { RestError, type TableClient } from '@azure/data-tables';
import { ensureExists } from '../storage.js';

export interface Checkpoint {
  records: number;
  done: boolean;
}

export interface CheckpointStore {
  get(url: string, version: string): Promise<Checkpoint | undefined>;
  save(url: string, version: string, cp: Checkpoint): Promise<void>;
}

const key = (s: string) => createHash('sha256').update(s).digest('hex');

export class TableCheckpointStore implements CheckpointStore {
  private ready: Promise<unknown> | undefined;

  constructor(private readonly table: TableClient) {}

  private ensure(): Promise<unknown> {
    this.ready ??= ensureExists(() => this.table.createTable()).catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
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
