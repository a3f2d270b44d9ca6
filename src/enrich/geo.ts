// Geo from mmdb files, readers opened once per process. The default country database is the CC0
// one that @ip-location-db ships; MaxMind GeoIP2/GeoLite2 City and ASN files add region, city, ASN.
import maxmind, { type Reader, type Response } from 'maxmind';
import { expandV6 } from './client-ip.js';

export interface GeoInfo {
  country: string | null;
  region: string | null;
  city: string | null;
  asn: number | null;
  asnOrg: string | null;
}

export interface GeoOptions {
  countryDb: string;
  cityDb?: string;
  asnDb?: string;
}

const NO_GEO: GeoInfo = Object.freeze({ country: null, region: null, city: null, asn: null, asnOrg: null });

// Addresses that say nothing about where a viewer is: private, loopback, link-local, CGNAT, ULA,
// multicast, documentation and benchmarking ranges. Plain integer tests: this runs per request.
const V4_RANGES: Array<[number, number]> = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 3],
].map(([net, bits]) => {
  const mask = bits === 0 ? 0 : (~0 << (32 - (bits as number))) >>> 0;
  return [(v4ToInt(net as string) & mask) >>> 0, mask];
});

function v4ToInt(ip: string): number {
  const p = ip.split('.');
  return ((+p[0]! << 24) | (+p[1]! << 16) | (+p[2]! << 8) | +p[3]!) >>> 0;
}

export function isUnroutable(ip: string): boolean {
  if (!ip.includes(':')) {
    const n = v4ToInt(ip);
    return V4_RANGES.some(([net, mask]) => ((n & mask) >>> 0) === net);
  }
  const g = expandV6(ip);
  if (!g) return true;
  const [g0, g1] = g as [number, number];
  if (g.slice(0, 7).every((x) => x === 0) && g[7]! <= 1) return true; // :: and ::1
  return (g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xff00) === 0xff00 || (g0 === 0x2001 && g1 === 0x0db8);
}

type AnyRecord = Record<string, unknown> & {
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  subdivisions?: Array<{ iso_code?: string; names?: { en?: string } }>;
  city?: { names?: { en?: string } } | string;
  country_code?: string;
  state1?: string;
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
};

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Country from either record shape: MaxMind (country.iso_code) or ip-location-db (country_code). */
export function countryOf(r: AnyRecord | null): string | null {
  const c = str(r?.country?.iso_code) ?? str(r?.country_code) ?? str(r?.registered_country?.iso_code);
  return c ? c.toUpperCase() : null;
}

export function regionOf(r: AnyRecord | null): string | null {
  const sub = r?.subdivisions?.[0];
  return str(sub?.names?.en) ?? str(sub?.iso_code) ?? str(r?.state1);
}

export function cityOf(r: AnyRecord | null): string | null {
  const city = r?.city;
  return typeof city === 'string' ? str(city) : str(city?.names?.en);
}

export class GeoLookup {
  private constructor(
    private readonly country: Reader<Response> | undefined,
    private readonly city: Reader<Response> | undefined,
    private readonly asn: Reader<Response> | undefined,
  ) {}

  static async open(opts: GeoOptions): Promise<GeoLookup> {
    const open = (file: string | undefined) => (file ? maxmind.open<Response>(file) : Promise.resolve(undefined));
    const [country, city, asn] = await Promise.all([open(opts.cityDb ? undefined : opts.countryDb), open(opts.cityDb), open(opts.asnDb)]);
    return new GeoLookup(country, city, asn);
  }

  lookup(ip: string | undefined): GeoInfo {
    if (!ip || isUnroutable(ip)) return NO_GEO;
    const place = (this.city ?? this.country)?.get(ip) as AnyRecord | null | undefined;
    const as = this.asn?.get(ip) as AnyRecord | null | undefined;
    const asNumber = as?.autonomous_system_number;
    return {
      country: countryOf(place ?? null),
      region: this.city ? regionOf(place ?? null) : null,
      city: this.city ? cityOf(place ?? null) : null,
      asn: typeof asNumber === 'number' ? asNumber : null,
      asnOrg: str(as?.autonomous_system_organization),
    };
  }
}
