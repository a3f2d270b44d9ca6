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

export const BUILT_IN_CDN_RULES: readonly CdnRule[] = Object.freeze([
  ...['akamaized.net', 'akamaihd.net', 'akamai.net', 'akamaiedge.net', 'edgesuite.net', 'edgekey.net', 'akamaitechnologies.com', 'akamaistream.net'].map((h) => ({ hostSuffix: h, cdn: 'Akamai' })),
  { hostSuffix: 'cloudfront.net', cdn: 'CloudFront' },
  ...['fastly.net', 'fastlylb.net', 'fastly-edge.com', 'fastly.com'].map((h) => ({ hostSuffix: h, cdn: 'Fastly' })),
  ...['azurefd.net', 't-msedge.net', 'azurefd-test.net'].map((h) => ({ hostSuffix: h, cdn: 'AzureFrontDoor' })),
  ...['azureedge.net', 'msecnd.net'].map((h) => ({ hostSuffix: h, cdn: 'AzureCDN' })),
  ...['cloudflare.net', 'cloudflarestream.com', 'videodelivery.net', 'r2.dev', 'cloudflare.com'].map((h) => ({ hostSuffix: h, cdn: 'Cloudflare' })),
  ...['edgecache.googleusercontent.com', 'mediacdn.goog'].map((h) => ({ hostSuffix: h, cdn: 'GoogleMediaCDN' })),
  ...['llnwd.net', 'llnw.net', 'llnwi.net', 'edgecastcdn.net', 'systemcdn.net', 'edgio.net', 'edgio.link', 'vo.llnwd.net'].map((h) => ({ hostSuffix: h, cdn: 'Edgio' })),
]);

/** The host of a bare host name or a URL, lower case, without port or credentials. No URL object: this runs per record. */
export function hostOf(hostOrUrl: string): string | null {
  let s = hostOrUrl.trim();
  const scheme = s.indexOf('://');
  if (scheme >= 0) s = s.slice(scheme + 3);
  let end = s.length;
  for (const stop of ['/', '?', '#']) {
    const i = s.indexOf(stop);
    if (i >= 0 && i < end) end = i;
  }
  s = s.slice(0, end);
  const at = s.lastIndexOf('@');
  if (at >= 0) s = s.slice(at + 1);
  if (s.startsWith('[')) return null; // an IPv6 literal names no CDN
  const colon = s.indexOf(':');
  if (colon >= 0) s = s.slice(0, colon);
  return s ? s.toLowerCase() : null;
}

/** Header-based hints, first match wins. Header names are lower-cased by the caller. */
function fromHeaders(h: Record<string, string>): string | null {
  const get = (n: string) => h[n] ?? '';
  const server = get('server').toLowerCase();
  const via = get('via').toLowerCase();
  if (get('x-amz-cf-id') || get('x-amz-cf-pop') || via.includes('cloudfront')) return 'CloudFront';
  if (get('cf-ray') || server === 'cloudflare') return 'Cloudflare';
  if (get('x-fastly-request-id') || /cache-[a-z]{3}\d/.test(get('x-served-by').toLowerCase())) return 'Fastly';
  if (server.includes('akamaighost') || Object.keys(h).some((k) => k.startsWith('x-akamai-'))) return 'Akamai';
  if (get('x-azure-ref') || get('x-msedge-ref')) return 'AzureFrontDoor';
  if (server.startsWith('ecacc') || server.startsWith('ecs') || Object.keys(h).some((k) => k.startsWith('x-edgeconnect-'))) return 'Edgio';
  return null;
}

export class CdnResolver {
  private readonly rules: CdnRule[];
  private readonly byHost = new Map<string, string | null>();

  constructor(extraRules: CdnRule[]) {
    this.rules = [...extraRules.map((r) => ({ hostSuffix: r.hostSuffix.toLowerCase().replace(/^\./, ''), cdn: r.cdn })), ...BUILT_IN_CDN_RULES];
  }

  private forHost(host: string): string | null {
    let hit = this.byHost.get(host);
    if (hit !== undefined) return hit;
    hit = this.rules.find((r) => host === r.hostSuffix || host.endsWith(`.${r.hostSuffix}`))?.cdn ?? null;
    if (this.byHost.size > 10_000) this.byHost.clear(); // hosts are few; this only guards against junk
    this.byHost.set(host, hit);
    return hit;
  }

  resolve(input: CdnInput): string | null {
    if (input.beaconCdn) return input.beaconCdn;
    if (input.cmcdCdn) return input.cmcdCdn;
    for (const h of input.hosts) {
      const host = h ? hostOf(h) : null;
      const cdn = host ? this.forHost(host) : null;
      if (cdn) return cdn;
    }
    if (input.headers) {
      const lower: Record<string, string> = {};
      for (const [k, v] of Object.entries(input.headers)) lower[k.toLowerCase()] = String(v);
      return fromHeaders(lower);
    }
    return null;
  }
}
