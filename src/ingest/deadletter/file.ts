import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Batch } from '../sink.js';
import {
  batchDocument,
  DEFAULT_REJECTED_ENTRY_BYTES,
  parseBatchDocument,
  pendingDocument,
  pendingName,
  PENDING_ID,
  rejectedDocument,
  type DeadLetterBatch,
  type DeadLetterDocument,
  type DeadLetterStore,
  type RejectedEntry,
  type StoredBatch,
} from './store.js';

/** Writes a file and fsyncs it before resolving: what is acknowledged must survive a power cut. */
async function writeDurably(file: string, body: string): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.writeFile(body);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of a folder, so a rename into it is durable too (not supported on Windows: skipped there). */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Dead letters as files under the data folder; written to a temp name, fsynced and renamed, so a
 * reader never sees half a file and nothing acknowledged is lost to a crash.
 */
export class FileDeadLetterStore implements DeadLetterStore {
  readonly name = 'file';
  constructor(
    private readonly dir: string,
    private readonly maxBytesPerEntry = DEFAULT_REJECTED_ENTRY_BYTES,
  ) {}

  private async put(doc: DeadLetterDocument): Promise<void> {
    const file = path.join(this.dir, ...doc.name.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeDurably(`${file}.tmp`, doc.body);
    await rename(`${file}.tmp`, file);
    await syncDir(path.dirname(file));
  }

  writeRejected(entry: RejectedEntry): Promise<void> {
    return this.put(rejectedDocument(entry, new Date(), this.maxBytesPerEntry));
  }

  writeFailedBatch(batch: Batch, reason: string): Promise<void> {
    return this.put(batchDocument(batch, reason));
  }

  async *listBatches(): AsyncIterable<StoredBatch> {
    const root = path.join(this.dir, 'batches');
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    const files = entries
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => path.join(e.parentPath, e.name))
      .sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
    for (const file of files) {
      yield {
        name: path.relative(this.dir, file).split(path.sep).join('/'),
        read: async () => parseBatchDocument(await readFile(file, 'utf8')),
        remove: () => rm(file, { force: true }),
      };
    }
  }

  writePending(batch: Batch): Promise<void> {
    return this.put(pendingDocument(batch));
  }

  async readPending(batchId: string): Promise<DeadLetterBatch | undefined> {
    const text = await readFile(path.join(this.dir, ...pendingName(batchId).split('/')), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    return text === undefined ? undefined : parseBatchDocument(text);
  }

  removePending(batchId: string): Promise<void> {
    return rm(path.join(this.dir, ...pendingName(batchId).split('/')), { force: true });
  }

  async *listPending(): AsyncIterable<{ batchId: string; since: Date }> {
    const root = path.join(this.dir, 'pending');
    for (const name of await readdir(root).catch(() => [] as string[])) {
      const batchId = name.replace(/\.json$/, '');
      if (!PENDING_ID.test(batchId)) continue;
      const info = await stat(path.join(root, name)).catch(() => undefined);
      if (info) yield { batchId, since: info.mtime };
    }
  }
}
