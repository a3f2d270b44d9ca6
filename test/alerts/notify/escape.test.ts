// Issue 14, item 6: a Cdn name or content id is client-controlled; in Teams and Slack it must stay
// text (no link, no mention), while the generic webhook gets the values unchanged.
import { describe, expect, it } from 'vitest';
import { alertKey, type Anomaly } from '../../../src/alerts/anomaly.js';
import { incidentMessage } from '../../../src/alerts/incident-message.js';
import { groupIncidents } from '../../../src/alerts/incidents.js';
import { parseAlertMessage } from '../../../src/alerts/message.js';
import { defuseLinks, slackText, teamsText } from '../../../src/alerts/notify/escape.js';
import { slackPayload } from '../../../src/alerts/notify/slack.js';
import { teamsPayload } from '../../../src/alerts/notify/teams.js';
import { webhookPayload } from '../../../src/alerts/notify/webhook.js';

const cdn = '[Open Grafana](https://evil.example/phish)';
const content = '<https://evil.example/login|Acknowledge> <!channel> mail me@evil.example www.evil.example';

function crafted() {
  const at = new Date('2026-11-23T10:00:00Z');
  const anomaly = (dimension: string, dimensionValue: string): Anomaly => {
    const base = { timestamp: at, kpi: 'vsf_rate', dimension, dimensionValue };
    return { ...base, value: 0.4, baseline: 0.01, score: 9, direction: 'up', sessions: 120, key: alertKey(base) };
  };
  const cause = {
    dimensions: { Cdn: cdn, ContentId: content },
    sessions: 120,
    kpiInWindow: 0.4,
    kpiBaseline: 0.01,
    share: 1,
    lift: 40,
    impactedSessions: 47,
    z: 12,
    p: 1e-30,
  };
  const [incident] = groupIncidents([anomaly('Cdn', cdn), anomaly('ContentId', content)], [{ kpi: 'vsf_rate', causes: [cause] }], () => 1);
  return parseAlertMessage(
    JSON.parse(
      JSON.stringify(
        incidentMessage(incident!, {
          incidentId: 'abcdef0123456789',
          kind: 'open',
          detectedAt: new Date('2026-11-23T10:12:00Z'),
          windowStart: at,
          windowEnd: new Date('2026-11-23T11:00:00Z'),
          grafana: { url: 'https://grafana.example', dashboardUid: 'qoe-overview' },
        }),
      ),
    ),
  );
}

/** Every string in a payload, as the chat client would read it. */
const texts = (v: unknown): string[] =>
  typeof v === 'string'
    ? [v]
    : Array.isArray(v)
      ? v.flatMap(texts)
      : v && typeof v === 'object'
        ? Object.entries(v).flatMap(([k, x]) => (k === 'url' || k === '$schema' ? [] : texts(x)))
        : [];

describe('client-derived values in alert texts', () => {
  const m = crafted();

  it('never become a link or a mention in Teams', () => {
    const all = texts(teamsPayload(m)).join('\n');
    expect(all).toContain('Open Grafana'); // still readable
    expect(all).not.toMatch(/\]\(/); // markdown link
    expect(all).not.toMatch(/https?:\/\//); // bare URL autolink
    expect(all).not.toMatch(/evil\.example/); // bare domain autolink
    expect(all).not.toMatch(/<https?/); // autolink in angle brackets
    // The only clickable thing is our own Grafana button.
    const card = (teamsPayload(m) as { attachments: Array<{ content: { actions: Array<{ url: string }> } }> }).attachments[0]!.content;
    expect(card.actions.map((a: { url: string }) => new URL(a.url).origin)).toEqual(['https://grafana.example']);
  });

  it('never become a link or a mention in Slack', () => {
    const p = slackPayload(m);
    const all = texts(p).join('\n');
    expect(all).toContain('Acknowledge');
    expect(all).not.toContain('<https');
    expect(all).not.toContain('<!channel>');
    expect(all).not.toMatch(/https?:\/\//);
    expect(all).not.toMatch(/evil\.example/);
    expect(all).not.toMatch(/@evil/);
  });

  it('stay exactly as they are in the webhook JSON (data, not a rendering)', () => {
    const w = webhookPayload(m) as typeof m;
    expect(w.incident!.cause).toEqual({ Cdn: cdn, ContentId: content });
    expect(w.anomalies.map((a) => a.series)).toEqual([`Cdn=${cdn}`, `ContentId=${content}`]);
  });

  it('leave ordinary values and numbers alone', () => {
    expect(teamsText('Fastly US-CA 5.2.1 41.20%')).toBe('Fastly US-CA 5.2.1 41.20%');
    expect(slackText('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
    expect(defuseLinks('https://x.example')).not.toMatch(/https:\/\/|x\.example/);
  });
});
