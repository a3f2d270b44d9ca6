// Device dimensions from User-Agent and User-Agent Client Hints, with ua-parser-js 1.x (MIT; 2.x
// is AGPL and stays out). Parsing costs tens of microseconds, players send the same UA all session
// long, so results are cached in a bounded LRU keyed on everything that goes into them.
import { LRUCache } from 'lru-cache';
import UAParser from 'ua-parser-js';

export interface ClientHints {
  brands?: string;
  fullVersionList?: string;
  mobile?: string;
  platform?: string;
  platformVersion?: string;
  model?: string;
}

export type DeviceType = 'desktop' | 'mobile' | 'tablet' | 'smarttv' | 'console' | 'other';

export interface DeviceInfo {
  os: string | null;
  osVersion: string | null;
  browser: string | null;
  browserVersion: string | null;
  deviceType: DeviceType | null;
}

const HINT_HEADERS: ReadonlyArray<readonly [keyof ClientHints, string]> = [
  ['brands', 'sec-ch-ua'],
  ['fullVersionList', 'sec-ch-ua-full-version-list'],
  ['mobile', 'sec-ch-ua-mobile'],
  ['platform', 'sec-ch-ua-platform'],
  ['platformVersion', 'sec-ch-ua-platform-version'],
  ['model', 'sec-ch-ua-model'],
];

/** The Sec-CH-UA-* request headers; undefined when the client sent none. */
export function clientHintsFromHeaders(getHeader: (name: string) => string | null | undefined): ClientHints | undefined {
  let hints: ClientHints | undefined;
  for (const [key, header] of HINT_HEADERS) {
    const v = getHeader(header);
    if (v) (hints ??= {})[key] = v;
  }
  return hints;
}

const QUOTED = /^\s*"(.*)"\s*$/;
const unquote = (s: string) => QUOTED.exec(s)?.[1] ?? s.trim();

const BRAND_ENTRY = /^\s*"([^"]*)"\s*;\s*v\s*=\s*"([^"]*)"/;
/** `"Chromium";v="131.0.6778.86", "Google Chrome";v="131.0.6778.86", "Not_A Brand";v="24"` -> entries. */
function brandList(header: string): Array<{ brand: string; version: string }> {
  const out: Array<{ brand: string; version: string }> = [];
  for (const part of header.split(',')) {
    const m = BRAND_ENTRY.exec(part);
    if (m && !GREASE.test(m[1]!)) out.push({ brand: m[1]!, version: m[2]! });
  }
  return out;
}

// Chromium's made-up brand ("Not_A Brand", "Not A(Brand", "Not/A)Brand", ...).
const GREASE = /not.?a.?brand/i;
// Brand names in client hints -> the names ua-parser-js 1.x gives the same browsers.
const BRAND_NAMES: Record<string, string> = {
  'Google Chrome': 'Chrome',
  'Microsoft Edge': 'Edge',
  'Android WebView': 'Chrome WebView',
  'Samsung Internet': 'Samsung Internet',
  YaBrowser: 'Yandex',
};
// Platform names in client hints -> ua-parser-js 1.x's OS names.
const PLATFORM_NAMES: Record<string, string> = { macOS: 'Mac OS', 'Chrome OS': 'Chromium OS', 'Chromium OS': 'Chromium OS' };

// TVs and streaming boxes that ua-parser-js files under no type, or under mobile/tablet (many TV
// browsers are Android ones). Fire TV ("Android ...; AFTMM") it already knows.
const TV =
  /SMART-?TV|Tizen|Web0S|webOS|HbbTV|NetCast|BRAVIA|Roku|CrKey|Chromecast|MiTV|Google ?TV|Android ?TV|Apple ?TV|tvOS|Viera|VIDAA|SmartHub/i;
const CONSOLE = /PlayStation|Xbox|Nintendo/i;
const DESKTOP_OS = new Set([
  'Windows',
  'Mac OS',
  'macOS',
  'Linux',
  'Ubuntu',
  'Debian',
  'Fedora',
  'Mint',
  'Arch',
  'Gentoo',
  'SUSE',
  'Red Hat',
  'CentOS',
  'Chromium OS',
  'Chrome OS',
  'FreeBSD',
  'OpenBSD',
  'NetBSD',
  'Solaris',
]);
const VERSION_ZEROS = /(?:\.0)+$/;

function deviceTypeOf(ua: string, parsedType: string | undefined, os: string | null, mobileHint: string | undefined): DeviceType | null {
  if (parsedType === 'console' || CONSOLE.test(ua)) return 'console';
  if (parsedType === 'smarttv' || TV.test(ua)) return 'smarttv';
  if (parsedType === 'tablet') return 'tablet';
  if (parsedType === 'mobile' || parsedType === 'wearable' || mobileHint === '?1') return 'mobile';
  if (parsedType === 'embedded' || parsedType === 'xr') return 'other';
  if (os !== null && DESKTOP_OS.has(os)) return 'desktop';
  return os !== null ? 'other' : null;
}

const NOTHING: DeviceInfo = Object.freeze({ os: null, osVersion: null, browser: null, browserVersion: null, deviceType: null });

/** What ua-parser-js 1.x reads of a User-Agent (its UA_MAX_LENGTH is 500; 512 is a round bound above it). */
export const UA_KEY_CHARS = 512;
/** What a client hint may weigh in the key: real ones are under 200 characters. */
const HINT_KEY_CHARS = 256;
/** Bytes of one cached result (a frozen object of five short strings), counted with its key. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * The first n characters, as a string of their own: a plain slice of a 12 KB header would be a
 * view that keeps all 12 KB alive as long as the cache holds the key.
 */
const head = (s: string | undefined, n: number) =>
  s === undefined ? '' : s.length > n ? Buffer.from(s.slice(0, n), 'utf16le').toString('utf16le') : s;

export class DeviceParser {
  private readonly cache: LRUCache<string, DeviceInfo>;
  private readonly parser = new UAParser();

  /** `cacheSize` entries at most, and `maxBytes` of keys and results at most, whichever binds first. */
  constructor(cacheSize: number, maxBytes = 8 * 1024 * 1024) {
    this.cache = new LRUCache({
      max: Math.max(1, Math.floor(cacheSize) || 1),
      maxSize: Math.max(4096, maxBytes),
      sizeCalculation: (_info, key) => key.length * 2 + ENTRY_OVERHEAD_BYTES,
    });
  }

  /** Bytes the cache holds now (keys and results, as counted for its bound). */
  get cachedBytes(): number {
    return this.cache.calculatedSize;
  }

  /** The same UA (and hints) always give the same frozen object. */
  parse(userAgent: string | undefined, hints?: ClientHints): DeviceInfo {
    // Only what compute() reads goes into the key, bounded: a 12 KB agent costs 512 characters. \u0001 cannot occur in header values.
    const ua = head(userAgent, UA_KEY_CHARS);
    const h = (v: string | undefined) => head(v, HINT_KEY_CHARS);
    const key =
      hints === undefined
        ? ua
        : `${ua}\u0001${h(hints.fullVersionList)}\u0001${h(hints.brands)}\u0001${h(hints.platform)}\u0001${h(hints.platformVersion)}\u0001${h(hints.mobile)}`;
    if (hints !== undefined) {
      hints = {
        fullVersionList: h(hints.fullVersionList),
        brands: h(hints.brands),
        platform: h(hints.platform),
        platformVersion: h(hints.platformVersion),
        mobile: h(hints.mobile),
      };
    }
    let info = this.cache.get(key);
    if (info === undefined) {
      info = this.compute(ua, hints);
      this.cache.set(key, info);
    }
    return info;
  }

  private compute(ua: string, hints: ClientHints | undefined): DeviceInfo {
    if (!ua && !hints) return NOTHING;
    const r = this.parser.setUA(ua).getResult();
    let os = r.os.name ?? null;
    let osVersion = r.os.version ?? null;
    let browser = r.browser.name ?? null;
    let browserVersion = r.browser.version ?? null;
    if (os === 'webOS' && osVersion === 'TV') osVersion = null; // "Web0S; Linux/SmartTV"
    if (hints) {
      // Client hints are what Chromium reports now that its UA string is frozen (Windows 11 says
      // "Windows NT 10.0", every Android phone "Android 10; K").
      const platform = hints.platform ? unquote(hints.platform) : '';
      if (platform && platform !== 'Unknown') {
        const name = PLATFORM_NAMES[platform] ?? platform;
        if (name !== os) osVersion = null; // the UA's version was some other OS's
        os = name;
      }
      const pv = hints.platformVersion ? unquote(hints.platformVersion) : '';
      if (pv && os === 'Windows') {
        // https://learn.microsoft.com/microsoft-edge/web-platform/how-to-detect-win11: 13+ is 11, 1-10 is 10, 0 is 7/8/8.1 (keep the UA's).
        const major = Number.parseInt(pv, 10);
        if (major >= 13) osVersion = '11';
        else if (major >= 1) osVersion = '10';
      } else if (pv) {
        osVersion = pv.replace(VERSION_ZEROS, '') || pv; // "14.0.0" -> "14", like the UA's "Android 14"
      }
      const full = hints.fullVersionList ? brandList(hints.fullVersionList) : [];
      const brands = full.length > 0 ? full : hints.brands ? brandList(hints.brands) : [];
      const best = brands.find((b) => b.brand !== 'Chromium') ?? brands[0];
      // Only "Chromium" listed: a browser that does not brand itself (Vivaldi); its UA knows better.
      if (best && (best.brand !== 'Chromium' || browser === null)) {
        const name = BRAND_NAMES[best.brand] ?? best.brand;
        // Low-entropy sec-ch-ua carries the major version only: keep the UA's longer one when it agrees.
        const keep = full.length === 0 && name === browser && browserVersion !== null && browserVersion.split('.')[0] === best.version;
        browser = name;
        if (!keep) browserVersion = best.version;
      }
    }
    return Object.freeze({ os, osVersion, browser, browserVersion, deviceType: deviceTypeOf(ua, r.device.type, os, hints?.mobile) });
  }
}
