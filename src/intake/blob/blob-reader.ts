// The BlobReader the blob worker uses: the configured account's blob endpoint and credential, a
// blob named by container and name (never a URL from outside), one version pinned by its eTag.
import type { Readable } from 'node:stream';
import { RestError, type BlobServiceClient } from '@azure/storage-blob';
import type { BlobAccount } from './handoff.js';

export interface BlobVersion {
  contentLength: number;
  /** Content-MD5 (base64) when storage has one; Put Block List uploads carry none. */
  contentMd5?: string;
  contentType?: string;
}

export interface BlobReader extends BlobAccount {
  /** This version's properties; undefined when the blob was deleted or overwritten since (eTag no longer matches). */
  properties(container: string, name: string, eTag: string): Promise<BlobVersion | undefined>;
  /** This version's bytes from `offset` (count: how many, default to the end), streamed; a changed blob fails (412). */
  open(container: string, name: string, eTag: string, offset?: number, count?: number): Promise<Readable>;
}

export function createBlobReader(service: BlobServiceClient): BlobReader {
  const blob = (container: string, name: string) => service.getContainerClient(container).getBlobClient(name);
  return {
    name: service.accountName,
    blobUrl: (container, name) => blob(container, name).url,
    async properties(container, name, eTag) {
      try {
        const p = await blob(container, name).getProperties({ conditions: { ifMatch: eTag } });
        return {
          contentLength: p.contentLength ?? 0,
          contentMd5: p.contentMD5 ? Buffer.from(p.contentMD5).toString('base64') : undefined,
          contentType: p.contentType,
        };
      } catch (err) {
        if (err instanceof RestError && (err.statusCode === 404 || err.statusCode === 412)) return undefined;
        throw err;
      }
    },
    async open(container, name, eTag, offset = 0, count) {
      const res = await blob(container, name).download(offset, count, { conditions: { ifMatch: eTag }, maxRetryRequests: 4 });
      if (!res.readableStreamBody) throw new Error(`blob ${container}/${name} has no body`);
      return res.readableStreamBody as Readable;
    },
  };
}
