import { describe, expect, it } from 'vitest';
import { clientHintsFromHeaders, DeviceParser } from '../../src/enrich/device.js';

const UA = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  safariIpad: 'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  tizen: 'Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36',
  webos: 'Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager',
  android: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
  ps5: 'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15',
  fireTv: 'Mozilla/5.0 (Linux; Android 9; AFTMM Build/PS7633) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Mobile Safari/537.36',
};

describe('DeviceParser', () => {
  const p = new DeviceParser(100);

  it('parses real User-Agents of the players we meet', () => {
    expect(p.parse(UA.chromeWindows)).toEqual({ os: 'Windows', osVersion: '10', browser: 'Chrome', browserVersion: '131.0.0.0', deviceType: 'desktop' });
    expect(p.parse(UA.safariIphone)).toMatchObject({ os: 'iOS', osVersion: '18.1', browser: 'Mobile Safari', deviceType: 'mobile' });
    expect(p.parse(UA.safariIpad)).toMatchObject({ os: 'iOS', deviceType: 'tablet' });
    expect(p.parse(UA.tizen)).toMatchObject({ os: 'Tizen', osVersion: '7.0', deviceType: 'smarttv' });
    expect(p.parse(UA.webos)).toMatchObject({ os: 'webOS', deviceType: 'smarttv' });
    expect(p.parse(UA.android)).toMatchObject({ os: 'Android', osVersion: '14', browser: 'Chrome', deviceType: 'mobile' });
    expect(p.parse(UA.ps5)).toMatchObject({ deviceType: 'console' });
    expect(p.parse(UA.fireTv)).toMatchObject({ os: 'Android', deviceType: 'smarttv' });
    expect(p.parse(undefined)).toEqual({ os: null, osVersion: null, browser: null, browserVersion: null, deviceType: null });
  });

  it('lets client hints refine a frozen Chromium UA (Windows 11, full version)', () => {
    const hints = clientHintsFromHeaders(
      (n) =>
        ({
          'sec-ch-ua-platform': '"Windows"',
          'sec-ch-ua-platform-version': '"15.0.0"',
          'sec-ch-ua-full-version-list': '"Google Chrome";v="131.0.6778.86", "Chromium";v="131.0.6778.86", "Not_A Brand";v="24.0.0.0"',
          'sec-ch-ua-mobile': '?0',
        })[n],
    );
    expect(p.parse(UA.chromeWindows, hints)).toEqual({ os: 'Windows', osVersion: '11', browser: 'Chrome', browserVersion: '131.0.6778.86', deviceType: 'desktop' });
    expect(clientHintsFromHeaders(() => null)).toBeUndefined();
  });

  it('stays correct with a cache smaller than the number of User-Agents', () => {
    const small = new DeviceParser(2);
    for (let round = 0; round < 2; round++) {
      expect(small.parse(UA.chromeWindows).deviceType).toBe('desktop');
      expect(small.parse(UA.tizen).deviceType).toBe('smarttv');
      expect(small.parse(UA.safariIphone).deviceType).toBe('mobile');
    }
  });
});
