// The golden sessions (test/analytics/golden/, written by hand from docs/kpis.md) against the
// TypeScript reference. kql:verify runs the KQL session function on the same two files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateKpis, concurrentPlays } from '../../src/analytics/aggregate.js';
import type { CmcdKeys } from '../../src/intake/cmcd/decode.js';
import { cmcdToBeacon } from '../../src/intake/cmcd/map.js';
import {
  SESSION_DIMENSION_COLUMNS,
  SESSION_KPI_COLUMNS,
  sessionsFromRows,
  type KpiRow,
  type SessionKpis,
} from '../../src/analytics/session-kpis.js';

const dir = path.join(import.meta.dirname, 'golden');
const rows = readFileSync(path.join(dir, 'rows.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as KpiRow);
const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
  evaluationTime: string;
  inactivityTimeoutMs: number;
  sessions: Array<Record<string, unknown> & { sessionId: string; source: string; note: string }>;
  concurrentPlays: Array<{ at: string; plays: number }>;
  totals: Record<string, number>;
};
const opts = { evaluationTime: expected.evaluationTime, inactivityTimeoutMs: expected.inactivityTimeoutMs };
const key = (s: { sessionId: string; source: string }) => `${s.sessionId}/${s.source}`;

/** Differences between an expected and an actual value: numbers to 1e-6 relative, null == "". */
function differs(want: unknown, got: unknown): boolean {
  if (typeof want === 'number' && typeof got === 'number') return Math.abs(want - got) > 1e-6 * Math.max(1, Math.abs(want));
  if ((want === null || want === '') && (got === null || got === '')) return false;
  return want !== got;
}

function diff(want: Record<string, unknown>, got: SessionKpis): string[] {
  const out: string[] = [];
  for (const field of Object.keys(SESSION_KPI_COLUMNS) as Array<keyof typeof SESSION_KPI_COLUMNS>) {
    if (differs(want[field], got[field])) out.push(`${field}: want ${JSON.stringify(want[field])}, got ${JSON.stringify(got[field])}`);
  }
  const dims = want.dimensions as Record<string, unknown>;
  for (const col of SESSION_DIMENSION_COLUMNS)
    if (differs(dims[col], got.dimensions[col]))
      out.push(`dimensions.${col}: want ${JSON.stringify(dims[col])}, got ${JSON.stringify(got.dimensions[col])}`);
  return out;
}

describe('golden sessions (docs/kpis.md by hand) on the reference', () => {
  const got = new Map(sessionsFromRows(rows, opts).map((s) => [key(s), s]));

  it('finds exactly the expected sessions', () => {
    expect([...got.keys()].sort()).toEqual(expected.sessions.map(key).sort());
  });

  for (const want of expected.sessions) {
    it(`${key(want)}: ${want.note}`, () => {
      expect(diff(want, got.get(key(want))!)).toEqual([]);
    });
  }

  it('expected.json states every KPI field, and the column list names nothing else', () => {
    for (const want of expected.sessions) {
      const fields = Object.keys(want).filter((k) => k !== 'note' && k !== 'dimensions');
      expect(fields.sort()).toEqual(Object.keys(SESSION_KPI_COLUMNS).sort());
      expect(Object.keys(want.dimensions as object).sort()).toEqual([...SESSION_DIMENSION_COLUMNS].sort());
    }
  });

  it('concurrent plays at the listed instants, and the totals', () => {
    const sessions = [...got.values()];
    for (const c of expected.concurrentPlays)
      expect({ at: c.at, plays: concurrentPlays(sessions, c.at) }).toEqual({ at: c.at, plays: c.plays });
    const totals = aggregateKpis(sessions) as unknown as Record<string, number>;
    for (const [k, v] of Object.entries(expected.totals)) expect([k, totals[k]]).toEqual([k, expect.closeTo(v, 9)]);
  });

  it('arrival order never matters: any permutation of the rows gives the same KPIs', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }), (shuffled) => {
        expect(sessionsFromRows(shuffled, opts)).toEqual(sessionsFromRows(rows, opts));
      }),
      { numRuns: 30 },
    );
  });

  it('the CMCD rows are what the intake makes of their CMCD keys (event type, Seq, startup, stall, bitrate, fatal, code)', () => {
    const cmcd = rows.filter((r) => r.Source === 'cmcd') as Array<KpiRow & { Cmcd: CmcdKeys }>;
    expect(cmcd.length).toBeGreaterThan(40);
    for (const r of cmcd) {
      const b = cmcdToBeacon({ ...r.Cmcd, ts: Date.parse(r.Timestamp) }).value!;
      const fromIntake = {
        EventType: b.event,
        Seq: b.seq,
        StartupMs: b.startupMs,
        StallMs: b.stallMs,
        BitrateKbps: b.bitrateKbps,
        TopBitrateKbps: b.topBitrateKbps,
        Fatal: b.fatal,
        ErrorCode: b.errorCode,
      };
      const inRow = {
        EventType: r.EventType,
        Seq: r.Seq,
        StartupMs: r.StartupMs,
        StallMs: r.StallMs,
        BitrateKbps: r.BitrateKbps,
        TopBitrateKbps: r.TopBitrateKbps,
        Fatal: r.Fatal,
        ErrorCode: r.ErrorCode,
      };
      expect([r.SessionId, r.Timestamp, fromIntake]).toEqual([r.SessionId, r.Timestamp, inRow]);
    }
  });
});
