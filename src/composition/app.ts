// The app's composition root: builds the shared pipeline once per process from the one Config.
// (Alerting has its own, beside it.)
import { lazyConfig, type Config } from '../config.js';
import { Enricher } from '../enrich/enricher.js';
import { GroupCommitBatcher, type BatcherLog } from '../ingest/batcher.js';
import { TableCheckpointStore, type CheckpointStore } from '../ingest/checkpoints.js';
import { createDeadLetterStore } from '../ingest/deadletter/index.js';
import type { DeadLetterStore } from '../ingest/deadletter/store.js';
import type { Sink } from '../ingest/sink.js';
import { createSink } from '../ingest/sinks/index.js';
import { createBlobReader, type BlobReader } from '../intake/blob/blob-reader.js';
import { inlinePreparer, type BatchPreparer } from '../intake/blob/prepare.js';
import { PreparePool } from '../intake/blob/prepare-pool.js';
import { workQueue, type WorkQueue } from '../intake/blob/work-item.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { storageFromConfig } from '../storage.js';
import { startTelemetryOnce } from '../telemetry/setup.js';

export interface Services {
  config: Config;
  pipeline: Pipeline;
  batcher: GroupCommitBatcher;
  deadLetter: DeadLetterStore;
  sink: Sink;
  checkpoints: CheckpointStore;
  /** Reads blobs of the configured account that work items name. */
  blobs: BlobReader;
  /** The blob work queue (blobCreated -> blobWorker). */
  blobQueue: WorkQueue;
  /** Where the blob worker prepares records: a pool of threads (started on first use), or this thread. */
  blobPreparer: BatchPreparer;
}

export interface ServiceOverrides {
  sink?: Sink;
  deadLetter?: DeadLetterStore;
  log?: BatcherLog;
}

const consoleLog: BatcherLog = (level, message) => console[level](`[qoe] ${message}`);

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  await startTelemetryOnce(config.telemetry);
  const enricher = await Enricher.create(config.enrich);
  const sink = overrides.sink ?? (await createSink(config));
  const deadLetter = overrides.deadLetter ?? createDeadLetterStore(config);
  const batcher = new GroupCommitBatcher(sink, deadLetter, { ...config.batch, retry: config.retry }, overrides.log ?? consoleLog);
  const limits = { maxStringLength: config.http.maxStringLength, maxUrlLength: config.http.maxUrlLength, maxExtraBytes: 8192 };
  const pipeline = new Pipeline(enricher, batcher, deadLetter, limits);
  const threads = config.blob.prepareThreads;
  const blobPreparer = threads > 0 ? new PreparePool(threads, { enrich: config.enrich, limits }) : inlinePreparer(pipeline);
  const storage = storageFromConfig(config);
  const blobs = createBlobReader(storage.blobService({ retryOptions: { maxTries: 4 } }));
  const blobQueue = workQueue(storage.queue(config.blob.queue));
  const checkpoints = new TableCheckpointStore(storage.table(config.blob.checkpointTable));
  return { config, pipeline, batcher, deadLetter, sink, checkpoints, blobs, blobQueue, blobPreparer };
}

let shared: Promise<Services> | undefined;

/** The process-wide services, built on first use (function instances reuse them across invocations). */
export function getServices(): Promise<Services> {
  // lazyConfig: only the sections the pipeline reads are validated, so a bad alert setting leaves intake serving.
  shared ??= createServices(lazyConfig()).catch((err) => {
    shared = undefined; // a bad setting fixed by a restart of the host should not stick
    throw err;
  });
  return shared;
}

/** For tests and the local host: use these services instead of building from the environment. */
export function setServices(services: Services | Promise<Services> | undefined): void {
  shared = services === undefined ? undefined : Promise.resolve(services);
}
