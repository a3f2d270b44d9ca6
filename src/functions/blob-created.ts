// Event Grid Microsoft.Storage.BlobCreated (Event Grid or CloudEvents schema): third parties drop
// telemetry files into Blob Storage. This function only checks the event (our account, a watched
// container, the URL at our blob endpoint) and hands a work item to the blob work queue; the
// blobWorker reads the file. So it answers in milliseconds and Event Grid never redelivers
// because of our time. Refused events are acknowledged with a log line; a failed enqueue throws,
// so Event Grid delivers the event again.
import { app } from '@azure/functions';
import { parseBlobEvents } from '../intake/blob/event.js';
import { handOff } from '../intake/blob/handoff.js';
import { getServices } from '../composition/app.js';

app.eventGrid('blobCreated', {
  handler: async (event, context) => {
    for (const parsed of await parseBlobEvents(event)) {
      if (parsed.kind === 'ignored') {
        context.log(`blobCreated: ignored (${parsed.reason})`);
        continue;
      }
      const s = await getServices();
      const outcome = await handOff(parsed.blob, {
        account: s.blobs,
        queue: s.blobQueue,
        containers: s.config.blob.containers,
        prefixes: s.config.blob.prefixes,
      });
      context.log(
        `blobCreated: ${parsed.blob.container}/${parsed.blob.name}: ${outcome.status === 'queued' ? 'queued' : `ignored (${outcome.reason})`}`,
      );
    }
  },
});
