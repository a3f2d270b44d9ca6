import { QOE_EVENTS_MAPPING, QOE_EVENTS_TABLE } from '../../beacon/qoe-event.js';
import type { Config } from '../../config.js';
import { createDeadLetterStore } from '../deadletter/index.js';
import type { DeadLetterStore } from '../deadletter/store.js';
import type { Sink } from '../sink.js';
import { FileSink } from './file.js';

/** Ingestion mapping per table, as kql/ names them. */
export function mappingFor(table: string): string {
  return table === QOE_EVENTS_TABLE ? QOE_EVENTS_MAPPING : `${table}_json`;
}

/** The sink the configuration asks for. The Kusto SDK is loaded only when a cluster is configured. */
export async function createSink(config: Config, pending: DeadLetterStore = createDeadLetterStore(config)): Promise<Sink> {
  switch (config.sink) {
    case 'file':
      return new FileSink(config.fileSink.dir, config.fileSink.windowSeconds);
    case 'kusto': {
      const { KustoSink } = await import('./kusto.js');
      // Queued batches wait for their outcome in the dead-letter store (ingest/ingestion-status.ts).
      return new KustoSink({ ...config.kusto, mappingFor, pending, log: (level, message) => console[level](`[qoe] ${message}`) });
    }
  }
}
