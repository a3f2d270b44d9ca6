import { describe, expect, it } from 'vitest';
import { ipPrefix, normalizeIp, resolveClientIp } from '../../src/enrich/client-ip.js';

const headers = (h: Record<string, string>) => (n: string) => h[n] ?? null;

describe('client IP', () => {
  it('takes the entry left of the trusted proxies in X-Forwarded-For, ports stripped', () => {
    const xff = headers({ 'x-forwarded-for': '198.51.100.7:5123, 203.0.113.9' });
    expect(resolveClientIp(xff, '10.0.0.1', { header: 'x-forwarded-for', trustedProxyHops: 1 })).toBe('203.0.113.9');
    expect(resolveClientIp(xff, '10.0.0.1', { header: 'x-forwarded-for', trustedProxyHops: 2 })).toBe('198.51.100.7');
    expect(resolveClientIp(xff, '10.0.0.1', { header: 'x-forwarded-for', trustedProxyHops: 5 })).toBe('198.51.100.7');
    expect(resolveClientIp(xff, '10.0.0.1', { header: 'x-forwarded-for', trustedProxyHops: 0 })).toBe('10.0.0.1');
    expect(resolveClientIp(headers({}), '::ffff:192.0.2.1', { header: 'x-forwarded-for', trustedProxyHops: 1 })).toBe('192.0.2.1');
  });

  it('reads X-Azure-ClientIP when configured, and the socket with none', () => {
    const h = headers({ 'x-azure-clientip': '2001:db8::5', 'x-forwarded-for': '1.2.3.4' });
    expect(resolveClientIp(h, undefined, { header: 'x-azure-clientip', trustedProxyHops: 1 })).toBe('2001:db8::5');
    expect(resolveClientIp(h, '9.9.9.9', { header: 'none', trustedProxyHops: 1 })).toBe('9.9.9.9');
  });

  it('normalizes IPv6 with brackets, ports, zones and v4-mapped forms, and refuses garbage', () => {
    expect(normalizeIp('[2001:DB8::1]:443')).toBe('2001:db8::1');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('::ffff:8.8.4.4')).toBe('8.8.4.4');
    expect(normalizeIp('not-an-ip')).toBeUndefined();
    expect(normalizeIp('999.1.1.1')).toBeUndefined();
    expect(normalizeIp('')).toBeUndefined();
  });

  it('reduces addresses to /24 and /48 prefixes', () => {
    expect(ipPrefix('8.8.8.8')).toBe('8.8.8.0/24');
    expect(ipPrefix('2001:4860:4860::8888')).toBe('2001:4860:4860::/48');
    expect(ipPrefix('2001:db8:1234:5678:9abc::1')).toBe('2001:db8:1234::/48');
    expect(ipPrefix('2001::1')).toBe('2001::/48');
    expect(ipPrefix('::1')).toBe('::/48');
    expect(ipPrefix('64:ff9b::1.2.3.4')).toBe('64:ff9b::/48');
    expect(ipPrefix(undefined)).toBeNull();
    expect(ipPrefix('garbage')).toBeNull();
  });
});
