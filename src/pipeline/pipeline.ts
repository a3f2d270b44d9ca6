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
import { boundedJson, isPlainObject } from './values.js';

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

  /** Unknown fields, or an error when they are too large (or too deep) to keep. */
  private extras(record: Record<string, unknown>): { extra: Record<string, unknown> | null; error?: string } {
    let entries: [string, unknown][] | undefined;
    for (const key in record) {
      if (!BEACON_FIELDS.has(key)) (entries ??= []).push([key, record[key]]);
    }
    if (!entries) return { extra: null };
    // fromEntries defines own properties, so a "__proto__" key stays data and never a prototype.
    const extra = Object.fromEntries(entries);
    let size: number;
    try {
      size = JSON.stringify(extra).length;
    } catch {
      return { extra: null, error: 'extra fields: cannot be serialized (too deeply nested)' };
    }
    if (size > this.limits.maxExtraBytes) return { extra: null, error: `extra fields: larger than ${this.limits.maxExtraBytes} bytes` };
    return { extra };
  }

  /** Validates, enriches and serializes every candidate (no I/O): rows for the sink, rejects for the dead-letter store. */
  prepare(candidates: Candidate[], ctx: IntakeContext): PreparedRecords {
    const requestDims = this.enricher.forSender(ctx.sender);
    // Records that name their own sender (CDN log lines) share dimensions per client and agent.
    let perSender: Map<string, ReturnType<Enricher['forSender']>> | undefined;
    const dimsOf = (c: Candidate) => {
      if (!c.sender) return requestDims;
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
      if (c.error !== undefined) {
        rejected.push({ index: c.index, line: c.line, errors: [c.error], raw: c.raw });
        continue;
      }
      if (!isPlainObject(c.value)) {
        rejected.push({ index: c.index, line: c.line, errors: ['record must be a JSON object'], record: c.value });
        continue;
      }
      const checked = this.validator.validate(c.value);
      if (!checked.ok) {
        rejected.push({ index: c.index, line: c.line, errors: checked.errors, record: c.value });
        continue;
      }
      const { extra, error } = this.extras(c.value);
      if (error) {
        rejected.push({ index: c.index, line: c.line, errors: [error], raw: boundedJson(c.value) });
        continue;
      }
      const recordDims = this.enricher.forRecord(checked.beacon);
      rows.push(serializeQoeEvent(buildQoeEvent(checked.beacon, extra, dimsOf(c), recordDims, origin)));
    }
    return { rows, rejected };
  }

  /** prepare(), then hands the rows to the batcher and the rejects to the dead-letter store; resolves once both are durable. */
  async process(candidates: Candidate[], ctx: IntakeContext, options: CommitOptions = {}): Promise<PipelineResult> {
    return this.commit(this.prepare(candidates, ctx), ctx, options);
  }

  /** Hands prepared records to the batcher (rows) and the dead-letter store (rejects); resolves once both are durable. */
  async commit(prepared: PreparedRecords, ctx: IntakeContext, options: CommitOptions = {}): Promise<PipelineResult> {
    const { rows, rejected } = prepared;
    const writes: Promise<unknown>[] = [];
    if (rows.length) writes.push(this.batcher.submit(QOE_EVENTS_TABLE, rows, options.ingestTag === undefined ? undefined : { tag: options.ingestTag }));
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
    return { accepted: rows.length, rejected: rejected.map((r) => ({ index: r.index, errors: r.errors })) };
  }
}
