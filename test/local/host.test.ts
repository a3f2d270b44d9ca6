import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFunctionsCore } from '../../src/local/functions-core.js';
import { startLocalHost, type LocalHost } from '../../src/local/host.js';

let host: LocalHost;
const lines: string[] = [];
beforeAll(async () => {
  installFunctionsCore();
  await import('./fixtures/echo-functions.js');
  host = await startLocalHost({ port: 0, log: (l) => lines.push(l) });
});
afterAll(async () => host.close());

describe('local host', () => {
  it('serves the real registrations with func-style routes and params', async () => {
    const res = await fetch(`${host.url}/api/items/42/big?x=1`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('yes');
    const body = await res.json();
    expect(body).toMatchObject({ method: 'GET', params: { id: '42', kind: 'big' }, query: { x: '1' } });
    const optional = await (await fetch(`${host.url}/api/items/7`)).json();
    expect(optional.params).toEqual({ id: '7' });
  });

  it('passes binary bodies through intact and adds the peer to X-Forwarded-For', async () => {
    const gz = zlib.gzipSync(Buffer.from('x'.repeat(10_000)));
    const res = await fetch(`${host.url}/api/items/1`, { method: 'POST', body: gz, headers: { 'x-forwarded-for': '203.0.113.9' } });
    const body = await res.json();
    expect(body.bytes).toBe(gz.length);
    expect(body.first).toBe('1f8b');
    expect(body.forwardedFor).toMatch(/^203\.0\.113\.9, (::ffff:)?127\.0\.0\.1$/);
  });

  it('answers 404 for unknown routes, 405 for a wrong method, 500 when a handler throws', async () => {
    expect((await fetch(`${host.url}/api/nothing`)).status).toBe(404);
    expect((await fetch(`${host.url}/items/1`)).status).toBe(404); // no route prefix
    const wrong = await fetch(`${host.url}/api/items/1`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
    const boom = await fetch(`${host.url}/api/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).not.toContain('kaboom');
    expect(lines.some((l) => l.includes('kaboom'))).toBe(true);
  });

  it('invokes non-HTTP registrations by name', async () => {
    expect(host.registrations.map((r) => r.name).sort()).toEqual(['boom', 'items', 'tick']);
    const out = await host.invoke('tick', { isPastDue: false }, { source: 'test' });
    expect(out).toEqual({ got: { isPastDue: false }, fn: 'tick', meta: { source: 'test' } });
    await expect(host.invoke('missing', {})).rejects.toThrow(/no function named missing/);
  });
});
