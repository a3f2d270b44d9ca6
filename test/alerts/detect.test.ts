// One timer run end to end below the function: the Kusto stub answers DetectQoeAnomalies and
// keeps what is appended to QoeAnomalies; quiet periods live in Azurite's Table Storage; alerts go
// to Azurite's queue. Failure ordering is driven with in-memory stand-ins.
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/alerts/anomaly.js';
import { detectAndQueue, detectionWindow, type DetectDeps, type DetectSettings } from '../../src/alerts/detect.js';
import { decodeQueueMessage, type AlertMessage } from '../../src/alerts/message.js';
import { alertQueue, type AlertQueue } from '../../src/alerts/queue.js';
import { TableAlertState, type AlertState } from '../../src/alerts/alert-state-table.js';
import { kustoAnomalyStore, type AnomalyStore, type StoredAnomaly } from '../../src/alerts/anomaly-table.js';
import { createKustoExecutor, type KustoExecutor } from '../../src/kql/kusto-client.js';
import { storageAccess } from '../../src/storage.js';
import { serveAnomalies, type AnomalyCluster, type DetectedRow } from '../support/anomalies.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { startKustoStub, type KustoStub } from '../support/kusto-stub.js';

let azurite: TestAzurite;
let stub: KustoStub;
let executor: KustoExecutor;
let cluster: AnomalyCluster;
let run = 0;

beforeAll(async () => {
  azurite = await startTestAzurite();
  stub = await startKustoStub();
  cluster = serveAnomalies(stub);
  executor = createKustoExecutor({ clusterUri: stub.url, accessToken: 'test-token' });
});
afterAll(async () => {
  executor?.close();
  await stub?.close();
  await azurite?.stop();
});

const at = (h: number, m: number, s = 0) => new Date(Date.UTC(2026, 10, 23, h, m, s));
const row = (over: Partial<DetectedRow> = {}): DetectedRow => ({
  Timestamp: at(10, 20).toISOString(),
  Kpi: 'stall_rate',
  Dimension: 'Cdn',
  DimensionValue: 'Akamai',
  Value: 0.41,
  Baseline: 0.06,
  Score: 6.2,
  Direction: 'up',
  Sessions: 812,
  ...over,
});
const settings: DetectSettings = {
  windowMinutes: 30,
  binMinutes: 5,
  threshold: 3,
  minSessions: 20,
  quietMinutes: 60,
  grafanaUrl: 'https://grafana.example',
  grafanaDashboardUid: 'qoe-overview',
  notify: true,
};

/** A fresh queue and state table per test, on the shared Azurite and Kusto stub. */
function world() {
  run++;
  const storage = storageAccess({ connectionString: azurite.connectionString });
  const queueName = `alerts-${run}`;
  return {
    queueClient: new QueueClient(azurite.connectionString, queueName),
    deps: (now: Date, over: Partial<DetectSettings> = {}): DetectDeps => ({
      store: kustoAnomalyStore(executor, 'qoe'),
      state: new TableAlertState(storage.table(`alertstate${run}`)),
      queue: alertQueue(storage.queue(queueName)),
      settings: { ...settings, ...over },
      now,
    }),
  };
}

async function queued(q: QueueClient): Promise<AlertMessage[]> {
  if (!(await q.exists())) return [];
  const { peekedMessageItems } = await q.peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((m) => decodeQueueMessage(m.messageText) as AlertMessage);
}

beforeEach(() => {
  cluster.detected = [];
  cluster.stored = [];
});

describe('detectAndQueue', () => {
  it('stores new anomalies, queues one message per dimension value, and sends nothing twice on the next run', async () => {
    const w = world();
    cluster.detected = [
      row(),
      row({ Kpi: 'startup_p95_ms', Value: 5400, Baseline: 1900, Score: 4.1 }),
      row({ Dimension: 'Country', DimensionValue: 'BR', Kpi: 'error_rate', Value: 0.2, Baseline: 0.01, Score: 5 }),
    ];
    const first = await detectAndQueue(w.deps(at(10, 32, 10)));
    expect(first).toMatchObject({ found: 3, fresh: 3, quiet: 0, sentBefore: 0, unsent: 0 });
    expect(first.windowStart).toEqual(at(10, 0));
    expect(first.windowEnd).toEqual(at(10, 30));

    const messages = await queued(w.queueClient);
    expect(messages).toEqual(first.messages);
    expect(messages.map((m) => [m.dimension, m.dimensionValue, m.anomalies.map((a) => a.kpi)])).toEqual([
      ['Cdn', 'Akamai', ['stall_rate', 'startup_p95_ms']],
      ['Country', 'BR', ['error_rate']],
    ]);
    expect(messages[0]!.dashboardUrl).toContain('var-cdn=Akamai');
    expect(messages[1]!.dashboardUrl).toContain('var-country=BR');

    expect(
      cluster.stored.map((r) => [r.Timestamp, r.Kpi, r.Dimension, r.DimensionValue, r.Direction, r.Sessions, r.DetectedAt, r.Alerted]),
    ).toEqual([
      ['2026-11-23T10:20:00.000Z', 'stall_rate', 'Cdn', 'Akamai', 'up', '812', '2026-11-23T10:32:10.000Z', 'true'],
      ['2026-11-23T10:20:00.000Z', 'startup_p95_ms', 'Cdn', 'Akamai', 'up', '812', '2026-11-23T10:32:10.000Z', 'true'],
      ['2026-11-23T10:20:00.000Z', 'error_rate', 'Country', 'BR', 'up', '812', '2026-11-23T10:32:10.000Z', 'true'],
    ]);
    expect(cluster.stored.map((r) => r.AlertKey).sort()).toEqual(messages.flatMap((m) => m.anomalies.map((a) => a.key)).sort());

    // The next run sees the same anomalies: already stored, so nothing is stored or queued again.
    const ingests = cluster.ingests.length;
    const again = await detectAndQueue(w.deps(at(10, 37, 10)));
    expect(again).toMatchObject({ found: 3, fresh: 0, messages: [] });
    expect(cluster.ingests.length).toBe(ingests);
    expect(await queued(w.queueClient)).toHaveLength(2);
  });

  it('quiet period: the same KPI and dimension value is stored but not sent again until it ends; other KPIs still alert', async () => {
    const w = world();
    cluster.detected = [row()];
    expect((await detectAndQueue(w.deps(at(10, 32)))).messages).toHaveLength(1);

    // 10 minutes later: the next bin of the same KPI is anomalous, and a new KPI of the same CDN.
    cluster.detected = [
      row(),
      row({ Timestamp: at(10, 30).toISOString() }),
      row({ Timestamp: at(10, 30).toISOString(), Kpi: 'error_rate', Score: 4 }),
    ];
    const during = await detectAndQueue(w.deps(at(10, 42)));
    expect(during).toMatchObject({ fresh: 2, quiet: 1 });
    expect(during.messages.map((m) => m.anomalies.map((a) => a.kpi))).toEqual([['error_rate']]);
    expect(cluster.stored.filter((r) => r.Timestamp === '2026-11-23T10:30:00.000Z').map((r) => [r.Kpi, r.Alerted])).toEqual([
      ['stall_rate', 'false'],
      ['error_rate', 'true'],
    ]);

    // 61 minutes after the first alert, a new stall_rate bin alerts again.
    cluster.detected = [row({ Timestamp: at(11, 25).toISOString() })];
    const after = await detectAndQueue(w.deps(at(11, 33)));
    expect(after.messages.map((m) => m.anomalies.map((a) => [a.kpi, a.timestamp]))).toEqual([[['stall_rate', '2026-11-23T11:25:00.000Z']]]);
    expect(await queued(w.queueClient)).toHaveLength(3);
  });

  it('with a quiet period of 0 every new bin alerts; without targets anomalies are stored and none is queued', async () => {
    const w = world();
    cluster.detected = [row()];
    await detectAndQueue(w.deps(at(10, 32), { quietMinutes: 0 }));
    cluster.detected = [row(), row({ Timestamp: at(10, 30).toISOString() })];
    expect((await detectAndQueue(w.deps(at(10, 37), { quietMinutes: 0 }))).messages).toHaveLength(1);

    const silent = world();
    cluster.stored = [];
    cluster.detected = [row({ DimensionValue: 'Fastly' })];
    const r = await detectAndQueue(silent.deps(at(10, 32), { notify: false }));
    expect(r).toMatchObject({ fresh: 1, unsent: 1, messages: [] });
    expect(cluster.stored.map((x) => [x.DimensionValue, x.Alerted])).toEqual([['Fastly', 'false']]);
    expect(await queued(silent.queueClient)).toEqual([]);
  });

  it('skips invalid detector rows with an error, and stores nothing when nothing is found', async () => {
    const w = world();
    const logs: string[] = [];
    cluster.detected = [row({ Direction: 'sideways' })];
    const r = await detectAndQueue({ ...w.deps(at(10, 32)), log: (level, m) => logs.push(`${level}: ${m}`) });
    expect(r).toMatchObject({ found: 0, fresh: 0, messages: [] });
    expect(r.invalid).toHaveLength(1);
    expect(logs).toEqual([expect.stringMatching(/^error: 1 anomaly row\(s\) .* invalid .*Direction/)]);
    expect(cluster.stored).toEqual([]);
  });
});

// --- failures, with in-memory stand-ins ------------------------------------------------------

function memory(anomalies: () => Anomaly[]) {
  const stored: StoredAnomaly[] = [];
  const sent: AlertMessage[] = [];
  const quiet = new Map<string, { lastAlertedAt: Date; alertId: string; keys: string[] }>();
  const faults = { send: 0, append: 0 };
  const store: AnomalyStore = {
    detect: async () => ({ anomalies: anomalies(), invalid: [] }),
    detectSessions: async () => ({ anomalies: [], invalid: [] }),
    rankingSessions: async () => [],
    storedKeys: async () => new Set(stored.map((s) => s.key)),
    append: async (rows) => {
      if (faults.append-- > 0) throw new Error('Kusto unavailable');
      stored.push(...rows);
    },
  };
  const queue: AlertQueue = {
    send: async (m) => {
      if (faults.send-- > 0) throw new Error('queue unavailable');
      sent.push(m);
    },
  };
  const state: AlertState = {
    lastAlert: async (k, d, v) => quiet.get(`${k}|${d}|${v}`),
    markAlerted: async (k, d, v, r) => void quiet.set(`${k}|${d}|${v}`, r),
    delivered: async () => new Set(),
    markDelivered: async () => {},
    openIncidents: async () => [],
    saveIncident: async () => {},
    prune: async () => 0,
  };
  return { store, queue, state, stored, sent, faults };
}

describe('detectAndQueue when something fails', () => {
  const anomaly = (kpi: string): Anomaly => {
    const base = { timestamp: at(10, 20), kpi, dimension: 'Cdn', dimensionValue: 'Akamai' };
    return { ...base, value: 1, baseline: 0.1, score: 5, direction: 'up', sessions: 100, key: `${kpi}-key` };
  };
  const found = () => [anomaly('stall_rate'), anomaly('error_rate')];

  it('a queue failure stores nothing, so the next run queues and stores the anomaly: none is lost', async () => {
    const m = memory(found);
    m.faults.send = 1;
    const deps = (now: Date): DetectDeps => ({ store: m.store, queue: m.queue, state: m.state, settings, now });
    await expect(detectAndQueue(deps(at(10, 32)))).rejects.toThrow('queue unavailable');
    expect(m.stored).toEqual([]);
    const next = await detectAndQueue(deps(at(10, 37)));
    expect(next.messages).toHaveLength(1);
    expect(m.sent).toHaveLength(1);
    expect(m.stored.map((s) => [s.kpi, s.alerted])).toEqual([
      ['stall_rate', true],
      ['error_rate', true],
    ]);
  });

  it('a storage failure after queueing: the next run stores the anomalies as alerted and does not send them again', async () => {
    const m = memory(found);
    m.faults.append = 1;
    const deps = (now: Date): DetectDeps => ({ store: m.store, queue: m.queue, state: m.state, settings, now });
    await expect(detectAndQueue(deps(at(10, 32)))).rejects.toThrow('Kusto unavailable');
    expect(m.sent).toHaveLength(1);
    const next = await detectAndQueue(deps(at(10, 37)));
    expect(next).toMatchObject({ fresh: 2, sentBefore: 2, messages: [] });
    expect(m.sent).toHaveLength(1);
    expect(m.stored.map((s) => [s.kpi, s.alerted])).toEqual([
      ['stall_rate', true],
      ['error_rate', true],
    ]);
  });
});

describe('detectionWindow', () => {
  it('ends at the last complete bin and spans whole bins', () => {
    expect(detectionWindow(at(10, 32, 10), 30, 5)).toEqual({ start: at(10, 0), end: at(10, 30) });
    expect(detectionWindow(at(10, 30, 0), 30, 5)).toEqual({ start: at(10, 0), end: at(10, 30) });
    expect(detectionWindow(at(10, 32), 12, 5)).toEqual({ start: at(10, 15), end: at(10, 30) });
    expect(detectionWindow(at(10, 32), 1, 15)).toEqual({ start: at(10, 15), end: at(10, 30) });
  });
});
