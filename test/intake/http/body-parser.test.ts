import { describe, expect, it } from 'vitest';
import { type IntakeError } from '../../../src/errors.js';
import { formatFor, parseRecords, bytesToText } from '../../../src/intake/http/body-parser.js';

describe('formatFor', () => {
  it('maps content types, ignoring parameters and case', () => {
    expect(formatFor('application/json; charset=utf-8')).toBe('json');
    expect(formatFor('Application/X-NDJSON')).toBe('ndjson');
    expect(formatFor('application/jsonl')).toBe('ndjson');
    expect(formatFor('text/plain;charset=UTF-8')).toBe('sniff');
    expect(formatFor(null)).toBe('sniff');
  });

  it('refuses unknown types with 415', () => {
    try {
      formatFor('application/xml');
      expect.unreachable();
    } catch (e) {
      expect((e as IntakeError).status).toBe(415);
    }
  });
});

describe('parseRecords', () => {
  it('reads one object, an array, and NDJSON', () => {
    expect(parseRecords('{"a":1}', 'json')).toEqual([{ index: 0, value: { a: 1 } }]);
    expect(parseRecords('[{"a":1},{"a":2}]', 'json').map((c) => c.value)).toEqual([{ a: 1 }, { a: 2 }]);
    const nd = parseRecords('{"a":1}\n\n{"a":2}\r\n', 'ndjson');
    expect(nd.map((c) => [c.index, c.value, c.line])).toEqual([
      [0, { a: 1 }, 1],
      [1, { a: 2 }, 3],
    ]);
  });

  it('sniffs text/plain bodies of any of the three forms', () => {
    expect(parseRecords('{"a":1}', 'sniff')).toHaveLength(1);
    expect(parseRecords('[{"a":1},{"a":2}]', 'sniff')).toHaveLength(2);
    expect(parseRecords('{"a":1}\n{"a":2}', 'sniff')).toHaveLength(2);
  });

  it('reports a bad NDJSON line with its line number and keeps the good ones', () => {
    const out = parseRecords('{"a":1}\n{"a":\n{"a":3}', 'ndjson');
    expect(out.map((c) => c.value)).toEqual([{ a: 1 }, undefined, { a: 3 }]);
    expect(out[1]!.error).toMatch(/^line 2: invalid JSON/);
    expect(out[1]!.raw).toBe('{"a":');
  });

  it('throws 400 for a body that is no JSON at all, or empty', () => {
    for (const body of ['nope', '   ', '{"a":']) {
      try {
        parseRecords(body, 'json');
        expect.unreachable();
      } catch (e) {
        expect((e as IntakeError).status).toBe(400);
      }
    }
  });

  it('decodes UTF-8 leniently and drops a BOM', () => {
    expect(bytesToText(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe('{}');
    expect(bytesToText(Buffer.from([0x22, 0xff, 0x22]))).toBe('"\ufffd"');
  });
});
