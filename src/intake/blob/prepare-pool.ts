// A pool of prepare threads (prepare-thread.ts) for the blob worker: each loads its own Enricher
// once and prepares the batches it is sent; answers come back in any order and are matched by id,
// so the reader commits chunks in file order whatever thread was fastest. Threads start on first
// use (an instance that only serves HTTP never starts one) and hold the process only while they
// have work. A thread that dies fails its batches (the work item is delivered again) and is
// replaced on the next batch.
import { createHash } from 'node:crypto';
import type * as Esbuild from 'esbuild';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { threadId, Worker } from 'node:worker_threads';
import type { EnrichOptions } from '../../enrich/enricher.js';
import { errorMessage } from '../../errors.js';
import type { IntakeContext } from '../../pipeline/contract.js';
import type { PipelineLimits } from '../../pipeline/limits.js';
import type { BatchPreparer, PreparedBatch, RecordBatch } from './prepare.js';

/** What a prepare thread needs to build its RecordPreparer (plain data: it is copied to the thread). */
export interface PrepareThreadData {
  enrich: EnrichOptions;
  limits: PipelineLimits;
}

export type PrepareRequest = { id: number; batch: RecordBatch; ctx: IntakeContext };
export type PrepareAnswer = { id: number; prepared: PreparedBatch } | { id: number; error: string };

/** Batches each thread may hold at once: one being prepared, one waiting, so a thread never idles between batches. */
const PER_THREAD = 2;

interface Waiter {
  resolve: (p: PreparedBatch) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  waiting: Map<number, Waiter>;
}

/**
 * The thread's module: the compiled .js next to this file; or, when this runs from the .ts source
 * (tests, benches under tsx), that source bundled by esbuild (a dev dependency), because Node 20
 * applies no loader hooks to worker threads. The bundle is written under node_modules/.cache so its
 * packages resolve as the source's do; its name is its content hash, so concurrent runs agree.
 */
function threadModule(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./prepare-thread.js', import.meta.url);
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof Esbuild;
  const built = esbuild.buildSync({
    entryPoints: [fileURLToPath(new URL('./prepare-thread.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
  });
  const code = built.outputFiles[0]!.text;
  const dir = path.join(path.dirname(require.resolve('esbuild/package.json')), '..', '.cache', 'qoe-prepare-thread');
  const file = path.join(dir, `${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.${threadId}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  return pathToFileURL(file);
}

let module: URL | undefined;

export class PreparePool implements BatchPreparer {
  readonly capacity: number;
  private readonly slots: Array<Slot | undefined>;
  private nextId = 0;
  private closed = false;

  constructor(
    readonly threads: number,
    private readonly data: PrepareThreadData,
  ) {
    if (threads < 1) throw new Error('a prepare pool needs at least one thread');
    this.slots = Array.from({ length: threads }, () => undefined);
    this.capacity = threads * PER_THREAD;
  }

  prepare(batch: RecordBatch, ctx: IntakeContext): Promise<PreparedBatch> {
    if (this.closed) return Promise.reject(new Error('the prepare pool is closed'));
    const slot = this.leastBusy();
    const id = this.nextId++;
    return new Promise<PreparedBatch>((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      slot.worker.ref();
      const request: PrepareRequest = { id, batch, ctx };
      // The lines' buffer moves to the thread (the batch is not used here again).
      slot.worker.postMessage(request, batch.lines.byteLength > 0 ? [batch.lines.buffer as ArrayBuffer] : []);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = this.slots.filter((s): s is Slot => s !== undefined);
    this.slots.fill(undefined);
    await Promise.all(running.map((s) => s.worker.terminate()));
  }

  private leastBusy(): Slot {
    let best = 0;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (!s) {
        best = i;
        break;
      }
      if (s.waiting.size < (this.slots[best]?.waiting.size ?? Infinity)) best = i;
    }
    return this.slots[best] ?? this.start(best);
  }

  private start(i: number): Slot {
    const worker = new Worker((module ??= threadModule()), { workerData: this.data });
    const slot: Slot = { worker, waiting: new Map() };
    this.slots[i] = slot;
    worker.unref();
    worker.on('message', (answer: PrepareAnswer) => {
      const w = slot.waiting.get(answer.id);
      if (!w) return;
      slot.waiting.delete(answer.id);
      if (slot.waiting.size === 0) worker.unref();
      if ('error' in answer) w.reject(new Error(`prepare thread: ${answer.error}`));
      else w.resolve(answer.prepared);
    });
    const fail = (why: string) => {
      if (this.slots[i] === slot) this.slots[i] = undefined; // the next batch starts a new thread
      for (const w of slot.waiting.values()) w.reject(new Error(`prepare thread stopped: ${why}`));
      slot.waiting.clear();
    };
    worker.on('error', (err) => fail(errorMessage(err)));
    worker.on('exit', (code) => fail(`exit code ${code}`));
    return slot;
  }
}
