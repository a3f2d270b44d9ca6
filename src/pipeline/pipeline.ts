// validate -> enrich -> write: the one path every source ends in. A source adapter hands over
// candidate records and says where they came from; nothing here knows more than that.
import { BEACON_FIELDS } from '../beacon/schema.js';
import { createBeaconValidator, type BeaconValidator } from '../beacon/validate.js';
import { buildQoeEvent } from '../beacon/row.js';
import { QOE_EVENTS_TABLE, serializeQoeEvent } from '../beacon/qoe-event.js';
import type { Enricher } from '../enrich/enricher.js';
import { errorMessage, NotDurableError } from '../errors.js';
import type { GroupCommitBatcher } from '../ingest/batcher.js';
import type { DeadLetterStore, RejectedRecord } from '../ingest/deadletter/store.js';
import type { Candidate, CommitOptions, IntakeContext, PipelineResult, PreparedRecords } from './contract.js';
import type { PipelineLimits } from './limits.js';
import { STRUCTURE_LIMITS, structureError } from './bounds.js';
import { boundedJson, isPlainObject } from './values.js';
import type { SpanContext } from '@opentelemetry/api';
import { recordIntake, telemetry } from '../telemetry/instruments.js';
import { scrubAddresses } from '../enrich/client-ip.js';

type RowOrigin = Parameters<typeof buildQoeEvent>[4];

/** A candidate's rejection: its raw text when it never parsed, else the value it held. */
function reject(c: Candidate, errors: string[], raw?: string): { rejected: RejectedRecord } {
  return {
    rejected: raw !== undefined ? { index: c.index, line: c.line, errors, raw } : { index: c.index, line: c.line, errors, record: c.value },
  };
}

export class Pipeline {
  private readonly validator: BeaconValidator;

  constructor(
    private readonly enricher: Enricher,
    private readonly batcher: GroupCommitBatcher,
    private readonly deadLetter: DeadLetterStore,
    private readonly limits: PipelineLimits,
  ) {
    this.validator = createBeaconValidator(limits);
  }

  /** Unknown fields, or an error when they cross the structure limits (size cap: maxExtraBytes). */
  private extras(record: Record<string, unknown>): { extra: Record<string, unknown> | null; error?: string } {
    let entries: [string, unknown][] | undefined;
    for (const key in record) {
      if (!BEACON_FIELDS.has(key)) (entries ??= []).push([key, record[key]]);
    }
    if (!entries) return { extra: null };
    // fromEntries defines own properties, so a "__proto__" key stays data and never a prototype.
    const extra = Object.fromEntries(entries);
    const error = structureError(extra, {
      ...STRUCTURE_LIMITS,
      maxStringLength: this.limits.maxStringLength,
      maxBytes: this.limits.maxExtraBytes,
    });
    return error ? { extra: null, error: `extra fields: ${error}` } : { extra };
  }

  /** The record's client-controlled structures, bounded before any other work touches them. */
  private structureErrors(record: Record<string, unknown>): string[] {
    const errors: string[] = [];
    const limits = { ...STRUCTURE_LIMITS, maxStringLength: this.limits.maxStringLength };
    for (const field of ['cmcd', 'cdnHeaders'] as const) {
      if (record[field] === undefined) continue;
      const error = structureError(record[field], limits);
      if (error) errors.push(`${field}: ${error}`);
    }
    return errors;
  }

  /** One record -> its row, or why it is rejected. Throws only on a bug; prepare() turns that into a rejection too. */
  private prepareOne(
    c: Candidate,
    dimsOf: (c: Candidate) => ReturnType<Enricher['forSender']>,
    origin: RowOrigin,
  ): { row: string } | { rejected: RejectedRecord } {
    if (c.error !== undefined) return reject(c, [c.error], c.raw);
    if (!isPlainObject(c.value)) return reject(c, ['record must be a JSON object']);
    const structural = this.structureErrors(c.value);
    if (structural.length) return reject(c, structural);
    const checked = this.validator.validate(c.value);
    if (!checked.ok) return reject(c, checked.errors);
    const { extra, error } = this.extras(c.value);
    if (error) return reject(c, [error]);
    const recordDims = this.enricher.forRecord(checked.beacon);
    // The last gate before the sink: no address written anywhere in a row (URLs, Extra, CMCD).
    return { row: scrubAddresses(serializeQoeEvent(buildQoeEvent(checked.beacon, extra, dimsOf(c), recordDims, origin))) };
  }

  /** Validates, enriches and serializes every candidate (no I/O): rows for the sink, rejects for the dead-letter store. */
  prepare(candidates: Candidate[], ctx: IntakeContext): PreparedRecords {
    let requestDims: ReturnType<Enricher['forSender']> | undefined;
    // Records that name their own sender (CDN log lines) share dimensions per client and agent.
    let perSender: Map<string, ReturnType<Enricher['forSender']>> | undefined;
    const dimsOf = (c: Candidate) => {
      if (!c.sender) return (requestDims ??= this.enricher.forSender(ctx.sender));
      const k = `${c.sender.clientIp ?? ''}\u0000${c.sender.userAgent ?? ''}`;
      let d = (perSender ??= new Map()).get(k);
      if (!d) perSender.set(k, (d = this.enricher.forSender(c.sender)));
      return d;
    };
    const receivedAt = ctx.receivedAt.toISOString();
    const origin = { source: ctx.source, sourceRef: ctx.sourceRef, receivedAt };
    const rows: string[] = [];
    const rejected: RejectedRecord[] = [];

    for (const c of candidates) {
      try {
        const r = this.prepareOne(c, dimsOf, origin);
        if ('row' in r) rows.push(r.row);
        else rejected.push(r.rejected);
      } catch (err) {
        // Per-record isolation: whatever one record does to the validator, enricher or serializer
        // is that record's rejection, never its neighbours' loss nor a 5xx for the request.
        rejected.push({
          index: c.index,
          line: c.line,
          errors: [`record could not be processed: ${errorMessage(err)}`],
          raw: c.raw ?? boundedJson(c.value),
        });
      }
    }
    return { rows, rejected };
  }

  /** prepare(), then hands the rows to the batcher and the rejects to the dead-letter store; resolves once both are durable. */
  async process(candidates: Candidate[], ctx: IntakeContext, options: CommitOptions = {}): Promise<PipelineResult> {
    return this.commit(this.prepare(candidates, ctx), ctx, options);
  }

  /** Hands prepared records to the batcher (rows) and the dead-letter store (rejects); resolves once both are durable. */
  commit(prepared: PreparedRecords, ctx: IntakeContext, options: CommitOptions = {}): Promise<PipelineResult> {
    // The intake span: the batch spans link to it (telemetry/instruments.ts).
    return telemetry.span('qoe.intake', { 'qoe.source': ctx.source, 'qoe.rows': prepared.rows.length }, (span) =>
      this.commitRecords(prepared, ctx, options, span?.spanContext()),
    );
  }

  private async commitRecords(
    prepared: PreparedRecords,
    ctx: IntakeContext,
    options: CommitOptions,
    link?: SpanContext,
  ): Promise<PipelineResult> {
    const { rows, rejected } = prepared;
    const writes: Promise<unknown>[] = [];
    if (rows.length)
      writes.push(
        this.batcher.submit(QOE_EVENTS_TABLE, rows, { ...(options.ingestTag !== undefined && { tag: options.ingestTag }), link }),
      );
    if (rejected.length) {
      writes.push(
        this.deadLetter
          .writeRejected({ source: ctx.source, sourceRef: ctx.sourceRef, receivedAt: ctx.receivedAt, records: rejected })
          .catch((err: unknown) => {
            throw new NotDurableError(`rejected records could not be kept: ${errorMessage(err)}`);
          }),
      );
    }
    await Promise.all(writes);
    recordIntake(ctx.source, rows.length, rejected);
    return { accepted: rows.length, rejected: rejected.map((r) => ({ index: r.index, errors: r.errors })) };
  }
}
