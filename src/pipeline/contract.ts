// The contract every source speaks: a source adapter turns bytes into candidate records and says
// where they came from (IntakeContext); the pipeline answers with per-record results.
import type { Source } from '../beacon/qoe-event.js';
import type { Sender } from '../enrich/enricher.js';
import type { RejectedRecord } from '../ingest/deadletter/store.js';
import type { EncodedRows } from '../ingest/sink.js';

/** A record on its way in: parsed value, or the reason it could not be parsed plus its raw text. */
export interface Candidate {
  /** 0-based position in the body or file (array element, or line among the non-blank lines). */
  index: number;
  value?: unknown;
  error?: string;
  /** Raw text kept for the dead-letter entry when the record could not be parsed (bounded). */
  raw?: string;
  /** 1-based line number (or element number of a JSON array), for line formats and files. */
  line?: number;
  /** Who sent this record, when it is not the request's sender (a CDN log line names its client). */
  sender?: Sender;
}

export interface IntakeContext {
  source: Source;
  sourceRef: string | null;
  receivedAt: Date;
  sender: Sender;
}

export interface Rejection {
  index: number;
  errors: string[];
}

export interface PipelineResult {
  accepted: number;
  rejected: Rejection[];
}

export interface PreparedRecords {
  /** Serialized QoeEvent rows (empty when `encoded` holds them). */
  rows: string[];
  /** The rows as NDJSON bytes, when the preparer made them so (a blob chunk from the prepare threads): the sink takes them as they are. */
  encoded?: EncodedRows;
  rejected: RejectedRecord[];
}

export interface CommitOptions {
  /**
   * The rows go to the sink as one batch with this idempotency tag (Batch.tag), so writing the
   * same records again under the same tag adds nothing. Blob chunks use it; HTTP does not.
   */
  ingestTag?: string;
}
