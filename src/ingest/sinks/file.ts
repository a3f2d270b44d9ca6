// The local default sink: exactly what would be ingested, one NDJSON file per table per time window.
import { mkdir, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { batchPayload, type Batch, type Sink } from '../sink.js';

export class FileSink implements Sink {
  readonly name = 'file';
  // Appends to one file are chained so concurrent batches never interleave their lines.
  private readonly tails = new Map<string, Promise<void>>();
  private readonly madeDirs = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly windowSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `<dir>/<table>/<table>-YYYYMMDDTHHMMSSZ.ndjson`, the window's start in UTC. */
  fileFor(table: string, at: Date): string {
    const windowMs = this.windowSeconds * 1000;
    const start = new Date(Math.floor(at.getTime() / windowMs) * windowMs);
    const stamp = start.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return path.join(this.dir, table, `${table}-${stamp}.ndjson`);
  }

  async write(batch: Batch): Promise<void> {
    const file = this.fileFor(batch.table, this.now());
    const payload = batchPayload(batch);
    const previous = this.tails.get(file) ?? Promise.resolve();
    const next = previous.then(async () => {
      const dir = path.dirname(file);
      if (!this.madeDirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        this.madeDirs.add(dir);
      }
      await appendFile(file, payload);
    });
    const settled = next.catch(() => undefined);
    this.tails.set(file, settled);
    void settled.then(() => {
      if (this.tails.get(file) === settled) this.tails.delete(file);
    });
    await next;
  }
}
