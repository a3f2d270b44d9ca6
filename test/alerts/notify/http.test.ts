import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError, postJson, redactUrl } from '../../../src/alerts/notify/http.js';
import { freePort } from '../../../src/local/azurite.js';

let server: http.Server;
let base: string;
const seen: Array<{ method: string; type: string | undefined; body: string }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, type: req.headers['content-type'], body });
      if (req.url!.startsWith('/ok')) return void res.writeHead(200).end('ok');
      if (req.url!.startsWith('/accepted')) return void res.writeHead(202).end();
      if (req.url!.startsWith('/slow')) return; // never answers
      if (req.url!.startsWith('/moved')) return void res.writeHead(302, { location: 'http://example.invalid/' }).end();
      res.writeHead(500).end('invalid_blocks: see https://api.slack.com/SECRET-IN-BODY');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as DeliveryError,
  );

describe('postJson', () => {
  it('POSTs JSON and accepts any 2xx', async () => {
    await postJson('webhook', `${base}/ok`, { a: 1 }, { timeoutMs: 2000 });
    await postJson('teams', `${base}/accepted`, { b: 2 }, { timeoutMs: 2000 });
    expect(seen.slice(-2)).toEqual([
      { method: 'POST', type: 'application/json; charset=utf-8', body: '{"a":1}' },
      { method: 'POST', type: 'application/json; charset=utf-8', body: '{"b":2}' },
    ]);
  });

  it('throws on a 500 with the status and a short reason, never the secret path or query of the URL', async () => {
    const err = await failure(postJson('slack', `${base}/services/T000/B000/SECRET-TOKEN?sig=SECRET-SIG`, {}, { timeoutMs: 2000 }));
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err!.status).toBe(500);
    expect(err!.target).toBe('slack');
    expect(err!.message).toBe(`slack (${base}/…) answered 500: invalid_blocks: see <url>`);
    expect(err!.message).not.toMatch(/SECRET/);
  });

  it('gives up after the timeout, and on a refused connection, without the URL secret', async () => {
    const slow = await failure(postJson('webhook', `${base}/slow/SECRET`, {}, { timeoutMs: 200 }));
    expect(slow!.message).toBe(`webhook (${base}/…): no answer within 200 ms`);
    const port = await freePort();
    const refused = await failure(postJson('webhook', `http://127.0.0.1:${port}/hook/SECRET`, {}, { timeoutMs: 2000 }));
    expect(refused!.message).toMatch(new RegExp(`^webhook \\(http://127\\.0\\.0\\.1:${port}/…\\): .*ECONNREFUSED`));
    expect(refused!.message).not.toContain('SECRET');
  });

  it('does not follow redirects (an alert is not sent somewhere else)', async () => {
    const err = await failure(postJson('webhook', `${base}/moved`, {}, { timeoutMs: 2000 }));
    expect(err).toBeInstanceOf(DeliveryError);
  });

  it('redactUrl keeps scheme, host and port only', () => {
    expect(redactUrl('https://hooks.slack.com/services/T0/B0/XYZ')).toBe('https://hooks.slack.com/…');
    expect(redactUrl('https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=XYZ')).toBe(
      'https://prod-01.westeurope.logic.azure.com/…',
    );
    expect(redactUrl('not a url')).toBe('<invalid url>');
  });
});
