// The seam every sink sits behind: the batcher hands it whole batches of serialized rows.

export interface Batch {
  /** Unique id; also a natural idempotency key for sinks that support one. */
  id: string;
  table: string;
  /** One JSON line per row, exactly what is ingested; empty when `encoded` holds them (batchRows reads either). */
  rows: string[];
  /** UTF-8 bytes of the rows joined with newlines. */
  bytes: number;
  createdAt: Date;
  /**
   * Idempotency tag of a batch that must land at most once however often it is written (a blob
   * chunk, written again after a crash): a sink that already holds a batch with this tag skips it.
   * Untagged batches (HTTP group commits) are written as they come.
   */
  tag?: string;
  /** The rows as NDJSON bytes, when the source encoded them already (a blob chunk from the prepare threads). */
  encoded?: EncodedRows;
}

/** Rows as NDJSON bytes in pieces (a newline after each row), and how many rows they hold. */
export interface EncodedRows {
  parts: Buffer[];
  count: number;
}

/** How many rows the batch holds, however it holds them. */
export const rowCount = (batch: Batch): number => batch.encoded?.count ?? batch.rows.length;

/** The batch's rows as strings (decoded from its bytes only where they are needed: a dead letter). */
export function batchRows(batch: Batch): string[] {
  return batch.encoded ? decodeRows(batch.encoded) : batch.rows;
}

export function decodeRows(encoded: EncodedRows): string[] {
  return Buffer.concat(encoded.parts).toString('utf8').split('\n').slice(0, encoded.count);
}

export interface Sink {
  readonly name: string;
  /** Resolves once the batch is durable on the sink's side; throws PermanentError for non-retryable failures. */
  write(batch: Batch): Promise<void>;
  close?(): Promise<void>;
}

/** The batch as NDJSON bytes, one trailing newline. */
function batchPayload(batch: Batch): Buffer {
  return Buffer.from(batch.rows.length ? batch.rows.join('\n') + '\n' : '', 'utf8');
}

/** The same bytes in pieces, as the source made them: a sink that can write or compress pieces copies nothing. */
export function batchPayloadParts(batch: Batch): Buffer[] {
  return batch.encoded?.parts ?? [batchPayload(batch)];
}
