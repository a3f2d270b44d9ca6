// The Functions host's own endpoints that `func start` serves beside the app's routes, answered
// the way the host and its extensions answer them:
// - POST /runtime/webhooks/eventgrid?functionName=<name>: the Event Grid extension's webhook.
//   Header `aeg-event-type`: `SubscriptionValidation` answers {"validationResponse": code} (the
//   code from an Event Grid array or a CloudEvents object); `Notification` runs the function once
//   per event (array or single object, Event Grid or CloudEvents schema) and answers 202, or 500
//   with the error when one fails (Event Grid then redelivers); `Unsubscribe` 202; else 400. An
//   unknown function is a 404 "cannot find function: '<name>'".
// - POST /admin/functions/<name> with {"input": ...}: runs a non-HTTP function in the background
//   and answers 202 (timer: the input is ignored; queue: the input is the message; Event Grid: a
//   JSON text of the event). Unknown function 404, a body without JSON 400.
import type { Registration } from './functions-core.js';

export interface RuntimeRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface RuntimeAnswer {
  status: number;
  body?: string;
  contentType?: string;
}

export interface RuntimeTarget {
  registrations: Registration[];
  invoke(name: string, triggerInput: unknown, triggerMetadata?: Record<string, unknown>): Promise<unknown>;
  log(line: string): void;
}

const EVENT_GRID_WEBHOOK = /^\/runtime\/webhooks\/eventgrid\/?$/i;
const ADMIN_FUNCTION = /^\/admin\/functions\/([^/]+)\/?$/i;

/** True when the path is one of the host's endpoints (checked before the app's routes, as the host does). */
export const isRuntimePath = (pathname: string) => EVENT_GRID_WEBHOOK.test(pathname) || ADMIN_FUNCTION.test(pathname);

const triggerType = (r: Registration) => r.trigger.type.toLowerCase();
const header = (h: RuntimeRequest['headers'], name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

async function eventGridWebhook(req: RuntimeRequest, target: RuntimeTarget): Promise<RuntimeAnswer> {
  const name = req.url.searchParams.get('functionName') ?? '';
  const reg = target.registrations.find((r) => r.name === name && triggerType(r) === 'eventgridtrigger');
  if (!reg) {
    const known = target.registrations.filter((r) => triggerType(r) === 'eventgridtrigger').map((r) => r.name);
    target.log(`[host] cannot find function: '${name}', available function names: [${known.join(', ')}]`);
    return { status: 404, body: `cannot find function: '${name}'`, contentType: 'text/plain; charset=utf-8' };
  }
  const kind = (header(req.headers, 'aeg-event-type') ?? '').toLowerCase();
  if (kind !== 'subscriptionvalidation' && kind !== 'notification') return { status: kind === 'unsubscribe' ? 202 : 400 };
  const parsed = parseJson(req.body);
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== 'object')
    return { status: 400, body: 'The request content should be a JSON object or array', contentType: 'text/plain; charset=utf-8' };
  const events = Array.isArray(parsed.value) ? (parsed.value as unknown[]) : [parsed.value];

  if (kind === 'subscriptionvalidation') {
    const first = events[0] as { data?: unknown } | undefined;
    // CloudEvents carry the data double-encoded as a JSON string.
    let data = first?.data;
    if (typeof data === 'string') data = parseJson(Buffer.from(data)).ok ? JSON.parse(data) : undefined;
    const code = (data as { validationCode?: unknown } | undefined)?.validationCode;
    if (typeof code !== 'string')
      return { status: 400, body: 'no data.validationCode in the validation event', contentType: 'text/plain; charset=utf-8' };
    target.log(`[host] perform handshake with eventGrid for function: ${name}`);
    return { status: 200, body: JSON.stringify({ validationResponse: code }), contentType: 'application/json; charset=utf-8' };
  }

  // One invocation per event, all at once, as the extension's single dispatch does.
  const results = await Promise.allSettled(events.map((event) => target.invoke(name, event)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) return { status: 500, body: errorText(failed.reason), contentType: 'text/plain; charset=utf-8' };
  return { status: 202 };
}

function triggerInputFor(reg: Registration, input: unknown): unknown {
  const type = triggerType(reg);
  if (type === 'timertrigger') {
    const now = new Date().toISOString();
    return { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: now, next: now, lastUpdated: now } };
  }
  if (typeof input !== 'string') return input;
  const text = input.trim();
  // Queue and Event Grid triggers hand a JSON text to the function parsed, as the worker does.
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return input;
    }
  }
  return input;
}

function adminInvoke(req: RuntimeRequest, name: string, target: RuntimeTarget): RuntimeAnswer {
  const reg = target.registrations.find((r) => r.name.toLowerCase() === name.toLowerCase());
  if (!reg) return { status: 404 };
  const parsed = parseJson(req.body);
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== 'object') return { status: 400 };
  if (triggerType(reg) === 'httptrigger')
    return { status: 400, body: `${reg.name} is an HTTP function: call its URL`, contentType: 'text/plain; charset=utf-8' };
  const input = (parsed.value as { input?: unknown }).input;
  const metadata =
    triggerType(reg) === 'queuetrigger'
      ? { dequeueCount: 1, queueTrigger: typeof input === 'string' ? input : JSON.stringify(input ?? '') }
      : undefined;
  // In the background, like the host: the caller gets 202 before the function ends.
  void target
    .invoke(reg.name, triggerInputFor(reg, input), metadata)
    .catch((err: unknown) => target.log(`[${reg.name}] admin invocation failed: ${errorText(err)}`));
  return { status: 202 };
}

/** The answer to one of the host's endpoints; `undefined` when the path is not one. */
export async function answerRuntimeRequest(req: RuntimeRequest, target: RuntimeTarget): Promise<RuntimeAnswer | undefined> {
  const path = req.url.pathname;
  const admin = ADMIN_FUNCTION.exec(path);
  if (!EVENT_GRID_WEBHOOK.test(path) && !admin) return undefined;
  if (req.method !== 'POST') return { status: 404 }; // both are POST-only routes in the host
  if (admin) return adminInvoke(req, decodeURIComponent(admin[1]!), target);
  return eventGridWebhook(req, target);
}
