import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandV6, ipPrefix, normalizeIp, resolveClientIp, v4ToInt, type ClientIpOptions } from '../../src/enrich/client-ip.js';

const headers = (h: Record<string, string>) => (n: string) => h[n] ?? null;
const xffHops = (trustedProxyHops: number): ClientIpOptions => ({ header: 'x-forwarded-for', trustedProxyHops });

describe('resolveClientIp', () => {
  it('takes the entry left of the trusted proxies in X-Forwarded-For', () => {
    const xff = headers({ 'x-forwarded-for': '198.51.100.7, 203.0.113.9' });
    expect(resolveClientIp(xff, '10.0.0.1', xffHops(1))).toBe('203.0.113.9');
    expect(resolveClientIp(xff, '10.0.0.1', xffHops(2))).toBe('198.51.100.7');
    // More hops than entries: the left-most entry.
    expect(resolveClientIp(xff, '10.0.0.1', xffHops(5))).toBe('198.51.100.7');
    // No trusted proxies: the header is the client's to forge, so the socket.
    expect(resolveClientIp(xff, '10.0.0.1', xffHops(0))).toBe('10.0.0.1');
  });

  it('handles the single-entry header of the Azure Functions front end, with ports on v4 and v6', () => {
    expect(resolveClientIp(headers({ 'x-forwarded-for': '1.2.3.4:56789' }), '169.254.1.1', xffHops(1))).toBe('1.2.3.4');
    expect(resolveClientIp(headers({ 'x-forwarded-for': '[2001:db8::1]:443' }), undefined, xffHops(1))).toBe('2001:db8::1');
    expect(resolveClientIp(headers({ 'x-forwarded-for': '[2001:DB8::AB]' }), undefined, xffHops(1))).toBe('2001:db8::ab');
    expect(resolveClientIp(headers({ 'x-forwarded-for': '2001:db8::2' }), undefined, xffHops(1))).toBe('2001:db8::2');
    expect(resolveClientIp(headers({ 'x-forwarded-for': '8.8.4.4:1, [2001:db8::3]:80' }), undefined, xffHops(2))).toBe('8.8.4.4');
  });

  it('skips empty list entries and whitespace', () => {
    const xff = headers({ 'x-forwarded-for': ' 198.51.100.7 ,, 203.0.113.9 , ' });
    expect(resolveClientIp(xff, undefined, xffHops(1))).toBe('203.0.113.9');
    expect(resolveClientIp(xff, undefined, xffHops(2))).toBe('198.51.100.7');
  });

  it('falls back to the socket without a header, and never to it past a garbage entry', () => {
    expect(resolveClientIp(headers({}), '::ffff:192.0.2.1', xffHops(1))).toBe('192.0.2.1');
    expect(resolveClientIp(headers({ 'x-forwarded-for': '' }), '192.0.2.2', xffHops(1))).toBe('192.0.2.2');
    expect(resolveClientIp(headers({ 'x-forwarded-for': 'unknown' }), '192.0.2.2', xffHops(1))).toBeUndefined();
    expect(resolveClientIp(headers({ 'x-forwarded-for': '1.2.3.4, nonsense' }), '192.0.2.2', xffHops(1))).toBeUndefined();
    expect(resolveClientIp(headers({}), 'not-an-ip', xffHops(1))).toBeUndefined();
    expect(resolveClientIp(headers({}), undefined, xffHops(1))).toBeUndefined();
  });

  it('reads X-Azure-ClientIP when configured (falling back to the socket), and only the socket with none', () => {
    const h = headers({ 'x-azure-clientip': '2001:db8::5', 'x-forwarded-for': '1.2.3.4' });
    const azure: ClientIpOptions = { header: 'x-azure-clientip', trustedProxyHops: 1 };
    expect(resolveClientIp(h, '9.9.9.9', azure)).toBe('2001:db8::5');
    expect(resolveClientIp(headers({ 'x-forwarded-for': '1.2.3.4' }), '9.9.9.9', azure)).toBe('9.9.9.9');
    expect(resolveClientIp(headers({ 'x-azure-clientip': 'garbage' }), '9.9.9.9:1234', azure)).toBe('9.9.9.9');
    expect(resolveClientIp(h, '9.9.9.9', { header: 'none', trustedProxyHops: 1 })).toBe('9.9.9.9');
  });
});

describe('normalizeIp', () => {
  it('removes brackets, ports and zones and lower-cases IPv6', () => {
    expect(normalizeIp('[2001:DB8::1]:443')).toBe('2001:db8::1');
    expect(normalizeIp('  192.0.2.1:8080 ')).toBe('192.0.2.1');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('[fe80::1%25en0]:80')).toBe('fe80::1');
  });

  it('turns IPv4-mapped IPv6 into IPv4, in every spelling, and leaves other embedded forms alone', () => {
    expect(normalizeIp('::ffff:8.8.4.4')).toBe('8.8.4.4');
    expect(normalizeIp('::FFFF:8.8.4.4')).toBe('8.8.4.4');
    expect(normalizeIp('[::ffff:8.8.4.4]:443')).toBe('8.8.4.4');
    expect(normalizeIp('0:0:0:0:0:ffff:808:404')).toBe('8.8.4.4');
    expect(normalizeIp('::ffff:c000:0201')).toBe('192.0.2.1');
    expect(normalizeIp('64:ff9b::1.2.3.4')).toBe('64:ff9b::1.2.3.4');
    expect(normalizeIp('::ffff:0:1.2.3.4')).toBe('::ffff:0:1.2.3.4'); // SIIT, not mapped
    expect(normalizeIp('2001:db8:ffff::1')).toBe('2001:db8:ffff::1');
  });

  it('refuses what is not an address', () => {
    for (const bad of [
      '',
      '   ',
      'not-an-ip',
      '999.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '01.2.3.4',
      '1:2',
      '[2001:db8::1',
      '[2001:db8::1]x',
      '2001:db8:::1',
      'unknown',
      '_hidden',
    ]) {
      expect(normalizeIp(bad), bad).toBeUndefined();
    }
    expect(normalizeIp(undefined)).toBeUndefined();
    expect(normalizeIp(null)).toBeUndefined();
  });
});

describe('expandV6', () => {
  it('expands compressed, full and v4-tailed forms to eight groups', () => {
    expect(expandV6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(expandV6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(expandV6('2001:db8::')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]);
    expect(expandV6('1::2:3:4:5:6:7')).toEqual([1, 0, 2, 3, 4, 5, 6, 7]);
    expect(expandV6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(expandV6('FFFF:0ABC::Ab')).toEqual([0xffff, 0xabc, 0, 0, 0, 0, 0, 0xab]);
    expect(expandV6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(expandV6('1:2:3:4:5:6:1.2.3.4')).toEqual([1, 2, 3, 4, 5, 6, 0x0102, 0x0304]);
    expect(expandV6('fe80::1%eth0')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('refuses what is not IPv6', () => {
    for (const bad of [
      '',
      ':',
      ':::',
      '1.2.3.4',
      '1::2::3',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4::5:6:7:8',
      '12345::',
      '1:',
      ':1::',
      'g::1',
      '::1.2.3',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3.4:5',
    ]) {
      expect(expandV6(bad), bad).toBeUndefined();
    }
  });

  it('agrees with node:net on every spelling of random addresses, and accepts nothing node:net refuses', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.nat(7), fc.nat(8), fc.boolean(), (groups, from, len, upper) => {
        // Compress a run of groups; a run of non-zeros gives another valid address, which must still parse.
        const hex = groups.map((g) => (upper ? g.toString(16).toUpperCase() : g.toString(16)));
        const to = Math.min(8, from + Math.max(1, len));
        const text = len === 0 ? hex.join(':') : `${hex.slice(0, from).join(':')}::${hex.slice(to).join(':')}`;
        const got = expandV6(text);
        if (isIP(text) === 6) {
          expect(got, text).toBeDefined();
          if (groups.slice(from, to).every((g) => g === 0) || len === 0) expect(got, text).toEqual(groups);
        } else {
          expect(got, text).toBeUndefined();
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '1', 'a', 'F', ':', '.', '%', 'x', '9'), maxLength: 24 }), (text) => {
        if (expandV6(text) !== undefined && !text.includes('%')) expect(isIP(text), text).toBe(6);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('v4ToInt', () => {
  it('reads dotted quads strictly', () => {
    expect(v4ToInt('1.2.3.4')).toBe(0x01020304);
    expect(v4ToInt('255.255.255.255')).toBe(0xffffffff);
    expect(v4ToInt('0.0.0.0')).toBe(0);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', '1.2.3.', '.1.2.3', '1.2.3.4 ', 'a.b.c.d'])
      expect(v4ToInt(bad), bad).toBeUndefined();
  });
});

describe('ipPrefix', () => {
  it('reduces IPv4 to /24', () => {
    expect(ipPrefix('8.8.8.8')).toBe('8.8.8.0/24');
    expect(ipPrefix('203.0.113.77')).toBe('203.0.113.0/24');
    expect(ipPrefix('1.2.3.4:5678')).toBe('1.2.3.0/24');
    expect(ipPrefix('::ffff:192.0.2.55')).toBe('192.0.2.0/24');
  });

  it('reduces IPv6 to /48 in canonical compressed form', () => {
    expect(ipPrefix('2001:4860:4860::8888')).toBe('2001:4860:4860::/48');
    expect(ipPrefix('2001:db8:1234:5678:9abc::1')).toBe('2001:db8:1234::/48');
    expect(ipPrefix('2001:0DB8:0001:0000:0000:0000:0000:0001')).toBe('2001:db8:1::/48');
    // 2001:0::/32 is Teredo: it embeds the client's IPv4 (bits flipped), so it reduces to that /24 (issue 14)
    expect(ipPrefix('2001:0:1234::1')).toBe('255.255.255.0/24');
    expect(ipPrefix('2001:db8:1234::1')).toBe('2001:db8:1234::/48');
    expect(ipPrefix('2001:db8::1')).toBe('2001:db8::/48');
    expect(ipPrefix('2a00::1')).toBe('2a00::/48');
    expect(ipPrefix('0:0:1::5')).toBe('0:0:1::/48');
    expect(ipPrefix('::1')).toBe('::/48');
    expect(ipPrefix('::')).toBe('::/48');
    expect(ipPrefix('64:ff9b::1.2.3.4')).toBe('1.2.3.0/24'); // NAT64 embeds the IPv4 (issue 14)
    expect(ipPrefix('[2a00:1450:4001:81c::200e]:443')).toBe('2a00:1450:4001::/48');
  });

  it('gives null for nothing and garbage', () => {
    expect(ipPrefix(undefined)).toBeNull();
    expect(ipPrefix('')).toBeNull();
    expect(ipPrefix('garbage')).toBeNull();
    expect(ipPrefix('300.1.1.1')).toBeNull();
  });
});
