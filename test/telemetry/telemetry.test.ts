import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { GroupCommitBatcher } from '../../src/ingest/batcher.js';
import { FileDeadLetterStore } from '../../src/ingest/deadletter/file.js';
import { PermanentError } from '../../src/ingest/retry.js';
import { FileSink } from '../../src/ingest/sinks/file.js';
import type { Sink } from '../../src/ingest/sink.js';
import { INTAKE_SPAN_EVERY, recordIntake, rejectReason, telemetry } from '../../src/telemetry/instruments.js';
import { logEvent, scrub } from '../../src/telemetry/log.js';
import { startTelemetry, type TelemetryHandle } from '../../src/telemetry/setup.js';

let handle: TelemetryHandle | undefined;
let dir: string | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Sum of a counter's points, or count of a histogram's, matching `attrs`. */
function total(exports: ResourceMetrics[], name: string, attrs: Record<string, string> = {}): number {
  const last = exports.at(-1);
  let n = 0;
  for (const scope of last?.scopeMetrics ?? []) {
    for (const m of scope.metrics) {
      if (m.descriptor.name !== name) continue;
      for (const p of m.dataPoints as Array<{ attributes: Record<string, unknown>; value: number | { count: number } }>) {
        if (Object.entries(attrs).every(([k, v]) => p.attributes[k] === v)) n += typeof p.value === 'number' ? p.value : p.value.count;
      }
    }
  }
  return n;
}

async function setup(sink?: Sink) {
  dir = await mkdtemp(path.join(os.tmpdir(), 'telemetry-'));
  handle = await startTelemetry({ mode: 'memory' });
  const deadLetter = new FileDeadLetterStore(path.join(dir, 'deadletter'));
  const batcher = new GroupCommitBatcher(sink ?? new FileSink(path.join(dir, 'sink'), 60), deadLetter, {
    maxRecords: 100,
    maxBytes: 1 << 20,
    maxDelayMs: 2,
    retry: { maxAttempts: 3, baseMs: 1, maxMs: 2 },
  });
  return { batcher, handle };
}

describe('telemetry', () => {
  it('is off unless configured: no connection string and no endpoint means off (so in tests)', () => {
    expect(loadConfig({}).telemetry.mode).toBe('off');
    expect(
      loadConfig({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000' }).telemetry.mode,
    ).toBe('azure');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318/' }).telemetry).toMatchObject({
      mode: 'otlp',
      otlpEndpoint: 'http://localhost:4318',
    });
    expect(telemetry.enabled).toBe(false);
  });

  it('counts intake results, batch sizes, commit latency and blob bytes; the batch span links the intake spans', async () => {
    const { batcher, handle } = await setup();
    const rows = ['{"a":1}', '{"a":2}', '{"a":3}'];
    // intake spans are sampled: one in INTAKE_SPAN_EVERY is recorded
    const sampled: unknown[] = [];
    for (let i = 0; i < INTAKE_SPAN_EVERY; i++) await telemetry.span('qoe.intake', {}, async (span) => void (span && sampled.push(span)));
    expect(sampled).toHaveLength(1);
    handle.spans!.reset();
    for (let i = 1; i < INTAKE_SPAN_EVERY; i++) await telemetry.span('qoe.intake', {}, async () => {});
    await telemetry.span('qoe.intake', { 'qoe.source': 'http' }, async (span) => {
      await batcher.submit('QoeEvents', rows, { link: span!.spanContext() });
      recordIntake('http', rows.length, [
        { errors: ['record must be a JSON object'] },
        { errors: ['/Seq must be integer'] },
        { errors: ['record must be a JSON object'] },
      ]);
    });
    await batcher.submit('QoeEvents', ['{"blob":1}'], { tag: 'blob-abc' });
    await handle.flush();
    const m = handle.metrics!.getMetrics();
    expect(total(m, 'qoe.records.accepted', { 'qoe.source': 'http' })).toBe(3);
    expect(total(m, 'qoe.records.rejected', { 'qoe.source': 'http', 'qoe.reason': 'record' })).toBe(2);
    expect(total(m, 'qoe.records.rejected', { 'qoe.reason': 'seq' })).toBe(1);
    expect(total(m, 'qoe.batch.rows', { 'qoe.sink': 'file' })).toBe(2); // two batches
    expect(total(m, 'qoe.commit.latency', { 'qoe.sink': 'file', 'qoe.via': 'sink' })).toBe(2);
    expect(total(m, 'qoe.blob.bytes')).toBe(Buffer.byteLength('{"blob":1}') + 1);
    expect(total(m, 'qoe.batcher.queued')).toBe(0);

    const spans = handle.spans!.getFinishedSpans();
    const intake = spans.find((s) => s.name === 'qoe.intake' && s.attributes['qoe.source'] === 'http')!;
    const batches = spans.filter((s) => s.name === 'qoe.batch.write');
    expect(batches).toHaveLength(2);
    expect(batches[0]!.links.map((l) => l.context.spanId)).toEqual([intake.spanContext().spanId]);
    expect(batches[0]!.attributes).toMatchObject({ 'qoe.sink': 'file', 'qoe.rows': 3 });
  });

  it("counts retries and dead-lettered rows by reason; a sink span is the batch span's child", async () => {
    let calls = 0;
    const flaky: Sink = {
      name: 'flaky',
      write: async (b) => {
        calls++;
        await telemetry.span('qoe.sink.test', {}, async () => {}, { childOf: b });
        if (b.rows.length > 1) throw new PermanentError('bad mapping');
        if (calls < 3) throw new Error('reset');
      },
    };
    const { batcher, handle } = await setup(flaky);
    expect((await batcher.submit('T', ['{"x":1}']))[0]!.via).toBe('sink');
    expect((await batcher.submit('T', ['{"x":1}', '{"x":2}']))[0]!.via).toBe('deadletter');
    await handle.flush();
    const m = handle.metrics!.getMetrics();
    expect(total(m, 'qoe.sink.retries', { 'qoe.sink': 'flaky' })).toBe(2);
    expect(total(m, 'qoe.rows.deadlettered', { 'qoe.sink': 'flaky', 'qoe.reason': 'permanent' })).toBe(2);
    expect(total(m, 'qoe.commit.latency', { 'qoe.via': 'deadletter' })).toBe(1);
    const spans = handle.spans!.getFinishedSpans();
    const batches = spans.filter((s) => s.name === 'qoe.batch.write');
    expect(batches.map((s) => s.status.code)).toEqual([0, 2]); // unset, then ERROR for the dead-lettered one
    const sinkSpans = spans.filter((s) => s.name === 'qoe.sink.test');
    expect(sinkSpans).toHaveLength(calls);
    expect(new Set(sinkSpans.map((s) => s.parentSpanContext?.spanId))).toEqual(new Set(batches.map((b) => b.spanContext().spanId)));
  });

  it('records nothing once shut down', async () => {
    const { batcher, handle: h } = await setup();
    await h.shutdown();
    handle = undefined;
    expect(telemetry.enabled).toBe(false);
    await batcher.submit('T', ['{"x":1}']);
    expect(h.spans!.getFinishedSpans()).toEqual([]);
  });

  it('reject reasons stay few: a first word, never the record', () => {
    expect(rejectReason(['record must be a JSON object'])).toBe('record');
    expect(rejectReason(['/PlayheadMs must be >= 0'])).toBe('playheadms');
    expect(rejectReason(['{"ip":"81.2.69.142"} is not valid'])).toBe('other');
    expect(rejectReason([])).toBe('other');
  });
});

describe('structured logs', () => {
  it('are JSON lines without a raw address or secret, and keep clock times', () => {
    const lines: string[] = [];
    logEvent(
      'warn',
      'client 81.2.69.142 via 2001:db8:85a3::8a2e:370:7334 and ::ffff:10.0.0.1 failed at 2026-12-02T01:34:33Z',
      { url: 'https://a.blob.core.windows.net/c/b?sv=1&sig=SECRET', n: 3 },
      (l) => lines.push(l),
    );
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'warn', n: 3 });
    expect(lines[0]).not.toMatch(/81\.2\.69\.142|2001:db8|10\.0\.0\.1|SECRET/);
    expect(entry.message).toContain('01:34:33');
    expect(scrub('fe80::1%eth0 and 192.168.1.1')).not.toMatch(/fe80|192\.168/);
  });
});
