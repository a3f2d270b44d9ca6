import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBeaconSchema, EVENT_TYPES } from '../../src/beacon/schema.js';
import { createBeaconValidator } from '../../src/beacon/validate.js';

const limits = { maxStringLength: 64, maxUrlLength: 128 };
const schema = createBeaconSchema(limits);
const validator = createBeaconValidator(limits);

// Values near every boundary the schema draws, plus wrong types.
const anyValue = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1,
    1.5,
    -0.5,
    1e12,
    1e13,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    946684800000,
    4102444800001,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 70 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }), // surrogate pairs: length limits count UTF-16 units
  fc.constantFrom(
    '',
    'vod',
    'live',
    'dash',
    'x'.repeat(64),
    'x'.repeat(65),
    '2026-11-23T10:00:00Z',
    '1999-01-01T00:00:00Z',
    '2026-11-23T10:00:00',
    '2026-02-30T00:00:00Z',
    '2026-11-23T10:00:00.123+01:00',
  ),
  fc.constantFrom(...EVENT_TYPES),
  fc.dictionary(fc.string({ maxLength: 70 }), fc.oneof(fc.string({ maxLength: 70 }), fc.integer())),
  fc.array(fc.integer(), { maxLength: 3 }),
);

const fields = Object.keys(schema.shape);
const record = fc.record(Object.fromEntries(fields.map((f) => [f, anyValue])), { requiredKeys: [] });
const nearlyValid = fc
  .record({
    sessionId: fc.string({ minLength: 1, maxLength: 70 }),
    event: fc.constantFrom(...EVENT_TYPES, 'bogus'),
    ts: anyValue,
    extra: record,
  })
  .map(({ extra, ...base }) => ({ ...extra, ...base }));

describe('beacon validation: the ajv fast path agrees with the zod contract', () => {
  it('accepts exactly what zod accepts', () => {
    fc.assert(
      fc.property(fc.oneof(record, nearlyValid), (value) => {
        const zodOk = schema.safeParse(value).success;
        const ours = validator.validate(value);
        expect(ours.ok).toBe(zodOk);
      }),
      { numRuns: 3000, seed: 20261123 },
    );
  });

  it('words rejections with zod field paths', () => {
    const res = validator.validate({ sessionId: 's', event: 'play', ts: 1795428000000, bitrateKbps: -1, width: 1.5 });
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.errors.some((e) => e.startsWith('bitrateKbps:'))).toBe(true);
      expect(res.errors.some((e) => e.startsWith('width:'))).toBe(true);
    }
  });

  it('rejects timestamps outside 2000..2100 in both forms', () => {
    expect(validator.validate({ sessionId: 's', event: 'play', ts: 0 }).ok).toBe(false);
    expect(validator.validate({ sessionId: 's', event: 'play', ts: '1970-01-01T00:00:00Z' }).ok).toBe(false);
    expect(validator.validate({ sessionId: 's', event: 'play', ts: '2026-11-23T10:00:00+01:00' }).ok).toBe(true);
  });
});
