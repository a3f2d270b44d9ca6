// The local default sink: exactly what would be ingested, one NDJSON file per table per time window.
// A tagged batch (a blob chunk, see Batch.tag) gets a file of its own in the same folder, named
// with its tag and written under a temporary name then renamed: the file is there whole or not at
// all, so its name is the record that the tag was written, and a batch whose tag is already there
// is skipped, also after a restart. This is the file sink's stand-in for Kusto's ingest-by tags.
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { batchPayloadParts, type Batch, type Sink } from '../sink.js';

const SAFE_TAG = /^[A-Za-z0-9_.-]{1,100}$/;

/** Appends (flag 'a') or writes (flag 'w') and fsyncs before resolving: a batch is acknowledged only once it is on disk. */
async function writeSynced(file: string, payload: Uint8Array[], flag: 'a' | 'w'): Promise<void> {
  const fh = await open(file, flag);
  try {
    for (const part of payload) await fh.writeFile(part);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class FileSink implements Sink {
  readonly name = 'file';
  // Appends to one file are chained so concurrent batches never interleave their lines.
  private readonly tails = new Map<string, Promise<void>>();
  private readonly madeDirs = new Set<string>();
  /** Per table: tags already written (read once from the folder), and writes of a tag under way. */
  private readonly tags = new Map<string, Promise<Set<string>>>();
  private readonly tagWrites = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: string,
    private readonly windowSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `<dir>/<table>/<table>-YYYYMMDDTHHMMSSZ.ndjson`, the window's start in UTC. */
  fileFor(table: string, at: Date): string {
    const windowMs = this.windowSeconds * 1000;
    const start = new Date(Math.floor(at.getTime() / windowMs) * windowMs);
    const stamp = start
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    return path.join(this.dir, table, `${table}-${stamp}.ndjson`);
  }

  async write(batch: Batch): Promise<void> {
    if (batch.tag !== undefined) return this.writeTagged(batch, batch.tag);
    const file = this.fileFor(batch.table, this.now());
    const payload = batchPayloadParts(batch);
    const previous = this.tails.get(file) ?? Promise.resolve();
    const next = previous.then(async () => {
      await this.ensureDir(path.dirname(file));
      await writeSynced(file, payload, 'a');
    });
    const settled = next.catch(() => undefined);
    this.tails.set(file, settled);
    void settled.then(() => {
      if (this.tails.get(file) === settled) this.tails.delete(file);
    });
    await next;
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  /** The tag as it appears in a file name. */
  private static fileTag(tag: string): string {
    return SAFE_TAG.test(tag) ? tag : `h${createHash('sha256').update(tag).digest('hex').slice(0, 40)}`;
  }

  /** Tags already in the table's folder: `<table>-<stamp>-<tag>.ndjson`. */
  private tagsOf(table: string): Promise<Set<string>> {
    let known = this.tags.get(table);
    if (!known) {
      const pattern = new RegExp(`^${table.replace(/[^\w]/g, '\\$&')}-\\d{8}T\\d{6}Z-(.+)\\.ndjson$`);
      known = readdir(path.join(this.dir, table))
        .catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return [] as string[];
          throw err;
        })
        .then((names) => new Set(names.flatMap((n) => pattern.exec(n)?.[1] ?? [])));
      known.catch(() => this.tags.delete(table)); // a failed listing is tried again next time
      this.tags.set(table, known);
    }
    return known;
  }

  private async writeTagged(batch: Batch, tag: string): Promise<void> {
    const name = FileSink.fileTag(tag);
    const key = `${batch.table}\u0000${name}`;
    // Writes of one tag are chained (two deliveries of one event at once): the later one sees the
    // earlier one's file and skips.
    const previous = this.tagWrites.get(key) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const known = await this.tagsOf(batch.table);
        if (known.has(name)) return;
        const file = this.fileFor(batch.table, this.now()).replace(/\.ndjson$/, `-${name}.ndjson`);
        await this.ensureDir(path.dirname(file));
        await writeSynced(`${file}.tmp`, batchPayloadParts(batch), 'w');
        await rename(`${file}.tmp`, file);
        known.add(name);
      });
    this.tagWrites.set(key, next);
    try {
      await next;
    } finally {
      if (this.tagWrites.get(key) === next) this.tagWrites.delete(key);
    }
  }
}
