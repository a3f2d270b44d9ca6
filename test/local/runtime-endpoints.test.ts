// The host's own endpoints on the real local host: what a developer following Microsoft's docs
// sends to `func start` (Event Grid webhook, admin invocation) gets the host's answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFunctionsCore } from '../../src/local/functions-core.js';
import { startLocalHost, type LocalHost } from '../../src/local/host.js';
import type * as RuntimeFixture from './fixtures/runtime-functions.js';

let host: LocalHost;
let fixture: typeof RuntimeFixture;
const lines: string[] = [];
beforeAll(async () => {
  installFunctionsCore();
  fixture = await import('./fixtures/runtime-functions.js');
  host = await startLocalHost({ port: 0, routePrefix: 'api', log: (l) => lines.push(l) });
});
afterAll(async () => host?.close());

const webhook = (fn: string, type: string | undefined, body: unknown) =>
  fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=${fn}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(type ? { 'aeg-event-type': type } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
};

const gridEvent = (subject: string) => ({
  id: `id-${subject}`,
  topic: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acc',
  subject,
  eventType: 'Microsoft.Storage.BlobCreated',
  eventTime: '2026-01-01T00:00:00Z',
  data: { url: 'https://acc.blob.core.windows.net/telemetry/a.ndjson' },
  dataVersion: '',
  metadataVersion: '1',
});

describe('POST /runtime/webhooks/eventgrid', () => {
  it('answers the subscription validation handshake for the Event Grid and CloudEvents schemas', async () => {
    const eg = await webhook('gridFn', 'SubscriptionValidation', [
      { ...gridEvent('x'), eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', data: { validationCode: 'ABC-123' } },
    ]);
    expect(eg.status).toBe(200);
    expect(await eg.json()).toEqual({ validationResponse: 'ABC-123' });
    // CloudEvents: one object, the data double-encoded as a JSON string.
    const ce = await webhook('gridFn', 'SubscriptionValidation', {
      specversion: '1.0',
      type: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      source: 's',
      id: '1',
      data: JSON.stringify({ validationCode: 'CE-9' }),
    });
    expect(await ce.json()).toEqual({ validationResponse: 'CE-9' });
    expect(fixture.seen.length).toBe(0); // the handshake runs no function
  });

  it('runs the function once per event of a Notification (array or CloudEvents object) and answers 202', async () => {
    const res = await webhook('gridFn', 'Notification', [gridEvent('a'), gridEvent('b')]);
    expect(res.status).toBe(202);
    const cloud = {
      specversion: '1.0',
      type: 'Microsoft.Storage.BlobCreated',
      source: '/subscriptions/x',
      id: 'c1',
      subject: 'c',
      data: { url: 'u' },
    };
    expect((await webhook('gridFn', 'Notification', cloud)).status).toBe(202);
    expect(
      fixture.seen
        .filter((s) => s.name === 'gridFn')
        .map((s) => (s.input as { subject: string }).subject)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });

  it('answers 500 with the error when a function fails (Event Grid redelivers), 404 for an unknown function, 400 without the header', async () => {
    const failed = await webhook('gridFn', 'Notification', [gridEvent('fail')]);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toContain('transient failure');
    const unknown = await webhook('nope', 'Notification', [gridEvent('a')]);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe("cannot find function: 'nope'");
    expect((await webhook('queueFn', 'Notification', [gridEvent('a')])).status).toBe(404); // not an Event Grid function
    expect((await webhook('gridFn', undefined, [gridEvent('a')])).status).toBe(400);
    expect((await webhook('gridFn', 'Unsubscribe', [])).status).toBe(202);
    expect((await webhook('gridFn', 'Notification', 'not json')).status).toBe(400);
    expect((await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=gridFn`)).status).toBe(404); // GET
  });
});

describe('POST /admin/functions/<name>', () => {
  const admin = (fn: string, body: string) =>
    fetch(`${host.url}/admin/functions/${fn}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('runs a queue function with the input as its message, a timer with a Timer object, an Event Grid function with the event; 202', async () => {
    fixture.seen.length = 0;
    expect((await admin('queueFn', JSON.stringify({ input: '{"alertId":"a1"}' }))).status).toBe(202);
    expect((await admin('timerFn', JSON.stringify({ input: '' }))).status).toBe(202);
    expect((await admin('gridFn', JSON.stringify({ input: JSON.stringify(gridEvent('admin')) }))).status).toBe(202);
    await until(() => fixture.seen.length === 3);
    const by = Object.fromEntries(fixture.seen.map((s) => [s.name, s]));
    expect(by.queueFn!.input).toEqual({ alertId: 'a1' });
    expect(by.queueFn!.meta).toMatchObject({ dequeueCount: 1 });
    expect(by.timerFn!.input).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
    expect(by.gridFn!.input).toMatchObject({ subject: 'admin' });
  });

  it('answers 404 for an unknown function, 400 without a JSON body or for an HTTP function, 404 for GET', async () => {
    expect((await admin('nope', '{"input":""}')).status).toBe(404);
    expect((await admin('queueFn', 'nope')).status).toBe(400);
    expect((await admin('httpFn', '{"input":""}')).status).toBe(400);
    expect((await fetch(`${host.url}/admin/functions/queueFn`)).status).toBe(404);
    // The app's own routes are untouched by the host's endpoints.
    expect(await (await fetch(`${host.url}/api/httpFn`)).text()).toBe('http');
  });
});
