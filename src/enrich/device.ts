// Device dimensions from User-Agent and User-Agent Client Hints, with ua-parser-js 1.x (MIT; 2.x
// is AGPL and stays out). Parsing costs microseconds, players send the same UA all session long,
// so results are cached in a bounded LRU.
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

const HINT_HEADERS: Array<[keyof ClientHints, string]> = [
  ['brands', 'sec-ch-ua'],
  ['fullVersionList', 'sec-ch-ua-full-version-list'],
  ['mobile', 'sec-ch-ua-mobile'],
  ['platform', 'sec-ch-ua-platform'],
  ['platformVersion', 'sec-ch-ua-platform-version'],
  ['model', 'sec-ch-ua-model'],
];

export function clientHintsFromHeaders(getHeader: (name: string) => string | null | undefined): ClientHints | undefined {
  let hints: ClientHints | undefined;
  for (const [key, header] of HINT_HEADERS) {
    const v = getHeader(header);
    if (v) (hints ??= {})[key] = v;
  }
  return hints;
}

const unquote = (s: string) => s.trim().replace(/^"|"$/g, '');

/** `"Chromium";v="131.0.6778.86", "Google Chrome";v="131.0.6778.86", "Not_A Brand";v="24"` -> entries. */
function brandList(header: string): Array<{ brand: string; version: string }> {
  return header.split(',').flatMap((part) => {
    const m = /^\s*"([^"]*)"\s*;\s*v\s*=\s*"([^"]*)"/.exec(part);
    return m ? [{ brand: m[1]!, version: m[2]! }] : [];
  });
}

const GREASE = /not.?a.?brand/i;
const BRAND_NAMES: Record<string, string> = { 'Google Chrome': 'Chrome', 'Microsoft Edge': 'Edge', Opera: 'Opera', Chromium: 'Chromium' };

const TV = /SMART-?TV|SmartTV|Tizen|Web0S|webOS|HbbTV|NetCast|BRAVIA|Roku|AFT[A-Z]|CrKey|Chromecast|GoogleTV|Android TV|AndroidTV|AppleTV|Apple TV|tvOS|Viera|Philips|Hisense|VIDAA|Vizio|SmartHub/i;
const CONSOLE = /PlayStation|Xbox|Nintendo/i;
const DESKTOP_OS = new Set(['Windows', 'Mac OS', 'macOS', 'Linux', 'Ubuntu', 'Debian', 'Fedora', 'Chromium OS', 'Chrome OS', 'FreeBSD', 'OpenBSD']);

function deviceTypeOf(ua: string, parsedType: string | undefined, os: string | null, mobileHint: string | undefined): DeviceType | null {
  if (CONSOLE.test(ua) || parsedType === 'console') return 'console';
  if (TV.test(ua) || parsedType === 'smarttv') return 'smarttv';
  if (parsedType === 'tablet') return 'tablet';
  if (parsedType === 'mobile' || parsedType === 'wearable' || mobileHint === '?1') return 'mobile';
  if (parsedType === 'embedded') return 'other';
  if (os && DESKTOP_OS.has(os)) return 'desktop';
  return os ? 'other' : null;
}

export class DeviceParser {
  private readonly cache: LRUCache<string, DeviceInfo>;

  constructor(cacheSize: number) {
    this.cache = new LRUCache({ max: Math.max(1, cacheSize) });
  }

  parse(userAgent: string | undefined, hints?: ClientHints): DeviceInfo {
    const ua = userAgent ?? '';
    const key = hints ? `${ua}\u0000${hints.fullVersionList ?? hints.brands ?? ''}\u0000${hints.platform ?? ''}\u0000${hints.platformVersion ?? ''}\u0000${hints.mobile ?? ''}` : ua;
    let info = this.cache.get(key);
    if (!info) {
      info = Object.freeze(this.compute(ua, hints));
      this.cache.set(key, info);
    }
    return info;
  }

  private compute(ua: string, hints: ClientHints | undefined): DeviceInfo {
    if (!ua && !hints) return { os: null, osVersion: null, browser: null, browserVersion: null, deviceType: null };
    const r = new UAParser(ua).getResult();
    let os = r.os.name ?? null;
    let osVersion = r.os.version ?? null;
    let browser = r.browser.name ?? null;
    let browserVersion = r.browser.version ?? null;
    if (hints) {
      // Client hints are what Chromium reports now that its UA string is frozen (Windows 11 says "Windows NT 10.0").
      const platform = hints.platform ? unquote(hints.platform) : '';
      if (platform) os = platform === 'macOS' ? 'Mac OS' : platform;
      const pv = hints.platformVersion ? unquote(hints.platformVersion) : '';
      if (pv) {
        osVersion = os === 'Windows' ? (Number(pv.split('.')[0]) >= 13 ? '11' : '10') : pv;
      }
      const brands = brandList(hints.fullVersionList ?? hints.brands ?? '').filter((b) => !GREASE.test(b.brand));
      const best = brands.find((b) => b.brand !== 'Chromium') ?? brands[0];
      if (best) {
        browser = BRAND_NAMES[best.brand] ?? best.brand;
        browserVersion = best.version;
      }
    }
    return { os, osVersion, browser, browserVersion, deviceType: deviceTypeOf(ua, r.device.type, os, hints?.mobile) };
  }
}
