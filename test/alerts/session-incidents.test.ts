// Issue 18, item 5: synthetic traffic (15 days, daily rhythm) with one injected incident at a
// time; the whole judgement (detect -> root cause -> incidents) must find each incident, name
// exactly its cause, stay silent on quiet traffic and make a global outage one incident.
import { describe, expect, it } from 'vitest';
import { generateSessions, INCIDENTS, type InjectedIncident } from '../../src/analytics/synthetic-incidents.js';
import { findIncidentsOnSessions, type IncidentFindings } from '../../src/alerts/session-incidents.js';

const start = new Date('2026-11-01T00:00:00Z');
const end = new Date('2026-11-16T00:00:00Z');
const incidentStart = new Date('2026-11-15T19:00:00Z');
/** Two hours into the incident; the last bin (21:00-22:00) is still inside the allowed lateness. */
const now = new Date('2026-11-15T21:10:00Z');

function judge(incidents: InjectedIncident[], seed = 7): IncidentFindings {
  const sessions = generateSessions({ start, end, incidents, seed });
  return findIncidentsOnSessions(sessions, { now, binMinutes: 60, windowMinutes: 120, latenessMinutes: 10 });
}

const cases: Array<[string, InjectedIncident, Record<string, string>, string]> = [
  ['a CDN x region start-failure spike', INCIDENTS.cdnRegionStartFailures(incidentStart), { Cdn: 'Fastly', Region: 'US-CA' }, 'vsf_rate'],
  ['a player-version startup regression', INCIDENTS.playerStartupRegression(incidentStart), { PlayerVersion: '5.2.1' }, 'startup_p95_ms'],
  ['an ASN rebuffering problem', INCIDENTS.asnRebuffering(incidentStart), { Asn: '3320' }, 'rebuffering_ratio'],
  ['a content-specific error burst', INCIDENTS.contentErrorBurst(incidentStart), { ContentId: 'c002' }, 'playback_failure_rate'],
];

describe('injected incidents', () => {
  it.each(cases)('%s is one incident named exactly by its cause', { timeout: 180_000 }, (_name, incident, cause, kpi) => {
    const f = judge([incident]);
    expect(f.insufficientHistory).toBeUndefined();
    expect(f.windowStart.toISOString()).toBe('2026-11-15T19:00:00.000Z');
    expect(f.windowEnd.toISOString()).toBe('2026-11-15T21:00:00.000Z');
    expect(f.incidents).toHaveLength(1);
    const [i] = f.incidents;
    expect(i!.cause).toEqual(cause);
    expect(i!.ranked).toBe(true);
    const k = i!.kpis.find((x) => x.kpi === kpi);
    expect(k, `${kpi} among ${i!.kpis.map((x) => x.kpi).join(', ')}`).toBeDefined();
    // Only worse is an anomaly, and the cause holds (nearly) all of the excess.
    expect(k!.cause!.share).toBeGreaterThan(0.8);
    expect(k!.cause!.lift).toBeGreaterThan(1.5);
    expect(i!.anomalies.every((a) => a.direction === 'up' || a.kpi === 'qoe_score' || a.kpi === 'avg_bitrate_kbps')).toBe(true);
    expect(i!.impactedSessions).toBeGreaterThan(0);
  });

  it('a global outage is one incident on all sessions, critical', { timeout: 180_000 }, () => {
    const f = judge([INCIDENTS.globalOutage(incidentStart)]);
    // Every country, CDN, OS ... is anomalous: many anomalies, one incident.
    expect(new Set(f.anomalies.map((a) => `${a.dimension}=${a.dimensionValue}`)).size).toBeGreaterThan(20);
    expect(f.incidents).toHaveLength(1);
    expect(f.incidents[0]!.cause).toEqual({});
    expect(f.incidents[0]!.severity).toBe('critical');
    expect(f.incidents[0]!.kpis.map((k) => k.kpi)).toContain('vsf_rate');
  });

  it('quiet traffic raises nothing, at peak and in the trough', { timeout: 180_000 }, () => {
    const sessions = generateSessions({ start, end, seed: 11 });
    for (const at of [now, new Date('2026-11-15T10:10:00Z')]) {
      const f = findIncidentsOnSessions(sessions, { now: at, binMinutes: 60, windowMinutes: 120, latenessMinutes: 10 });
      expect(f.anomalies).toEqual([]);
      expect(f.incidents).toEqual([]);
    }
  });

  it('bins inside the allowed lateness are not judged, and 14 days of history are required', { timeout: 180_000 }, () => {
    // The incident starts at 21:00: with 10 minutes of lateness at 21:30 the 21:00 bin is not complete.
    const sessions = generateSessions({ start, end, seed: 5, incidents: [INCIDENTS.globalOutage(new Date('2026-11-15T21:00:00Z'))] });
    const early = findIncidentsOnSessions(sessions, {
      now: new Date('2026-11-15T21:30:00Z'),
      binMinutes: 60,
      windowMinutes: 120,
      latenessMinutes: 10,
    });
    expect(early.windowEnd.toISOString()).toBe('2026-11-15T21:00:00.000Z');
    expect(early.incidents).toEqual([]);
    const later = findIncidentsOnSessions(sessions, {
      now: new Date('2026-11-15T22:10:00Z'),
      binMinutes: 60,
      windowMinutes: 120,
      latenessMinutes: 10,
    });
    expect(later.incidents.map((i) => i.cause)).toEqual([{}]);
    // 13 days of data before the window: nothing is judged.
    const short = sessions.filter((s) => s.at >= Date.parse('2026-11-02T00:00:00Z'));
    const none = findIncidentsOnSessions(short, {
      now: new Date('2026-11-15T22:10:00Z'),
      binMinutes: 60,
      windowMinutes: 120,
      latenessMinutes: 10,
    });
    expect(none.insufficientHistory).toBe(true);
    expect(none.incidents).toEqual([]);
  });
});
