// CMCD end to end over real HTTP: CML's CmcdReporter (the reporter dash.js 5.2 embeds) with its own
// fetch transport -> the local host serving the app's registrations -> pipeline -> file sink.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { CmcdReporter, toCmcdValue } from '@svta/cml-cmcd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { installFunctionsCore } from '../../src/local/functions-core.js';
import { describeFunctions, startLocalHost, type LocalHost } from '../../src/local/host.js';
import { createServices, setServices } from '../../src/composition/app.js';
import { readNdjsonTree } from '../support/files.js';

let host: LocalHost;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'qoe-cmcd-'));
  const config = loadConfig({
    QOE_DATA_DIR: dir,
    QOE_DEADLETTER_STORE: 'file',
    QOE_BATCH_MAX_DELAY_MS: '5',
    QOE_CORS_ORIGINS: 'https://player.example',
  });
  setServices(await createServices(config, { log: () => {} }));
  installFunctionsCore();
  await import('../../src/index.js');
  host = await startLocalHost({ port: 0, log: () => {} });
});

afterAll(async () => {
  await host?.close();
  setServices(undefined);
  await rm(dir, { recursive: true, force: true });
});

const rowsOf = async (sid: string) => (await readNdjsonTree(path.join(dir, 'sink'))).filter((r) => r.SessionId === sid);

describe('POST /api/cmcd on the local host', () => {
  it('is registered next to /api/beacons', () => {
    expect(describeFunctions(host).join('\n')).toMatch(/cmcd: \[POST,OPTIONS\] .*\/api\/cmcd/);
  });

  it('answers the preflight of a cross-origin application/cmcd POST', async () => {
    const res = await fetch(`${host.url}/api/cmcd`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://player.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://player.example');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
  });

  it("takes the reports of CML's CmcdReporter sent with its own fetch", async () => {
    const sid = 'e2e-reporter-session';
    const url = `${host.url}/api/cmcd`;
    const statuses: number[] = [];
    const pending: Promise<unknown>[] = [];
    const reporter = new CmcdReporter(
      {
        sid,
        cid: 'bbb',
        eventTargets: [
          {
            url,
            events: ['ps', 'e', 't'],
            interval: 0,
            batchSize: 2,
            enabledKeys: ['sid', 'cid', 'sn', 'sta', 'st', 'sf', 'br', 'bl', 'mtp', 'bs', 'bsd', 'msd', 'ec'],
          },
        ],
      },
      (req) => {
        const { url: to, ...init } = req;
        const p = fetch(to, init as RequestInit).then((res) => {
          statuses.push(res.status);
          return res;
        });
        pending.push(p);
        return p;
      },
    );
    const v = (n: number, a: number) => [toCmcdValue(n, { v: true }), toCmcdValue(a, { a: true })];
    reporter.update({ st: 'v', sf: 'd' });
    reporter.update({ sta: 's' });
    reporter.update({ msd: 980, br: v(3000, 128), bl: v(4000, 4000), mtp: [toCmcdValue(25400)], sta: 'p' });
    reporter.update({ bs: true, bl: v(0, 1500), sta: 'r' });
    reporter.update({ bs: undefined, bsd: [toCmcdValue(1700, { v: true })], bl: v(2500, 3000), sta: 'p' });
    reporter.recordEvent('e', { ec: ['MEDIA_ERR_NETWORK'] });
    reporter.flush();
    await Promise.all(pending);

    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 204)).toBe(true);
    const rows = (await rowsOf(sid)).sort((a, b) => (a.Seq as number) - (b.Seq as number));
    expect(rows.map((r) => r.EventType)).toEqual(['start', 'play', 'stall_start', 'stall_end', 'error']);
    expect(rows[1]).toMatchObject({
      ContentId: 'bbb',
      StartupMs: 980,
      BitrateKbps: 3000,
      BufferMs: 4000,
      ThroughputKbps: 25400,
      StreamType: 'vod',
      StreamingFormat: 'dash',
      Source: 'cmcd',
    });
    expect(rows[3]).toMatchObject({ StallMs: 1700, BufferMs: 2500 });
    expect(rows[4]).toMatchObject({ ErrorCode: 'MEDIA_ERR_NETWORK' });
  });

  it('takes a gzip event report and a v1 CMCD query forwarded to /api/beacons', async () => {
    const sid = 'e2e-gzip-session';
    const body = zlib.gzipSync(`e=ps,sid="${sid}",sn=0,sta=s,ts=1795428000000,v=2\ne=t,bl=(9000),sid="${sid}",sn=1,ts=1795428030000,v=2`);
    const res = await fetch(`${host.url}/api/cmcd`, {
      method: 'POST',
      headers: { 'content-type': 'application/cmcd', 'content-encoding': 'gzip' },
      body,
    });
    expect(res.status).toBe(204);
    const q = encodeURIComponent('bl=21300,br=3200,cid="faec5fc2-ac30-11ea-bb37-0242ac130002",ot=v,sid="e2e-v1-session",tb=6000');
    const fwd = await fetch(`${host.url}/api/beacons?CMCD=${q}`, { method: 'POST' });
    expect(fwd.status).toBe(202);
    expect((await rowsOf(sid)).map((r) => r.EventType).sort()).toEqual(['heartbeat', 'start']);
    expect((await rowsOf('e2e-v1-session'))[0]).toMatchObject({
      EventType: 'request',
      BitrateKbps: 3200,
      BufferMs: 21300,
      TopBitrateKbps: 6000,
    });
  });
});
