import { describe, expect, it } from 'vitest';
import { BUILT_IN_CDN_RULES, CdnResolver, hostOf } from '../../src/enrich/cdn.js';

describe('CdnResolver', () => {
  const r = new CdnResolver([{ hostSuffix: 'media.example.com', cdn: 'OurCDN' }]);

  it('prefers the beacon field, then CMCD cdn, then hosts, then headers', () => {
    const all = { hosts: ['a.cloudfront.net'], headers: { 'cf-ray': '1' } };
    expect(r.resolve({ beaconCdn: 'X', cmcdCdn: 'Y', ...all })).toBe('X');
    expect(r.resolve({ cmcdCdn: 'Y', ...all })).toBe('Y');
    expect(r.resolve(all)).toBe('CloudFront');
    expect(r.resolve({ ...all, hosts: ['origin.example.org'] })).toBe('Cloudflare');
    expect(r.resolve({ hosts: [] })).toBeNull();
  });

  it('knows the major CDNs by host, bare or in a URL', () => {
    const cases: Array<[string, string]> = [
      ['https://vod.example.akamaized.net/bbb/manifest.mpd?x=1', 'Akamai'],
      ['a1234.dscb.akamai.net', 'Akamai'],
      ['www.example.com.edgekey.net', 'Akamai'],
      ['e1234.a.akamaiedge.net', 'Akamai'],
      ['d111111abcdef8.cloudfront.net', 'CloudFront'],
      ['https://media.global.ssl.fastly.net:443/x', 'Fastly'],
      ['dualstack.example.map.fastly.net', 'Fastly'],
      ['https://ep-abc.z01.azurefd.net/x', 'AzureFrontDoor'],
      ['shed.dual-low.part-0012.t-0009.t-msedge.net', 'AzureFrontDoor'],
      ['https://cdn-ep.azureedge.net/x', 'AzureCDN'],
      ['https://customer-x.cloudflarestream.com/v/manifest/video.mpd', 'Cloudflare'],
      ['https://videodelivery.net/abc/manifest/video.m3u8', 'Cloudflare'],
      ['https://pub-0123.r2.dev/v.mpd', 'Cloudflare'],
      ['https://abc.edgecache.googleusercontent.com/v.mpd', 'GoogleMediaCDN'],
      ['https://foo.llnwd.net/v', 'Edgio'],
      ['wpc.1234.edgecastcdn.net', 'Edgio'],
      ['HTTPS://VOD.CLOUDFRONT.NET/X', 'CloudFront'],
      ['d1.cloudfront.net.', 'CloudFront'],
    ];
    for (const [host, cdn] of cases) expect(r.resolve({ hosts: [host] }), host).toBe(cdn);
  });

  it('matches host suffixes on label boundaries only', () => {
    for (const host of [
      'https://evil-cloudfront.net/x',
      'https://evilcloudfront.net/x',
      'https://cloudfront.net.evil.example/x',
      'notakamaized.net',
      'https://example.com/cloudfront.net',
      'https://example.com/?u=https://a.cloudfront.net/',
    ]) {
      expect(r.resolve({ hosts: [host] }), host).toBeNull();
    }
    expect(r.resolve({ hosts: ['cloudfront.net'] })).toBe('CloudFront');
  });

  it('tries the hosts in order, skipping missing and unknown ones', () => {
    expect(r.resolve({ hosts: [undefined, 'origin.example.org', 'https://a.akamaized.net/x', 'b.cloudfront.net'] })).toBe('Akamai');
    expect(r.resolve({ hosts: ['', 'https://[2001:db8::1]/x'] })).toBeNull();
  });

  it('tries configured rules before built-in ones', () => {
    const own = new CdnResolver([
      { hostSuffix: 'special.cloudfront.net', cdn: 'MyCloudFrontDeal' },
      { hostSuffix: '.Media.Example.COM', cdn: 'OurCDN' },
    ]);
    expect(own.resolve({ hosts: ['x.special.cloudfront.net'] })).toBe('MyCloudFrontDeal');
    expect(own.resolve({ hosts: ['x.cloudfront.net'] })).toBe('CloudFront');
    expect(own.resolve({ hosts: ['https://live.media.example.com/x'] })).toBe('OurCDN');
    expect(r.resolve({ hosts: ['https://live.media.example.com/x'] })).toBe('OurCDN');
    expect(r.resolve({ hosts: ['https://media.example.com.evil/x'] })).toBeNull();
  });

  it('refuses an empty configured rule', () => {
    expect(() => new CdnResolver([{ hostSuffix: ' ', cdn: 'X' }])).toThrow(/hostSuffix/);
  });

  it('gives the same answer again from its host cache', () => {
    for (let i = 0; i < 3; i++) {
      expect(r.resolve({ hosts: ['a.akamaihd.net'] })).toBe('Akamai');
      expect(r.resolve({ hosts: ['origin.example.org'] })).toBeNull();
    }
  });
});

describe('CDN from response headers', () => {
  const r = new CdnResolver([]);
  const viaHeaders = (headers: Record<string, string>) => r.resolve({ hosts: ['origin.example.org'], headers });

  it('recognises each CDN, with header names in any case', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'X-Amz-Cf-Id': 'abc==' }, 'CloudFront'],
      [{ 'x-amz-cf-pop': 'FRA56-P1' }, 'CloudFront'],
      [{ Via: '1.1 abc.cloudfront.net (CloudFront)' }, 'CloudFront'],
      [{ 'CF-RAY': '8c1-AMS' }, 'Cloudflare'],
      [{ Server: 'cloudflare' }, 'Cloudflare'],
      [{ 'X-Served-By': 'cache-ams21-AMS' }, 'Fastly'],
      [{ 'x-served-by': 'cache-iad-kiad7000025-IAD, cache-fra-eddf8230090-FRA' }, 'Fastly'],
      [{ 'X-Fastly-Request-ID': '4b3c' }, 'Fastly'],
      [{ Server: 'AkamaiGHost' }, 'Akamai'],
      [{ 'X-Akamai-Request-ID': '1a2b' }, 'Akamai'],
      [{ 'X-Azure-Ref': '0abc' }, 'AzureFrontDoor'],
      [{ 'x-msedge-ref': 'Ref A: 1' }, 'AzureFrontDoor'],
      [{ 'X-EdgeConnect-Origin-MEX-Latency': '24' }, 'Edgio'],
      [{ Server: 'ECAcc (ama/8C5A)' }, 'Edgio'],
      [{ server: 'ECS (dcb/7F84)' }, 'Edgio'],
    ];
    for (const [headers, cdn] of cases) expect(viaHeaders(headers), JSON.stringify(headers)).toBe(cdn);
  });

  it('ignores look-alikes and empty values', () => {
    const lookAlikes: Array<Record<string, string>> = [
      { server: 'nginx' },
      { server: 'ecstatic' },
      { via: '1.1 varnish' },
      { 'x-served-by': 'web-01' },
      { 'x-amz-cf-id': '' },
      {},
    ];
    for (const headers of lookAlikes) {
      expect(viaHeaders(headers), JSON.stringify(headers)).toBeNull();
    }
    expect(r.resolve({ hosts: [undefined] })).toBeNull();
  });

  it('picks by precedence when several CDNs left headers', () => {
    // CloudFront in front of an Akamai origin shield: CloudFront is the one the player talked to.
    expect(viaHeaders({ server: 'AkamaiGHost', 'x-amz-cf-pop': 'FRA56-P1' })).toBe('CloudFront');
    expect(viaHeaders({ 'x-amz-cf-pop': 'FRA56-P1', server: 'AkamaiGHost' })).toBe('CloudFront');
    expect(viaHeaders({ 'x-served-by': 'cache-ams21-AMS', 'x-azure-ref': '0abc' })).toBe('Fastly');
    expect(viaHeaders({ 'x-azure-ref': '0abc', 'x-served-by': 'cache-ams21-AMS' })).toBe('Fastly');
  });
});

describe('hostOf', () => {
  it('parses hosts without building URL objects', () => {
    expect(hostOf('https://user:pw@Host.Example.com:8443/p?q#f')).toBe('host.example.com');
    expect(hostOf('host.example.com/path')).toBe('host.example.com');
    expect(hostOf('host.example.com:8080')).toBe('host.example.com');
    expect(hostOf('//cdn.example.com/x.mpd')).toBe('cdn.example.com');
    expect(hostOf(' https://h.example.com?x=https://y ')).toBe('h.example.com');
    expect(hostOf('h.example.com/?u=https://other.example')).toBe('h.example.com');
    expect(hostOf('https://example.com/a@b')).toBe('example.com');
    expect(hostOf('https://[2001:db8::1]/x')).toBeNull();
    expect(hostOf('https://')).toBeNull();
    expect(hostOf('')).toBeNull();
  });
});

describe('BUILT_IN_CDN_RULES', () => {
  it('uses the canonical CDN names only, with lower-case suffixes', () => {
    const names = new Set(BUILT_IN_CDN_RULES.map((rule) => rule.cdn));
    expect([...names].sort()).toEqual([
      'Akamai',
      'AzureCDN',
      'AzureFrontDoor',
      'CloudFront',
      'Cloudflare',
      'Edgio',
      'Fastly',
      'GoogleMediaCDN',
    ]);
    for (const rule of BUILT_IN_CDN_RULES) expect(rule.hostSuffix).toBe(rule.hostSuffix.toLowerCase());
    expect(Object.isFrozen(BUILT_IN_CDN_RULES)).toBe(true);
  });
});
