import { describe, expect, it } from 'vitest';
import { slackEscape, slackPayload } from '../../../src/alerts/notify/slack.js';
import { sampleAlert } from '../../../src/alerts/sample.js';

const m = sampleAlert(new Date('2026-11-23T10:32:00Z'), { url: 'https://grafana.example', dashboardUid: 'qoe-overview' });

describe('Slack payload', () => {
  it('is text plus Block Kit: header, KPI lines, context, a Grafana button', () => {
    const p = slackPayload(m) as any;
    expect(p.text).toBe(m.title);
    expect(p.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'context', 'actions']);
    expect(p.blocks[0].text).toEqual({ type: 'plain_text', text: m.title, emoji: true });
    expect(p.blocks[1].text.type).toBe('mrkdwn');
    expect(p.blocks[1].text.text).toBe(
      [
        '• Cause: Cdn=Akamai, Region=US-CA · severity major · 79 impacted sessions',
        '• vsf_rate in the cause: 31.00% vs 1.10% baseline (28.2x, 86% of the excess, 264 sessions)',
        '• startup_p95_ms in the cause: 9,100 ms vs 2,000 ms baseline (4.6x, 74% of the excess, 264 sessions)',
        '• vsf_rate ▲ 11.20% (baseline 0.90%; score 7.4, 812 sessions) at 10:10 UTC, 2 bins',
        '• startup_p95_ms ▲ 5,400 ms (baseline 1,900 ms; score 4.1, 798 sessions) at 10:15 UTC',
      ].join('\n'),
    );
    expect(p.blocks[2].elements[0].text).toContain(`alert ${m.alertId}`);
    expect(p.blocks[3].elements[0]).toEqual({ type: 'button', text: { type: 'plain_text', text: 'Open in Grafana' }, url: m.dashboardUrl });
  });

  it("stays within Slack's limits and escapes what mrkdwn would read as markup", () => {
    const value = `<!channel> & ${'x'.repeat(400)}`;
    const anomalies = Array.from({ length: 40 }, (_, i) => ({ ...m.anomalies[0]!, kpi: `kpi_number_${i}_${'y'.repeat(60)}` }));
    const p = slackPayload({ ...m, dimensionValue: value, title: `QoE anomaly: Cdn=${value}`, anomalies, dashboardUrl: undefined }) as any;
    expect(p.blocks[0].text.text.length).toBeLessThanOrEqual(150);
    expect(p.blocks[1].text.text.length).toBeLessThanOrEqual(3000);
    expect(p.blocks[2].elements[0].text).toContain('&lt;!channel&gt; &amp; ');
    expect(p.blocks[2].elements[0].text).not.toContain('<!channel>');
    expect(p.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'context']);
    expect(slackEscape('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });
});
