// A thin local stand-in for the Functions host: serves the registered HTTP functions on localhost
// with `func start`'s routes, and invokes other triggers by name. A development convenience, not a
// second runtime: no auth levels, no bindings beyond the trigger.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import funcs from '@azure/functions';
import { getRegistrations, type Registration } from './functions-core.js';

const { HttpRequest, HttpResponse, InvocationContext } = funcs;

export interface LocalHostOptions {
  /** 0 = a free port. */
  port: number;
  /** Default: `extensions.http.routePrefix` from host.json, else "api". */
  routePrefix?: string;
  log?: (line: string) => void;
  /** Largest request body read; local clients cannot exhaust memory. */
  maxBodyBytes?: number;
}

export interface LocalHost {
  url: string;
  port: number;
  registrations: Registration[];
  invoke(name: string, triggerInput: unknown, triggerMetadata?: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

interface Route {
  registration: Registration;
  pattern: RegExp;
  params: string[];
  methods: Set<string>;
}

export async function routePrefixFromHostJson(file = 'host.json'): Promise<string> {
  try {
    const hostJson = JSON.parse(await readFile(file, 'utf8')) as { extensions?: { http?: { routePrefix?: string } } };
    return hostJson.extensions?.http?.routePrefix ?? 'api';
  } catch {
    return 'api';
  }
}

/** `items/{id}/{kind?}` -> a regex with named groups; `{id:int}` constraints are accepted and ignored. */
function compileRoute(prefix: string, template: string): { pattern: RegExp; params: string[] } {
  const params: string[] = [];
  const segments = [prefix, ...template.split('/')].filter(Boolean).map((seg) => {
    const m = /^\{(\*?)([A-Za-z_][\w]*)(?::[^}?]*)?(\?)?\}$/.exec(seg);
    if (!m) return `/${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    params.push(m[2]!);
    const body = m[1] ? '(?<' + m[2] + '>.*)' : `(?<${m[2]}>[^/]+)`;
    return m[3] ? `(?:/${body})?` : `/${body}`;
  });
  return { pattern: new RegExp(`^${segments.join('')}/?$`, 'i'), params };
}

function contextFor(reg: Registration, log: (line: string) => void, triggerMetadata?: Record<string, unknown>) {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: reg.name,
    triggerMetadata,
    logHandler: (level, ...args) => log(`[${reg.name}] ${level}: ${args.map((a) => (a instanceof Error ? a.stack ?? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`),
  });
}

async function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > max) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startLocalHost(opts: LocalHostOptions): Promise<LocalHost> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const prefix = (opts.routePrefix ?? (await routePrefixFromHostJson())).replace(/^\/|\/$/g, '');
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const registrations = getRegistrations();
  const routes: Route[] = registrations
    .filter((r) => r.trigger.type.toLowerCase() === 'httptrigger')
    .map((r) => ({
      registration: r,
      ...compileRoute(prefix, String(r.trigger.route ?? r.name)),
      methods: new Set(((r.trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase())),
    }));
  const inFlight = new Set<Promise<unknown>>();

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const matches = routes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).filter((x) => x.m);
    if (matches.length === 0) return void res.writeHead(404).end();
    const hit = matches.find((x) => x.r.methods.has(method));
    if (!hit) return void res.writeHead(405, { Allow: [...matches[0]!.r.methods].join(', ') }).end();

    const body = await readBody(req, maxBody);
    if (body === 'too-large') return void res.writeHead(413).end();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    // Like Azure's front end: the TCP peer is appended to X-Forwarded-For. Never logged.
    const peer = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${peer}` : peer;
    const params = Object.fromEntries(Object.entries(hit.m!.groups ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers,
      query: Object.fromEntries(url.searchParams),
      params,
      body: body.length ? { bytes: body } : undefined,
    });
    const reg = hit.r.registration;
    try {
      const result = await reg.handler(request, contextFor(reg, log));
      const response = result instanceof HttpResponse ? result : new HttpResponse((result ?? {}) as ConstructorParameters<typeof HttpResponse>[0]);
      const out = Buffer.from(await response.arrayBuffer());
      const outHeaders: Record<string, string> = {};
      response.headers.forEach((v, k) => (outHeaders[k] = v));
      res.writeHead(response.status, outHeaders).end(out);
    } catch (err) {
      log(`[${reg.name}] error: ${(err as Error)?.stack ?? String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal Server Error');
    }
  };

  const server = http.createServer((req, res) => {
    const p = serve(req, res).catch((err) => {
      log(`[host] error: ${(err as Error)?.message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://localhost:${port}`,
    port,
    registrations,
    async invoke(name, triggerInput, triggerMetadata) {
      const reg = registrations.find((r) => r.name === name);
      if (!reg) throw new Error(`no function named ${name}`);
      const p = Promise.resolve(reg.handler(triggerInput, contextFor(reg, log, triggerMetadata)));
      inFlight.add(p);
      try {
        return await p;
      } finally {
        inFlight.delete(p);
      }
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** `beacons: [POST,OPTIONS] http://localhost:7071/api/beacons`, like `func start` prints. */
export function describeFunctions(host: LocalHost, prefix = 'api'): string[] {
  return host.registrations.map((r) => {
    const type = r.trigger.type.toLowerCase();
    if (type === 'timertrigger') return `${r.name}: timerTrigger (${String(r.trigger.schedule)})`;
    if (type === 'queuetrigger') return `${r.name}: queueTrigger (${String(r.trigger.queueName)})`;
    if (type !== 'httptrigger') return `${r.name}: ${r.trigger.type}`;
    const methods = ((r.trigger.methods as string[] | undefined) ?? ['GET', 'POST']).join(',');
    return `${r.name}: [${methods}] ${host.url}/${prefix}/${String(r.trigger.route ?? r.name)}`;
  });
}
