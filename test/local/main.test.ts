// `npm start` as a process (dist/src/local/main.js): the anomaly timer runs on its schedule on the
// local host, queues to Azurite, and the notifier delivers to a webhook receiver on localhost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/local/webhook-receiver.js';
import { serveAnomalies } from '../support/anomalies.js';
import { startKustoStub, type KustoStub } from '../support/kusto-stub.js';
import { startLocalService, type LocalService } from '../support/local-service.js';

let stub: KustoStub;
let receiver: WebhookReceiver;
let service: LocalService;

beforeAll(async () => {
  stub = await startKustoStub();
  const cluster = serveAnomalies(stub);
  const bin = new Date(Math.floor(Date.now() / 300_000) * 300_000 - 600_000).toISOString();
  cluster.detected = [
    {
      Timestamp: bin,
      Kpi: 'error_rate',
      Dimension: 'Os',
      DimensionValue: 'Android',
      Value: 0.2,
      Baseline: 0.01,
      Score: 5,
      Direction: 'up',
      Sessions: 300,
    },
  ];
  receiver = await startWebhookReceiver();
  service = await startLocalService({
    env: {
      KUSTO_CLUSTER_URI: stub.url,
      KUSTO_ACCESS_TOKEN: 'test-token',
      QOE_SINK: 'file',
      QOE_ALERT_SCHEDULE: '*/2 * * * * *',
      QOE_ALERT_WEBHOOK_URL: `${receiver.url}/webhook/SECRET-PATH?sig=SECRET-SIG`,
    },
  });
}, 180_000);
afterAll(async () => {
  await service?.stop();
  await receiver?.close();
  await stub?.close();
});

describe('npm start with alerting', () => {
  it('runs the timer on its schedule and the queue trigger against Azurite; the receiver gets the alert once', async () => {
    const deadline = Date.now() + 60_000;
    while (receiver.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]).toMatchObject({
      kind: 'webhook',
      status: 200,
      body: { dimension: 'Os', dimensionValue: 'Android', version: 1 },
    });
    // later runs find the anomaly stored: nothing more arrives
    await new Promise((r) => setTimeout(r, 5000));
    expect(receiver.received).toHaveLength(1);
    const out = service.output();
    expect(out).toContain('anomalyTimer: timerTrigger (*/2 * * * * *)');
    expect(out).toContain('alertNotifier: queueTrigger (qoe-alerts)');
    expect(out).toMatch(/Timers \(UTC\): anomalyTimer next at /);
    expect(out).toMatch(/alertNotifier: alert [0-9a-f]{16} \(Os=Android, attempt 1\) sent to webhook/);
    expect(out).not.toContain('SECRET');
  });
});
