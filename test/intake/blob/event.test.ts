import { describe, expect, it } from 'vitest';
import { parseBlobEvent } from '../../../src/intake/blob/event.js';

// From Microsoft Learn, "Azure Blob Storage as an Event Grid source" (Event Grid schema example).
const eventGridSchema = {
  topic: '/subscriptions/{subscription-id}/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/my-storage-account',
  subject: '/blobServices/default/containers/test-container/blobs/new-file.txt',
  eventType: 'Microsoft.Storage.BlobCreated',
  eventTime: '2017-06-26T18:41:00.9584103Z',
  id: '831e1650-001e-001b-66ab-eeb76e069631',
  data: {
    api: 'PutBlockList',
    clientRequestId: '6d79dbfb-0e37-4fc4-981f-442c9ca65760',
    requestId: '831e1650-001e-001b-66ab-eeb76e000000',
    eTag: '0x8D4BCC2E4835CD0',
    contentType: 'text/plain',
    contentLength: 524288,
    blobType: 'BlockBlob',
    url: 'https://my-storage-account.blob.core.windows.net/testcontainer/new-file.txt',
    sequencer: '00000000000004420000000000028963',
    storageDiagnostics: { batchId: 'b68529f3-68cd-4744-baa4-3c0498ec19f0' },
  },
  dataVersion: '',
  metadataVersion: '1',
};

// From Microsoft Learn, "CloudEvents v1.0 schema with Azure Event Grid" (note: no leading slash in subject).
const cloudEventSchema = {
  specversion: '1.0',
  type: 'Microsoft.Storage.BlobCreated',
  source: '/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-account}',
  id: '9aeb0fdf-c01e-0131-0922-9eb54906e209',
  time: '2019-11-18T15:13:39.4589254Z',
  subject: 'blobServices/default/containers/{storage-container}/blobs/{new-file}',
  data: {
    api: 'PutBlockList',
    clientRequestId: '4c5dd7fb-2c48-4a27-bb30-5361b5de920a',
    requestId: '9aeb0fdf-c01e-0131-0922-9eb549000000',
    eTag: '0x8D76C39E4407333',
    contentType: 'image/png',
    contentLength: 30699,
    blobType: 'BlockBlob',
    url: 'https://gridtesting.blob.core.windows.net/testcontainer/{new-file}',
    sequencer: '000000000000000000000000000099240000000000c41c18',
    storageDiagnostics: { batchId: '681fe319-3006-00a8-0022-9e7cde000000' },
  },
};

describe('BlobCreated events', () => {
  it('reads the Event Grid schema example', async () => {
    const parsed = await parseBlobEvent(eventGridSchema);
    expect(parsed).toEqual({
      kind: 'blob-created',
      blob: {
        id: '831e1650-001e-001b-66ab-eeb76e069631',
        url: 'https://my-storage-account.blob.core.windows.net/testcontainer/new-file.txt',
        eTag: '0x8D4BCC2E4835CD0',
        container: 'test-container',
        name: 'new-file.txt',
        contentType: 'text/plain',
        contentLength: 524288,
        api: 'PutBlockList',
      },
    });
  });

  it('reads the CloudEvents 1.0 example, also as a JSON string', async () => {
    const parsed = await parseBlobEvent(JSON.stringify(cloudEventSchema));
    expect(parsed.kind).toBe('blob-created');
    if (parsed.kind === 'blob-created') expect(parsed.blob).toMatchObject({ container: '{storage-container}', name: '{new-file}', eTag: '0x8D76C39E4407333' });
  });

  it('ignores other event types', async () => {
    expect(await parseBlobEvent({ ...eventGridSchema, eventType: 'Microsoft.Storage.BlobDeleted' })).toEqual({ kind: 'ignored', reason: 'event type Microsoft.Storage.BlobDeleted' });
    expect((await parseBlobEvent({ ...cloudEventSchema, type: 'Microsoft.Storage.BlobTierChanged' })).kind).toBe('ignored');
  });
});
