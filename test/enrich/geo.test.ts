import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cityOf, countryOf, GeoLookup, isUnroutable, regionOf } from '../../src/enrich/geo.js';

const countryDb = createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');

describe('geo', () => {
  it('finds countries in the shipped CC0 database, IPv4 and IPv6', async () => {
    const geo = await GeoLookup.open({ countryDb });
    expect(geo.lookup('8.8.8.8')).toEqual({ country: 'US', region: null, city: null, asn: null, asnOrg: null });
    expect(geo.lookup('2001:4860:4860::8888').country).toBe('US');
    expect(geo.lookup('1.1.1.1').country).toBe('AU');
    expect(geo.lookup('81.2.69.142').country).toBe('GB');
  });

  it('gives no geo for private, loopback, link-local, CGNAT, ULA and documentation addresses', async () => {
    const geo = await GeoLookup.open({ countryDb });
    for (const ip of ['10.0.0.1', '192.168.1.1', '172.16.0.9', '127.0.0.1', '169.254.3.3', '100.64.1.1', '::1', 'fc00::1', 'fe80::1', '2001:db8::1', '203.0.113.5']) {
      expect(geo.lookup(ip).country, ip).toBeNull();
      expect(isUnroutable(ip), ip).toBe(true);
    }
    expect(geo.lookup(undefined).country).toBeNull();
    expect(isUnroutable('100.128.0.1')).toBe(false);
    expect(isUnroutable('172.32.0.1')).toBe(false);
  });

  it('reads both MaxMind GeoIP2 and ip-location-db record shapes', () => {
    const maxmind = { country: { iso_code: 'de' }, subdivisions: [{ iso_code: 'BE', names: { en: 'Land Berlin' } }], city: { names: { en: 'Berlin' } } };
    expect([countryOf(maxmind), regionOf(maxmind), cityOf(maxmind)]).toEqual(['DE', 'Land Berlin', 'Berlin']);
    const ipdb = { country_code: 'FR', state1: 'Ile-de-France', city: 'Paris' };
    expect([countryOf(ipdb), regionOf(ipdb), cityOf(ipdb)]).toEqual(['FR', 'Ile-de-France', 'Paris']);
    expect(countryOf(null)).toBeNull();
  });
});
