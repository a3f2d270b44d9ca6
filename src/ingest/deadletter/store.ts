// Dead letters: rejected records (with their reasons) and batches no sink would take.
// Every entry is one self-describing JSON document, so a person can read it and a replay can use it.
import { randomUUID } from 'node:crypto';
import type { Source } from '../../beacon/qoe-event.js';
import { batchRows, rowCount, type Batch } from '../sink.js';
import { scrubAddresses } from '../../enrich/client-ip.js';
import { MAX_RAW_CHARS } from '../../pipeline/limits.js';
import { boundedJson, boundedRaw } from '../../pipeline/values.js';

export interface RejectedRecord {
  /** Position in the request/file (0-based), or the line number for line formats. */
  index: number;
  /** 1-based line (or element) in the file, for line formats and blob drops. */
  line?: number;
  errors: string[];
  /** The record as received (parsed), or its raw text when it did not parse. */
  record?: unknown;
  raw?: string;
}

export interface RejectedEntry {
  source: Source;
  sourceRef: string | null;
  receivedAt: Date;
  records: RejectedRecord[];
}

export interface DeadLetterStore {
  readonly name: string;
  writeRejected(entry: RejectedEntry): Promise<void>;
  writeFailedBatch(batch: Batch, reason: string): Promise<void>;
  /** Failed batches, oldest first, for replay. Optional: test doubles need not list. */
  listBatches?(): AsyncIterable<StoredBatch>;
  /**
   * Queued ingestions whose outcome Data Explorer has not reported yet, kept with their rows under
   * `pending/<batch id>.json` until success is known (ingest/ingestion-status.ts). Optional.
   */
  writePending?(batch: Batch): Promise<void>;
  readPending?(batchId: string): Promise<DeadLetterBatch | undefined>;
  removePending?(batchId: string): Promise<void>;
  listPending?(): AsyncIterable<{ batchId: string; since: Date }>;
}

/** Batch ids are UUIDs; anything else (say, an id read from a status queue) never becomes a path. */
export const PENDING_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function pendingName(batchId: string): string {
  if (!PENDING_ID.test(batchId)) throw new Error('not a batch id');
  return `pending/${batchId.toLowerCase()}.json`;
}

/** A pending batch: the batch document format, so a failed one moves to `batches/` unchanged but for its reason. */
export function pendingDocument(batch: Batch, now = new Date()): DeadLetterDocument {
  const doc = batchDocument(batch, 'queued ingestion: outcome not known yet', now);
  return { ...doc, name: pendingName(batch.id), metadata: { ...doc.metadata, kind: 'pending' } };
}

/** A dead-lettered batch as stored: read it, and remove it once it has been ingested. */
export interface StoredBatch {
  name: string;
  read(): Promise<DeadLetterBatch>;
  remove(): Promise<void>;
}

export interface DeadLetterBatch {
  batchId: string;
  table: string;
  reason: string;
  failedAt: string;
  /** The batch's idempotency tag, when it had one: a replay writes it with the same tag. */
  tag?: string;
  rows: unknown[];
}

export function parseBatchDocument(text: string): DeadLetterBatch {
  const doc = JSON.parse(text) as Partial<DeadLetterBatch> & { kind?: string };
  if (doc.kind !== 'batch' || typeof doc.table !== 'string' || !Array.isArray(doc.rows))
    throw new Error('not a dead-lettered batch document');
  return doc as DeadLetterBatch;
}

export interface DeadLetterDocument {
  /** Path-like name: `rejected/2026/11/23/01/<time>-<uuid>.json` or `batches/<table>/...`. */
  name: string;
  body: string;
  metadata: Record<string, string>;
}

function datePath(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}`;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}

/** Dead-letter bytes one entry (a request, a blob chunk) may take by default; see QOE_DEADLETTER_BYTES_PER_REQUEST. */
export const DEFAULT_REJECTED_ENTRY_BYTES = 256 * 1024;
const MAX_ERRORS = 10;
const MAX_ERROR_CHARS = 512;

const boundedError = (e: string) => scrubAddresses(e.length > MAX_ERROR_CHARS ? `${e.slice(0, MAX_ERROR_CHARS)}…` : e);

/**
 * A rejected record as kept: index, line, reasons (at most 10, 512 characters each) and at most
 * MAX_RAW_CHARS of its text: the parsed record itself when it fits, else `raw` (its JSON's start,
 * `truncated: true`). Past the entry's byte budget, only index, line and the first reason.
 */
function recordJson(r: RejectedRecord, overBudget: boolean): string {
  const head = { index: r.index, ...(r.line !== undefined && { line: r.line }) };
  if (overBudget)
    return JSON.stringify({
      ...head,
      errors: r.errors.slice(0, 1).map((e) => boundedError(e.slice(0, 200))),
      dropped: 'dead-letter budget reached',
    });
  const errors = JSON.stringify(r.errors.slice(0, MAX_ERRORS).map(boundedError));
  const start = `${JSON.stringify(head).slice(0, -1)},"errors":${errors}`;
  if (r.record !== undefined) {
    const json = boundedJson(r.record); // bounded, addresses scrubbed
    if (json.length < MAX_RAW_CHARS) return `${start},"record":${json}}`;
    return `${start},"raw":${JSON.stringify(json)},"truncated":true}`;
  }
  if (r.raw !== undefined) {
    const raw = boundedRaw(r.raw);
    return `${start},"raw":${JSON.stringify(raw)}${raw.length < r.raw.length ? ',"truncated":true' : ''}}`;
  }
  return `${start}}`;
}

export function rejectedDocument(entry: RejectedEntry, now = new Date(), maxBytes = DEFAULT_REJECTED_ENTRY_BYTES): DeadLetterDocument {
  const head = JSON.stringify({
    kind: 'rejected',
    source: entry.source,
    sourceRef: entry.sourceRef === null ? null : scrubAddresses(entry.sourceRef),
    receivedAt: entry.receivedAt.toISOString(),
    count: entry.records.length,
  });
  const parts: string[] = [];
  let bytes = head.length;
  for (const r of entry.records) {
    const json = recordJson(r, bytes > maxBytes);
    bytes += json.length + 1;
    parts.push(json);
  }
  const body = `${head.slice(0, -1)},"records":[${parts.join(',')}]}`;
  return {
    name: `rejected/${datePath(now)}/${stamp(now)}-${randomUUID()}.json`,
    body,
    metadata: { kind: 'rejected', source: entry.source, count: String(entry.records.length) },
  };
}

/** A failed batch keeps its rows verbatim (they are already JSON), so a replay ingests exactly them. */
export function batchDocument(batch: Batch, reason: string, now = new Date()): DeadLetterDocument {
  const head = JSON.stringify({
    kind: 'batch',
    batchId: batch.id,
    table: batch.table,
    reason,
    failedAt: now.toISOString(),
    ...(batch.tag !== undefined && { tag: batch.tag }),
    count: rowCount(batch),
  });
  const body = `${head.slice(0, -1)},"rows":[${batchRows(batch).join(',')}]}`;
  return {
    name: `batches/${batch.table}/${datePath(now)}/${stamp(now)}-${batch.id}.json`,
    body,
    metadata: { kind: 'batch', table: batch.table, count: String(rowCount(batch)) },
  };
}
