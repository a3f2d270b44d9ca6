// Event Grid Microsoft.Storage.BlobCreated (Event Grid or CloudEvents schema): third parties drop
// telemetry files into Blob Storage; each file's records go through the one pipeline, once.
import { app } from '@azure/functions';
import { parseBlobEvent } from '../intake/blob/event.js';
import { ingestBlob } from '../intake/blob/intake.js';
import { getServices } from '../services.js';

app.eventGrid('blobCreated', {
  handler: async (event, context) => {
    const parsed = await parseBlobEvent(event);
    if (parsed.kind === 'ignored') return void context.log(`blobCreated: ignored (${parsed.reason})`);
    const s = await getServices();
    const outcome = await ingestBlob(parsed.blob, {
      pipeline: s.pipeline,
      checkpoints: s.checkpoints,
      deadLetter: s.deadLetter,
      blobs: s.blobs,
      chunkRecords: s.config.blob.chunkRecords,
      containers: s.config.blob.containers,
      prefixes: s.config.blob.prefixes,
    });
    context.log(`blobCreated: ${parsed.blob.container}/${parsed.blob.name}: ${JSON.stringify(outcome)}`);
  },
});
