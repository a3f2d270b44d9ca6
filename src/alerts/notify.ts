// Alert messages -> on-call: a generic JSON webhook, a Microsoft Teams card, a Slack message.
// A non-2xx answer throws, so the queue retries and finally parks the message in the poison queue.
import type { AlertMessage } from './detect.js';

export interface Targets {
  webhookUrl?: string;
  teamsUrl?: string;
  slackUrl?: string;
}

const fmtValue = (kpi: string, v: number) => (/rate|ratio/.test(kpi) ? `${(v * 100).toFixed(2)}%` : /ms$/.test(kpi) ? `${Math.round(v)} ms` : /kbps/.test(kpi) ? `${Math.round(v)} kbps` : v.toFixed(3));

export function summary(m: AlertMessage): string {
  const kpis = [...new Set(m.anomalies.map((a) => a.Kpi))].join(', ');
  return `QoE anomaly: ${m.dimension}=${m.dimensionValue} (${kpis})`;
}

function lines(m: AlertMessage): string[] {
  return m.anomalies.map((a) => `${a.Kpi} ${a.Direction === 'up' ? '▲' : '▼'} ${fmtValue(a.Kpi, a.Value)} (baseline ${fmtValue(a.Kpi, a.Baseline)}, score ${a.Score.toFixed(1)}, ${a.Sessions} sessions) at ${a.Timestamp}`);
}

/** Teams: an Adaptive Card in a message, what Teams workflows ("post to a channel when a webhook request is received") accept. */
export function teamsPayload(m: AlertMessage): unknown {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', size: 'Medium', weight: 'Bolder', text: summary(m), wrap: true },
            { type: 'TextBlock', text: `Window ${m.windowStart} to ${m.windowEnd}`, isSubtle: true, wrap: true },
            ...lines(m).map((text) => ({ type: 'TextBlock', text: `• ${text}`, wrap: true })),
          ],
          actions: m.dashboardUrl ? [{ type: 'Action.OpenUrl', title: 'Open in Grafana', url: m.dashboardUrl }] : [],
        },
      },
    ],
  };
}

/** Slack incoming webhook: text fallback plus Block Kit. */
export function slackPayload(m: AlertMessage): unknown {
  return {
    text: summary(m),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: summary(m).slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: lines(m).map((l) => `• ${l}`).join('\n') } },
      ...(m.dashboardUrl ? [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Grafana' }, url: m.dashboardUrl }] }] : []),
    ],
  };
}

/** The URL's host only: webhook URLs carry their secret in the path or query. */
export function redactUrl(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '<invalid url>';
  }
}

async function post(url: string, body: unknown, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(`POST ${redactUrl(url)} failed: ${(err as Error).message}`);
  }
  if (!res.ok) throw new Error(`POST ${redactUrl(url)} answered ${res.status}`);
}

/** Sends to every configured target; all are tried, and any failure fails the whole message (retried by the queue). */
export async function notify(m: AlertMessage, targets: Targets, timeoutMs = 10_000): Promise<string[]> {
  const sends: Array<[string, Promise<void>]> = [];
  if (targets.webhookUrl) sends.push(['webhook', post(targets.webhookUrl, m, timeoutMs)]);
  if (targets.teamsUrl) sends.push(['teams', post(targets.teamsUrl, teamsPayload(m), timeoutMs)]);
  if (targets.slackUrl) sends.push(['slack', post(targets.slackUrl, slackPayload(m), timeoutMs)]);
  const results = await Promise.allSettled(sends.map(([, p]) => p));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${sends[i]![0]}: ${(r.reason as Error).message}`] : []));
  if (failed.length) throw new Error(`alert ${m.alertId} not delivered: ${failed.join('; ')}`);
  return sends.map(([name]) => name);
}
