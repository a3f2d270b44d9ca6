import { describe, expect, it } from 'vitest';
import { CdnResolver, hostOf } from '../../src/enrich/cdn.js';

describe('CDN', () => {
  const r = new CdnResolver([{ hostSuffix: 'media.example.com', cdn: 'OurCDN' }]);

  it('prefers the beacon field, then CMCD cdn', () => {
    expect(r.resolve({ beaconCdn: 'X', cmcdCdn: 'Y', hosts: ['a.cloudfront.net'] })).toBe('X');
    expect(r.resolve({ cmcdCdn: 'Y', hosts: ['a.cloudfront.net'] })).toBe('Y');
  });

  it('knows the major CDNs by host, on label boundaries', () => {
    const cases: Array<[string, string | null]> = [
      ['https://vod.example.akamaized.net/bbb/manifest.mpd?x=1', 'Akamai'],
      ['d111111abcdef8.cloudfront.net', 'CloudFront'],
      ['https://media.global.ssl.fastly.net:443/x', 'Fastly'],
      ['https://ep-abc.z01.azurefd.net/x', 'AzureFrontDoor'],
      ['https://cdn-ep.azureedge.net/x', 'AzureCDN'],
      ['https://customer-x.cloudflarestream.com/v/manifest/video.mpd', 'Cloudflare'],
      ['https://foo.llnwd.net/v', 'Edgio'],
      ['https://evilcloudfront.net/x', null],
      ['https://cloudfront.net.evil.example/x', null],
    ];
    for (const [host, cdn] of cases) expect(r.resolve({ hosts: [host] }), host).toBe(cdn);
  });

  it('tries configured rules before built-in ones', () => {
    const own = new CdnResolver([{ hostSuffix: 'cloudfront.net', cdn: 'MyCloudFrontDeal' }]);
    expect(own.resolve({ hosts: ['x.cloudfront.net'] })).toBe('MyCloudFrontDeal');
    expect(r.resolve({ hosts: ['https://live.media.example.com/x'] })).toBe('OurCDN');
  });

  it('falls back to response-header hints, case-insensitively', () => {
    expect(r.resolve({ hosts: ['origin.example.org'], headers: { Via: '1.1 abc.cloudfront.net (CloudFront)' } })).toBe('CloudFront');
    expect(r.resolve({ hosts: [], headers: { 'CF-RAY': '8c1-AMS' } })).toBe('Cloudflare');
    expect(r.resolve({ hosts: [], headers: { 'X-Served-By': 'cache-ams21-AMS' } })).toBe('Fastly');
    expect(r.resolve({ hosts: [], headers: { Server: 'AkamaiGHost' } })).toBe('Akamai');
    expect(r.resolve({ hosts: [], headers: { 'X-Azure-Ref': '0abc' } })).toBe('AzureFrontDoor');
    expect(r.resolve({ hosts: [undefined], headers: { server: 'nginx' } })).toBeNull();
  });

  it('parses hosts without building URL objects', () => {
    expect(hostOf('https://user:pw@Host.Example.com:8443/p?q#f')).toBe('host.example.com');
    expect(hostOf('host.example.com/path')).toBe('host.example.com');
    expect(hostOf('https://[2001:db8::1]/x')).toBeNull();
    expect(hostOf('')).toBeNull();
  });
});
