import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Batch } from '../sink.js';
import { batchDocument, parseBatchDocument, rejectedDocument, type DeadLetterDocument, type DeadLetterStore, type RejectedEntry, type StoredBatch } from './store.js';

/** Dead letters as files under the data folder; written to a temp name and renamed, so a reader never sees half a file. */
export class FileDeadLetterStore implements DeadLetterStore {
  readonly name = 'file';
  constructor(private readonly dir: string) {}

  private async put(doc: DeadLetterDocument): Promise<void> {
    const file = path.join(this.dir, ...doc.name.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, doc.body);
    await rename(`${file}.tmp`, file);
  }

  writeRejected(entry: RejectedEntry): Promise<void> {
    return this.put(rejectedDocument(entry));
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
}
