// CDN access logs dropped into Blob Storage: each request whose URL carries CMCD becomes a row
// with Source = cdnlog, the log's client (reduced to a prefix) and User-Agent.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Candidate as FileRecord } from '../../../../src/pipeline/contract.js';
import { detectFormat } from '../../../../src/intake/blob/formats/detect.js';
import { readRecords } from '../../../../src/intake/blob/formats/read.js';
import { testServices } from '../../../support/services.js';
import { readNdjsonTree } from '../../../support/files.js';

const cmcd = (s: string) => `CMCD=${encodeURIComponent(s)}`;
const UA = encodeURIComponent(
  'Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36',
);
const cloudfront = [
  '#Version: 1.0',
  '#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query',
  `2026-11-23\t10:00:01\tAMS1-C1\t52000\t8.8.8.8\tGET\td111111abcdef8.cloudfront.net\t/vod/bbb/seg-1.m4s\t200\t-\t${UA}\t${cmcd('br=3200,bl=21300,cid="bbb",ot=v,sf=d,sid="6e2fb550-c457-11e9-bb97-0800200c9a66",st=v,tb=6000')}`,
  `2026-11-23\t10:00:02\tAMS1-C1\t1200\t8.8.8.8\tGET\td111111abcdef8.cloudfront.net\t/vod/bbb/manifest.mpd\t200\t-\t${UA}\t-`,
  `2026-11-23\t10:00:03\tAMS1-C1\t52000\t81.2.69.142\tGET\td111111abcdef8.cloudfront.net\t/vod/bbb/seg-2.m4s\t200\t-\t${UA}\t${cmcd('br=800,bl=4000,ot=v,sid="other-session"')}`,
  `2026-11-23\t10:00:04\tAMS1-C1\t52000\t81.2.69.142\tGET\td111111abcdef8.cloudfront.net\t/vod/bbb/seg-3.m4s\t200\t-\t${UA}\t${cmcd('br=,,,=broken')}`,
].join('\n');
const jsonLines = [
  JSON.stringify({
    timestamp: '2026-11-23T10:05:00Z',
    client_ip: '2001:4860:4860::8888',
    user_agent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    host: 'media.example.akamaized.net',
    url: `/live/ch1/seg-9.m4s?${cmcd('br=1600,bl=8000,ot=v,sid="json-session",st=l')}`,
  }),
  JSON.stringify({ timestamp: '2026-11-23T10:05:01Z', client_ip: '2001:4860:4860::8888', url: '/favicon.ico' }),
].join('\n');

async function read(text: string): Promise<FileRecord[]> {
  const out: FileRecord[] = [];
  for await (const r of readRecords(Readable.from([Buffer.from(text)]), 'cdnlog', false)) out.push(r);
  return out;
}

describe('CDN logs', () => {
  it('are recognised by name', () => {
    expect(detectFormat('cdn-logs/2026/11/23/E2ABC.2026-11-23-10.gz', undefined)).toEqual({ format: 'cdnlog', gzip: true });
    expect(detectFormat('edge/access.log', undefined).format).toBe('cdnlog');
    expect(detectFormat('beacons/day1.ndjson', undefined).format).toBe('ndjson');
  });

  it('turn requests with CMCD into records, skip the others, and report a broken CMCD line', async () => {
    const records = await read(cloudfront);
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({ line: 3, sender: { clientIp: '8.8.8.8', userAgent: expect.stringContaining('Tizen') } });
    expect(records[0]!.value).toMatchObject({
      sessionId: '6e2fb550-c457-11e9-bb97-0800200c9a66',
      bitrateKbps: 3200,
      bufferMs: 21300,
      contentId: 'bbb',
      cdnHost: 'd111111abcdef8.cloudfront.net',
    });
    expect(records[2]!.error).toMatch(/^line 6: /);
    const json = await read(jsonLines);
    expect(json).toHaveLength(1);
    expect(json[0]!.value).toMatchObject({ sessionId: 'json-session', bitrateKbps: 1600, streamType: 'live' });
  });

  it('land as rows with Source = cdnlog, per-line geo and device, and only a prefix of the client address', async () => {
    const svc = await testServices();
    try {
      const candidates = (await read(cloudfront + '\n' + jsonLines)).map((r, index) => ({
        index,
        line: r.line,
        value: r.value,
        error: r.error,
        raw: r.raw,
        sender: r.sender,
      }));
      const result = await svc.pipeline.process(candidates, {
        source: 'cdnlog',
        sourceRef: 'https://acc.blob.core.windows.net/telemetry/cdn-logs/x.log',
        receivedAt: new Date(),
        sender: {},
      });
      expect(result.accepted).toBe(3);
      expect(result.rejected).toHaveLength(1);
      const rows = await readNdjsonTree(`${svc.dir}/sink`);
      const bySession = Object.fromEntries(rows.map((r) => [r.SessionId as string, r]));
      expect(bySession['6e2fb550-c457-11e9-bb97-0800200c9a66']).toMatchObject({
        Source: 'cdnlog',
        Country: 'US',
        ClientIpPrefix: '8.8.8.0/24',
        DeviceType: 'smarttv',
        Cdn: 'CloudFront',
        Timestamp: '2026-11-23T10:00:01.000Z',
      });
      expect(bySession['other-session']).toMatchObject({ Country: 'GB', ClientIpPrefix: '81.2.69.0/24' });
      expect(bySession['json-session']).toMatchObject({ ClientIpPrefix: '2001:4860:4860::/48', DeviceType: 'mobile', Cdn: 'Akamai' });
      const text = JSON.stringify(rows);
      for (const ip of ['8.8.8.8', '81.2.69.142', '2001:4860:4860::8888']) expect(text).not.toContain(ip);
    } finally {
      await svc.cleanup();
    }
  });
});
