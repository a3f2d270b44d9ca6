// CDN: the beacon's own field, else CMCD `cdn`, else host rules (configured first, then built-in),
// else hints in the segment response headers the beacon carries.

export interface CdnRule {
  /** Host suffix on a label boundary: "cloudfront.net" matches "d1.cloudfront.net", not "evilcloudfront.net". */
  hostSuffix: string;
  cdn: string;
}

export interface CdnInput {
  beaconCdn?: string;
  cmcdCdn?: string;
  /** Hosts to try in order: bare host names or full URLs. */
  hosts: Array<string | undefined>;
  headers?: Record<string, string>;
}

const rules = (cdn: string, suffixes: string[]): CdnRule[] => suffixes.map((hostSuffix) => Object.freeze({ hostSuffix, cdn }));

/** The default host names of the CDNs a player meets. Customer CNAMEs need configured rules (QOE_CDN_RULES). */
export const BUILT_IN_CDN_RULES: readonly CdnRule[] = Object.freeze([
  ...rules('Akamai', [
    'akamaized.net',
    'akamaihd.net',
    'akamai.net',
    'akamaiedge.net',
    'edgesuite.net',
    'edgekey.net',
    'akamaitechnologies.com',
    'akamaistream.net',
    'akamaized-staging.net',
    'akamaihd-staging.net',
    'edgesuite-staging.net',
    'edgekey-staging.net',
    'akamaiedge-staging.net',
  ]),
  ...rules('CloudFront', ['cloudfront.net']),
  ...rules('Fastly', ['fastly.net', 'fastlylb.net', 'fastly-edge.com', 'fastly.com']),
  ...rules('AzureFrontDoor', ['azurefd.net', 't-msedge.net']),
  ...rules('AzureCDN', ['azureedge.net', 'msecnd.net']),
  ...rules('Cloudflare', ['cloudflare.net', 'cloudflarestream.com', 'videodelivery.net', 'r2.dev', 'cloudflare.com']),
  ...rules('GoogleMediaCDN', ['edgecache.googleusercontent.com']),
  ...rules('Edgio', ['llnwd.net', 'llnw.net', 'llnwi.net', 'edgecastcdn.net', 'systemcdn.net', 'edgio.net']),
]);

/** Letters, digits, "+", "-", "." only: "https" in "https://x", not "x.com/?u=https" in "x.com/?u=https://y". */
function isScheme(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57 && i > from) || c === 0x2b || c === 0x2d || c === 0x2e)) return false;
  }
  return true;
}

/**
 * The host of a bare host name or a URL: lower case, without scheme, credentials, port, path or a
 * trailing dot; null for an IPv6 literal or nothing. No URL object: this runs per record.
 */
export function hostOf(hostOrUrl: string): string | null {
  let start = 0;
  let end = hostOrUrl.length;
  while (start < end && hostOrUrl.charCodeAt(start) <= 32) start++;
  while (end > start && hostOrUrl.charCodeAt(end - 1) <= 32) end--;
  const scheme = hostOrUrl.indexOf('://', start);
  if (scheme > start && scheme < end && isScheme(hostOrUrl, start, scheme)) start = scheme + 3;
  else if (hostOrUrl.startsWith('//', start)) start += 2; // protocol-relative
  for (let i = start; i < end; i++) {
    const c = hostOrUrl.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */ || c === 92 /* \ */) {
      end = i;
      break;
    }
  }
  const at = hostOrUrl.lastIndexOf('@', end - 1);
  if (at >= start) start = at + 1;
  if (hostOrUrl.charCodeAt(start) === 91 /* [ */) return null; // an IPv6 literal names no CDN
  const colon = hostOrUrl.indexOf(':', start);
  if (colon >= 0 && colon < end) end = colon;
  if (end > start && hostOrUrl.charCodeAt(end - 1) === 46 /* . */) end--; // "example.com." is fully qualified
  return end > start ? hostOrUrl.slice(start, end).toLowerCase() : null;
}

// Response-header hints, by precedence when several CDNs left their headers (a CDN in front of
// another): CloudFront, Cloudflare, Fastly, Akamai, Azure Front Door, Edgio.
const HINT_NAMES = ['CloudFront', 'Cloudflare', 'Fastly', 'Akamai', 'AzureFrontDoor', 'Edgio'] as const;
const CLOUDFRONT = 0;
const CLOUDFLARE = 1;
const FASTLY = 2;
const AKAMAI = 3;
const AZURE_FRONT_DOOR = 4;
const EDGIO = 5;
const NONE = 6;
/** Edgecast (now Edgio) servers: "ECAcc (ams/…)", "ECS (dcb/7F84)", "ECD (sec/97A6)". */
const EDGECAST_SERVER = /^(?:ecacc|ecs|ecd)(?:$|[\s(/])/;

/** One CDN from response headers, names compared case-insensitively; one pass, no copies. */
function fromHeaders(headers: Record<string, string>): string | null {
  let best = NONE;
  for (const name in headers) {
    const raw = headers[name];
    if (raw === undefined || raw === null) continue;
    const value = String(raw);
    if (value === '') continue;
    const lower = name.toLowerCase();
    let hint = NONE;
    switch (lower) {
      case 'x-amz-cf-id':
      case 'x-amz-cf-pop':
        hint = CLOUDFRONT;
        break;
      case 'via':
        if (value.toLowerCase().includes('cloudfront')) hint = CLOUDFRONT;
        break;
      case 'cf-ray':
      case 'cf-cache-status':
        hint = CLOUDFLARE;
        break;
      case 'x-fastly-request-id':
        hint = FASTLY;
        break;
      case 'x-served-by':
        if (value.toLowerCase().includes('cache-')) hint = FASTLY;
        break;
      case 'x-azure-ref':
      case 'x-msedge-ref':
        hint = AZURE_FRONT_DOOR;
        break;
      case 'server': {
        const server = value.trim().toLowerCase();
        if (server === 'cloudflare') hint = CLOUDFLARE;
        else if (server.startsWith('akamaighost') || server.startsWith('akamainetstorage')) hint = AKAMAI;
        else if (EDGECAST_SERVER.test(server)) hint = EDGIO;
        break;
      }
      default:
        if (lower.startsWith('x-akamai-')) hint = AKAMAI;
        else if (lower.startsWith('x-edgeconnect-')) hint = EDGIO;
    }
    if (hint < best) best = hint;
  }
  return best === NONE ? null : (HINT_NAMES[best] ?? null);
}

const HOST_CACHE_MAX = 10_000;

export class CdnResolver {
  private readonly rules: readonly CdnRule[];
  /** Host -> CDN (or null). Players use a handful of hosts; the bound only guards against junk. */
  private readonly byHost = new Map<string, string | null>();

  /** Configured rules are tried before the built-in ones, so they can rename or claim any host. */
  constructor(extraRules: CdnRule[]) {
    const own = extraRules.map((r) => {
      const hostSuffix = r.hostSuffix
        .trim()
        .toLowerCase()
        .replace(/^\*?\.+/, '')
        .replace(/\.$/, '');
      if (!hostSuffix || !r.cdn) throw new Error(`CDN rule ${JSON.stringify(r)} needs a hostSuffix and a cdn`);
      return { hostSuffix, cdn: r.cdn };
    });
    this.rules = [...own, ...BUILT_IN_CDN_RULES];
  }

  /** The CDN named by host rules for one host (already lower case), or null. */
  private forHost(host: string): string | null {
    const hit = this.byHost.get(host);
    if (hit !== undefined) return hit;
    let cdn: string | null = null;
    for (const r of this.rules) {
      const s = r.hostSuffix;
      if (host.endsWith(s) && (host.length === s.length || host.charCodeAt(host.length - s.length - 1) === 46) /* . */) {
        cdn = r.cdn;
        break;
      }
    }
    if (this.byHost.size >= HOST_CACHE_MAX) this.byHost.clear();
    this.byHost.set(host, cdn);
    return cdn;
  }

  /** The beacon's field, else CMCD cdn, else host rules over each host in order, else response-header hints, else null. */
  resolve(input: CdnInput): string | null {
    if (input.beaconCdn) return input.beaconCdn;
    if (input.cmcdCdn) return input.cmcdCdn;
    for (const h of input.hosts) {
      if (!h) continue;
      const host = hostOf(h);
      const cdn = host === null ? null : this.forHost(host);
      if (cdn !== null) return cdn;
    }
    return input.headers ? fromHeaders(input.headers) : null;
  }
}
