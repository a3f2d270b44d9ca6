import { describe, expect, it } from 'vitest';
import { parseBlobEvent, parseBlobEvents } from '../../../src/intake/blob/event.js';

// The event bodies below are copied verbatim (as JSON text) from Microsoft's published examples.

// Microsoft Learn, "Azure Blob Storage as an Event Grid source"
// (https://learn.microsoft.com/azure/event-grid/event-schema-blob-storage), "Example events",
// tab "Event Grid event schema", "Microsoft.Storage.BlobCreated event". Note the page's own
// inconsistency (subject container `test-container`, URL container `testcontainer`) and the eTag,
// which carries its quotes as the HTTP ETag header does.
const eventGridSchemaExample = String.raw`[{
  "topic": "/subscriptions/{subscription-id}/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/my-storage-account",
  "subject": "/blobServices/default/containers/test-container/blobs/new-file.txt",
  "eventType": "Microsoft.Storage.BlobCreated",
  "eventTime": "2017-06-26T18:41:00.9584103Z",
  "id": "831e1650-001e-001b-66ab-eeb76e069631",
  "data": {
    "api": "PutBlockList",
    "clientRequestId": "6d79dbfb-0e37-4fc4-981f-442c9ca65760",
    "requestId": "831e1650-001e-001b-66ab-eeb76e000000",
    "eTag": "\"0x8D4BCC2E4835CD0\"",
    "contentType": "text/plain",
    "contentLength": 524288,
    "blobType": "BlockBlob",
    "url": "https://my-storage-account.blob.core.windows.net/testcontainer/new-file.txt",
    "sequencer": "00000000000004420000000000028963",
    "storageDiagnostics": {
      "batchId": "b68529f3-68cd-4744-baa4-3c0498ec19f0"
    }
  },
  "dataVersion": "",
  "metadataVersion": "1"
}]`;

// Same page, same tab, "Microsoft.Storage.BlobDeleted event": another event type, to be ignored.
const eventGridDeletedExample = String.raw`[{
  "topic": "/subscriptions/{subscription-id}/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/my-storage-account",
  "subject": "/blobServices/default/containers/testcontainer/blobs/file-to-delete.txt",
  "eventType": "Microsoft.Storage.BlobDeleted",
  "eventTime": "2017-11-07T20:09:22.5674003Z",
  "id": "4c2359fe-001e-00ba-0e04-58586806d298",
  "data": {
    "api": "DeleteBlob",
    "requestId": "4c2359fe-001e-00ba-0e04-585868000000",
    "contentType": "text/plain",
    "blobType": "BlockBlob",
    "url": "https://my-storage-account.blob.core.windows.net/testcontainer/file-to-delete.txt",
    "sequencer": "0000000000000281000000000002F5CA",
    "storageDiagnostics": {
      "batchId": "b68529f3-68cd-4744-baa4-3c0498ec19f0"
    }
  },
  "dataVersion": "",
  "metadataVersion": "1"
}]`;

// Same page, tab "Cloud event schema", "Microsoft.Storage.BlobCreated event".
const cloudEventsSchemaExample = String.raw`[{
  "source": "/subscriptions/{subscription-id}/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/my-storage-account",
  "subject": "/blobServices/default/containers/test-container/blobs/new-file.txt",
  "type": "Microsoft.Storage.BlobCreated",
  "time": "2017-06-26T18:41:00.9584103Z",
  "id": "831e1650-001e-001b-66ab-eeb76e069631",
  "data": {
    "api": "PutBlockList",
    "clientRequestId": "6d79dbfb-0e37-4fc4-981f-442c9ca65760",
    "requestId": "831e1650-001e-001b-66ab-eeb76e000000",
    "eTag": "\"0x8D4BCC2E4835CD0\"",
    "contentType": "text/plain",
    "contentLength": 524288,
    "blobType": "BlockBlob",
    "url": "https://my-storage-account.blob.core.windows.net/testcontainer/new-file.txt",
    "sequencer": "00000000000004420000000000028963",
    "storageDiagnostics": {
      "batchId": "b68529f3-68cd-4744-baa4-3c0498ec19f0"
    }
  },
  "specversion": "1.0"
}]`;

// Same page, tab "Cloud event schema", "Microsoft.Storage.BlobTierChanged event".
const cloudEventsTierChangedExample = String.raw`{
	"source": "/subscriptions/{subscription-id}/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/my-storage-account",
	"subject": "/blobServices/default/containers/testcontainer/blobs/Auto.jpg",
	"type": "Microsoft.Storage.BlobTierChanged",
	"time": "2021-05-04T15:00:00.8350154Z",  
	"id": "0fdefc06-b01e-0034-39f6-4016610696f6",
	"data": {
		"api": "SetBlobTier",
		"clientRequestId": "68be434c-1a0d-432f-9cd7-1db90bff83d7",
		"requestId": "0fdefc06-b01e-0034-39f6-401661000000",
		"contentType": "image/jpeg",
		"contentLength": 105891,
		"blobType": "BlockBlob",
		"url": "https://my-storage-account.blob.core.windows.net/testcontainer/Auto.jpg",
		"sequencer": "000000000000000000000000000089A4000000000018d6ea",
		"storageDiagnostics": {
			"batchId": "3418f7a9-7006-0014-00f6-406dc6000000"
		}
	},
  "specversion": "1.0"
}`;

// Microsoft Learn, "CloudEvents v1.0 schema with Azure Event Grid"
// (https://learn.microsoft.com/azure/event-grid/cloud-event-schema), "CloudEvent schema": a single
// event, subject without the leading slash, eTag without quotes.
const cloudEventSchemaPageExample = String.raw`{
    "specversion": "1.0",
    "type": "Microsoft.Storage.BlobCreated",  
    "source": "/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-account}",
    "id": "9aeb0fdf-c01e-0131-0922-9eb54906e209",
    "time": "2019-11-18T15:13:39.4589254Z",
    "subject": "blobServices/default/containers/{storage-container}/blobs/{new-file}",
    "dataschema": "#",
    "data": {
        "api": "PutBlockList",
        "clientRequestId": "4c5dd7fb-2c48-4a27-bb30-5361b5de920a",
        "requestId": "9aeb0fdf-c01e-0131-0922-9eb549000000",
        "eTag": "0x8D76C39E4407333",
        "contentType": "image/png",
        "contentLength": 30699,
        "blobType": "BlockBlob",
        "url": "https://gridtesting.blob.core.windows.net/testcontainer/{new-file}",
        "sequencer": "000000000000000000000000000099240000000000c41c18",
        "storageDiagnostics": {
            "batchId": "681fe319-3006-00a8-0022-9e7cde000000"
        }
    }
}`;

const expectedFromBlobStoragePage = {
  kind: 'blob-created',
  blob: {
    id: '831e1650-001e-001b-66ab-eeb76e069631',
    topic: '/subscriptions/{subscription-id}/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/my-storage-account',
    url: 'https://my-storage-account.blob.core.windows.net/testcontainer/new-file.txt',
    eTag: '"0x8D4BCC2E4835CD0"',
    container: 'test-container',
    name: 'new-file.txt',
    contentType: 'text/plain',
    contentLength: 524288,
    api: 'PutBlockList',
  },
};

describe('BlobCreated events', () => {
  it('reads the Event Grid schema example, as the binding hands it over (one object) and as the webhook body (array, JSON text)', async () => {
    const [one] = JSON.parse(eventGridSchemaExample) as unknown[];
    expect(await parseBlobEvent(one)).toEqual(expectedFromBlobStoragePage);
    expect(await parseBlobEvents(eventGridSchemaExample)).toEqual([expectedFromBlobStoragePage]);
  });

  it('reads the CloudEvents 1.0 examples of both pages', async () => {
    const [one] = JSON.parse(cloudEventsSchemaExample) as unknown[];
    expect(await parseBlobEvent(one)).toEqual(expectedFromBlobStoragePage);
    expect(await parseBlobEvents(cloudEventsSchemaExample)).toEqual([expectedFromBlobStoragePage]);
    const fromSchemaPage = await parseBlobEvent(JSON.parse(cloudEventSchemaPageExample));
    expect(fromSchemaPage).toEqual({
      kind: 'blob-created',
      blob: {
        id: '9aeb0fdf-c01e-0131-0922-9eb54906e209',
        topic:
          '/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-account}',
        url: 'https://gridtesting.blob.core.windows.net/testcontainer/{new-file}',
        eTag: '0x8D76C39E4407333',
        container: '{storage-container}',
        name: '{new-file}',
        contentType: 'image/png',
        contentLength: 30699,
        api: 'PutBlockList',
      },
    });
  });

  it('reads every event of a webhook array', async () => {
    const [created] = JSON.parse(eventGridSchemaExample) as Array<Record<string, unknown> & { data: Record<string, unknown> }>;
    const second = {
      ...created!,
      id: 'second',
      subject: '/blobServices/default/containers/telemetry/blobs/b.ndjson',
      data: { ...created!.data, url: 'https://a.blob.core.windows.net/telemetry/b.ndjson' },
    };
    const [deleted] = JSON.parse(eventGridDeletedExample) as unknown[];
    const parsed = await parseBlobEvents([created, deleted, second]);
    expect(parsed.map((p) => (p.kind === 'blob-created' ? p.blob.name : p.reason))).toEqual([
      'new-file.txt',
      'event type Microsoft.Storage.BlobDeleted',
      'b.ndjson',
    ]);
  });

  it('acknowledges and ignores other event types', async () => {
    expect(await parseBlobEvents(eventGridDeletedExample)).toEqual([
      { kind: 'ignored', reason: 'event type Microsoft.Storage.BlobDeleted' },
    ]);
    expect(await parseBlobEvent(JSON.parse(cloudEventsTierChangedExample))).toEqual({
      kind: 'ignored',
      reason: 'event type Microsoft.Storage.BlobTierChanged',
    });
  });

  it('acknowledges and ignores envelopes that are not events at all (redelivery would not fix them)', async () => {
    const [one] = JSON.parse(eventGridSchemaExample) as Record<string, unknown>[];
    const { eventTime: _dropped, ...noTime } = one!;
    expect(await parseBlobEvent(noTime)).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/^not a valid Event Grid event/) });
    expect(await parseBlobEvent({ specversion: '1.0', type: 'Microsoft.Storage.BlobCreated' })).toMatchObject({
      kind: 'ignored',
      reason: expect.stringMatching(/^not a valid CloudEvents 1.0 event/),
    });
    expect(await parseBlobEvent('{not json')).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/^event is not JSON/) });
  });
});
