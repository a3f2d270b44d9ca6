// Azurite emits no events, so the local host plays Event Grid: it polls the watched containers and
// delivers a Microsoft.Storage.BlobCreated event (Event Grid schema, the fields Azure sends) for
// every new blob or new eTag. Redelivery after a restart is harmless: checkpoints skip done files.
import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';

export interface LocalEventGridOptions {
  connectionString: string;
  containers: string[];
  deliver: (event: Record<string, unknown>) => Promise<unknown>;
  intervalMs?: number;
  log?: (line: string) => void;
}

export interface LocalEventGrid {
  /** One scan of the containers now; resolves when its deliveries are done. */
  poll(): Promise<number>;
  stop(): void;
}

export function blobCreatedEvent(p: { accountUrl: string; container: string; name: string; eTag: string; contentType?: string; contentLength?: number; sequencer: number }): Record<string, unknown> {
  const url = `${p.accountUrl.replace(/\/$/, '')}/${p.container}/${p.name.split('/').map(encodeURIComponent).join('/')}`;
  return {
    id: randomUUID(),
    topic: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
    subject: `/blobServices/default/containers/${p.container}/blobs/${p.name}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: new Date().toISOString(),
    data: {
      api: 'PutBlob',
      clientRequestId: randomUUID(),
      requestId: randomUUID(),
      eTag: p.eTag,
      contentType: p.contentType ?? 'application/octet-stream',
      contentLength: p.contentLength ?? 0,
      blobType: 'BlockBlob',
      url,
      sequencer: p.sequencer.toString(16).padStart(32, '0'),
      storageDiagnostics: { batchId: randomUUID() },
    },
    dataVersion: '',
    metadataVersion: '1',
  };
}

export function startLocalEventGrid(opts: LocalEventGridOptions): LocalEventGrid {
  const service = BlobServiceClient.fromConnectionString(opts.connectionString);
  const seen = new Map<string, string>(); // container/name -> eTag delivered
  let sequencer = 0;
  let running: Promise<number> | undefined;

  const scan = async (): Promise<number> => {
    let delivered = 0;
    for (const name of opts.containers) {
      const container = service.getContainerClient(name);
      await container.createIfNotExists();
      for await (const blob of container.listBlobsFlat()) {
        const key = `${name}/${blob.name}`;
        const eTag = blob.properties.etag ?? '';
        if (seen.get(key) === eTag) continue;
        const event = blobCreatedEvent({ accountUrl: service.url, container: name, name: blob.name, eTag, contentType: blob.properties.contentType, contentLength: blob.properties.contentLength, sequencer: ++sequencer });
        try {
          await opts.deliver(event);
          seen.set(key, eTag);
          delivered++;
        } catch (err) {
          // Like Event Grid: the same event is delivered again on a later poll.
          opts.log?.(`[event-grid] ${key}: delivery failed, will retry: ${(err as Error).message}`);
        }
      }
    }
    return delivered;
  };

  const poll = () => (running ??= scan().finally(() => (running = undefined)));
  const timer = setInterval(() => void poll().catch((err) => opts.log?.(`[event-grid] poll failed: ${(err as Error).message}`)), opts.intervalMs ?? 1000);
  timer.unref();
  return { poll, stop: () => clearInterval(timer) };
}
