// The anomaly timer's incident run below the function: the real Kusto client against the loopback
// stub, which answers DetectSessionAnomalies with what the TypeScript mirror finds on synthetic
// traffic and the ranking query with those sessions; the queue and the incident records in
// Azurite. A global outage across four runs: one open message, silence, resolved.
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSessions, INCIDENTS } from '../../src/analytics/synthetic-incidents.js';
import type { QoeSession } from '../../src/analytics/root-cause-sessions.js';
import { TableAlertState } from '../../src/alerts/alert-state-table.js';
import { kustoAnomalyStore } from '../../src/alerts/anomaly-table.js';
import { detectIncidentsAndQueue, type IncidentRunSettings } from '../../src/alerts/detect-incidents.js';
import { decodeQueueMessage, parseAlertMessage, type AlertMessage } from '../../src/alerts/message.js';
import { alertQueue } from '../../src/alerts/queue.js';
import { detectOnSessions, indexByBin, slotSessions } from '../../src/alerts/session-detector.js';
import { createKustoExecutor, type KustoExecutor } from '../../src/kql/kusto-client.js';
import { storageAccess } from '../../src/storage.js';
import { serveAnomalies, type AnomalyCluster } from '../support/anomalies.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { startKustoStub, type KustoStub } from '../support/kusto-stub.js';

let azurite: TestAzurite;
let stub: KustoStub;
let executor: KustoExecutor;
let cluster: AnomalyCluster;
let sessions: QoeSession[];

const lit = (s: unknown) => /^(?:datetime|timespan|long)\((.*)\)$/.exec(String(s))![1]!;
const SESSION_COLUMNS = [
  'SessionId',
  'FirstSeen',
  'Country',
  'Region',
  'Asn',
  'Cdn',
  'Os',
  'Browser',
  'DeviceType',
  'PlayerVersion',
  'ContentId',
  'Attempt',
  'Started',
  'Vsf',
  'Ebvs',
  'PlaybackFailure',
  'StartupMs',
  'WatchMs',
  'StallMs',
  'AvgBitrateKbps',
  'QoeScore',
];

beforeAll(async () => {
  sessions = generateSessions({
    start: new Date('2026-11-01T00:00:00Z'),
    end: new Date('2026-11-16T06:00:00Z'),
    seed: 9,
    incidents: [INCIDENTS.globalOutage(new Date('2026-11-15T19:00:00Z'))],
  });
  azurite = await startTestAzurite();
  stub = await startKustoStub();
  cluster = serveAnomalies(stub);
  const stored = stub.onQuery!;
  // A cluster that runs V011 as the TypeScript mirror does.
  stub.onQuery = (call) => {
    const p = call.properties?.Parameters as Record<string, string> | undefined;
    if (call.csl.includes('DetectSessionAnomalies(') && p) {
      const binMinutes = Number(/^(\d+)ms$/.exec(lit(p.binSize))![1]) / 60_000;
      const { anomalies } = detectOnSessions(sessions, {
        windowStart: new Date(lit(p.start)),
        windowEnd: new Date(lit(p.end)),
        binMinutes,
        minAttempts: Number(lit(p.minAttempts)),
        historyDays: Number(lit(p.historyDays)),
      });
      const cols = ['Timestamp', 'Kpi', 'Dimension', 'DimensionValue', 'Value', 'Baseline', 'Score', 'Direction', 'Sessions'];
      return {
        columns: cols.map((name) => ({
          name,
          type:
            name === 'Timestamp'
              ? 'datetime'
              : name === 'Sessions'
                ? 'long'
                : ['Value', 'Baseline', 'Score'].includes(name)
                  ? 'real'
                  : 'string',
        })),
        rows: anomalies.map((a) => [
          a.timestamp.toISOString(),
          a.kpi,
          a.dimension,
          a.dimensionValue,
          a.value,
          a.baseline,
          a.score,
          a.direction,
          a.sessions,
        ]),
      };
    }
    if (call.csl.includes('QoeAnomalySessions(') && p) {
      const binMs = 3_600_000;
      const byBin = indexByBin(sessions, binMs);
      const start = Date.parse(lit(p.start)) / binMs;
      const end = Date.parse(lit(p.end)) / binMs;
      const picked = new Set<QoeSession>();
      for (let b = start; b < end; b++)
        for (const s of [...(byBin.get(b) ?? []), ...slotSessions(byBin, b, binMs, Number(lit(p.historyDays)))]) picked.add(s);
      return {
        columns: SESSION_COLUMNS.map((name) => ({ name, type: 'string' })),
        rows: [...picked].map((s) => [
          s.sessionId,
          new Date(s.at).toISOString(),
          ...Object.values(s.dims),
          s.attempt,
          s.started,
          s.vsf,
          s.ebvs,
          s.playbackFailure,
          s.startupMs,
          s.watchMs,
          s.stallMs,
          s.avgBitrateKbps,
          s.qoeScore,
        ]),
      };
    }
    return stored(call);
  };
  executor = createKustoExecutor({ clusterUri: stub.url, accessToken: 'test-token' });
}, 300_000);
afterAll(async () => {
  executor?.close();
  await stub?.close();
  await azurite?.stop();
});

const settings: IncidentRunSettings = {
  windowMinutes: 120,
  binMinutes: 60,
  minSessions: 30,
  quietMinutes: 60,
  grafanaDashboardUid: 'qoe-overview',
  grafanaUrl: 'https://grafana.example',
  notify: true,
};

describe('detectIncidentsAndQueue', () => {
  it(
    'a global outage is one incident message, silent within the hour, then resolved; anomalies stored with their root cause',
    { timeout: 600_000 },
    async () => {
      const storage = storageAccess({ connectionString: azurite.connectionString });
      const queueClient = new QueueClient(azurite.connectionString, 'incidents');
      const deps = (iso: string) => ({
        store: kustoAnomalyStore(executor, 'qoe'),
        state: new TableAlertState(storage.table('incidentstate')),
        queue: alertQueue(storage.queue('incidents')),
        settings,
        now: new Date(iso),
      });
      const drain = async (): Promise<AlertMessage[]> => {
        const { receivedMessageItems } = await queueClient.receiveMessages({ numberOfMessages: 32 });
        for (const m of receivedMessageItems) await queueClient.deleteMessage(m.messageId, m.popReceipt);
        return receivedMessageItems.map((m) => parseAlertMessage(decodeQueueMessage(m.messageText)));
      };

      const first = await detectIncidentsAndQueue(deps('2026-11-15T20:10:00Z'));
      expect(first.incidents).toHaveLength(1);
      const opened = await drain();
      expect(opened.map((m) => [m.incident!.kind, m.incident!.cause])).toEqual([['open', {}]]);
      expect(opened[0]!.incident!.severity).toBe('critical');
      // Every anomaly is stored once, with the incident and its cause (kql/V012 columns).
      expect(cluster.stored.length).toBe(first.found);
      const row = cluster.ingests.at(-1)!.csl.split('\n')[1]!;
      expect(row).toContain(`"${opened[0]!.incident!.id}","{}"`);

      const again = await detectIncidentsAndQueue(deps('2026-11-15T20:40:00Z'));
      expect(again.silenced).toBe(1);
      expect(await drain()).toEqual([]);
      expect(cluster.stored.length).toBe(first.found); // nothing stored twice

      const resolved = await detectIncidentsAndQueue(deps('2026-11-15T23:10:00Z'));
      expect(resolved.found).toBe(0);
      expect((await drain()).map((m) => [m.incident!.kind, m.incident!.id])).toEqual([['resolved', opened[0]!.incident!.id]]);
      await detectIncidentsAndQueue(deps('2026-11-16T00:10:00Z'));
      expect(await drain()).toEqual([]);
    },
  );
});
