// The client address, worked out once per request and reduced to a prefix before anything is
// stored: the raw address is used only for the geo lookup. Runs per request (and per CDN log
// line), so it scans strings by hand instead of splitting them or building URL objects.
import { isIP } from 'node:net';

export interface ClientIpOptions {
  header: 'x-forwarded-for' | 'x-azure-clientip' | 'none';
  /** Proxies we run that append to X-Forwarded-For; the client is the entry just left of theirs. */
  trustedProxyHops: number;
}

/** An IPv4 dotted quad as an unsigned 32-bit integer; undefined unless it is exactly four decimal octets 0..255 without leading zeros. */
export function v4ToInt(ip: string): number | undefined {
  let n = 0;
  let octet = -1;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46 /* . */) {
      if (octet < 0 || ++dots > 3) return undefined;
      n = n * 256 + octet;
      octet = -1;
    } else if (c >= 48 && c <= 57) {
      if (octet === 0) return undefined; // "01": octal in some parsers, refused by all careful ones
      octet = octet < 0 ? c - 48 : octet * 10 + (c - 48);
      if (octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || octet < 0) return undefined;
  return n * 256 + octet;
}

const FFFF = /ffff/i;

const intToV4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail and a %zone are understood);
 * undefined when it is not one. One pass over the characters, no splitting and no regular
 * expressions (this is on the per-request path).
 */
export function expandV6(ip: string): number[] | undefined {
  const zone = ip.indexOf('%');
  const end = zone < 0 ? ip.length : zone;
  const out = [0, 0, 0, 0, 0, 0, 0, 0];
  let n = 0; // groups written
  let gap = -1; // where "::" stood, in groups
  let i = 0;
  if (end >= 2 && ip.charCodeAt(0) === 58 && ip.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  } else if (end === 0 || ip.charCodeAt(0) === 58) {
    return undefined;
  }
  while (i < end) {
    let value = 0;
    let j = i;
    for (; j < end; j++) {
      const h = hexValue(ip.charCodeAt(j));
      if (h < 0) break;
      if (j - i === 4) return undefined; // five hex digits
      value = value * 16 + h;
    }
    if (j < end && ip.charCodeAt(j) === 46 /* . */) {
      // a dotted-quad tail: the last 32 bits
      if (n > 6) return undefined;
      const v4 = v4ToInt(ip.slice(i, end));
      if (v4 === undefined) return undefined;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      break;
    }
    if (j === i || n === 8) return undefined;
    out[n++] = value;
    if (j === end) break;
    if (ip.charCodeAt(j) !== 58 /* : */) return undefined;
    if (j + 1 < end && ip.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return undefined; // a second "::"
      gap = n;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === end) return undefined; // a trailing single ":"
    }
  }
  if (gap < 0) return n === 8 ? out : undefined;
  if (n > 7) return undefined; // "::" stands for at least one group
  const moved = n - gap; // the groups after "::" go to the end
  for (let k = 0; k < moved; k++) out[7 - k] = out[n - 1 - k]!;
  for (let k = gap; k < 8 - moved; k++) out[k] = 0;
  return out;
}

/** ::ffff:a.b.c.d (in either spelling) -> a.b.c.d; undefined for any other address. */
export function mappedV4(g: number[]): string | undefined {
  if (g[0] !== 0 || g[1] !== 0 || g[2] !== 0 || g[3] !== 0 || g[4] !== 0 || g[5] !== 0xffff) return undefined;
  return intToV4(((g[6]! << 16) | g[7]!) >>> 0);
}

/**
 * "1.2.3.4:5678" -> "1.2.3.4", "[2001:DB8::1]:443" -> "2001:db8::1", "fe80::1%eth0" -> "fe80::1",
 * "::ffff:1.2.3.4" -> "1.2.3.4"; undefined for anything that is not an IP address.
 */
export function normalizeIp(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  let s = raw.trim();
  if (s.charCodeAt(0) === 91 /* [ */) {
    const end = s.indexOf(']');
    if (end < 0) return undefined;
    if (end + 1 < s.length && s.charCodeAt(end + 1) !== 58 /* : */) return undefined;
    s = s.slice(1, end);
  } else {
    const colon = s.indexOf(':');
    // One colon after a dotted quad is a port; an IPv6 address has at least two.
    if (colon > 0 && s.indexOf(':', colon + 1) < 0) s = s.slice(0, colon);
  }
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const kind = isIP(s); // the gate: what node:net accepts
  if (kind === 4) return s;
  if (kind !== 6) return undefined;
  // Only a v4-mapped address starts with a zero group and holds an "ffff"; skip the parse otherwise.
  const c0 = s.charCodeAt(0);
  if ((c0 === 58 || c0 === 48) && FFFF.test(s)) {
    const g = expandV6(s);
    const v4 = g && mappedV4(g);
    if (v4) return v4;
  }
  return s.toLowerCase();
}

/** The right-most-but-`hops` entry of a comma list; the left-most when the list is shorter. */
function pickForwarded(list: string, hops: number): string | undefined {
  let end = list.length;
  let seen = 0;
  let leftmost: string | undefined;
  for (;;) {
    const comma = end > 0 ? list.lastIndexOf(',', end - 1) : -1;
    const entry = list.slice(comma + 1, end).trim();
    if (entry !== '') {
      if (++seen === hops) return entry;
      leftmost = entry;
    }
    if (comma < 0) return leftmost;
    end = comma;
  }
}

export function resolveClientIp(
  getHeader: (name: string) => string | null | undefined,
  socketAddress: string | undefined,
  opts: ClientIpOptions,
): string | undefined {
  if (opts.header === 'x-azure-clientip') return normalizeIp(getHeader('x-azure-clientip')) ?? normalizeIp(socketAddress);
  if (opts.header === 'x-forwarded-for' && opts.trustedProxyHops > 0) {
    const xff = getHeader('x-forwarded-for');
    const entry = xff ? pickForwarded(xff, opts.trustedProxyHops) : undefined;
    // The entry the trusted proxies vouch for is the answer, valid or not: the socket is their address.
    if (entry !== undefined) return normalizeIp(entry);
  }
  return normalizeIp(socketAddress);
}

/** The IPv4 an IPv6 address embeds (v4-mapped, v4-translated, v4-compatible, 6to4, Teredo, NAT64), as an integer. */
function embeddedV4(g: number[]): number | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const low = ((g6 << 16) | g7) >>> 0;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) {
    // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated), ::a.b.c.d (compatible, deprecated)
    if ((g4 === 0 && g5 === 0xffff) || (g4 === 0xffff && g5 === 0)) return low;
    if (g4 === 0 && g5 === 0 && g6 >= 0x100) return low; // ::a.b.c.d, but not :: or ::1
  }
  if (g0 === 0x2002) return ((g1 << 16) | g2) >>> 0; // 6to4 2002:AABB:CCDD::/48
  if (g0 === 0x2001 && g1 === 0) return ~low >>> 0; // Teredo: the client's address, every bit flipped, in the last 32 bits
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return low; // NAT64 well-known prefix 64:ff9b::/96
  return undefined;
}

/**
 * The one address reduction: IPv4 -> its /24; IPv6 -> its /48 (RFC 5952 form), except addresses
 * that embed an IPv4 (v4-mapped, 6to4 2002::/16, Teredo 2001::/32, NAT64 64:ff9b::/96), which
 * reduce to the embedded IPv4's /24 (a /48 of 6to4 still holds the whole IPv4). Null when `ip`
 * is not an address.
 */
export function reduceAddress(ip: string | undefined): string | null {
  const n = normalizeIp(ip);
  if (!n) return null;
  if (n.indexOf(':') < 0) return `${n.slice(0, n.lastIndexOf('.'))}.0/24`;
  const g = expandV6(n);
  if (!g) return null;
  const v4 = embeddedV4(g);
  if (v4 !== undefined) return `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.0/24`;
  // The zeros after the first three groups are always the longest run, so they are the ones compressed.
  const [a, b, c] = g as [number, number, number];
  if (c !== 0) return `${a.toString(16)}:${b.toString(16)}:${c.toString(16)}::/48`;
  if (b !== 0) return `${a.toString(16)}:${b.toString(16)}::/48`;
  if (a !== 0) return `${a.toString(16)}::/48`;
  return '::/48';
}

/** Same as reduceAddress (the name the row builder uses). */
export const ipPrefix = reduceAddress;

const isHexColonDot = (c: number) => (c >= 48 && c <= 58) || c === 46 || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/**
 * Replaces each maximal run of `inRun` characters holding at least `minSeparators` of `separator`
 * with `replace(run, next)`'s answer (when it has one). Linear; runs without enough separators
 * (words, numbers, hex ids) cost their scan only.
 */
function replaceRuns(
  text: string,
  inRun: (c: number) => boolean,
  separator: number,
  minSeparators: number,
  replace: (run: string, rest: string) => string | undefined,
): string {
  let out: string[] | undefined;
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (!inRun(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let seps = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (!inRun(c)) break;
      if (c === separator) seps++;
    }
    if (seps < minSeparators) continue;
    const r = replace(text.slice(start, i), text.slice(i, i + 4));
    if (r !== undefined) {
      (out ??= []).push(text.slice(last, start), r);
      last = i;
    }
  }
  return out ? out.join('') + text.slice(last) : text;
}

/** A run already written as a prefix ("198.51.100.0" before "/24") stays as it is. */
const isPrefixAlready = (run: string, rest: string, reduced: string) => rest.charCodeAt(0) === 47 /* / */ && reduced.startsWith(`${run}/`);

/** Loopback (127/8, ::1) identifies no client: the local emulator's URLs (Azurite) keep it. */
const isLoopback = (reduced: string) => reduced.startsWith('127.') || reduced === '::/48';

function scrubV6(run: string, rest: string): string | undefined {
  if (run.length > 80 || run.indexOf(':') === run.lastIndexOf(':')) return undefined; // an IPv6 has two colons at least
  // Hex glued in front (percent-encoding: `%222001:db8::1`) is skipped: up to 6 leading characters.
  const maxSkip = Math.min(6, Math.max(0, run.indexOf(':') - 1));
  for (let skip = 0; skip <= maxSkip; skip++) {
    const body = run.slice(skip);
    for (const candidate of [body, body.replace(/[:.]$/, '')]) {
      if (isIP(candidate) !== 6) continue;
      const reduced = reduceAddress(candidate);
      if (!reduced || isPrefixAlready(candidate, rest, reduced) || (candidate === '::1' && isLoopback(reduced))) return undefined;
      return run.slice(0, skip) + reduced + body.slice(candidate.length);
    }
  }
  return undefined;
}

const OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d|0\d{1,2})$/;

/** The longest octet (1-3 digits) at the end (`fromEnd`) or the start of a digit string; undefined when none. */
function octetAt(digits: string, fromEnd: boolean): string | undefined {
  for (let n = Math.min(3, digits.length); n >= 1; n--) {
    const o = fromEnd ? digits.slice(digits.length - n) : digits.slice(0, n);
    if (OCTET.test(o)) return o;
  }
  return undefined;
}

// A dotted quad, possibly glued to more digits on either side (percent-encoding: `%22203.0.113.7%22`).
const DOTTED_QUAD = /(\d+)\.(\d{1,3})\.(\d{1,3})\.(\d+)/g;

function scrubV4(text: string): string {
  return text.replace(DOTTED_QUAD, (m: string, a: string, b: string, c: string, d: string) => {
    // a.b.c.0 says no more than its /24 (a prefix already written, Chrome's reduced "131.0.0.0"): left as is.
    if (d === '0' || !OCTET.test(b) || !OCTET.test(c)) return m;
    const first = octetAt(a, true);
    const last = octetAt(d, false);
    if (first === undefined || last === undefined) return m;
    if (Number(first) === 127) return m; // loopback
    return `${a.slice(0, a.length - first.length)}${Number(first)}.${Number(b)}.${Number(c)}.0/24${d.slice(last.length)}`;
  });
}

// A cheap gate that lets most texts skip the scans, and says which scan can find something.
// Never a false negative for these shapes: an IPv6 has "::" or six colons with at most four hex
// digits between them (/::|([0-9a-f]{0,4}:){6}/i); a dotted quad that says more than its /24
// (its fourth number is not exactly 0) is /\d\.\d{1,3}\.\d{1,3}\.(?!0(?!\d))\d/. Rows are
// mostly JSON punctuation, hex ids and timestamps: both tests below start from a literal (a colon,
// a dot) the engine finds without trying every hex digit, as the expressions written above do
// (a third of the pipeline's time went there).
export const MAY_V6 = 1;
export const MAY_V4 = 2;

const V6_SHAPE = /::|:[0-9a-f]{0,4}:[0-9a-f]{0,4}:[0-9a-f]{0,4}:[0-9a-f]{0,4}:[0-9a-f]{0,4}:/i;
const isDigit = (c: number) => c >= 48 && c <= 57;

/** Digits (1 to 3) at `i` followed by a dot: the index after the dot, else -1. */
function shortNumberThenDot(t: string, i: number): number {
  let j = i;
  while (j < t.length && j - i < 4 && isDigit(t.charCodeAt(j))) j++;
  return j > i && j - i <= 3 && t.charCodeAt(j) === 46 /* . */ ? j + 1 : -1;
}

function mayHoldV4(t: string): boolean {
  for (let dot = t.indexOf('.', 1); dot >= 0; dot = t.indexOf('.', dot + 1)) {
    if (!isDigit(t.charCodeAt(dot - 1))) continue;
    const third = shortNumberThenDot(t, dot + 1);
    const fourth = third < 0 ? -1 : shortNumberThenDot(t, third);
    // A fourth number of exactly 0 is left as is by the scan (it says no more than a /24).
    if (fourth >= 0 && isDigit(t.charCodeAt(fourth)) && !(t.charCodeAt(fourth) === 48 && !isDigit(t.charCodeAt(fourth + 1)))) return true;
  }
  return false;
}

/** Which scans can find an address in `t`: MAY_V6 | MAY_V4 bits (a superset of what they find, never less). */
export function addressHints(t: string): number {
  return (V6_SHAPE.test(t) ? MAY_V6 : 0) | (mayHoldV4(t) ? MAY_V4 : 0);
}

const PERCENT_ENCODED = /%(?:3a|2e)/i;

/**
 * Every IPv4 and IPv6 address written in a text, reduced to its prefix (reduceAddress). The last
 * gate before anything is stored or logged: rows, dead letters, log lines. Linear in the text.
 */
export function scrubAddresses(text: string): string {
  return scanAddresses(text, true);
}

/** The scrub; `gated` false runs both scans on every text (what the gate must never change: tests). */
export function scanAddresses(text: string, gated: boolean): string {
  // Percent-encoded colons and dots (a query string, a CDN log's URL) are read as what they encode.
  if (text.indexOf('%') >= 0 && PERCENT_ENCODED.test(text)) text = text.replace(/%3a/gi, ':').replace(/%2e/gi, '.');
  const hints = gated ? addressHints(text) : MAY_V6 | MAY_V4;
  if (hints & MAY_V6) text = replaceRuns(text, isHexColonDot, 58 /* : */, 2, scrubV6);
  // An IPv6 scan can leave an embedded IPv4 written out (::ffff:a.b.c.d is reduced whole, so only
  // text it did not touch): the v4 scan runs when the hint saw a quad, or when the v6 scan ran.
  return hints ? scrubV4(text) : text;
}
