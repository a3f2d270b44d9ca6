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
    expect(card.body[0]).toMatchObject({
      type: 'TextBlock',
      text: '[major] QoE incident: Cdn=Akamai, Region=US-CA: vsf_rate ▲, startup_p95_ms ▲',
      wrap: true,
    });
    expect(card.body[1].facts).toEqual([
      { title: 'Cdn+Region', value: 'Akamai, US-CA' },
      { title: 'Window', value: '09:50 UTC – 10:20 UTC' },
      { title: 'Alert', value: m.alertId },
    ]);
    const lines = card.body.slice(2).map((b: { text: string }) => b.text);
    expect(lines).toEqual([
      '- Cause: Cdn=Akamai, Region=US-CA · severity major · 79 impacted sessions',
      '- vsf_rate in the cause: 31.00% vs 1.10% baseline (28.2x, 86% of the excess, 264 sessions)',
      '- startup_p95_ms in the cause: 9,100 ms vs 2,000 ms baseline (4.6x, 74% of the excess, 264 sessions)',
      '- vsf_rate ▲ 11.20% (baseline 0.90%; score 7.4, 812 sessions) at 10:10 UTC, 2 bins',
      '- startup_p95_ms ▲ 5,400 ms (baseline 1,900 ms; score 4.1, 798 sessions) at 10:15 UTC',
    ]);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Grafana', url: m.dashboardUrl }]);
  });

  it('has no button without a Grafana link, and says how many anomalies were left out', () => {
    const card = (teamsPayload({ ...m, dashboardUrl: undefined, omitted: 7 }) as any).attachments[0].content;
    expect(card.actions).toEqual([]);
    expect(card.body.at(-1)).toMatchObject({ isSubtle: true, text: '…and 7 more anomalies in this incident (QoeAnomalies has them all).' });
  });
});
