// The client address, worked out once per request and reduced to a prefix before anything is
// stored: the raw address is used only for the geo lookup.
import { isIP } from 'node:net';

export interface ClientIpOptions {
  header: 'x-forwarded-for' | 'x-azure-clientip' | 'none';
  /** Proxies we run that append to X-Forwarded-For; the client is the entry just left of theirs. */
  trustedProxyHops: number;
}

/** "1.2.3.4:5678" -> "1.2.3.4", "[2001:db8::1]:443" -> "2001:db8::1", "fe80::1%eth0" -> "fe80::1", "::ffff:1.2.3.4" -> "1.2.3.4". */
export function normalizeIp(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  let s = raw.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return undefined;
    s = s.slice(1, end);
  } else if (s.indexOf(':') > 0 && s.indexOf(':') === s.lastIndexOf(':') && s.includes('.')) {
    s = s.slice(0, s.indexOf(':')); // IPv4 with a port
  }
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const kind = isIP(s);
  if (kind === 0) return undefined;
  if (kind === 6) {
    const lower = s.toLowerCase();
    const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped && isIP(mapped[1]!) === 4) return mapped[1];
    return lower;
  }
  return s;
}

export function resolveClientIp(
  getHeader: (name: string) => string | null | undefined,
  socketAddress: string | undefined,
  opts: ClientIpOptions,
): string | undefined {
  if (opts.header === 'x-azure-clientip') return normalizeIp(getHeader('x-azure-clientip')) ?? normalizeIp(socketAddress);
  if (opts.header === 'x-forwarded-for' && opts.trustedProxyHops > 0) {
    const list = (getHeader('x-forwarded-for') ?? '').split(',').map((e) => e.trim()).filter(Boolean);
    if (list.length > 0) {
      const pick = list.length - opts.trustedProxyHops;
      return normalizeIp(list[pick >= 0 ? pick : 0]);
    }
  }
  return normalizeIp(socketAddress);
}

/** The eight 16-bit groups of a valid IPv6 address (embedded IPv4 tails included). */
export function expandV6(ip: string): number[] | undefined {
  let s = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined) => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const left = groups(halves[0]);
  if (halves.length === 1) return left.length === 8 ? left : undefined;
  const right = groups(halves[1]);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** "203.0.113.0/24" for IPv4, "2001:db8:1234::/48" for IPv6; null when there is no valid address. */
export function ipPrefix(ip: string | undefined): string | null {
  const n = normalizeIp(ip);
  if (!n) return null;
  if (isIP(n) === 4) {
    const [a, b, c] = n.split('.');
    return `${a}.${b}.${c}.0/24`;
  }
  const g = expandV6(n);
  if (!g || g.length !== 8) return null;
  const [a, b, c] = g.map((x) => x.toString(16));
  // compressed form of a:b:c:0:0:0:0:0
  const head = [a, b, c];
  while (head.length && head[head.length - 1] === '0') head.pop();
  return `${head.join(':')}::/48`;
}
