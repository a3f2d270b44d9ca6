// Small helpers every source uses on client-controlled values.
import { MAX_RAW_CHARS } from './limits.js';

/** A JSON object (not an array, not null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Raw text as kept for a rejected record: at most MAX_RAW_CHARS characters. */
export function boundedRaw(text: string): string {
  return text.length > MAX_RAW_CHARS ? text.slice(0, MAX_RAW_CHARS) : text;
}

/** A value's JSON as kept for a rejected record: bounded, and a marker when it cannot be serialized. */
export function boundedJson(value: unknown): string {
  try {
    return boundedRaw(JSON.stringify(value) ?? '');
  } catch {
    return '[unserializable]';
  }
}
