// The two alerting functions as registered (src/index.ts), on the local host: the anomaly timer
// against the Kusto stub and Azurite's queue, the notifier against a local webhook receiver that
// stands in for the generic webhook, Teams and Slack.
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluationWindow } from '../../src/alerts/session-incidents.js';
import { decodeQueueMessage, type AlertMessage } from '../../src/alerts/message.js';
import { installFunctionsCore } from '../../src/local/functions-core.js';
import { startLocalHost, type LocalHost } from '../../src/local/host.js';
import { startLocalTriggers, type LocalTriggers } from '../../src/local/triggers.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/local/webhook-receiver.js';
import { storageAccess } from '../../src/storage.js';
import { serveAnomalies, type AnomalyCluster } from '../support/anomalies.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { startKustoStub, type KustoStub } from '../support/kusto-stub.js';

let azurite: TestAzurite;
let stub: KustoStub;
let cluster: AnomalyCluster;
let receiver: WebhookReceiver;
let host: LocalHost;
let triggers: LocalTriggers;
const logs: string[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
  stub = await startKustoStub();
  cluster = serveAnomalies(stub);
  receiver = await startWebhookReceiver();
  Object.assign(process.env, {
    AzureWebJobsStorage: azurite.connectionString,
    KUSTO_CLUSTER_URI: stub.url,
    KUSTO_ACCESS_TOKEN: 'test-token',
    QOE_SINK: 'file',
    QOE_ALERT_WEBHOOK_URL: `${receiver.url}/webhook`,
    QOE_ALERT_TEAMS_URL: `${receiver.url}/teams`,
    QOE_ALERT_SLACK_URL: `${receiver.url}/slack`,
    QOE_GRAFANA_URL: 'https://grafana.example/',
  });
  installFunctionsCore();
  await import('../../src/index.js');
  host = await startLocalHost({ port: 0, log: (l) => logs.push(l) });
  const storage = storageAccess({ connectionString: azurite.connectionString });
  triggers = startLocalTriggers({ host, queueClient: (n) => storage.queue(n), polling: false, timers: false, log: (l) => logs.push(l) });
});
afterAll(async () => {
  await triggers?.stop();
  await host?.close();
  await receiver?.close();
  await stub?.close();
  await azurite?.stop();
});

async function queued(): Promise<AlertMessage[]> {
  const q = new QueueClient(azurite.connectionString, 'qoe-alerts');
  if (!(await q.exists())) return [];
  return (await q.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => decodeQueueMessage(m.messageText) as AlertMessage);
}

describe('anomalyTimer -> qoe-alerts -> alertNotifier', () => {
  it('queues one alert per incident (here each anomalous series: no session ranks a cause), delivers each to the webhook, Teams and Slack, and repeats nothing on the next run', async () => {
    const { end } = evaluationWindow(new Date(), 5, 30, 10);
    const bin = new Date(end.getTime() - 10 * 60_000).toISOString();
    cluster.detected = [
      {
        Timestamp: bin,
        Kpi: 'rebuffering_ratio',
        Dimension: 'Cdn',
        DimensionValue: 'Akamai',
        Value: 0.41,
        Baseline: 0.06,
        Score: 6.2,
        Direction: 'up',
        Sessions: 812,
      },
      {
        Timestamp: bin,
        Kpi: 'startup_p95_ms',
        Dimension: 'Cdn',
        DimensionValue: 'Akamai',
        Value: 5400,
        Baseline: 1900,
        Score: 4.1,
        Direction: 'up',
        Sessions: 812,
      },
      {
        Timestamp: bin,
        Kpi: 'avg_bitrate_kbps',
        Dimension: 'Country',
        DimensionValue: 'BR',
        Value: 1200,
        Baseline: 3100,
        Score: -5,
        Direction: 'down',
        Sessions: 240,
      },
    ];

    await triggers.runTimer('anomalyTimer');
    expect(logs.join('\n')).toMatch(/anomalyTimer: window .*: 3 anomalies, 3 new .*2 alert\(s\) queued/);
    const messages = await queued();
    expect(messages.map((m) => [m.dimension, m.dimensionValue, m.anomalies.length])).toEqual([
      ['Cdn', 'Akamai', 2],
      ['Country', 'BR', 1],
    ]);
    expect(cluster.stored.map((r) => [r.Kpi, r.DimensionValue, r.Alerted])).toEqual([
      ['rebuffering_ratio', 'Akamai', 'true'],
      ['startup_p95_ms', 'Akamai', 'true'],
      ['avg_bitrate_kbps', 'BR', 'true'],
    ]);

    await triggers.pollQueues();
    expect(await queued()).toEqual([]);
    expect(receiver.received).toHaveLength(6);
    for (const m of messages) {
      const mine = receiver.received.filter((r) => JSON.stringify(r.body).includes(m.alertId));
      expect(mine.map((r) => [r.path, r.kind, r.status]).sort()).toEqual([
        ['/slack', 'slack', 200],
        ['/teams', 'teams', 200],
        ['/webhook', 'webhook', 200],
      ]);
      expect(mine.find((r) => r.kind === 'webhook')!.body).toEqual(m);
      expect((mine.find((r) => r.kind === 'teams')!.body as any).attachments[0].content.body[0].text).toBe(m.title);
      expect((mine.find((r) => r.kind === 'slack')!.body as any).text).toBe(m.title);
      expect(m.dashboardUrl).toMatch(/^https:\/\/grafana\.example\/d\/qoe-overview\?/);
    }

    // Second run, same anomalies: nothing new is stored, queued or sent.
    const ingests = cluster.ingests.length;
    await triggers.runTimer('anomalyTimer');
    expect(logs.at(-1)).toMatch(/3 anomalies, 0 new .* 0 alert\(s\) queued/);
    expect(await queued()).toEqual([]);
    await triggers.pollQueues();
    expect(receiver.received).toHaveLength(6);
    expect(cluster.ingests.length).toBe(ingests);
    expect(logs.join('\n')).not.toMatch(/\/(webhook|teams|slack)\b/);
  });
});
