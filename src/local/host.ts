// A thin local stand-in for the Functions host: serves the registered HTTP functions on localhost
// with `func start`'s routes, and invokes other triggers by name. A development convenience, not a
// second runtime: no auth levels, no bindings beyond the trigger.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { format } from 'node:util';
// Under native ESM only `app` is a named export of this CommonJS package.
import funcs from '@azure/functions';
import type { HttpResponseInit, InvocationContextInit } from '@azure/functions';
import { getRegistrations, type Binding, type Registration } from './functions-core.js';
import { resolveBindingExpression } from './binding-expressions.js';
import { answerRuntimeRequest, isRuntimePath } from './runtime-endpoints.js';
import { errorMessage } from '../errors.js';

const { HttpRequest, HttpResponse, InvocationContext } = funcs;

export interface LocalHostOptions {
  /** 0 = a free port. */
  port: number;
  /** Default: `extensions.http.routePrefix` from host.json, else "api". */
  routePrefix?: string;
  log?: (line: string) => void;
  /** Largest request body read (default 64 MiB), so a local client cannot exhaust memory. */
  maxBodyBytes?: number;
}

export interface LocalHost {
  url: string;
  port: number;
  registrations: Registration[];
  /** Calls a registration's handler directly: timers, queues, Event Grid emulation. */
  invoke(name: string, triggerInput: unknown, triggerMetadata?: Record<string, unknown>): Promise<unknown>;
  /** Stops accepting, waits for in-flight invocations, then closes every connection. */
  close(): Promise<void>;
}

interface Route {
  registration: Registration;
  pattern: RegExp;
  params: number;
  methods: Set<string>;
}

const isHttp = (r: Registration) => r.trigger.type.toLowerCase() === 'httptrigger';
const methodsOf = (r: Registration) => ((r.trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase());
const routeOf = (r: Registration) => String(r.trigger.route ?? r.name);

export async function routePrefixFromHostJson(file = 'host.json'): Promise<string> {
  try {
    const hostJson = JSON.parse(await readFile(file, 'utf8')) as { extensions?: { http?: { routePrefix?: string } } };
    return hostJson.extensions?.http?.routePrefix ?? 'api';
  } catch {
    return 'api';
  }
}

/** `items/{id}/{kind?}` -> a case-insensitive regex with named groups; `{id:int}` constraints are accepted, not checked. */
function compileRoute(prefix: string, template: string): { pattern: RegExp; params: number } {
  let params = 0;
  const segments = [prefix, ...template.split('/')].filter(Boolean).map((seg) => {
    const m = /^\{(\*?)([A-Za-z_]\w*)(?::[^}?=]*)?(\?)?\}$/.exec(seg);
    if (!m) return `/${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    params++;
    const group = m[1] ? `(?<${m[2]}>.*)` : `(?<${m[2]}>[^/]+)`;
    return m[3] || m[1] ? `(?:/${group})?` : `/${group}`;
  });
  return { pattern: new RegExp(`^${segments.join('')}/?$`, 'i'), params };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function contextFor(reg: Registration, log: (line: string) => void, triggerMetadata?: Record<string, unknown>) {
  const bindings = Object.values(reg.metadata.bindings ?? {}).filter((b) => b !== reg.trigger);
  const options = {
    trigger: reg.trigger,
    return: reg.metadata.bindings?.$return,
    extraInputs: bindings.filter((b: Binding) => b.direction === 'in'),
    extraOutputs: bindings.filter((b: Binding) => b.direction === 'out' && b !== reg.metadata.bindings.$return),
  } as InvocationContextInit['options'];
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: reg.name,
    triggerMetadata,
    options,
    logHandler: (level, ...args) => log(`[${reg.name}] ${level}: ${format(...args)}`),
  });
}

/** The whole body, or undefined when it exceeds `max` (reading stops there). Rejects if the client aborts. */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total <= max) return void chunks.push(chunk);
      req.off('data', onData).pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('close', () => (req.complete ? undefined : reject(new Error('client aborted the request'))));
  });
}

function requestHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    // Hop-by-hop headers end at the front end; they never reach a function in Azure.
    if (v === undefined || k === 'connection' || k === 'keep-alive' || k === 'transfer-encoding') continue;
    headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  // Like Azure's front end: the TCP peer is appended to X-Forwarded-For. Never logged.
  const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${peer}` : peer;
  return headers;
}

async function writeResponse(res: http.ServerResponse, result: unknown): Promise<void> {
  // Like the library's own conversion: an HTTP function must return nothing or an object.
  if (result !== undefined && (result === null || typeof result !== 'object')) {
    throw new TypeError('an HTTP function must return an HttpResponse or an HttpResponseInit object');
  }
  const response = result instanceof HttpResponse ? result : new HttpResponse(result as HttpResponseInit | undefined);
  res.statusCode = response.status;
  response.headers.forEach((value, key) => key !== 'set-cookie' && res.setHeader(key, value));
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader('set-cookie', cookies);
  if (!response.body) return void res.end();
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream), res);
}

export async function startLocalHost(opts: LocalHostOptions): Promise<LocalHost> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const prefix = (opts.routePrefix ?? (await routePrefixFromHostJson())).replace(/^\/+|\/+$/g, '');
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const registrations = getRegistrations();
  const routes: Route[] = registrations
    .filter(isHttp)
    .map((r) => ({ registration: r, ...compileRoute(prefix, routeOf(r)), methods: new Set(methodsOf(r)) }))
    // Literal segments win over parameters, as in ASP.NET routing.
    .sort((a, b) => a.params - b.params);
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.then(
      () => inFlight.delete(p),
      () => inFlight.delete(p),
    );
    return p;
  };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const tooLarge = () => void res.writeHead(413, { connection: 'close' }).end();
    if (isRuntimePath(url.pathname)) {
      if (Number(req.headers['content-length'] ?? 0) > maxBody) return tooLarge();
      const body = await readBody(req, maxBody);
      if (!body) return tooLarge();
      const answer = await answerRuntimeRequest(
        { method, url, headers: req.headers, body },
        { registrations, invoke: (name, input, meta) => invoke(name, input, meta), log },
      );
      if (answer)
        return void res.writeHead(answer.status, answer.contentType ? { 'content-type': answer.contentType } : {}).end(answer.body);
    }
    const matches = routes.flatMap((r) => {
      const m = r.pattern.exec(url.pathname);
      return m ? [{ r, m }] : [];
    });
    // A known route with a method it does not list is a 404 with no body, as the real host answers
    // it (routing happens before any function: Azure/azure-functions-host#10098).
    const hit = matches.find((x) => x.r.methods.has(method));
    if (!hit) return void res.writeHead(404).end();

    if (Number(req.headers['content-length'] ?? 0) > maxBody) return tooLarge();
    const body = await readBody(req, maxBody);
    if (!body) return tooLarge();

    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(hit.m.groups ?? {})) if (v !== undefined) params[k] = decode(v);
    // No `query`: the library then reads it from the URL, which keeps repeated keys.
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers: requestHeaders(req),
      params,
      body: body.length ? { bytes: body } : undefined,
    });
    const reg = hit.r.registration;
    try {
      await writeResponse(res, await reg.handler(request, contextFor(reg, log)));
    } catch (err) {
      log(`[${reg.name}] error: ${format(err)}`);
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal Server Error');
    }
  };

  function invoke(name: string, triggerInput: unknown, triggerMetadata?: Record<string, unknown>): Promise<unknown> {
    const reg = registrations.find((r) => r.name === name);
    if (!reg) return Promise.reject(new Error(`no function named ${name}`));
    return track(Promise.resolve().then(() => reg.handler(triggerInput, contextFor(reg, log, triggerMetadata))));
  }

  const server = http.createServer((req, res) => {
    void track(
      serve(req, res).catch((err: unknown) => {
        log(`[host] ${req.method} ${req.url?.split('?')[0]} failed: ${errorMessage(err)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }),
    );
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
    invoke,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      while (inFlight.size) await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
    },
  };
}

/** `beacons: [POST,OPTIONS] http://localhost:7071/api/beacons`, like `func start` prints. */
export function describeFunctions(host: LocalHost, prefix = 'api'): string[] {
  return host.registrations.map((r) => {
    const type = r.trigger.type.toLowerCase();
    const resolved = (v: unknown) => {
      try {
        return resolveBindingExpression(v);
      } catch {
        return `${String(v)}: invalid setting, not started`;
      }
    };
    if (type === 'timertrigger') return `${r.name}: timerTrigger (${resolved(r.trigger.schedule)})`;
    if (type === 'queuetrigger') return `${r.name}: queueTrigger (${resolved(r.trigger.queueName)})`;
    if (!isHttp(r)) return `${r.name}: ${r.trigger.type}`;
    const path = [prefix.replace(/^\/+|\/+$/g, ''), routeOf(r)].filter(Boolean).join('/');
    return `${r.name}: [${methodsOf(r).join(',')}] ${host.url}/${path}`;
  });
}
