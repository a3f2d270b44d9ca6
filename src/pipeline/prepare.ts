// validate -> enrich -> serialize: a candidate record becomes its row or its rejection, with no
// I/O, so it runs wherever the records are (the pipeline's thread, or a blob worker's prepare
// threads: intake/blob/prepare-pool.ts).
import { BEACON_FIELDS } from '../beacon/schema.js';
import { createBeaconValidator, type BeaconValidator } from '../beacon/validate.js';
import { buildQoeEvent } from '../beacon/row.js';
import { serializeQoeEvent } from '../beacon/qoe-event.js';
import type { Enricher } from '../enrich/enricher.js';
import { scrubAddresses } from '../enrich/client-ip.js';
import { errorMessage } from '../errors.js';
import type { RejectedRecord } from '../ingest/deadletter/store.js';
import type { Candidate, IntakeContext, PreparedRecords } from './contract.js';
import type { PipelineLimits } from './limits.js';
import { STRUCTURE_LIMITS, structureError } from './bounds.js';
import { boundedJson, isPlainObject } from './values.js';

type RowOrigin = Parameters<typeof buildQoeEvent>[4];

/** A candidate's rejection: its raw text when it never parsed, else the value it held. */
function reject(c: Candidate, errors: string[], raw?: string): { rejected: RejectedRecord } {
  return {
    rejected: raw !== undefined ? { index: c.index, line: c.line, errors, raw } : { index: c.index, line: c.line, errors, record: c.value },
  };
}

export class RecordPreparer {
  private readonly validator: BeaconValidator;

  constructor(
    private readonly enricher: Enricher,
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
}
