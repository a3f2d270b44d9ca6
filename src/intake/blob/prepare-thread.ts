// A prepare thread of the blob worker's pool (prepare-pool.ts): parse, validate, enrich and
// serialize the batches it is sent, and send back rows as a transferred buffer. Its Enricher loads
// once; batches that arrive meanwhile wait for it, in order.
import { parentPort, workerData } from 'node:worker_threads';
import { Enricher } from '../../enrich/enricher.js';
import { errorMessage } from '../../errors.js';
import { RecordPreparer } from '../../pipeline/prepare.js';
import type { PrepareAnswer, PrepareRequest, PrepareThreadData } from './prepare-pool.js';
import { prepareBatch } from './prepare.js';

const port = parentPort;
if (!port) throw new Error('prepare-thread runs as a worker thread of the blob worker');
const data = workerData as PrepareThreadData;
const ready = Enricher.create(data.enrich).then((enricher) => new RecordPreparer(enricher, data.limits));
ready.catch(() => undefined); // each batch reports it

port.on('message', (request: PrepareRequest) => {
  void ready.then(
    (preparer) => {
      let answer: PrepareAnswer;
      try {
        answer = { id: request.id, prepared: prepareBatch(preparer, request.batch, request.ctx) };
      } catch (err) {
        answer = { id: request.id, error: errorMessage(err) };
      }
      port.postMessage(answer, 'prepared' in answer ? [answer.prepared.rows.buffer as ArrayBuffer] : []);
    },
    (err: unknown) =>
      port.postMessage({ id: request.id, error: `the enricher did not load: ${errorMessage(err)}` } satisfies PrepareAnswer),
  );
});
