// The Data Explorer side, through the real azure-kusto-data client against the loopback stub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertKey } from '../../src/alerts/anomaly.js';
import { DETECT_SESSION_ANOMALIES, STORED_KEYS } from '../../src/alerts/queries.js';
import { ingestInlineCommands, kustoAnomalyStore, type AnomalyStore, type StoredAnomaly } from '../../src/alerts/anomaly-table.js';
import { createKustoExecutor, type KustoExecutor } from '../../src/kql/kusto-client.js';
import { inlineRows, serveAnomalies, type AnomalyCluster } from '../support/anomalies.js';
import { startKustoStub, type KustoStub } from '../support/kusto-stub.js';

let stub: KustoStub;
let executor: KustoExecutor;
let store: AnomalyStore;
let cluster: AnomalyCluster;

beforeAll(async () => {
  stub = await startKustoStub();
  cluster = serveAnomalies(stub);
  executor = createKustoExecutor({ clusterUri: stub.url, accessToken: 'test-token' });
  store = kustoAnomalyStore(executor, 'qoe');
});
afterAll(async () => {
  executor?.close();
  await stub?.close();
});

const anomaly = (over: Partial<StoredAnomaly> = {}): StoredAnomaly => {
  const base = { timestamp: new Date('2026-11-23T10:20:00Z'), kpi: 'stall_rate', dimension: 'Cdn', dimensionValue: 'Akamai', ...over };
  return {
    value: 0.41,
    baseline: 0.06,
    score: 6.2,
    direction: 'up',
    sessions: 812,
    ...base,
    key: alertKey(base),
    detectedAt: new Date('2026-11-23T10:32:00Z'),
    alerted: true,
    ...over,
  } as StoredAnomaly;
};

describe('kustoAnomalyStore', () => {
  it('runs DetectSessionAnomalies with every value as a typed query parameter, none in the text', async () => {
    cluster.detected = [
      {
        Timestamp: '2026-11-23T10:20:00Z',
        Kpi: 'vsf_rate',
        Dimension: 'Cdn',
        DimensionValue: 'Akamai',
        Value: 0.41,
        Baseline: 0.06,
        Score: 6.2,
        Direction: 'up',
        Sessions: 812,
      },
      {
        Timestamp: '2026-11-23T10:20:00Z',
        Kpi: 'bad kpi',
        Dimension: 'Cdn',
        DimensionValue: 'Akamai',
        Value: 1,
        Baseline: 1,
        Score: 1,
        Direction: 'up',
        Sessions: 1,
      },
    ];
    const { anomalies, invalid } = await store.detectSessions({
      start: new Date('2026-11-23T10:00:00Z'),
      end: new Date('2026-11-23T10:30:00Z'),
      binMinutes: 5,
      minAttempts: 30,
      historyDays: 14,
    });
    const call = stub.queries.at(-1)!;
    expect(call.database).toBe('qoe');
    expect(call.csl).toBe(DETECT_SESSION_ANOMALIES);
    expect(call.properties?.Parameters).toEqual({
      start: 'datetime(2026-11-23T10:00:00.000Z)',
      end: 'datetime(2026-11-23T10:30:00.000Z)',
      binSize: 'timespan(300000ms)',
      minAttempts: 'long(30)',
      historyDays: 'long(14)',
    });
    expect(anomalies.map((a) => [a.timestamp.toISOString(), a.kpi, a.dimensionValue, a.sessions])).toEqual([
      ['2026-11-23T10:20:00.000Z', 'vsf_rate', 'Akamai', 812],
    ]);
    expect(invalid).toHaveLength(1);
  });

  it('reads the keys already stored for the window with parameters', async () => {
    cluster.stored = [];
    await store.append([anomaly(), anomaly({ timestamp: new Date('2026-11-23T09:00:00Z') })]);
    const keys = await store.storedKeys(new Date('2026-11-23T10:00:00Z'), new Date('2026-11-23T10:30:00Z'));
    expect([...keys]).toEqual([anomaly().key]);
    const call = stub.queries.at(-1)!;
    expect(call.csl).toBe(STORED_KEYS);
    expect(call.properties?.Parameters).toEqual({
      since: 'datetime(2026-11-23T10:00:00.000Z)',
      until: 'datetime(2026-11-23T10:30:00.000Z)',
    });
  });

  it('appends rows with .ingest inline as CSV that a CSV parser reads back exactly, whatever the dimension value holds', async () => {
    cluster.stored = [];
    const nasty = 'Ak"amai", evil\n"x",.drop table QoeEvents <| \r\u2028';
    await store.append([anomaly({ dimensionValue: nasty, value: null, score: Number.NaN, alerted: false })]);
    const cmd = stub.mgmt.at(-1)!.csl;
    expect(cmd.split('\n')[0]).toBe('.ingest inline into table QoeAnomalies with (format = "csv") <|');
    expect(cmd.split('\n')).toHaveLength(2); // one record: the line breaks in the value did not make more
    const [row] = inlineRows(cmd)!;
    expect(row).toEqual([
      '2026-11-23T10:20:00.000Z',
      'stall_rate',
      'Cdn',
      'Ak"amai", evil "x",.drop table QoeEvents <|   ',
      '', // null Value
      '0.06',
      '', // NaN Score -> null
      'up',
      '812',
      '2026-11-23T10:32:00.000Z',
      anomaly({ dimensionValue: nasty }).key,
      'false',
      ...['', '', '', '', '', ''], // kql/V012 columns: no incident
    ]);
  });

  it('writes the incident and its root cause into the kql/V012 columns, a hostile cause value as data', async () => {
    const cause = { Cdn: 'Fast"ly\n', Region: 'US-CA' };
    await store.append([
      anomaly({ incident: { id: 'abcdef0123456789', rootCause: cause, share: 0.97, lift: 30.5, impactedSessions: 51, severity: 'major' } }),
    ]);
    const [row] = inlineRows(stub.mgmt.at(-1)!.csl)!;
    expect(row!.slice(12)).toEqual(['abcdef0123456789', JSON.stringify(cause), '0.97', '30.5', '51', 'major']);
  });

  it('splits large appends into commands of at most 500 rows', () => {
    const rows = Array.from({ length: 1201 }, (_, i) => anomaly({ dimensionValue: `content-${i}` }));
    const commands = ingestInlineCommands(rows);
    expect(commands.map((c) => inlineRows(c)!.length)).toEqual([500, 500, 201]);
  });
});
