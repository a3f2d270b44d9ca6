import { describe, expect, it } from 'vitest';
import { clientHintsFromHeaders, DeviceParser, type ClientHints } from '../../src/enrich/device.js';

// Real User-Agent strings, as these devices send them.
const UA = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  chromeWindows81: 'Mozilla/5.0 (Windows NT 6.3; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36',
  vivaldi:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Vivaldi/7.0.3495.18',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  firefoxUbuntu: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  safariIpad:
    'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  androidChrome:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
  androidReduced: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  samsungTablet:
    'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Safari/537.36',
  galaxyWatch:
    'Mozilla/5.0 (Linux; Android 11; SM-R890) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/1.0 Chrome/83.0.4103.106 Mobile Safari/537.36',
  tizen: 'Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.5) AppleWebKit/537.36 (KHTML, like Gecko) 85.0.4183.93/6.5 TV Safari/537.36',
  webos: 'Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager',
  webos6: 'Mozilla/5.0 (Linux; webOS/6.0; SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.79 Safari/537.36 WebAppManager',
  hbbtv:
    'Mozilla/5.0 (Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/76.0.3809.146 Safari/537.36 OPR/46.0.2207.0 OMI/4.21.0.273.DIA6.149 HbbTV/1.5.1 (+DRM; Panasonic; SmartTV2021mid; 3.501; 2.2.0;) FVC/4.0',
  fireTv:
    'Mozilla/5.0 (Linux; Android 9; AFTMM Build/PS7633) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Mobile Safari/537.36',
  bravia:
    'Mozilla/5.0 (Linux; Android 10; BRAVIA 4K GB ATV3 Build/QTG3.200305.006.S292; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.210 Mobile Safari/537.36',
  chromecast: 'Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 CrKey/1.56.500000',
  roku: 'Roku/DVP-12.0 (12.0.0.4182-88)',
  // ua-parser-js 1.x gets these wrong on its own (no type, "mobile" or "tablet").
  tizen23: 'Mozilla/5.0 (Linux; Tizen 2.3) AppleWebKit/538.1 (KHTML, like Gecko)Version/2.3 TV Safari/538.1',
  chromecastGoogleTv:
    'Mozilla/5.0 (Linux; Android 12; Chromecast Build/STTL.240206.002) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/103.0.5060.71 Mobile Safari/537.36',
  googleTvStreamer:
    'Mozilla/5.0 (Linux; Android 12; Google TV Streamer Build/UTT3.240625.001.K5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
  miTv: 'Mozilla/5.0 (Linux; U; Android 9; zh-cn; MiTV4-ANSM0 Build/PKQ1.180904.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/61.0.3163.128 Mobile Safari/537.36',
  miBox:
    'Mozilla/5.0 (Linux; Android 9; Xiaomi Mi Box S) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/100.0.4896.127 Safari/537.36 AndroidTV',
  xbox: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
  ps5: 'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15',
  nintendoSwitch:
    'Mozilla/5.0 (Nintendo Switch; WifiWebAuthApplet) AppleWebKit/606.4 (KHTML, like Gecko) NF/6.0.1.15.4 NintendoBrowser/5.1.0.20393',
};

const fromHeaders = (h: Record<string, string>) => clientHintsFromHeaders((n) => h[n]);

describe('DeviceParser on User-Agent strings', () => {
  const p = new DeviceParser(100);

  it('desktops', () => {
    expect(p.parse(UA.chromeWindows)).toEqual({
      os: 'Windows',
      osVersion: '10',
      browser: 'Chrome',
      browserVersion: '131.0.0.0',
      deviceType: 'desktop',
    });
    expect(p.parse(UA.edgeWindows)).toMatchObject({ os: 'Windows', browser: 'Edge', deviceType: 'desktop' });
    expect(p.parse(UA.safariMac)).toEqual({
      os: 'Mac OS',
      osVersion: '10.15.7',
      browser: 'Safari',
      browserVersion: '18.1',
      deviceType: 'desktop',
    });
    expect(p.parse(UA.firefoxUbuntu)).toMatchObject({ os: 'Ubuntu', browser: 'Firefox', browserVersion: '133.0', deviceType: 'desktop' });
  });

  it('phones and tablets', () => {
    expect(p.parse(UA.safariIphone)).toEqual({
      os: 'iOS',
      osVersion: '18.1',
      browser: 'Mobile Safari',
      browserVersion: '18.1',
      deviceType: 'mobile',
    });
    expect(p.parse(UA.safariIpad)).toEqual({
      os: 'iOS',
      osVersion: '17.6',
      browser: 'Mobile Safari',
      browserVersion: '17.6',
      deviceType: 'tablet',
    });
    expect(p.parse(UA.androidChrome)).toEqual({
      os: 'Android',
      osVersion: '14',
      browser: 'Chrome',
      browserVersion: '131.0.6778.81',
      deviceType: 'mobile',
    });
    expect(p.parse(UA.samsungTablet)).toMatchObject({ os: 'Android', browser: 'Samsung Internet', deviceType: 'tablet' });
    expect(p.parse(UA.galaxyWatch).deviceType).toBe('mobile'); // wearable
  });

  it('smart TVs and streaming sticks, including the ones ua-parser-js files as phones', () => {
    expect(p.parse(UA.tizen)).toMatchObject({ os: 'Tizen', osVersion: '6.5', deviceType: 'smarttv' });
    expect(p.parse(UA.webos)).toMatchObject({ os: 'webOS', osVersion: null, browser: 'Chrome', deviceType: 'smarttv' });
    expect(p.parse(UA.webos6)).toMatchObject({ os: 'webOS', osVersion: '6.0', deviceType: 'smarttv' });
    expect(p.parse(UA.hbbtv).deviceType).toBe('smarttv');
    expect(p.parse(UA.fireTv)).toMatchObject({ os: 'Android', deviceType: 'smarttv' }); // says "Mobile Safari"
    expect(p.parse(UA.bravia)).toMatchObject({ os: 'Android', deviceType: 'smarttv' }); // ditto
    expect(p.parse(UA.chromecast).deviceType).toBe('smarttv'); // says "X11; Linux"
    expect(p.parse(UA.roku)).toMatchObject({ os: null, browser: null, deviceType: 'smarttv' });
  });

  it('smart TVs that ua-parser-js alone would call something else', () => {
    expect(p.parse(UA.tizen23)).toMatchObject({ os: 'Tizen', deviceType: 'smarttv' });
    expect(p.parse(UA.chromecastGoogleTv)).toMatchObject({ os: 'Android', deviceType: 'smarttv' });
    expect(p.parse(UA.googleTvStreamer).deviceType).toBe('smarttv');
    expect(p.parse(UA.miBox).deviceType).toBe('smarttv');
    expect(p.parse(UA.miTv).deviceType).toBe('smarttv');
  });

  it('game consoles', () => {
    expect(p.parse(UA.xbox)).toMatchObject({ browser: 'Edge', deviceType: 'console' }); // says "Windows NT 10.0"
    expect(p.parse(UA.ps5)).toMatchObject({ os: 'PlayStation', osVersion: '5', deviceType: 'console' });
    expect(p.parse(UA.nintendoSwitch).deviceType).toBe('console');
  });

  it('TV words only count as such: a "Craftsman" is no Fire TV', () => {
    expect(p.parse('Mozilla/5.0 (X11; Linux x86_64) Craftsman/1.0').deviceType).toBe('desktop');
    expect(
      p.parse('Mozilla/5.0 (Linux; Android 13; Hisense E50) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36')
        .deviceType,
    ).toBe('mobile');
  });

  it('nothing to go on', () => {
    const none = { os: null, osVersion: null, browser: null, browserVersion: null, deviceType: null };
    expect(p.parse(undefined)).toEqual(none);
    expect(p.parse('')).toEqual(none);
    expect(p.parse('ExoPlayerLib/2.19.1')).toEqual(none);
  });
});

describe('client hints', () => {
  const p = new DeviceParser(100);

  it('are read from the Sec-CH-UA-* headers, and are undefined when there are none', () => {
    expect(
      fromHeaders({
        'sec-ch-ua': '"Chromium";v="131", "Not_A Brand";v="24"',
        'sec-ch-ua-mobile': '?0',
        'sec-ch-ua-platform': '"Windows"',
        'sec-ch-ua-model': '""',
        'user-agent': 'ignored',
      }),
    ).toEqual({ brands: '"Chromium";v="131", "Not_A Brand";v="24"', mobile: '?0', platform: '"Windows"', model: '""' });
    expect(fromHeaders({ 'user-agent': 'x' })).toBeUndefined();
    expect(clientHintsFromHeaders(() => null)).toBeUndefined();
  });

  it('refine a frozen Chromium UA: Windows 11, the full browser version', () => {
    const hints = fromHeaders({
      'sec-ch-ua-platform': '"Windows"',
      'sec-ch-ua-platform-version': '"15.0.0"',
      'sec-ch-ua-full-version-list': '"Google Chrome";v="131.0.6778.86", "Chromium";v="131.0.6778.86", "Not_A Brand";v="24.0.0.0"',
      'sec-ch-ua-mobile': '?0',
    });
    expect(p.parse(UA.chromeWindows, hints)).toEqual({
      os: 'Windows',
      osVersion: '11',
      browser: 'Chrome',
      browserVersion: '131.0.6778.86',
      deviceType: 'desktop',
    });
    // Windows 10 reports 1..10, Windows 7/8/8.1 report 0: then the UA's version stands.
    expect(p.parse(UA.chromeWindows, { ...hints, platformVersion: '"10.0.0"' }).osVersion).toBe('10');
    expect(p.parse(UA.chromeWindows81, { platform: '"Windows"', platformVersion: '"0.3.0"' }).osVersion).toBe('8.1');
    // Without hints the same UA is Windows 10, Chrome 131.0.0.0.
    expect(p.parse(UA.chromeWindows)).toMatchObject({ osVersion: '10', browserVersion: '131.0.0.0' });
  });

  it('give the real Android version, model-less phones, and mobile from ?1', () => {
    const hints: ClientHints = {
      brands: '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
      fullVersionList: '"Google Chrome";v="131.0.6778.104", "Chromium";v="131.0.6778.104", "Not_A Brand";v="24.0.0.0"',
      mobile: '?1',
      platform: '"Android"',
      platformVersion: '"14.0.0"',
      model: '"Pixel 8"',
    };
    expect(p.parse(UA.androidReduced, hints)).toEqual({
      os: 'Android',
      osVersion: '14',
      browser: 'Chrome',
      browserVersion: '131.0.6778.104',
      deviceType: 'mobile',
    });
    // A UA that says nothing about the device: ?1 alone makes it mobile.
    expect(p.parse('Mozilla/5.0', { mobile: '?1', platform: '"Android"' }).deviceType).toBe('mobile');
  });

  it('name the browser by its brand, without overriding what the UA knows better', () => {
    const edge = {
      brands: '"Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
      platform: '"macOS"',
      platformVersion: '"14.5.0"',
    };
    // Low-entropy brands only carry the major version: the UA's longer one is kept when it agrees.
    expect(p.parse(UA.edgeWindows, { brands: edge.brands })).toMatchObject({ browser: 'Edge', browserVersion: '131.0.0.0' });
    expect(p.parse(UA.chromeWindows, edge)).toMatchObject({ os: 'Mac OS', osVersion: '14.5', browser: 'Edge', browserVersion: '131' });
    // Vivaldi lists only Chromium: its UA names it.
    expect(p.parse(UA.vivaldi, { brands: '"Chromium";v="131", "Not_A Brand";v="24"' })).toMatchObject({
      browser: 'Vivaldi',
      browserVersion: '7.0.3495.18',
    });
    // Other GREASE spellings are ignored too.
    expect(p.parse('', { brands: '"Not A(Brand";v="99", "Opera";v="114", "Chromium";v="128"' })).toMatchObject({
      browser: 'Opera',
      browserVersion: '114',
    });
    expect(p.parse('', { platform: '"Chrome OS"' })).toMatchObject({ os: 'Chromium OS', deviceType: 'desktop' });
  });

  it('are part of the cache key', () => {
    const q = new DeviceParser(10);
    expect(q.parse(UA.chromeWindows).osVersion).toBe('10');
    expect(q.parse(UA.chromeWindows, { platform: '"Windows"', platformVersion: '"15.0.0"' }).osVersion).toBe('11');
    expect(q.parse(UA.chromeWindows, { platform: '"Windows"', platformVersion: '"10.0.0"' }).osVersion).toBe('10');
    expect(q.parse(UA.chromeWindows, { platform: '"Windows"', platformVersion: '"15.0.0"' }).osVersion).toBe('11');
    const versions = (v: string) => ({ platform: '"Windows"', fullVersionList: `"Google Chrome";v="${v}", "Chromium";v="${v}"` });
    expect(q.parse(UA.chromeWindows, versions('131.0.6778.86')).browserVersion).toBe('131.0.6778.86');
    expect(q.parse(UA.chromeWindows, versions('131.0.6778.140')).browserVersion).toBe('131.0.6778.140');
    expect(q.parse(UA.chromeWindows, { ...versions('131.0.6778.140'), mobile: '?1' }).deviceType).toBe('mobile');
    expect(q.parse(UA.chromeWindows, { brands: '"Microsoft Edge";v="131"' }).browser).toBe('Edge');
    expect(q.parse(UA.chromeWindows, { brands: '"Opera";v="131"' }).browser).toBe('Opera');
  });
});

describe('DeviceParser cache', () => {
  it('returns the same frozen object for the same UA', () => {
    const p = new DeviceParser(10);
    const a = p.parse(UA.safariIphone);
    expect(p.parse(UA.safariIphone)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('is bounded, and stays correct with fewer entries than User-Agents', () => {
    const small = new DeviceParser(2);
    const first = small.parse(UA.chromeWindows);
    expect(small.parse(UA.chromeWindows)).toBe(first); // a hit
    for (let round = 0; round < 3; round++) {
      expect(small.parse(UA.chromeWindows)).toMatchObject({ os: 'Windows', deviceType: 'desktop' });
      expect(small.parse(UA.tizen)).toMatchObject({ os: 'Tizen', deviceType: 'smarttv' });
      expect(small.parse(UA.safariIphone)).toMatchObject({ os: 'iOS', deviceType: 'mobile' });
    }
    // Three UAs through two slots: the first one was evicted and parsed again, into a new object.
    const again = small.parse(UA.chromeWindows);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect((small as unknown as { cache: { size: number } }).cache.size).toBe(2);
  });
});
