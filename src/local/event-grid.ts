// Azurite emits no events, so the local host plays Event Grid: it polls the watched containers and
// delivers a Microsoft.Storage.BlobCreated event (Event Grid schema, the fields Azure sends) for
// every new blob or new eTag. What it delivered is remembered in memory and, when a state file is
// given, on disk, so a restart of `npm start` does not announce every old blob again (redelivery
// would be harmless anyway: checkpoints skip done files). A failed delivery is retried on the next
// poll, as Event Grid retries.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { errorCode, errorMessage } from '../errors.js';

export interface LocalEventGridOptions {
  connectionString: string;
  containers: string[];
  deliver: (event: Record<string, unknown>) => Promise<unknown>;
  intervalMs?: number;
  /** JSON file remembering the eTag delivered per blob across restarts (e.g. `data/event-grid.json`). */
  stateFile?: string;
  log?: (line: string) => void;
}

export interface LocalEventGrid {
  /** One scan of the containers now; resolves when its deliveries are done. */
  poll(): Promise<number>;
  stop(): void;
}

export function blobCreatedEvent(p: {
  accountUrl: string;
  container: string;
  name: string;
  eTag: string;
  contentType?: string;
  contentLength?: number;
  /** A number (made into Azure's 32 hex digits) or the sequencer string itself. */
  sequencer: number | string;
}): Record<string, unknown> {
  const url = `${p.accountUrl.replace(/\/$/, '')}/${p.container}/${p.name.split('/').map(encodeURIComponent).join('/')}`;
  const base = new URL(p.accountUrl); // Azurite: http://127.0.0.1:10000/<account>; Azure: https://<account>.blob.core.windows.net
  const account = base.pathname.split('/').filter(Boolean)[0] ?? base.hostname.split('.')[0];
  return {
    id: randomUUID(),
    topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/${account}`,
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
      sequencer: typeof p.sequencer === 'string' ? p.sequencer : p.sequencer.toString(16).padStart(32, '0'),
      storageDiagnostics: { batchId: randomUUID() },
    },
    dataVersion: '',
    metadataVersion: '1',
  };
}

interface State {
  /** `container/name` -> eTag delivered. */
  delivered: Record<string, string>;
}

async function loadState(file: string | undefined, log?: (line: string) => void): Promise<Map<string, string>> {
  if (!file) return new Map();
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as Partial<State>;
    return new Map(Object.entries(state.delivered ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') log?.(`[event-grid] ${file}: unreadable, starting afresh (${errorMessage(err)})`);
    return new Map();
  }
}

async function saveState(file: string, seen: Map<string, string>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const body = JSON.stringify({ delivered: Object.fromEntries(seen) } satisfies State, null, 1);
  await writeFile(`${file}.tmp`, body);
  await rename(`${file}.tmp`, file);
}

export function startLocalEventGrid(opts: LocalEventGridOptions): LocalEventGrid {
  const service = BlobServiceClient.fromConnectionString(opts.connectionString);
  const state = loadState(opts.stateFile, opts.log);
  const created = new Set<string>();
  // Azure's sequencer orders the events of one blob name; here: last-modified time, then a counter.
  let counter = 0;
  const sequencer = (lastModified: Date | undefined) =>
    ((BigInt(lastModified?.getTime() ?? Date.now()) << 20n) | BigInt(counter++ & 0xfffff)).toString(16).padStart(32, '0');
  let running: Promise<number> | undefined;

  const scan = async (): Promise<number> => {
    const seen = await state;
    let delivered = 0;
    try {
      for (const name of opts.containers) {
        const container = service.getContainerClient(name);
        if (!created.has(name)) {
          await container.createIfNotExists();
          created.add(name);
        }
        for await (const blob of container.listBlobsFlat()) {
          const key = `${name}/${blob.name}`;
          const eTag = blob.properties.etag ?? '';
          if (seen.get(key) === eTag) continue;
          const event = blobCreatedEvent({
            accountUrl: service.url,
            container: name,
            name: blob.name,
            eTag,
            contentType: blob.properties.contentType,
            contentLength: blob.properties.contentLength,
            sequencer: sequencer(blob.properties.lastModified),
          });
          try {
            await opts.deliver(event);
            seen.set(key, eTag);
            delivered++;
          } catch (err) {
            // Like Event Grid: the same blob is announced again on a later poll.
            opts.log?.(`[event-grid] ${key}: delivery failed, will retry: ${errorMessage(err)}`);
          }
        }
      }
    } finally {
      if (delivered > 0 && opts.stateFile)
        await saveState(opts.stateFile, seen).catch((err) =>
          opts.log?.(`[event-grid] could not save ${opts.stateFile}: ${errorMessage(err)}`),
        );
    }
    return delivered;
  };

  const poll = () => (running ??= scan().finally(() => (running = undefined)));
  const timer = setInterval(
    () => void poll().catch((err) => opts.log?.(`[event-grid] poll failed: ${errorMessage(err)}`)),
    opts.intervalMs ?? 1000,
  );
  timer.unref();
  return { poll, stop: () => clearInterval(timer) };
}
