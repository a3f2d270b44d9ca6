import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cityOf, countryOf, GeoLookup, isUnroutable, regionOf, type GeoInfo } from '../../src/enrich/geo.js';
import { buildMmdb } from './mmdb-writer.js';

// The default database (config.ts resolves the same file).
const countryDb = createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
// MaxMind GeoIP2/GeoLite2 City and ASN record shapes, written as real mmdb files by the test's
// writer (no MaxMind data is shipped in the repository).
let maxmindCityDb: string;
let maxmindAsnDb: string;

const NOTHING: GeoInfo = { country: null, region: null, city: null, asn: null, asnOrg: null };

// ip-location-db's city and ASN shapes. Their city files come as separate *-ipv4.mmdb and
// *-ipv6.mmdb; 32.0.0.0/8 is here to catch an IPv6 address walked through the IPv4 tree
// (2001:4860:: starts with the bits of 32.1.72.96).
let ipdbCityV4Db: string;
let ipdbAsnDb: string;
beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'qoe-geo-'));
  maxmindCityDb = path.join(dir, 'GeoLite2-City.mmdb');
  maxmindAsnDb = path.join(dir, 'GeoLite2-ASN.mmdb');
  const place = (country: string, region: string | undefined, city: string | undefined) => ({
    continent: { code: 'EU', names: { en: 'Europe' } },
    country: { iso_code: country, names: { en: country } },
    registered_country: { iso_code: country, names: { en: country } },
    ...(region ? { subdivisions: [{ iso_code: region.slice(0, 2).toUpperCase(), names: { en: region } }] } : {}),
    ...(city ? { city: { names: { en: city } } } : {}),
  });
  writeFileSync(
    maxmindCityDb,
    buildMmdb({
      ipVersion: 6,
      databaseType: 'GeoLite2-City',
      networks: [
        { cidr: '81.2.69.0/24', data: place('GB', 'England', 'London') },
        { cidr: '89.160.20.112/28', data: place('SE', 'Östergötland County', 'Linköping') },
        { cidr: '216.160.83.56/29', data: place('US', 'Washington', 'Milton') },
        { cidr: '67.43.156.0/24', data: place('BT', undefined, undefined) },
        { cidr: '2001:218::/32', data: place('JP', undefined, undefined) },
      ],
    }),
  );
  writeFileSync(
    maxmindAsnDb,
    buildMmdb({
      ipVersion: 6,
      databaseType: 'GeoLite2-ASN',
      networks: [
        { cidr: '89.160.20.112/28', data: { autonomous_system_number: 29518, autonomous_system_organization: 'Bredband2 AB' } },
        { cidr: '216.160.83.56/29', data: { autonomous_system_number: 209 } },
      ],
    }),
  );
  ipdbCityV4Db = path.join(dir, 'city-ipv4.mmdb');
  ipdbAsnDb = path.join(dir, 'asn.mmdb');
  writeFileSync(
    ipdbCityV4Db,
    buildMmdb({
      ipVersion: 4,
      databaseType: 'ip-location-db-city',
      networks: [
        {
          cidr: '81.2.69.0/24',
          data: {
            country_code: 'GB',
            state1: 'England',
            state2: 'Greater London',
            city: 'London',
            postcode: 'EC2V',
            latitude: 51.5142,
            longitude: -0.0931,
            timezone: 'Europe/London',
          },
        },
        { cidr: '32.0.0.0/8', data: { country_code: 'FR', state1: 'Ile-de-France', city: 'Paris' } },
        { cidr: '8.8.8.0/24', data: { country_code: 'us', state1: '', city: '' } },
      ],
    }),
  );
  writeFileSync(
    ipdbAsnDb,
    buildMmdb({
      ipVersion: 6,
      databaseType: 'ip-location-db-asn',
      networks: [
        { cidr: '8.8.8.0/24', data: { autonomous_system_number: 15169, autonomous_system_organization: 'Google LLC' } },
        { cidr: '2001:4860::/32', data: { autonomous_system_number: 15169, autonomous_system_organization: 'Google LLC' } },
      ],
    }),
  );
});

describe('GeoLookup with the default country database', () => {
  it('finds countries for IPv4 and IPv6, and nothing else', async () => {
    const geo = await GeoLookup.open({ countryDb });
    expect(geo.lookup('8.8.8.8')).toEqual({ ...NOTHING, country: 'US' });
    expect(geo.lookup('2001:4860:4860::8888')).toEqual({ ...NOTHING, country: 'US' });
    expect(geo.lookup('1.1.1.1').country).toBe('AU');
    expect(geo.lookup('193.0.6.139').country).toBe('NL');
    expect(geo.lookup('2001:67c:2e8:22::c100:68b').country).toBe('NL');
  });

  it('looks up v4-mapped addresses as IPv4 (the database has no ::ffff:0:0/96 alias) and tolerates ports and brackets', async () => {
    const geo = await GeoLookup.open({ countryDb });
    expect(geo.lookup('::ffff:8.8.8.8').country).toBe('US');
    expect(geo.lookup('::FFFF:808:808').country).toBe('US');
    expect(geo.lookup('[2001:4860:4860::8888]:443').country).toBe('US');
    expect(geo.lookup('8.8.8.8:1234').country).toBe('US');
  });

  it('gives no geo for private, loopback, link-local, CGNAT, ULA, multicast and documentation addresses, or garbage', async () => {
    const geo = await GeoLookup.open({ countryDb });
    const nobody = [
      '10.0.0.1',
      '192.168.1.1',
      '172.16.0.9',
      '172.31.255.255',
      '127.0.0.1',
      '169.254.3.3',
      '100.64.1.1',
      '100.127.255.254',
      '0.0.0.0',
      '192.0.2.1',
      '198.51.100.1',
      '203.0.113.5',
      '198.18.0.1',
      '224.0.0.251',
      '255.255.255.255',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456:789a::1',
      'fe80::1',
      'fe80::1%eth0',
      'ff02::1',
      '2001:db8::1',
      '3fff::1',
      '::ffff:10.1.2.3',
    ];
    for (const ip of nobody) {
      expect(geo.lookup(ip), ip).toEqual(NOTHING);
      expect(isUnroutable(ip), ip).toBe(true);
    }
    // The database itself has rows for some of these (2001:db8::/32 says JP): the filter is what keeps them out.
    for (const ip of [undefined, '', 'garbage', '1.2.3', '999.0.0.1', '2001:db8:::1']) expect(geo.lookup(ip), String(ip)).toEqual(NOTHING);
    // Neighbours of the unroutable ranges are routable.
    for (const ip of ['100.128.0.1', '172.32.0.1', '11.0.0.1', '2001:db9::1', '2606:4700:4700::1111'])
      expect(isUnroutable(ip), ip).toBe(false);
  });

  it('says which database it could not open', async () => {
    await expect(GeoLookup.open({ countryDb: '/nonexistent/country.mmdb' })).rejects.toThrow(
      /country database \/nonexistent\/country\.mmdb/,
    );
    await expect(GeoLookup.open({ countryDb, asnDb: '/nonexistent/asn.mmdb' })).rejects.toThrow(/ASN database/);
  });
});

describe('GeoLookup with MaxMind GeoLite2 City and ASN databases', () => {
  it('reads country, region and city from the city database and ASN from the ASN database', async () => {
    const geo = await GeoLookup.open({ countryDb, cityDb: maxmindCityDb, asnDb: maxmindAsnDb });
    // 81.2.69.142: GB / England / London in the city file.
    expect(geo.lookup('81.2.69.142')).toEqual({ country: 'GB', region: 'England', city: 'London', asn: null, asnOrg: null });
    expect(geo.lookup('89.160.20.112')).toEqual({
      country: 'SE',
      region: 'Östergötland County',
      city: 'Linköping',
      asn: 29518,
      asnOrg: 'Bredband2 AB',
    });
    // An ASN record without an organisation.
    expect(geo.lookup('216.160.83.56')).toEqual({ country: 'US', region: 'Washington', city: 'Milton', asn: 209, asnOrg: null });
    // IPv6, country only.
    expect(geo.lookup('2001:218::1')).toEqual({ country: 'JP', region: null, city: null, asn: null, asnOrg: null });
  });

  it('prefers the city database for the country, and falls back to the country database where it has nothing', async () => {
    const geo = await GeoLookup.open({ countryDb, cityDb: maxmindCityDb });
    // 67.43.156.1: the city database says BT; the country database says otherwise.
    const countryOnly = await GeoLookup.open({ countryDb });
    expect(countryOnly.lookup('67.43.156.1').country).not.toBe('BT');
    expect(geo.lookup('67.43.156.1').country).toBe('BT');
    // Not in the test city database at all.
    expect(geo.lookup('8.8.8.8')).toEqual({ ...NOTHING, country: 'US' });
  });
});

describe('GeoLookup with ip-location-db city and ASN databases', () => {
  it('reads country_code / state1 / city and autonomous_system_*', async () => {
    const geo = await GeoLookup.open({ countryDb, cityDb: ipdbCityV4Db, asnDb: ipdbAsnDb });
    expect(geo.lookup('81.2.69.142')).toEqual({ country: 'GB', region: 'England', city: 'London', asn: null, asnOrg: null });
    // Lower-case code, empty state and city strings.
    expect(geo.lookup('8.8.8.8')).toEqual({ country: 'US', region: null, city: null, asn: 15169, asnOrg: 'Google LLC' });
  });

  it('never asks an IPv4-only database about IPv6 addresses', async () => {
    const geo = await GeoLookup.open({ countryDb, cityDb: ipdbCityV4Db, asnDb: ipdbAsnDb });
    expect(geo.lookup('32.1.72.96')).toMatchObject({ country: 'FR', city: 'Paris' });
    // Walked through the IPv4 tree this address would land in 32.0.0.0/8 (Paris).
    expect(geo.lookup('2001:4860:4860::8888')).toEqual({ country: 'US', region: null, city: null, asn: 15169, asnOrg: 'Google LLC' });
  });
});

describe('record shapes', () => {
  it('reads MaxMind GeoIP2 and ip-location-db records', () => {
    const maxmind = {
      country: { iso_code: 'de' },
      subdivisions: [{ iso_code: 'BE', names: { en: 'Land Berlin' } }],
      city: { names: { en: 'Berlin' } },
    };
    expect([countryOf(maxmind), regionOf(maxmind), cityOf(maxmind)]).toEqual(['DE', 'Land Berlin', 'Berlin']);
    const ipdb = { country_code: 'FR', state1: 'Ile-de-France', city: 'Paris' };
    expect([countryOf(ipdb), regionOf(ipdb), cityOf(ipdb)]).toEqual(['FR', 'Ile-de-France', 'Paris']);
  });

  it('falls back sensibly and refuses what is not an alpha-2 code', () => {
    expect(countryOf({ registered_country: { iso_code: 'NL' } })).toBe('NL');
    expect(regionOf({ subdivisions: [{ iso_code: 'ENG' }] })).toBe('ENG');
    expect(countryOf({ country_code: 'ZZ' })).toBeNull();
    expect(countryOf({ country_code: 'USA' })).toBeNull();
    expect(countryOf({ country_code: '' })).toBeNull();
    expect(countryOf(null)).toBeNull();
    expect(regionOf(null)).toBeNull();
    expect(cityOf(undefined)).toBeNull();
  });
});
