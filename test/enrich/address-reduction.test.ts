// One address reduction for every spelling of an address, and the scrub that applies it to any text.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addressHints, MAY_V4, MAY_V6, reduceAddress, scanAddresses, scrubAddresses } from '../../src/enrich/client-ip.js';
import { cdnlog } from '../../src/intake/blob/formats/cdnlog.js';

describe('reduceAddress', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['2001:db8:1234:5678::1', '2001:db8:1234::/48'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['::ffff:cb00:714d', '203.0.113.0/24'],
    // 6to4: 2002:AABB:CCDD::/48 holds the whole IPv4 (was reduced to 2002:cb00:714d::/48)
    ['2002:cb00:714d:1::1', '203.0.113.0/24'],
    // Teredo: the client's IPv4 with every bit flipped in the last 32 bits (~203.0.113.77 = 34ff:8eb2)
    ['2001:0:4136:e378:8000:63bf:34ff:8eb2', '203.0.113.0/24'],
    // NAT64 well-known prefix
    ['64:ff9b::203.0.113.77', '203.0.113.0/24'],
    ['64:ff9b::cb00:714d', '203.0.113.0/24'],
    ['[2002:cb00:714d::1]:443', '203.0.113.0/24'],
    ['not an address', null],
  ])('%s -> %s', (ip, prefix) => {
    expect(reduceAddress(ip)).toBe(prefix);
  });
});

describe('scrubAddresses', () => {
  it('reduces every address in a text and leaves prefixes and other numbers alone', () => {
    const text =
      'from 203.0.113.77 via [2001:db8:1234:5678::9]:443 and 2002:cb00:714d::1, kept 198.51.100.0/24 and 2001:db8:1::/48, at 10:00:00.000Z v5.2.1';
    expect(scrubAddresses(text)).toBe(
      'from 203.0.113.0/24 via [2001:db8:1234::/48]:443 and 203.0.113.0/24, kept 198.51.100.0/24 and 2001:db8:1::/48, at 10:00:00.000Z v5.2.1',
    );
  });

  it('finds addresses inside URLs, JSON and query strings', () => {
    expect(scrubAddresses('{"u":"http://192.0.2.55:8080/x?ip=192.0.2.56"}')).toBe('{"u":"http://192.0.2.0/24:8080/x?ip=192.0.2.0/24"}');
    expect(scrubAddresses('::ffff:192.0.2.55')).toBe('192.0.2.0/24');
    // percent-encoded: quotes glue digits to the address, colons hide an IPv6
    expect(scrubAddresses('nor%3D%22203.0.113.120%22')).toBe('nor%3D%22203.0.113.0/24%22');
    expect(scrubAddresses('ip=2001%3Adb8%3A1%3A2%3A%3A5')).toBe('ip=2001:db8:1::/48');
    const glued = scrubAddresses('sid%3D%222002:cb00:7107::1%22');
    expect(glued).toContain('203.0.113.0/24');
    expect(glued).not.toMatch(/cb00|7107/);
  });
});

describe('dead-lettered CDN-log lines', () => {
  it('keep the client field as its prefix, never the raw c-ip (was: raw line with c-ip)', async () => {
    const log = [
      '#Version: 1.0',
      '#Fields: date time c-ip cs-uri-stem cs-uri-query cs(User-Agent)',
      // CMCD without a session id: rejected, kept in the dead-letter store
      '2026-11-23 10:00:00 203.0.113.77 /v/seg1.m4s CMCD=br%3D3200 Mozilla/5.0',
      '2026-11-23 10:00:01 2002:cb00:714d::1 /v/seg2.m4s CMCD=br%3D3200 Mozilla/5.0',
    ].join('\n');
    const out = [];
    for await (const c of cdnlog(Readable.from([log]), 1 << 16)) out.push(c);
    expect(out).toHaveLength(2);
    for (const c of out) {
      expect(c.error).toMatch(/sid/);
      expect(c.raw).toContain('203.0.113.0/24');
      expect(c.raw).not.toContain('203.0.113.77');
      expect(c.raw).not.toMatch(/cb00:714d/);
    }
  });
});

describe('addressHints (the cheap gate before the scans)', () => {
  // Address-shaped pieces, so that many texts hold something the scans reduce.
  const piece = fc.constantFrom(
    '0',
    '1',
    '9',
    '10',
    '64',
    '127',
    '203',
    '255',
    '256',
    '2002',
    'ff9b',
    'ffff',
    'a',
    'E',
    '.',
    '.',
    ':',
    '::',
    '/',
    '/24',
    '"',
    'x',
    '%3a',
    '%2E',
    ' ',
  );
  const text = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));

  it('never changes what the scans do: gated and ungated scrubs agree on any text', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(scrubAddresses(t), t).toBe(scanAddresses(t, false));
      }),
      { numRuns: 20_000, seed: 20261202 },
    );
  });

  it('says which scan can find something', () => {
    expect(addressHints('fe80::1')).toBe(MAY_V6);
    expect(addressHints('2001:db8:1:2:3:4:5:6')).toBe(MAY_V6);
    expect(addressHints('at 198.51.100.23 and 2001:db8::1')).toBe(MAY_V6 | MAY_V4);
    expect(addressHints('"ts":"2026-12-02T14:08:18.123Z","v":"5.2.1"')).toBe(0);
  });

  it("lets rows without an address through untouched (Chrome's reduced version 131.0.0.0 included), and finds one hidden among hex ids and timestamps", () => {
    const row =
      '{"Timestamp":"2026-12-02T14:08:18.123Z","SessionId":"3f2c9a1e-77aa-4c1b-9d2e-0a1b2c3d4e5f","Bitrate":4500.5,"Version":"5.2.1","BrowserVersion":"131.0.0.0","ClientIpPrefix":"198.51.100.0/24"}';
    expect(scrubAddresses(row)).toBe(row);
    const hidden = row.replace('5.2.1', 'via 2001:db8:1234:5678:9abc:def0:1234:5678 and 198.51.100.23');
    expect(addressHints(hidden)).toBe(MAY_V6 | MAY_V4);
    expect(scrubAddresses(hidden)).toContain('via 2001:db8:1234::/48 and 198.51.100.0/24');
  });
});
