// Microsoft Teams: an Adaptive Card in a message, the format Teams workflows ("Post to a channel
// when a webhook request is received") accept. Office 365 connector MessageCards are retired and
// Workflows do not take them.
import type { AlertMessage } from '../message.js';
import { teamsText } from './escape.js';
import { incidentLines, kpiLines, omittedText, windowText } from './format.js';

export function teamsPayload(m: AlertMessage): unknown {
  const lines = [...incidentLines(m), ...kpiLines(m).map((l) => l.text)].map(teamsText);
  const omitted = omittedText(m);
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            { type: 'TextBlock', size: 'Medium', weight: 'Bolder', color: 'Attention', text: teamsText(m.title), wrap: true },
            {
              type: 'FactSet',
              facts: [
                { title: teamsText(m.dimension), value: teamsText(m.dimensionValue) },
                { title: 'Window', value: windowText(m) },
                { title: 'Alert', value: m.alertId },
              ],
            },
            ...lines.map((l) => ({ type: 'TextBlock', text: `- ${l}`, wrap: true, spacing: 'Small' })),
            ...(omitted ? [{ type: 'TextBlock', text: teamsText(omitted), isSubtle: true, wrap: true }] : []),
          ],
          actions: m.dashboardUrl ? [{ type: 'Action.OpenUrl', title: 'Open in Grafana', url: m.dashboardUrl }] : [],
        },
      },
    ],
  };
}
