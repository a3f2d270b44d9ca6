// Reads one blob work item (a file, or a byte range of a large one) under a claim only one
// invocation holds (src/intake/blob/intake.ts). A transient failure throws: the queue delivers the
// item again (host.json maxDequeueCount), then parks it in `<queue>-poison`.
import { app } from '@azure/functions';
import { getServices } from '../composition/app.js';
import { processWorkItem } from '../intake/blob/intake.js';
import { parseWorkItem } from '../intake/blob/work-item.js';

app.storageQueue('blobWorker', {
  // A %SETTING% expression the host resolves: nothing is read at import (see anomaly-timer.ts).
  queueName: '%QOE_BLOB_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: async (message, context) => {
    const item = parseWorkItem(message);
    if ('invalid' in item) return void context.warn(`blobWorker: dropped (${item.invalid})`);
    const s = await getServices();
    const b = s.config.blob;
    const outcome = await processWorkItem(item, {
      pipeline: s.pipeline,
      checkpoints: s.checkpoints,
      deadLetter: s.deadLetter,
      blobs: s.blobs,
      queue: s.blobQueue,
      preparer: s.blobPreparer,
      settings: {
        containers: b.containers,
        prefixes: b.prefixes,
        chunkBytes: b.chunkBytes,
        rangeBytes: b.rangeBytes,
        maxRecordBytes: b.maxRecordBytes,
        claimMs: b.claimSeconds * 1000,
      },
    });
    const range = item.range ? ` [${item.range.start}, ${item.range.end})` : '';
    context.log(`blobWorker: ${item.container}/${item.name}${range}: ${JSON.stringify(outcome)}`);
  },
});
