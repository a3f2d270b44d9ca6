import { describe, expect, it } from 'vitest';
import { teamsPayload } from '../../../src/alerts/notify/teams.js';
import { sampleAlert } from '../../../src/alerts/sample.js';

const m = sampleAlert(new Date('2026-11-23T10:32:00Z'), { url: 'https://grafana.example', dashboardUid: 'qoe-overview' });

describe('Teams payload', () => {
  it('is a message with one Adaptive Card attachment, as Teams workflows take it', () => {
    const p = teamsPayload(m) as any;
    expect(p.type).toBe('message');
    expect(p.attachments).toHaveLength(1);
    expect(p.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = p.attachments[0].content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' });
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: 'QoE anomaly: Cdn=Akamai: stall_rate ▲, startup_p95_ms ▲', wrap: true });
    expect(card.body[1].facts).toEqual([
      { title: 'Cdn', value: 'Akamai' },
      { title: 'Window', value: '10:00 UTC – 10:30 UTC' },
      { title: 'Alert', value: m.alertId },
    ]);
    const lines = card.body.slice(2).map((b: { text: string }) => b.text);
    expect(lines).toEqual([
      '- stall_rate ▲ 41.20% (baseline 6.10%; score 6.2, 812 sessions) at 10:20 UTC, 2 bins',
      '- startup_p95_ms ▲ 5,400 ms (baseline 1,900 ms; score 4.1, 798 sessions) at 10:25 UTC',
    ]);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Grafana', url: m.dashboardUrl }]);
  });

  it('has no button without a Grafana link, and says how many anomalies were left out', () => {
    const card = (teamsPayload({ ...m, dashboardUrl: undefined, omitted: 7 }) as any).attachments[0].content;
    expect(card.actions).toEqual([]);
    expect(card.body.at(-1)).toMatchObject({ isSubtle: true, text: '…and 7 more anomalies of this Cdn (QoeAnomalies has them all).' });
  });
});
