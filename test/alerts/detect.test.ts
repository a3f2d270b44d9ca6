import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertKey, detectAndStore, type Anomaly, type DetectOptions } from '../../src/alerts/detect.js';
import { TableQuietPeriods } from '../../src/alerts/state.js';
import { createKustoExecutor, type KustoExecutor } from '../../src/kql/kusto-client.js';
import { storageAccess } from '../../src/storage.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { startKustoStub, type KustoStub } from '../support/kusto-stub.js';

let azurite: TestAzurite;
let stub: KustoStub;
let executor: KustoExecutor;
let detected: Anomaly[] = [];
const stored: string[][] = [];

/** Minimal CSV reader for the stub: quoted fields, doubled quotes. */
function csvRows(text: string): string[][] {
  return text.split('\n').filter(Boolean).map((line) => [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!.replace(/""/g, '"')));
}

beforeAll(async () => {
  azurite = await startTestAzurite();
  stub = await startKustoStub();
  stub.onQuery = (call) => {
    if (call.csl.includes('DetectQoeAnomalies(')) {
      const cols = ['Timestamp', 'Kpi', 'Dimension', 'DimensionValue', 'Value', 'Baseline', 'Score', 'Direction', 'Sessions'];
      return { columns: cols.map((name) => ({ name, type: name === 'Timestamp' ? 'datetime' : ['Value', 'Baseline', 'Score'].includes(name) ? 'real' : name === 'Sessions' ? 'long' : 'string' })), rows: detected.map((a) => cols.map((c) => a[c as keyof Anomaly])) };
    }
    if (call.csl.includes('QoeAnomalies')) return { columns: [{ name: 'AlertKey', type: 'string' }], rows: stored.map((r) => [r[10]]) };
    return undefined;
  };
  stub.onMgmt = (call) => {
    const m = /^\.ingest inline into table QoeAnomalies with \(format = "csv"\) <\|\n([\s\S]*)$/.exec(call.csl);
    if (m) stored.push(...csvRows(m[1]!));
    return undefined;
  };
  executor = createKustoExecutor({ clusterUri: stub.url, accessToken: 't' });
});
afterAll(async () => {
  executor?.close();
  await stub?.close();
  await azurite?.stop();
});

const T = (min: number) => new Date(Date.UTC(2026, 10, 23, 10, min)).toISOString();
const anomaly = (over: Partial<Anomaly>): Anomaly => ({ Timestamp: T(20), Kpi: 'stall_rate', Dimension: 'Cdn', DimensionValue: 'Akamai', Value: 0.4, Baseline: 0.05, Score: 6.2, Direction: 'up', Sessions: 812, ...over });

function options(now: Date): DetectOptions {
  return {
    executor,
    database: 'qoe',
    now,
    windowMinutes: 30,
    binMinutes: 5,
    threshold: 3,
    minSessions: 20,
    quietMinutes: 60,
    quiet: new TableQuietPeriods(storageAccess({ connectionString: azurite.connectionString }).table('alertstate')),
    grafanaUrl: 'https://grafana.example',
  };
}

describe('anomaly detection run', () => {
  it('queries with parameters, stores new anomalies, groups them per dimension value, and does not repeat itself', async () => {
    detected = [
      anomaly({}),
      anomaly({ Kpi: 'startup_p95_ms', Value: 5400, Baseline: 1900, Score: 4.1 }),
      anomaly({ Dimension: 'Country', DimensionValue: 'BR', Kpi: 'error_rate', Value: 0.2, Baseline: 0.01, Score: 5 }),
    ];
    const first = await detectAndStore(options(new Date(Date.UTC(2026, 10, 23, 10, 32))));
    expect(first.fresh).toHaveLength(3);
    // values travel as query parameters, never in the query text
    const detectCall = stub.queries.find((q) => q.csl.includes('DetectQoeAnomalies('))!;
    expect(detectCall.csl).not.toMatch(/2026|datetime\(/);
    expect(detectCall.properties?.Parameters).toMatchObject({ start: '2026-11-23T10:00:00.000Z', end: '2026-11-23T10:30:00.000Z', binSize: '5m', threshold: 3, minSessions: 20 });
    // stored rows
    expect(stored).toHaveLength(3);
    expect(stored[0]!.slice(0, 4)).toEqual(['2026-11-23T10:20:00.000Z', 'stall_rate', 'Cdn', 'Akamai']);
    expect(stored[0]![10]).toBe(alertKey(detected[0]!));
    expect(stored.every((r) => r[11] === 'true')).toBe(true);
    // grouped: one message for Cdn=Akamai (two KPIs), one for Country=BR
    expect(first.messages.map((m) => [m.dimension, m.dimensionValue, m.anomalies.length])).toEqual([
      ['Cdn', 'Akamai', 2],
      ['Country', 'BR', 1],
    ]);
    expect(first.messages[0]!.dashboardUrl).toContain('https://grafana.example/d/qoe-overview/qoe-overview?');
    expect(first.messages[0]!.dashboardUrl).toContain('var-cdn=Akamai');

    // the next run sees the same anomalies: nothing stored, nothing sent
    const again = await detectAndStore(options(new Date(Date.UTC(2026, 10, 23, 10, 34))));
    expect(again.fresh).toEqual([]);
    expect(again.messages).toEqual([]);
    expect(stored).toHaveLength(3);
  });

  it('keeps a quiet period per KPI and dimension value: stored, not re-sent until it ends', async () => {
    detected = [anomaly({ Timestamp: T(40) })];
    const during = await detectAndStore(options(new Date(Date.UTC(2026, 10, 23, 10, 47))));
    expect(during.fresh).toHaveLength(1);
    expect(during.messages).toEqual([]);
    expect(stored.at(-1)![11]).toBe('false');

    detected = [anomaly({ Timestamp: T(100) })];
    const after = await detectAndStore(options(new Date(Date.UTC(2026, 10, 23, 11, 47))));
    expect(after.messages.map((m) => m.dimensionValue)).toEqual(['Akamai']);
  });
});
