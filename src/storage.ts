// Storage clients from the one storage setting: a connection string (Azurite locally, or a key)
// authenticates with the account key; otherwise the managed identity (DefaultAzureCredential).
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzureNamedKeyCredential, TableClient } from '@azure/data-tables';

export interface AccountKey {
  name: string;
  key: string;
  tableEndpoint?: string;
}

export function accountKeyFrom(connectionString: string): AccountKey | undefined {
  if (/UseDevelopmentStorage=true/i.test(connectionString)) {
    return {
      name: 'devstoreaccount1',
      key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
      tableEndpoint: 'http://127.0.0.1:10002/devstoreaccount1',
    };
  }
  const parts = Object.fromEntries(
    connectionString.split(';').filter(Boolean).map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim()];
    }),
  );
  if (!parts.accountname || !parts.accountkey) return undefined;
  return { name: parts.accountname, key: parts.accountkey, tableEndpoint: parts.tableendpoint };
}

/** Credential for blob URLs that events name. */
export function blobCredential(connectionString: string): StorageSharedKeyCredential | TokenCredential {
  const key = accountKeyFrom(connectionString);
  return key ? new StorageSharedKeyCredential(key.name, key.key) : new DefaultAzureCredential();
}

export function tableClient(connectionString: string, table: string): TableClient {
  const key = accountKeyFrom(connectionString);
  if (key?.tableEndpoint) {
    return new TableClient(key.tableEndpoint, table, new AzureNamedKeyCredential(key.name, key.key), { allowInsecureConnection: key.tableEndpoint.startsWith('http:') });
  }
  return TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: /http:/.test(connectionString) });
}
