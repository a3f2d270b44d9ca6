// A webhook receiver for local runs (`npm run alerts:receiver`): takes what the notifier POSTs to
// QOE_ALERT_WEBHOOK_URL, QOE_ALERT_TEAMS_URL and QOE_ALERT_SLACK_URL pointed at it, prints one
// readable line per message, and answers 200, or 500 to the first `failFirst` requests to watch
// the queue retry.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  kind: 'webhook' | 'teams' | 'slack' | 'unknown';
  body: unknown;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Answer 500 to the next n requests. */
  failNext(n: number): void;
  close(): Promise<void>;
}

export function kindOf(body: unknown): ReceivedWebhook['kind'] {
  if (!body || typeof body !== 'object') return 'unknown';
  const b = body as Record<string, unknown>;
  if (Array.isArray(b.attachments)) return 'teams';
  if (Array.isArray(b.blocks)) return 'slack';
  if (typeof b.alertId === 'string') return 'webhook';
  return 'unknown';
}

/** One line: what a person would see first in that target. */
export function describeWebhook(r: ReceivedWebhook): string {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a received payload of any of three shapes, read for display only
  const b = r.body as Record<string, any>;
  const head = `${r.status} ${r.kind.padEnd(7)} ${r.path}`;
  if (r.kind === 'webhook')
    return `${head}: ${b.title} (${b.anomalies?.length ?? 0} anomalies, alert ${b.alertId})${b.dashboardUrl ? ` ${b.dashboardUrl}` : ''}`;
  if (r.kind === 'teams') return `${head}: ${b.attachments?.[0]?.content?.body?.[0]?.text ?? '?'}`;
  if (r.kind === 'slack') return `${head}: ${b.text}`;
  return `${head}: ${JSON.stringify(r.body).slice(0, 200)}`;
}

export async function startWebhookReceiver(
  o: { port?: number; failFirst?: number; log?: (line: string) => void } = {},
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let fail = o.failFirst ?? 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      const status = fail > 0 ? 500 : 200;
      if (fail > 0) fail--;
      const r: ReceivedWebhook = { path: req.url ?? '/', kind: kindOf(body), body, status };
      received.push(r);
      o.log?.(describeWebhook(r));
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'failing on purpose');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    failNext: (n) => (fail = n),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
