import { mkdir, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Batch } from '../sink.js';
import { batchDocument, rejectedDocument, type DeadLetterDocument, type DeadLetterStore, type RejectedEntry } from './store.js';

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
}
