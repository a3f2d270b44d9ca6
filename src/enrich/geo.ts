// Geo from mmdb files, readers opened once per process. The default country database is the one
// that @ip-location-db ships; MaxMind GeoIP2/GeoLite2 City and ASN files (or ip-location-db's
// city and ASN files) add region, city and ASN.
import maxmind, { type Reader, type Response } from 'maxmind';
import { expandV6, mappedV4, normalizeIp, v4ToInt } from './client-ip.js';
import { errorMessage } from '../errors.js';

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

// Addresses that say nothing about where a viewer is: "this network", private, loopback,
// link-local, CGNAT, IETF protocol assignments, documentation, benchmarking, multicast, reserved
// and broadcast. Plain integer tests: this runs per request.
const V4_RANGES: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
];
const V4_NETS = new Uint32Array(V4_RANGES.length);
const V4_MASKS = new Uint32Array(V4_RANGES.length);
V4_RANGES.forEach(([net, bits], i) => {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  V4_MASKS[i] = mask;
  V4_NETS[i] = (v4ToInt(net)! & mask) >>> 0;
});

function v4Unroutable(n: number): boolean {
  for (let i = 0; i < V4_NETS.length; i++) if ((n & V4_MASKS[i]!) >>> 0 === V4_NETS[i]) return true;
  return false;
}

function v6Unroutable(g: number[]): boolean {
  const g0 = g[0]!;
  if (g0 === 0) return g[1] === 0 && g[2] === 0 && g[3] === 0; // ::/64: ::, ::1, old v4-compatible (v4-mapped is resolved before)
  return (
    (g0 & 0xfe00) === 0xfc00 || // fc00::/7 unique local
    (g0 & 0xffc0) === 0xfe80 || // fe80::/10 link-local
    (g0 & 0xffc0) === 0xfec0 || // fec0::/10 old site-local
    (g0 & 0xff00) === 0xff00 || // ff00::/8 multicast
    (g0 === 0x2001 && g[1] === 0x0db8) || // 2001:db8::/32 documentation
    (g0 === 0x3fff && (g[1]! & 0xf000) === 0) || // 3fff::/20 documentation (RFC 9637)
    (g0 === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) // 100::/64 discard
  );
}

/** True for addresses that locate nobody (private, loopback, link-local, CGNAT, ULA, documentation ...) and for non-addresses. */
export function isUnroutable(ip: string): boolean {
  return routable(ip) === undefined;
}

/**
 * The address to look up (v4-mapped made IPv4), or undefined when it locates nobody or is no
 * address. Clean input (what resolveClientIp returns) takes the fast path: the strict parsers of
 * client-ip.ts; anything else (ports, brackets, zones, spaces) goes through normalizeIp first.
 */
function routable(ip: string, normalized = false): string | undefined {
  if (ip.indexOf(':') < 0) {
    const n = v4ToInt(ip);
    if (n !== undefined) return v4Unroutable(n) ? undefined : ip;
  } else if (ip.charCodeAt(0) !== 91 /* [ */ && ip.indexOf('%') < 0) {
    const g = expandV6(ip);
    if (g !== undefined) {
      const v4 = mappedV4(g);
      if (v4 !== undefined) return v4Unroutable(v4ToInt(v4)!) ? undefined : v4;
      return v6Unroutable(g) ? undefined : ip;
    }
  }
  if (normalized) return undefined;
  const n = normalizeIp(ip);
  return n === undefined ? undefined : routable(n, true);
}

type Names = { en?: unknown };
type AnyRecord = {
  // MaxMind GeoIP2 / GeoLite2
  country?: { iso_code?: unknown };
  registered_country?: { iso_code?: unknown };
  subdivisions?: Array<{ iso_code?: unknown; names?: Names }>;
  city?: { names?: Names } | string;
  traits?: { autonomous_system_number?: unknown; autonomous_system_organization?: unknown };
  // ip-location-db
  country_code?: unknown;
  state1?: unknown;
  // both ASN shapes
  autonomous_system_number?: unknown;
  autonomous_system_organization?: unknown;
};

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

const ALPHA2 = /^[A-Za-z]{2}$/;

/** Country from either record shape: MaxMind (country.iso_code, else registered_country) or ip-location-db (country_code). ISO 3166 alpha-2, upper case. */
export function countryOf(r: AnyRecord | null | undefined): string | null {
  if (!r) return null;
  const c = str(r.country?.iso_code) ?? str(r.country_code) ?? str(r.registered_country?.iso_code);
  if (c === null || !ALPHA2.test(c)) return null;
  const upper = c.toUpperCase();
  return upper === 'ZZ' ? null : upper; // ZZ: "unknown" in several databases
}

/** First-level subdivision: its English name (MaxMind) or state1 (ip-location-db), else its ISO code. */
export function regionOf(r: AnyRecord | null | undefined): string | null {
  if (!r) return null;
  const sub = r.subdivisions?.[0];
  return str(sub?.names?.en) ?? str(r.state1) ?? str(sub?.iso_code);
}

export function cityOf(r: AnyRecord | null | undefined): string | null {
  const city = r?.city;
  return typeof city === 'string' ? str(city) : str(city?.names?.en);
}

function asnOf(r: AnyRecord | null | undefined): number | null {
  const v = r?.autonomous_system_number ?? r?.traits?.autonomous_system_number;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 ? n : null;
}

function asnOrgOf(r: AnyRecord | null | undefined): string | null {
  return str(r?.autonomous_system_organization) ?? str(r?.traits?.autonomous_system_organization);
}

/** One opened database; an IPv4-only file (ip-location-db ships *-ipv4.mmdb) is never asked about IPv6. */
class Db {
  readonly v6: boolean;
  constructor(private readonly reader: Reader<Response>) {
    this.v6 = reader.metadata.ipVersion === 6;
  }
  get(ip: string, isV6: boolean): AnyRecord | null {
    // A v4 tree walked with 128 bits answers for the address's first 32 bits: a wrong country, not none.
    if (isV6 && !this.v6) return null;
    return this.reader.get(ip) as AnyRecord | null;
  }
}

async function openDb(file: string | undefined, what: string): Promise<Db | undefined> {
  if (!file) return undefined;
  try {
    return new Db(await maxmind.open<Response>(file));
  } catch (err) {
    throw new Error(`cannot open the ${what} database ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

export class GeoLookup {
  private constructor(
    private readonly country: Db | undefined,
    private readonly city: Db | undefined,
    private readonly asn: Db | undefined,
  ) {}

  static async open(opts: GeoOptions): Promise<GeoLookup> {
    const [country, city, asn] = await Promise.all([
      openDb(opts.countryDb, 'country'),
      openDb(opts.cityDb, 'city'),
      openDb(opts.asnDb, 'ASN'),
    ]);
    return new GeoLookup(country, city, asn);
  }

  /** All null for no address, a non-address, or one that locates nobody (private, loopback, CGNAT, ULA, documentation ...). */
  lookup(ip: string | undefined): GeoInfo {
    if (!ip) return NO_GEO;
    const addr = routable(ip);
    if (addr === undefined) return NO_GEO;
    const v6 = addr.includes(':');
    // The city database is preferred for the country too; the country database fills in where it
    // has no answer (an IPv4-only city file, or a range it does not cover).
    const place = this.city?.get(addr, v6) ?? null;
    let country = countryOf(place);
    if (country === null && this.country) country = countryOf(this.country.get(addr, v6));
    const as = this.asn ? this.asn.get(addr, v6) : place;
    return {
      country,
      region: regionOf(place),
      city: cityOf(place),
      asn: asnOf(as),
      asnOrg: asnOrgOf(as),
    };
  }
}
