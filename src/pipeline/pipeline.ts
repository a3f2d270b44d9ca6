// validate -> enrich -> write: the one path every source ends in. A source adapter hands over
// candidate records and says where they came from; nothing here knows more than that.
import { QOE_EVENTS_TABLE } from '../beacon/qoe-event.js';
import { decodeRows } from '../ingest/sink.js';
import type { Enricher } from '../enrich/enricher.js';
import { errorMessage, NotDurableError } from '../errors.js';
import type { GroupCommitBatcher } from '../ingest/batcher.js';
import type { DeadLetterStore } from '../ingest/deadletter/store.js';
import type { Candidate, CommitOptions, IntakeContext, PipelineResult, PreparedRecords } from './contract.js';
import type { PipelineLimits } from './limits.js';
import { RecordPreparer } from './prepare.js';
import type { SpanContext } from '@opentelemetry/api';
import { recordIntake, telemetry } from '../telemetry/instruments.js';

export class Pipeline {
  private readonly preparer: RecordPreparer;

  constructor(
    enricher: Enricher,
    private readonly batcher: GroupCommitBatcher,
    private readonly deadLetter: DeadLetterStore,
    limits: PipelineLimits,
  ) {
    this.preparer = new RecordPreparer(enricher, limits);
  }

  /** Validates, enriches and serializes every candidate (no I/O): rows for the sink, rejects for the dead-letter store. */
  prepare(candidates: Candidate[], ctx: IntakeContext): PreparedRecords {
    return this.preparer.prepare(candidates, ctx);
  }

  /** prepare(), then hands the rows to the batcher and the rejects to the dead-letter store; resolves once both are durable. */
  async process(candidates: Candidate[], ctx: IntakeContext, options: CommitOptions = {}): Promise<PipelineResult> {
    return this.commit(this.prepare(candidates, ctx), ctx, options);
  }

  /** Hands prepared records to the batcher (rows) and the dead-letter store (rejects); resolves once both are durable. */
  commit(prepared: PreparedRecords, ctx: IntakeContext, options: CommitOptions = {}): Promise<PipelineResult> {
    // The intake span: the batch spans link to it (telemetry/instruments.ts).
    const rowCount = prepared.encoded?.count ?? prepared.rows.length;
    return telemetry.span('qoe.intake', { 'qoe.source': ctx.source, 'qoe.rows': rowCount }, (span) =>
      this.commitRecords(prepared, ctx, options, span?.spanContext()),
    );
  }

  private async commitRecords(
    prepared: PreparedRecords,
    ctx: IntakeContext,
    options: CommitOptions,
    link?: SpanContext,
  ): Promise<PipelineResult> {
    const { rejected, encoded } = prepared;
    const tag = options.ingestTag;
    // Encoded rows go to the sink as they are in a tagged batch of their own; shared batches take strings.
    const rows = encoded && tag === undefined ? decodeRows(encoded) : prepared.rows;
    const count = encoded?.count ?? rows.length;
    const writes: Promise<unknown>[] = [];
    if (count > 0)
      writes.push(this.batcher.submit(QOE_EVENTS_TABLE, rows, { ...(tag !== undefined && { tag, ...(encoded && { encoded }) }), link }));
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
    recordIntake(ctx.source, count, rejected);
    return { accepted: count, rejected: rejected.map((r) => ({ index: r.index, errors: r.errors })) };
  }
}
