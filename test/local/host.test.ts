import { once } from 'node:events';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRegistrations, installFunctionsCore, runAppHooks } from '../../src/local/functions-core.js';
import { describeFunctions, startLocalHost, type LocalHost } from '../../src/local/host.js';
type EchoFixture = typeof import('./fixtures/echo-functions.js'); // eslint-disable-line @typescript-eslint/consistent-type-imports -- the module is loaded after the host starts

let host: LocalHost;
let fixture: EchoFixture;
const lines: string[] = [];
beforeAll(async () => {
  // Before the fixture's first `app.*` call, or @azure/functions stays in test mode for good.
  installFunctionsCore();
  fixture = await import('./fixtures/echo-functions.js');
  host = await startLocalHost({ port: 0, routePrefix: 'api', log: (l) => lines.push(l) });
});
afterAll(async () => host?.close());

describe('functions-core stand-in', () => {
  it('records the real registrations with their trigger binding', () => {
    const names = getRegistrations()
      .map((r) => r.name)
      .sort();
    expect(names).toEqual(['boom', 'echo', 'items', 'json', 'latest', 'notObject', 'slow', 'tick']);
    const items = getRegistrations().find((r) => r.name === 'items')!;
    expect(items.trigger).toMatchObject({
      type: 'httpTrigger',
      route: 'items/{id}/{kind?}',
      methods: ['GET', 'POST'],
      authLevel: 'anonymous',
    });
    expect(items.metadata.bindings.$return).toMatchObject({ type: 'http', direction: 'out' });
    expect(getRegistrations().find((r) => r.name === 'tick')!.trigger).toMatchObject({ type: 'timerTrigger', schedule: '0 */5 * * * *' });
  });

  it('runs app.hook.appStart callbacks', async () => {
    await runAppHooks('appStart');
    expect(fixture.hookCalls).toEqual(['start:object']);
  });

  it('lists the functions like func start', () => {
    expect(describeFunctions(host)).toContain(`items: [GET,POST] ${host.url}/api/items/{id}/{kind?}`);
    expect(describeFunctions(host)).toContain(`echo: [GET,POST] ${host.url}/api/echo`);
    expect(describeFunctions(host)).toContain('tick: timerTrigger (0 */5 * * * *)');
  });
});

describe('local host routing', () => {
  it('fills params from the route template, optional segments included, and keeps the query', async () => {
    const res = await fetch(`${host.url}/api/items/42/big?x=1&tag=a&tag=b`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({ method: 'GET', params: { id: '42', kind: 'big' }, query: { x: '1' }, tags: ['a', 'b'] });
    expect((await (await fetch(`${host.url}/api/items/7`)).json()).params).toEqual({ id: '7' });
    expect((await (await fetch(`${host.url}/api/items/a%20b/`)).json()).params).toEqual({ id: 'a b' });
  });

  it('matches routes case-insensitively and prefers literal segments', async () => {
    expect((await fetch(`${host.url}/API/Items/5`)).status).toBe(201);
    expect(await (await fetch(`${host.url}/api/items/latest`)).text()).toBe('latest');
    expect((await fetch(`${host.url}/api/echo`)).status).toBe(202); // default route: the name
  });

  it('answers 404 for unknown routes, and 404 with no body for a wrong method, as the real host does', async () => {
    expect((await fetch(`${host.url}/api/nothing`)).status).toBe(404);
    expect((await fetch(`${host.url}/items/1`)).status).toBe(404); // no route prefix
    expect((await fetch(`${host.url}/api/items/1/2/3`)).status).toBe(404);
    // Azure/azure-functions-host#10098: routing answers 404 (not 405) before any function runs.
    const wrong = await fetch(`${host.url}/api/items/1`, { method: 'DELETE' });
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('allow')).toBeNull();
    expect(await wrong.text()).toBe('');
    expect((await fetch(`${host.url}/api/json`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${host.url}/api/json`, { method: 'PUT', body: '{}' })).status).toBe(200);
  });
});

describe('local host requests and responses', () => {
  it('passes a binary gzip body through intact and appends the peer to X-Forwarded-For', async () => {
    const gz = zlib.gzipSync(Buffer.from('x'.repeat(10_000)));
    const res = await fetch(`${host.url}/api/items/1`, {
      method: 'POST',
      body: gz,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-forwarded-for': '203.0.113.9' },
    });
    const body = await res.json();
    expect(body.bytes).toBe(gz.length);
    expect(body.first).toBe('1f8b');
    expect(body.contentType).toBe('application/json');
    expect(body.forwardedFor).toBe('203.0.113.9, 127.0.0.1');
    const direct = await (await fetch(`${host.url}/api/items/1`)).json();
    expect(direct.forwardedFor).toBe('127.0.0.1');
  });

  it('gives request.body as a stream and sends an HttpResponse with a stream body back byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const res = await fetch(`${host.url}/api/echo`, { method: 'POST', body: bytes });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-bytes')).toBe(String(bytes.length));
    expect(res.headers.get('x-method')).toBe('POST');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('parses request.json() and converts jsonBody and headers', async () => {
    const res = await fetch(`${host.url}/api/json`, { method: 'PUT', body: JSON.stringify({ a: [1, 'two'] }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBe('a=1');
    expect(await res.json()).toEqual({ got: { a: [1, 'two'] } });
  });

  it('answers 500 with a generic body when a handler throws or returns a non-object, and logs why', async () => {
    const boom = await fetch(`${host.url}/api/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).toBe('Internal Server Error');
    expect(lines.some((l) => l.startsWith('[boom] error:') && l.includes('kaboom'))).toBe(true);
    expect((await fetch(`${host.url}/api/notObject`)).status).toBe(500);
    expect(lines.some((l) => l.startsWith('[notObject] error:'))).toBe(true);
    expect(lines.join('\n')).not.toContain('127.0.0.1'); // the peer address is never logged
  });

  it('refuses bodies over the cap with 413, with or without Content-Length', async () => {
    const small = await startLocalHost({ port: 0, routePrefix: 'api', log: () => {}, maxBodyBytes: 1000 });
    try {
      const ok = await fetch(`${small.url}/api/echo`, { method: 'POST', body: Buffer.alloc(1000, 1) });
      expect(ok.status).toBe(202);
      expect((await ok.arrayBuffer()).byteLength).toBe(1000);
      expect((await fetch(`${small.url}/api/echo`, { method: 'POST', body: Buffer.alloc(1001) })).status).toBe(413);
      const chunked = new ReadableStream({
        start(c) {
          c.enqueue(new Uint8Array(600));
          c.enqueue(new Uint8Array(600));
          c.close();
        },
      });
      const res = await fetch(`${small.url}/api/echo`, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit);
      expect(res.status).toBe(413);
    } finally {
      await small.close();
    }
  });
});

describe('local host invocations', () => {
  it('invokes a non-HTTP registration by name with its input and trigger metadata', async () => {
    const out = await host.invoke('tick', { isPastDue: false }, { source: 'test' });
    expect(out).toEqual({ got: { isPastDue: false }, fn: 'tick', meta: { source: 'test' }, trigger: 'timerTrigger' });
    await expect(host.invoke('missing', {})).rejects.toThrow(/no function named missing/);
  });

  it('waits for in-flight requests on close, then refuses new connections', async () => {
    const other = await startLocalHost({ port: 0, routePrefix: 'api', log: () => {} });
    const started = once(fixture.events, 'slow-started');
    const order: string[] = [];
    fixture.events.once('slow-done', () => order.push('handler done'));
    const response = fetch(`${other.url}/api/slow?ms=300`);
    await started;
    await other.close();
    order.push('closed');
    expect(order).toEqual(['handler done', 'closed']);
    const res = await response;
    expect([res.status, await res.text()]).toEqual([200, 'done']);
    await expect(fetch(`${other.url}/api/echo`)).rejects.toThrow();
  });
});
