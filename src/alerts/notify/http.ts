// POSTing a JSON payload to a webhook: a timeout, and a non-2xx answer is an error, so the queue
// retries the message. Webhook URLs carry their secret (Slack's path, a Teams workflow's `sig`
// query parameter), so errors name only the URL's origin.
import { errorCode, errorMessage, errorName } from '../../errors.js';

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    readonly target: string,
    message: string,
    /** HTTP status when the target answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** `https://hooks.slack.com/…`: scheme, host and port only. */
export function redactUrl(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '<invalid url>';
  }
}

/** A short, single-line excerpt of an error body (Slack answers `invalid_blocks`, `no_service`, ...), without URLs. */
function excerpt(text: string): string {
  const clean = text
    .replace(/\s+/g, ' ')
    .replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>')
    .trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

export interface PostOptions {
  timeoutMs: number;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

export async function postJson(target: string, url: string, body: unknown, o: PostOptions): Promise<void> {
  const where = `${target} (${redactUrl(url)})`;
  let res: Response;
  try {
    res = await (o.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(o.timeoutMs),
      redirect: 'error', // a webhook that redirects is misconfigured; do not send the alert elsewhere
    });
  } catch (err) {
    const reason =
      errorName(err) === 'TimeoutError'
        ? `no answer within ${o.timeoutMs} ms`
        : [errorMessage(err), errorCode(err)].filter(Boolean).join(': ');
    throw new DeliveryError(target, `${where}: ${reason}`);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new DeliveryError(target, `${where} answered ${res.status}${text ? `: ${excerpt(text)}` : ''}`, res.status);
}
