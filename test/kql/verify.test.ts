// kql:verify against the real azure-kusto-data client and the loopback stub: the stub plays a
// cluster whose QoeSessionKpis answers with the golden table (so every KPI compares equal), then one
// that answers wrongly (so the differences are found and printed).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_DIMENSION_COLUMNS, SESSION_KPI_COLUMNS } from '../../src/analytics/session-kpis.js';
import { createKustoExecutor } from '../../src/kql/kusto-client.js';
import { compareSessions, formatDifference, readGolden, verifyGolden, type Golden } from '../../src/kql/verify.js';
import { startKustoStub, type KustoStub, type V1Table } from '../support/kusto-stub.js';

const GOLDEN = path.resolve('test/analytics/golden');
const TIME = new Set(['FirstSeen', 'LastSeen', 'FirstFrameAt', 'PlayEndAt']);
const BOOL = new Set(['Attempt', 'Vsf', 'Ebvs', 'Starting', 'Ended', 'PlaybackFailure']);
const LONG = new Set(['StallCount', 'BitrateUpSwitches', 'BitrateDownSwitches', 'DroppedFrames', 'ErrorCount', 'Asn']);
const typeOf = (c: string) =>
  TIME.has(c)
    ? 'datetime'
    : BOOL.has(c)
      ? 'bool'
      : LONG.has(c)
        ? 'long'
        : c === 'SessionId' || c === 'Source' || c === 'VsfKind' || SESSION_DIMENSION_COLUMNS.includes(c as never)
          ? 'string'
          : 'real';

/** The golden sessions as the session function's result table would carry them ("" for null strings). */
function goldenTable(g: Golden, change: (row: Record<string, unknown>) => void = () => {}): V1Table {
  const columns = [...Object.values(SESSION_KPI_COLUMNS), ...SESSION_DIMENSION_COLUMNS].map((name) => ({ name, type: typeOf(name) }));
  const rows = g.sessions.map((s) => {
    const row: Record<string, unknown> = {};
    for (const [field, column] of Object.entries(SESSION_KPI_COLUMNS)) row[column] = s[field] ?? (typeOf(column) === 'string' ? '' : null);
    for (const column of SESSION_DIMENSION_COLUMNS) row[column] = s.dimensions[column] ?? (typeOf(column) === 'string' ? '' : null);
    change(row);
    return row;
  });
  return { columns, rows: rows.map((r) => columns.map((c) => r[c.name])) };
}

/** A stub that answers like a migrated cluster: empty history, async commands complete at once. */
async function clusterStub(answer: V1Table): Promise<KustoStub> {
  const stub = await startKustoStub();
  stub.onMgmt = (call) =>
    /^\.create async /.test(call.csl)
      ? { columns: [{ name: 'OperationId', type: 'guid' }], rows: [['4b1c7bb2-0d6a-4d7e-9c8f-1f0e2a3b4c5d']] }
      : /^\.show operations /.test(call.csl)
        ? {
            columns: [
              { name: 'OperationId', type: 'guid' },
              { name: 'State', type: 'string' },
              { name: 'Status', type: 'string' },
            ],
            rows: [['4b1c7bb2-0d6a-4d7e-9c8f-1f0e2a3b4c5d', 'Completed', '']],
          }
        : undefined;
  stub.onQuery = (call) => (call.csl.includes('QoeSessionKpis(') ? answer : undefined);
  return stub;
}

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function runVerify(stub: KustoStub) {
  const executor = createKustoExecutor({ clusterUri: stub.url, accessToken: 'test' });
  try {
    return await verifyGolden({
      executor,
      database: 'scratch',
      kqlDir: path.resolve('kql'),
      goldenDir: GOLDEN,
      appliedBy: 'ci',
      operationPollMs: 1,
    });
  } finally {
    executor.close();
  }
}

describe('kql:verify', () => {
  it('migrates, ingests every golden row through the JSON mapping, queries at the golden evaluation time, and finds no difference in the golden answer', async () => {
    const golden = await readGolden(GOLDEN);
    const stub = await clusterStub(goldenTable(golden));
    cleanup.push(() => stub.close());
    const report = await runVerify(stub);
    expect(report.differences.map(formatDifference)).toEqual([]);
    expect(report.sessions).toBe(golden.sessions.length);

    const ingests = stub.mgmt.filter((c) => c.csl.startsWith('.ingest inline into table QoeEvents'));
    expect(ingests.length).toBeGreaterThan(0);
    expect(ingests.every((c) => c.database === 'scratch' && c.csl.includes('ingestionMappingReference = "QoeEvents_json"'))).toBe(true);
    const sent = ingests.flatMap((c) => c.csl.split('\n').slice(1)).map((l) => JSON.parse(l) as unknown);
    expect(sent).toEqual(golden.rows.map((l) => JSON.parse(l) as unknown));
    // Migrations first, the golden rows after them, and the waits on async operations in between.
    const first = stub.mgmt.findIndex((c) => c.csl.startsWith('.ingest inline'));
    expect(stub.mgmt.slice(0, first).some((c) => c.csl.startsWith('.create async ifnotexists materialized-view'))).toBe(true);
    expect(stub.mgmt.slice(0, first).some((c) => c.csl.startsWith('.show operations 4b1c7bb2'))).toBe(true);

    const [query] = stub.queries.filter((q) => q.csl.includes('QoeSessionKpis('));
    expect(query!.properties?.Parameters).toMatchObject({
      evaluationTime: `datetime(${golden.evaluationTime})`,
      inactivityTimeout: `timespan(${golden.inactivityTimeoutMs}ms)`,
    });
    expect(String(query!.properties?.Parameters?.sessionIds)).toContain('g02-json-stall-heartbeats');
  });

  it('reports every KPI and dimension that differs, and missing and unexpected sessions', async () => {
    const golden = await readGolden(GOLDEN);
    const stall = golden.sessions.find((s) => s.sessionId === 'g02-json-stall-heartbeats')!;
    const wrong = goldenTable(golden, (row) => {
      if (row.SessionId === stall.sessionId) {
        row.StallMs = 40000; // the double-counted stall of issue 17
        row.StallCount = 2;
        row.Cdn = 'Akamai';
      }
    });
    wrong.rows = wrong.rows.filter((r) => r[0] !== golden.sessions[0]!.sessionId || r[1] !== golden.sessions[0]!.source);
    wrong.rows.push(wrong.rows[0]!.map((v, i) => (i === 0 ? 'stray-session' : v)));
    const stub = await clusterStub(wrong);
    cleanup.push(() => stub.close());
    const report = await runVerify(stub);
    expect(report.differences.map(formatDifference).sort()).toEqual(
      [
        `${golden.sessions[0]!.sessionId}/${golden.sessions[0]!.source} session: want "present", got "missing"`,
        `g02-json-stall-heartbeats/http StallCount: want 1, got 2`,
        `g02-json-stall-heartbeats/http StallMs: want 30000, got 40000`,
        `g02-json-stall-heartbeats/http Cdn: want "Fastly", got "Akamai"`,
        `stray-session/${golden.sessions[1]!.source} session: want "absent", got "unexpected"`,
      ].sort(),
    );
  });

  it('compares numbers to 1e-6 relative, times to the millisecond, and null as ""', () => {
    const want = {
      sessionId: 's',
      source: 'http',
      dimensions: { Cdn: null },
      qoeScore: 86.12748754,
      firstSeenAt: '2026-11-23T10:00:00.000Z',
      vsfKind: null,
    };
    const row = {
      SessionId: 's',
      Source: 'http',
      QoeScore: 86.127487541,
      FirstSeen: new Date('2026-11-23T10:00:00Z'),
      VsfKind: '',
      Cdn: '',
    };
    const columns = (d: ReturnType<typeof compareSessions>) => d.map((x) => x.column);
    const differences = compareSessions([want], [row]);
    // Only the fields the row lacks differ (want has none of them either: both null).
    expect(columns(differences)).toEqual([]);
    expect(columns(compareSessions([want], [{ ...row, QoeScore: 86.2 }]))).toEqual(['QoeScore']);
    expect(columns(compareSessions([want], [{ ...row, FirstSeen: '2026-11-23T10:00:00.001Z' }]))).toEqual(['FirstSeen']);
  });

  it('npm run kql:verify prints the differences and exits 1 (the CLI on the stub)', async () => {
    const golden = await readGolden(GOLDEN);
    const stub = await clusterStub(
      goldenTable(golden, (row) => {
        if (row.SessionId === 'g02-json-stall-heartbeats') row.PlayTimeMs = 1;
      }),
    );
    cleanup.push(() => stub.close());
    const run = promisify(execFile);
    const env = { ...process.env, KUSTO_CLUSTER_URI: stub.url, KUSTO_ACCESS_TOKEN: 'test', KUSTO_DATABASE: 'scratch' };
    const err = (await run(process.execPath, ['--import', 'tsx', 'src/cli/kql-verify.ts'], { env }).catch((e: unknown) => e)) as {
      code: number;
      stdout: string;
    };
    expect(err.code).toBe(1);
    expect(err.stdout).toContain('g02-json-stall-heartbeats/http PlayTimeMs: want 38500, got 1');
    expect(err.stdout).toMatch(/kql:verify: \d+ golden sessions, \d+ rows, 1 differences/);
  }, 120_000);
});
