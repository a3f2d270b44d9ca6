// Event Grid Microsoft.Storage.BlobCreated (Event Grid or CloudEvents schema): third parties drop
// telemetry files into Blob Storage; each file's records go through the one pipeline, once.
// Ignored events (other types, other containers) are acknowledged with a log line; a transient
// failure throws, so Event Grid delivers the event again.
import { app } from '@azure/functions';
import { parseBlobEvents } from '../intake/blob/event.js';
import { ingestBlob } from '../intake/blob/intake.js';
import { getServices } from '../composition/app.js';

app.eventGrid('blobCreated', {
  handler: async (event, context) => {
    for (const parsed of await parseBlobEvents(event)) {
      if (parsed.kind === 'ignored') {
        context.log(`blobCreated: ignored (${parsed.reason})`);
        continue;
      }
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
    }
  },
});
