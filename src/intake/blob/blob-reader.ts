// The BlobReader the blob intake uses, on the app's storage credential.
import { BlobClient } from '@azure/storage-blob';
import type { Readable } from 'node:stream';
import type { StorageAccess } from '../../storage.js';
import type { BlobReader } from './intake.js';

export function createBlobReader(storage: StorageAccess): BlobReader {
  const client = (url: string) => new BlobClient(url, storage.blobCredential, { retryOptions: { maxTries: 4 } });
  return {
    contentMd5: async (url) => {
      const md5 = (await client(url).getProperties()).contentMD5;
      return md5 ? Buffer.from(md5).toString('base64') : undefined;
    },
    open: async (url) => {
      const res = await client(url).download();
      if (!res.readableStreamBody) throw new Error(`blob ${url} has no body`);
      return res.readableStreamBody as Readable;
    },
  };
}
