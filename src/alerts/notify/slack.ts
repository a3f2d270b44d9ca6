// Slack incoming webhook: `text` (notification fallback) and Block Kit blocks, within Slack's
// limits (header 150 characters, section text 3000, button URL 3000), so Slack never answers
// 400 invalid_blocks for a long dimension value or many KPIs.
import type { AlertMessage } from '../message.js';
import { defuseLinks, slackEscape, slackText } from './escape.js';
import { incidentLines, kpiLines, omittedText, windowText } from './format.js';

export { slackEscape };

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

export function slackPayload(m: AlertMessage): unknown {
  const lines = [...incidentLines(m), ...kpiLines(m).map((l) => l.text)].map((l) => `• ${slackText(l)}`);
  const omitted = omittedText(m);
  return {
    text: cut(slackText(m.title), 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cut(defuseLinks(m.title).replace(/</g, '<\u200b'), 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: cut(lines.join('\n'), 3000) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: cut(
              `*${slackText(m.dimension)}* ${slackText(m.dimensionValue)} · window ${windowText(m)} · alert ${m.alertId}${omitted ? ` · ${slackText(omitted)}` : ''}`,
              3000,
            ),
          },
        ],
      },
      ...(m.dashboardUrl && m.dashboardUrl.length <= 3000
        ? [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Grafana' }, url: m.dashboardUrl }] }]
        : []),
    ],
  };
}
