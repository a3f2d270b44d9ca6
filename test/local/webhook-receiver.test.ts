import { describe, expect, it } from 'vitest';
import { slackPayload } from '../../src/alerts/notify/slack.js';
import { teamsPayload } from '../../src/alerts/notify/teams.js';
import { sampleAlert } from '../../src/alerts/sample.js';
import { describeWebhook, kindOf, startWebhookReceiver } from '../../src/local/webhook-receiver.js';

const m = sampleAlert(new Date('2026-11-23T10:32:00Z'));

describe('local webhook receiver', () => {
  it('tells the three payloads apart and prints the line a person would see first', () => {
    expect([kindOf(m), kindOf(teamsPayload(m)), kindOf(slackPayload(m)), kindOf('text'), kindOf({ a: 1 })]).toEqual([
      'webhook',
      'teams',
      'slack',
      'unknown',
      'unknown',
    ]);
    expect(describeWebhook({ path: '/teams', kind: 'teams', body: teamsPayload(m), status: 200 })).toBe(`200 teams   /teams: ${m.title}`);
    expect(describeWebhook({ path: '/webhook', kind: 'webhook', body: m, status: 500 })).toBe(
      `500 webhook /webhook: ${m.title} (3 anomalies, alert ${m.alertId})`,
    );
  });

  it('answers 200, or 500 to the first N requests, and keeps what it received', async () => {
    const lines: string[] = [];
    const r = await startWebhookReceiver({ failFirst: 1, log: (l) => lines.push(l) });
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${r.url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then((res) => res.status);
      expect(await post('/webhook', m)).toBe(500);
      expect(await post('/slack', slackPayload(m))).toBe(200);
      expect(r.received.map((x) => [x.path, x.kind, x.status])).toEqual([
        ['/webhook', 'webhook', 500],
        ['/slack', 'slack', 200],
      ]);
      expect(lines).toHaveLength(2);
    } finally {
      await r.close();
    }
  });
});
