// Small node:http servers for the e2e tests: the media server ("CDN" + test page), a beacon
// recorder (stands in for the service), and a forwarding proxy (stands in for the Functions front end).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ROOT } from '../../support/local-service.js';
import { pageHtml } from './page.js';

export interface Running {
  port: number;
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<Running> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Both stacks: the page is at 127.0.0.1 and the media at localhost, which may resolve to ::1.
    server.listen(0, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        port,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

const TYPES: Record<string, string> = {
  '.mpd': 'application/dash+xml',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.html': 'text/html; charset=utf-8',
};

/** What a CloudFront edge answers with; the reporter reads them (exposed to cross-origin scripts) as CDN hints. */
export const CDN_RESPONSE_HEADERS = {
  Via: '1.1 0123456789abcdef.cloudfront.net (CloudFront)',
  'X-Cache': 'Hit from cloudfront',
  'X-Amz-Cf-Pop': 'FRA56-P5',
  'X-Amz-Cf-Id': 'e2e-Zm9vYmFyYmF6cXV4',
  Server: 'AmazonS3',
};

async function sendFile(res: http.ServerResponse, file: string, headers: Record<string, string> = {}): Promise<void> {
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) {
    res.writeHead(404, headers).end();
    return;
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': String(st.size),
    'Cache-Control': 'no-store', // every pass goes to the network: throttling must bite
  });
  createReadStream(file).pipe(res);
}

/** Resolves `rel` under `base`, refusing anything outside it. */
function under(base: string, rel: string): string | null {
  const p = path.resolve(base, '.' + path.posix.normalize('/' + decodeURIComponent(rel)));
  return p.startsWith(base + path.sep) ? p : null;
}

/**
 * Serves the test page (/player.html, /player-module.html), dash.js (/dashjs/{esm,umd}/...), the
 * reporter bundles (/reporter/...) and the stream (/stream/...) with CORS and CloudFront-like headers.
 */
export function startMediaServer(opts: { streamDir: string; reporterDir: string }): Promise<Running> {
  const dashDir = path.join(ROOT, 'node_modules', 'dashjs', 'dist', 'modern');
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const p = url.pathname;
      if (p === '/player.html' || p === '/player-module.html') {
        res
          .writeHead(200, { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store' })
          .end(pageHtml(p === '/player.html' ? 'script' : 'module'));
      } else if (p.startsWith('/stream/')) {
        const cors = {
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Expose-Headers': Object.keys(CDN_RESPONSE_HEADERS).join(', '),
        };
        if (req.method === 'OPTIONS') {
          res.writeHead(204, { ...cors, 'Access-Control-Allow-Headers': '*', 'Access-Control-Allow-Methods': 'GET, HEAD' }).end();
          return;
        }
        const file = under(opts.streamDir, p.slice('/stream/'.length));
        await sendFile(res, file ?? '', { ...cors, ...CDN_RESPONSE_HEADERS });
      } else if (p.startsWith('/dashjs/esm/') || p.startsWith('/dashjs/umd/')) {
        await sendFile(res, under(dashDir, p.slice('/dashjs/'.length)) ?? '');
      } else if (p.startsWith('/reporter/')) {
        await sendFile(res, under(opts.reporterDir, p.slice('/reporter/'.length)) ?? '');
      } else if (p === '/favicon.ico') {
        res.writeHead(204).end();
      } else {
        res.writeHead(404).end();
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return listen(server);
}

export interface RecordedPost {
  at: number;
  path: string;
  contentType: string | undefined;
  /** `cors` for fetch, `no-cors` for navigator.sendBeacon with a text/plain Blob. */
  fetchMode: string | undefined;
  status: number;
  body: string;
  beacons: Array<Record<string, any>>;
}

export interface BeaconRecorder extends Running {
  posts: RecordedPost[];
  preflights: number;
  /** Answers the next POSTs with these statuses (then 202 again). */
  failNext(...statuses: number[]): void;
  /** Delivered beacons (2xx answers only), in arrival order. */
  beacons(): Array<Record<string, any>>;
}

/** Records what the reporter POSTs; answers like the service (202, CORS for any origin). */
export async function startBeaconRecorder(): Promise<BeaconRecorder> {
  const posts: RecordedPost[] = [];
  const pending: number[] = [];
  let preflights = 0;
  const server = http.createServer((req, res) => {
    const cors = { 'Access-Control-Allow-Origin': req.headers.origin ?? '*', Vary: 'Origin' };
    if (req.method === 'OPTIONS') {
      preflights++;
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = pending.shift() ?? 202;
      let beacons: Array<Record<string, any>> = [];
      try {
        const parsed = JSON.parse(body);
        beacons = Array.isArray(parsed) ? parsed : [parsed];
      } catch {
        /* recorded as is */
      }
      posts.push({
        at: Date.now(),
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        fetchMode: req.headers['sec-fetch-mode'] as string | undefined,
        status,
        body,
        beacons,
      });
      res
        .writeHead(status, { ...cors, 'Content-Type': 'application/json' })
        .end(JSON.stringify({ accepted: status < 300 ? beacons.length : 0, rejected: [] }));
    });
  });
  const running = await listen(server);
  return {
    ...running,
    posts,
    get preflights() {
      return preflights;
    },
    failNext: (...statuses) => void pending.push(...statuses),
    beacons: () => posts.filter((p) => p.status < 300).flatMap((p) => p.beacons),
  };
}

/**
 * Forwards every request to `target`, adding `X-Forwarded-For: <clientIp>` the way the Azure
 * Functions front end does, so that the service sees a public client address (geo enrichment).
 */
export function startForwardingProxy(target: string, clientIp: string): Promise<Running> {
  const to = new URL(target);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: to.host, 'x-forwarded-for': clientIp };
    const upstream = http.request({ hostname: to.hostname, port: to.port, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(upstream);
  });
  return listen(server);
}
