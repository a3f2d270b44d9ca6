// Slack incoming webhook: `text` (notification fallback) and Block Kit blocks, within Slack's
// limits (header 150 characters, section text 3000, button URL 3000), so Slack never answers
// 400 invalid_blocks for a long dimension value or many KPIs.
import type { AlertMessage } from '../message.js';
import { kpiLines, omittedText, windowText } from './format.js';

/** Slack mrkdwn needs &, < and > escaped; nothing else is special. */
export const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

export function slackPayload(m: AlertMessage): unknown {
  const lines = kpiLines(m).map((l) => `• ${slackEscape(l.text)}`);
  const omitted = omittedText(m);
  return {
    text: cut(m.title, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cut(m.title, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: cut(lines.join('\n'), 3000) } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: cut(`*${slackEscape(m.dimension)}* ${slackEscape(m.dimensionValue)} · window ${windowText(m)} · alert ${m.alertId}${omitted ? ` · ${slackEscape(omitted)}` : ''}`, 3000) }],
      },
      ...(m.dashboardUrl && m.dashboardUrl.length <= 3000
        ? [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Grafana' }, url: m.dashboardUrl }] }]
        : []),
    ],
  };
}
