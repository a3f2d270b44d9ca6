// No raw address anywhere: a corpus that hides client addresses in every place a client can put
// one (headers, CMCD, CDN logs, Extra, URLs, error messages, refused bodies) goes through the whole
// service (HTTP routes, blob intake against Azurite, file sink, file dead letters, Table Storage
// checkpoints), then every byte it wrote is scanned: sink, dead letters, checkpoints and logs.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import funcs from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServices, type Services } from '../../src/composition/app.js';
import { loadConfig } from '../../src/config.js';
import { processWorkItem } from '../../src/intake/blob/intake.js';
import { handleBeaconRequest, handleCmcdRequest } from '../../src/intake/http/handlers.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';
import { glob } from '../support/files.js';
import { httpRequest, validBeacon } from '../support/services.js';

const { InvocationContext } = funcs;

// Every address of the corpus, and every spelling of it that would give it away.
const SECRETS: string[] = [
  '198.51.100.23', // X-Forwarded-For, IPv4
  '2001:db8:aaaa:bbbb::17', // X-Forwarded-For, IPv6 (its /48 2001:db8:aaaa::/48 may stay)
  'bbbb::17',
  '192.0.2.55', // embedded in 6to4 2002:c000:237::1
  'c000:237',
  'c000:0237',
  '192.0.2.66', // embedded in Teredo 2001:0:4136:e378:8000:63bf:3fff:fdbd (client bits flipped)
  '3fff:fdbd',
  '192.0.2.77', // NAT64 64:ff9b::192.0.2.77
  '192.0.2.88', // v4-mapped ::ffff:192.0.2.88
  ...Array.from({ length: 20 }, (_, i) => `203.0.113.${101 + i}`), // hidden in values, URLs, messages
];

let azurite: TestAzurite;
let services: Services;
let dir: string;
let container: ContainerClient;
const logs: string[] = [];
const context = () =>
  new InvocationContext({ functionName: 'corpus', logHandler: (_level, ...args) => void logs.push(args.map(String).join(' ')) });

beforeAll(async () => {
  azurite = await startTestAzurite();
  dir = await mkdtemp(path.join(os.tmpdir(), 'no-address-'));
  const config = loadConfig({
    AzureWebJobsStorage: azurite.connectionString,
    QOE_DATA_DIR: dir,
    QOE_DEADLETTER_STORE: 'file',
    QOE_BATCH_MAX_DELAY_MS: '5',
  });
  services = await createServices(config, { log: (_level, message) => void logs.push(message) });
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('telemetry');
  await container.create();
});
afterAll(async () => {
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

const json = { 'content-type': 'application/json' };

/** Requests that hide an address somewhere, each with the client address it comes from. */
function corpus(): Array<{ route: 'beacons' | 'cmcd'; body?: string; headers: Record<string, string>; url?: string }> {
  const xff = (ip: string) => ({ 'x-forwarded-for': ip });
  return [
    { route: 'beacons', body: JSON.stringify(validBeacon()), headers: { ...json, ...xff('198.51.100.23') } },
    { route: 'beacons', body: JSON.stringify(validBeacon()), headers: { ...json, ...xff('2001:db8:aaaa:bbbb::17') } },
    { route: 'beacons', body: JSON.stringify(validBeacon()), headers: { ...json, ...xff('2002:c000:237::1') } },
    { route: 'beacons', body: JSON.stringify(validBeacon()), headers: { ...json, ...xff('2001:0:4136:e378:8000:63bf:3fff:fdbd') } },
    { route: 'beacons', body: JSON.stringify(validBeacon()), headers: { ...json, ...xff('64:ff9b::192.0.2.77') } },
    { route: 'beacons', body: JSON.stringify(validBeacon()), headers: { ...json, ...xff('::ffff:192.0.2.88') } },
    // headers
    {
      route: 'beacons',
      body: JSON.stringify(validBeacon()),
      headers: { ...json, 'user-agent': 'Mozilla/5.0 (proxy 203.0.113.101)', 'cmcd-session': 'sid="s1",cid="203.0.113.102"' },
    },
    // CMCD body values and request query
    {
      route: 'cmcd',
      body: 'sid="s2",e=ps,sta=p,cid="203.0.113.103",ts=1795428000000',
      headers: { 'content-type': 'application/cmcd' },
      url: 'http://localhost/api/cmcd?CMCD=cdn%3D%22203.0.113.104%22',
    },
    // Extra, URLs, messages of valid records
    {
      route: 'beacons',
      body: JSON.stringify(
        validBeacon({
          peer: '203.0.113.105',
          manifestUrl: 'http://203.0.113.106/live/m.mpd',
          errorMessage: 'connect 203.0.113.107:443 failed',
          cdnHeaders: { via: '1.1 203.0.113.108' },
          cmcd: { nor: '203.0.113.109' },
        }),
      ),
      headers: json,
    },
    // rejected records (dead letters): bad schema, bad JSON, bad CMCD, refused request
    {
      route: 'beacons',
      body: JSON.stringify([validBeacon({ event: 'nope', note: '203.0.113.110' }), { sessionId: '203.0.113.111' }]),
      headers: json,
    },
    { route: 'beacons', body: '{"sessionId":"203.0.113.112",', headers: json },
    { route: 'beacons', body: '{"a":1}\n{"ip":"203.0.113.113"', headers: { 'content-type': 'application/x-ndjson' } },
    { route: 'cmcd', body: 'br=3200,nor="203.0.113.114"\nthis is not cmcd 203.0.113.115', headers: { 'content-type': 'application/cmcd' } },
    { route: 'beacons', body: 'x 203.0.113.116', headers: { 'content-type': 'application/xml; ip=203.0.113.117' } },
  ];
}

describe('no raw address anywhere', () => {
  it('a corpus through the HTTP routes and blob intake leaves no address in sink, dead letters, checkpoints or logs', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void logs.push(a.map(String).join(' ')));
    const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void logs.push(a.map(String).join(' ')));
    try {
      for (const r of corpus()) {
        const handler = r.route === 'cmcd' ? handleCmcdRequest : handleBeaconRequest;
        const res = await handler(
          httpRequest({ body: r.body, headers: r.headers, url: r.url ?? `http://localhost/api/${r.route}` }),
          context(),
          services,
        );
        expect(res.status).toBeLessThan(500);
      }
      // A CDN log: client addresses in c-ip, an address in a URL, a line that is rejected.
      const log = [
        '#Version: 1.0',
        '#Fields: date time c-ip cs-uri-stem cs-uri-query cs(User-Agent)',
        '2026-11-23 10:00:00 203.0.113.118 /v/seg1.m4s CMCD=sid%3D%22cdn1%22%2Cbr%3D3200 Mozilla/5.0',
        '2026-11-23 10:00:01 203.0.113.119 /v/seg2.m4s CMCD=br%3D3200%2Cnor%3D%22203.0.113.120%22 Mozilla/5.0',
      ].join('\n');
      const blob = container.getBlockBlobClient('logs/cdn.log');
      await blob.upload(log, log.length, { blobHTTPHeaders: { blobContentType: 'text/plain' } });
      const props = await blob.getProperties();
      const outcome = await processWorkItem(
        { container: 'telemetry', name: 'logs/cdn.log', eTag: props.etag! },
        {
          pipeline: services.pipeline,
          checkpoints: services.checkpoints,
          deadLetter: services.deadLetter,
          blobs: services.blobs,
          queue: { send: async () => {} },
          settings: {
            containers: ['telemetry'],
            prefixes: [],
            chunkBytes: 1024,
            rangeBytes: 1 << 20,
            maxRecordBytes: 1 << 16,
            claimMs: 60_000,
          },
        },
      );
      expect(outcome).toMatchObject({ status: 'ingested' });
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }

    // Everything written: files (sink, dead letters), checkpoint entities, log lines.
    const written: Array<[string, string]> = [];
    for (const f of await glob(dir, /./)) written.push([path.relative(dir, f), await readFile(f, 'utf8')]);
    const table = TableClient.fromConnectionString(azurite.connectionString, services.config.blob.checkpointTable, {
      allowInsecureConnection: true,
    });
    for await (const e of table.listEntities()) written.push([`checkpoint ${String(e.rowKey)}`, JSON.stringify(e)]);
    written.push(['logs', logs.join('\n')]);

    const sinkText = written
      .filter(([n]) => n.startsWith('sink'))
      .map(([, t]) => t)
      .join('\n');
    const deadText = written
      .filter(([n]) => n.startsWith('deadletter'))
      .map(([, t]) => t)
      .join('\n');
    // The corpus did reach the outputs (so the scan is not vacuous): prefixes in rows, reasons kept.
    expect(sinkText).toContain('198.51.100.0/24');
    expect(sinkText).toContain('192.0.2.0/24');
    expect(sinkText).toContain('2001:db8:aaaa::/48');
    expect(sinkText).toContain('203.0.113.0/24');
    expect(deadText).toMatch(/invalid JSON|not valid JSON/);
    expect(deadText).toContain('203.0.113.0/24');

    const leaks = written.flatMap(([name, text]) => SECRETS.filter((s) => text.toLowerCase().includes(s)).map((s) => `${s} in ${name}`));
    expect(leaks).toEqual([]);
  });
});
