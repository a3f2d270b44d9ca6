import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../src/alerts/detect.js';
import { notify, redactUrl } from '../../src/alerts/notify.js';

const received: Array<{ path: string; body: any }> = [];
let failNext = 0;
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url!, body: JSON.parse(body) });
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end();
      } else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const message: AlertMessage = {
  version: 1,
  alertId: 'a1b2c3',
  detectedAt: '2026-11-23T10:32:00.000Z',
  dimension: 'Cdn',
  dimensionValue: 'Akamai',
  windowStart: '2026-11-23T10:00:00.000Z',
  windowEnd: '2026-11-23T10:30:00.000Z',
  anomalies: [{ Timestamp: '2026-11-23T10:20:00.000Z', Kpi: 'stall_rate', Value: 0.4, Baseline: 0.05, Score: 6.2, Direction: 'up', Sessions: 812 }],
  dashboardUrl: 'https://grafana.example/d/qoe-overview/qoe-overview?var-cdn=Akamai',
};

describe('notify', () => {
  it('sends the JSON webhook, a Teams Adaptive Card and a Slack Block Kit message', async () => {
    received.length = 0;
    const sent = await notify(message, { webhookUrl: `${base}/hook`, teamsUrl: `${base}/teams`, slackUrl: `${base}/slack` });
    expect(sent).toEqual(['webhook', 'teams', 'slack']);
    const by = Object.fromEntries(received.map((r) => [r.path, r.body]));
    expect(by['/hook']).toEqual(message);
    const card = by['/teams'].attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content.body[0].text).toBe('QoE anomaly: Cdn=Akamai (stall_rate)');
    expect(card.content.body.map((b: { text: string }) => b.text).join('\n')).toContain('stall_rate ▲ 40.00% (baseline 5.00%, score 6.2, 812 sessions)');
    expect(card.content.actions[0]).toEqual({ type: 'Action.OpenUrl', title: 'Open in Grafana', url: message.dashboardUrl });
    expect(by['/slack'].text).toBe('QoE anomaly: Cdn=Akamai (stall_rate)');
    expect(by['/slack'].blocks.at(-1).elements[0].url).toBe(message.dashboardUrl);
  });

  it('fails the message when a target answers 500 (so the queue retries), without leaking the URL secret', async () => {
    failNext = 1;
    const err = await notify(message, { webhookUrl: `${base}/hook/SECRET-TOKEN` }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('answered 500');
    expect((err as Error).message).not.toContain('SECRET-TOKEN');
    expect(redactUrl('https://hooks.slack.com/services/T0/B0/XYZ')).toBe('https://hooks.slack.com/…');
  });
});
