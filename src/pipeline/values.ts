// Small helpers every source uses on client-controlled values.
import { scrubAddresses } from '../enrich/client-ip.js';
import { MAX_RAW_CHARS } from './limits.js';

/** A JSON object (not an array, not null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Raw text as kept for a rejected record: at most MAX_RAW_CHARS characters, addresses reduced to prefixes. */
export function boundedRaw(text: string): string {
  return scrubAddresses(text.length > MAX_RAW_CHARS ? text.slice(0, MAX_RAW_CHARS) : text);
}

const MAX_JSON_DEPTH = 32;

/**
 * A value's JSON as kept for a rejected record: at most MAX_RAW_CHARS characters, written by a
 * walk that stops at the budget (so a 5 MB value costs 4 KB) and at depth 32 (deeper levels are
 * written as "…"), never by JSON.stringify of the whole value.
 */
export function boundedJson(value: unknown): string {
  const parts: string[] = [];
  let left = MAX_RAW_CHARS;
  const put = (s: string): boolean => {
    if (left <= 0) return false;
    const piece = s.length > left ? s.slice(0, left) : s;
    parts.push(piece);
    left -= piece.length;
    return left > 0;
  };
  const write = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') return put(JSON.stringify(v.length > left ? v.slice(0, left) : v));
    if (typeof v === 'number') return put(Number.isFinite(v) ? String(v) : 'null');
    if (typeof v === 'boolean') return put(String(v));
    if (v === null || typeof v !== 'object') return put('null');
    if (depth >= MAX_JSON_DEPTH) return put('"…"');
    if (Array.isArray(v)) {
      if (!put('[')) return false;
      for (let i = 0; i < v.length; i++) {
        if ((i > 0 && !put(',')) || !write(v[i], depth + 1)) return false;
      }
      return put(']');
    }
    if (!put('{')) return false;
    let first = true;
    for (const k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      if ((!first && !put(',')) || !put(`${JSON.stringify(k.length > left ? k.slice(0, left) : k)}:`)) return false;
      first = false;
      if (!write((v as Record<string, unknown>)[k], depth + 1)) return false;
    }
    return put('}');
  };
  try {
    write(value, 0);
  } catch {
    parts.push('…[unserializable]'); // a value that throws while read (a getter, a proxy) keeps what was written
  }
  return scrubAddresses(parts.join(''));
}
