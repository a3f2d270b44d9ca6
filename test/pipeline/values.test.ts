import { describe, expect, it } from 'vitest';
import { MAX_RAW_CHARS } from '../../src/pipeline/limits.js';
import { boundedJson, boundedRaw, isPlainObject } from '../../src/pipeline/values.js';

describe('record helpers', () => {
  it('isPlainObject is true for objects only', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(null)).toBe(false);
    expect(isPlainObject('x')).toBe(false);
  });

  it('boundedRaw keeps at most MAX_RAW_CHARS characters', () => {
    expect(boundedRaw('abc')).toBe('abc');
    expect(boundedRaw('x'.repeat(MAX_RAW_CHARS + 10))).toHaveLength(MAX_RAW_CHARS);
  });

  it('boundedJson serializes, bounds, and marks what cannot be serialized', () => {
    expect(boundedJson({ a: 1 })).toBe('{"a":1}');
    expect(boundedJson({ s: 'x'.repeat(MAX_RAW_CHARS * 2) })).toHaveLength(MAX_RAW_CHARS);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    // a cycle is written 32 levels deep, then "…": bounded, never a throw (issue 14)
    expect(boundedJson(cyclic)).toMatch(/^(\{"self":){32}"…"\}+$/);
    expect(boundedJson(10n)).toBe('null');
    const throwing = Object.defineProperty({ a: 1 }, 'b', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    expect(boundedJson(throwing)).toBe('{"a":1,"b":…[unserializable]');
  });
});
