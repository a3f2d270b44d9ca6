import type { ContainerClient } from '@azure/storage-blob';
import { createOnce, storageAccess, type StorageAccess } from '../../storage.js';
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

/** Dead letters as blobs in one container (Azurite locally); the container is created on first use. */
export class BlobDeadLetterStore implements DeadLetterStore {
  readonly name = 'blob';
  private readonly ensureContainer: () => Promise<void>;

  constructor(
    private readonly container: ContainerClient,
    private readonly maxBytesPerEntry = DEFAULT_REJECTED_ENTRY_BYTES,
  ) {
    this.ensureContainer = createOnce(() => container.createIfNotExists());
  }

  static fromConnectionString(connectionString: string, containerName: string): BlobDeadLetterStore {
    return BlobDeadLetterStore.forStorage(storageAccess({ connectionString }), containerName);
  }

  static forStorage(storage: StorageAccess, containerName: string, maxBytesPerEntry?: number): BlobDeadLetterStore {
    const service = storage.blobService({
      // Fail fast: the batcher already retried the sink; a dead-letter store that hangs turns into a 503 anyway.
      retryOptions: { maxTries: 3, tryTimeoutInMs: 10_000, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
    });
    return new BlobDeadLetterStore(service.getContainerClient(containerName), maxBytesPerEntry);
  }

  private async put(doc: DeadLetterDocument): Promise<void> {
    await this.ensureContainer();
    const body = Buffer.from(doc.body, 'utf8');
    await this.container.getBlockBlobClient(doc.name).upload(body, body.length, {
      metadata: doc.metadata,
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  }

  writeRejected(entry: RejectedEntry): Promise<void> {
    return this.put(rejectedDocument(entry, new Date(), this.maxBytesPerEntry));
  }

  writeFailedBatch(batch: Batch, reason: string): Promise<void> {
    return this.put(batchDocument(batch, reason));
  }

  async *listBatches(): AsyncIterable<StoredBatch> {
    if (!(await this.container.exists())) return;
    const names: string[] = [];
    for await (const b of this.container.listBlobsFlat({ prefix: 'batches/' })) names.push(b.name);
    names.sort((a, b) => a.slice(a.lastIndexOf('/')).localeCompare(b.slice(b.lastIndexOf('/'))));
    for (const name of names) {
      const blob = this.container.getBlockBlobClient(name);
      yield {
        name,
        read: async () => parseBatchDocument((await blob.downloadToBuffer()).toString('utf8')),
        remove: async () => void (await blob.deleteIfExists()),
      };
    }
  }

  writePending(batch: Batch): Promise<void> {
    return this.put(pendingDocument(batch));
  }

  async readPending(batchId: string): Promise<DeadLetterBatch | undefined> {
    if (!(await this.container.exists())) return undefined;
    try {
      return parseBatchDocument((await this.container.getBlockBlobClient(pendingName(batchId)).downloadToBuffer()).toString('utf8'));
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  async removePending(batchId: string): Promise<void> {
    await this.container.getBlockBlobClient(pendingName(batchId)).deleteIfExists();
  }

  async *listPending(): AsyncIterable<{ batchId: string; since: Date }> {
    if (!(await this.container.exists())) return;
    for await (const b of this.container.listBlobsFlat({ prefix: 'pending/' })) {
      const batchId = b.name.slice('pending/'.length).replace(/\.json$/, '');
      if (PENDING_ID.test(batchId)) yield { batchId, since: b.properties.lastModified ?? b.properties.createdOn ?? new Date(0) };
    }
  }
}
