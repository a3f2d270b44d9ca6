// CORS for browser players: only configured origins; `*` only when configured; `scheme://host:*` = any port.

export class CorsPolicy {
  private readonly exact = new Set<string>();
  private readonly anyPort: string[] = [];
  private readonly wildcard: boolean;

  constructor(origins: string[]) {
    this.wildcard = origins.includes('*');
    for (const o of origins) {
      if (o === '*') continue;
      if (o.endsWith(':*')) this.anyPort.push(o.slice(0, -2).toLowerCase());
      else this.exact.add(o.replace(/\/$/, '').toLowerCase());
    }
  }

  allows(origin: string): boolean {
    if (this.wildcard) return true;
    const o = origin.toLowerCase();
    if (this.exact.has(o)) return true;
    return this.anyPort.some((base) => o === base || (o.startsWith(base + ':') && /^\d+$/.test(o.slice(base.length + 1))));
  }

  /** Headers for an actual (non-preflight) response to `origin`. */
  responseHeaders(origin: string | null): Record<string, string> {
    if (!origin || !this.allows(origin)) return { Vary: 'Origin' };
    return { 'Access-Control-Allow-Origin': this.wildcard ? '*' : origin, Vary: 'Origin' };
  }

  /** Headers answering a preflight that the policy allows. */
  preflightHeaders(origin: string, allowHeaders: string): Record<string, string> {
    return {
      ...this.responseHeaders(origin),
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': allowHeaders,
      'Access-Control-Max-Age': '86400',
    };
  }
}
