// Storage clients from the one storage setting. A connection string (Azurite locally, or an account
// key) authenticates with the key; in Azure the Function App has no key: `AzureWebJobsStorage__accountName`
// names the account and the managed identity (DefaultAzureCredential) signs in, as the host does.
import { AzureNamedKeyCredential, TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, StorageSharedKeyCredential, type StoragePipelineOptions } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';

export interface StorageSettings {
  /** A connection string; empty when the account is reached by identity. */
  connectionString: string;
  /** The account name for identity-based access (AzureWebJobsStorage__accountName). */
  accountName?: string;
}

export interface AccountKey {
  name: string;
  key: string;
  blobEndpoint?: string;
  queueEndpoint?: string;
  tableEndpoint?: string;
}

export const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const DEVSTORE_ACCOUNT = 'devstoreaccount1';
export const DEVSTORE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function accountKeyFrom(connectionString: string): AccountKey | undefined {
  if (/UseDevelopmentStorage=true/i.test(connectionString)) {
    return {
      name: DEVSTORE_ACCOUNT,
      key: DEVSTORE_KEY,
      blobEndpoint: 'http://127.0.0.1:10000/devstoreaccount1',
      queueEndpoint: 'http://127.0.0.1:10001/devstoreaccount1',
      tableEndpoint: 'http://127.0.0.1:10002/devstoreaccount1',
    };
  }
  const parts = Object.fromEntries(
    connectionString
      .split(';')
      .filter(Boolean)
      .map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim()];
      }),
  );
  if (!parts.accountname || !parts.accountkey) return undefined;
  const suffix = parts.endpointsuffix ?? 'core.windows.net';
  const proto = parts.defaultendpointsprotocol ?? 'https';
  return {
    name: parts.accountname,
    key: parts.accountkey,
    blobEndpoint: parts.blobendpoint ?? `${proto}://${parts.accountname}.blob.${suffix}`,
    queueEndpoint: parts.queueendpoint ?? `${proto}://${parts.accountname}.queue.${suffix}`,
    tableEndpoint: parts.tableendpoint ?? `${proto}://${parts.accountname}.table.${suffix}`,
  };
}

export interface StorageAccess {
  /** Credential for blob URLs that events name. */
  blobCredential: StorageSharedKeyCredential | TokenCredential;
  blobService(options?: StoragePipelineOptions): BlobServiceClient;
  queue(name: string): QueueClient;
  table(name: string): TableClient;
}

/** Storage clients for the app's own account, from the storage settings in Config. */
export function storageFromConfig(config: { storageConnection: string; storageAccount?: string }): StorageAccess {
  return storageAccess({ connectionString: config.storageConnection, accountName: config.storageAccount });
}

export function storageAccess(settings: StorageSettings): StorageAccess {
  const key = settings.connectionString ? accountKeyFrom(settings.connectionString) : undefined;
  if (key) {
    const shared = new StorageSharedKeyCredential(key.name, key.key);
    return {
      blobCredential: shared,
      blobService: (options) => new BlobServiceClient(key.blobEndpoint!, shared, options),
      queue: (name) => new QueueClient(`${key.queueEndpoint}/${name}`, shared),
      table: (name) =>
        new TableClient(key.tableEndpoint!, name, new AzureNamedKeyCredential(key.name, key.key), {
          allowInsecureConnection: key.tableEndpoint!.startsWith('http:'),
        }),
    };
  }
  if (settings.connectionString) {
    // A SAS or other connection string the SDKs understand themselves.
    const cs = settings.connectionString;
    return {
      blobCredential: new DefaultAzureCredential(),
      blobService: (options) => BlobServiceClient.fromConnectionString(cs, options),
      queue: (name) => new QueueClient(cs, name),
      table: (name) => TableClient.fromConnectionString(cs, name),
    };
  }
  if (!settings.accountName) throw new Error('no storage configured: set AzureWebJobsStorage or AzureWebJobsStorage__accountName');
  const credential = new DefaultAzureCredential();
  const account = settings.accountName;
  return {
    blobCredential: credential,
    blobService: (options) => new BlobServiceClient(`https://${account}.blob.core.windows.net`, credential, options),
    queue: (name) => new QueueClient(`https://${account}.queue.core.windows.net/${name}`, credential),
    table: (name) => new TableClient(`https://${account}.table.core.windows.net`, name, credential),
  };
}

/**
 * Creating a container, queue or table the infrastructure already made: with data roles scoped to
 * the resource (no account-level rights), the service answers 403 to the create; that is fine.
 */
export async function ensureExists(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 403) throw err;
  }
}

/**
 * `ensureExists` once per process: later calls reuse the first success; a failed create is
 * forgotten, so the next call tries again (the emulator or the network may have been down).
 */
export function createOnce(create: () => Promise<unknown>): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () =>
    (ready ??= ensureExists(create).catch((err: unknown) => {
      ready = undefined;
      throw err;
    }));
}
