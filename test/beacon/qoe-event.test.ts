import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QOE_EVENT_COLUMNS, serializeQoeEvent, type QoeEvent } from '../../src/beacon/qoe-event.js';
import { buildQoeEvent } from '../../src/beacon/row.js';

const sender = {
  country: 'US',
  region: null,
  city: null,
  asn: 15169,
  asnOrg: 'GOOGLE',
  clientIpPrefix: '8.8.8.0/24',
  os: 'Windows',
  osVersion: '10',
  browser: 'Chrome',
  browserVersion: '131',
  deviceType: 'desktop',
};
const recordDims = { contentId: 'bbb', cdn: 'Akamai', manifestUrl: 'https://x.akamaized.net/m.mpd' };
const origin = { source: 'http' as const, sourceRef: null, receivedAt: '2026-11-23T10:00:01.000Z' };

describe('QoeEvent row', () => {
  it('the row builder produces exactly the table columns, in order', () => {
    const e = buildQoeEvent({ sessionId: 's', event: 'play', ts: 1795428000000 }, null, sender, recordDims, origin);
    expect(Object.keys(e)).toEqual(QOE_EVENT_COLUMNS.map(([n]) => n));
    expect(e.Timestamp).toBe(new Date(1795428000000).toISOString());
  });

  it('serializes to JSON that reads back as the row without its null columns', () => {
    const text = fc.string({ maxLength: 20 });
    const num = fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({
          sessionId: text,
          errorMessage: fc.option(text, { nil: undefined }),
          playhead: num,
          bitrateKbps: num,
          fatal: fc.option(fc.boolean(), { nil: undefined }),
          seq: fc.option(fc.nat(), { nil: undefined }),
        }),
        fc.option(fc.dictionary(text, fc.jsonValue({ maxDepth: 2 })), { nil: null }),
        (b, extra) => {
          const e = buildQoeEvent({ ...b, event: 'heartbeat', ts: '2026-11-23T10:00:00Z' }, extra, sender, recordDims, origin);
          const line = serializeQoeEvent(e);
          const expected = Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null && v !== undefined));
          expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(expected)));
          expect(line).not.toContain('\n');
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });

  it('a fully populated row names every column', () => {
    const full = Object.fromEntries(
      QOE_EVENT_COLUMNS.map(([n, t]) => [
        n,
        t === 'string' ? 'x' : t === 'datetime' ? '2026-11-23T10:00:00.000Z' : t === 'bool' ? true : t === 'dynamic' ? { k: 1 } : 1,
      ]),
    ) as unknown as QoeEvent;
    expect(Object.keys(JSON.parse(serializeQoeEvent(full)))).toEqual(QOE_EVENT_COLUMNS.map(([n]) => n));
  });
});

describe('toIso', () => {
  it('formats like Date.prototype.toISOString for every millisecond in range', async () => {
    const { toIso } = await import('../../src/beacon/row.js');
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (t) => toIso(t) === new Date(t).toISOString()),
      { numRuns: 20_000, seed: 3 },
    );
    expect(toIso('2026-11-23T10:00:00.5+01:00')).toBe('2026-11-23T09:00:00.500Z');
    expect(toIso(Date.UTC(2026, 10, 23, 23, 59, 59, 999) + 0.7)).toBe('2026-11-23T23:59:59.999Z');
  });
});
