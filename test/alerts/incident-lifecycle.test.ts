// One message per incident across timer runs (issue 18, item 3), on synthetic traffic: a global
// outage opens one incident, is silent within the hour, says "ongoing" after it, and is resolved
// once its bins are clean. The CDN x region incident's message is the one docs/alerting.md shows.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateSessions, INCIDENTS } from '../../src/analytics/synthetic-incidents.js';
import { planIncidents, type IncidentRecord } from '../../src/alerts/incident-lifecycle.js';
import { incidentMessage } from '../../src/alerts/incident-message.js';
import { parseAlertMessage } from '../../src/alerts/message.js';
import { slackPayload } from '../../src/alerts/notify/slack.js';
import { findIncidentsOnSessions } from '../../src/alerts/session-incidents.js';

const start = new Date('2026-11-01T00:00:00Z');
const end = new Date('2026-11-16T06:00:00Z');
const settings = { binMinutes: 60, windowMinutes: 120, latenessMinutes: 10 };

describe('incident lifecycle', () => {
  it('a global outage: one open message, silence within the hour, one ongoing, one resolved', { timeout: 300_000 }, () => {
    const sessions = generateSessions({ start, end, seed: 9, incidents: [INCIDENTS.globalOutage(new Date('2026-11-15T19:00:00Z'))] });
    let records: IncidentRecord[] = [];
    const run = (iso: string) => {
      const now = new Date(iso);
      const f = findIncidentsOnSessions(sessions, { now, ...settings });
      const plan = planIncidents(f.incidents, records, { now, dedupeMinutes: 60, resolveAfterMinutes: 30 });
      records = [...new Map([...records, ...plan.records].map((r) => [r.causeKey, r])).values()];
      return plan.messages.map((p) =>
        incidentMessage(p.incident, {
          incidentId: p.incidentId,
          kind: p.kind,
          detectedAt: now,
          windowStart: f.windowStart,
          windowEnd: f.windowEnd,
        }),
      );
    };
    const first = run('2026-11-15T20:10:00Z');
    expect(first.map((m) => m.incident!.kind)).toEqual(['open']);
    expect(first[0]!.incident!.cause).toEqual({});
    expect(first[0]!.title).toMatch(/^\[critical\] QoE incident: all sessions: vsf_rate ▲/);
    expect(run('2026-11-15T20:40:00Z')).toEqual([]);
    const ongoing = run('2026-11-15T21:20:00Z');
    expect(ongoing.map((m) => [m.incident!.kind, m.incident!.id])).toEqual([['ongoing', first[0]!.incident!.id]]);
    // The outage ended at 21:00; by 23:10 the window 21:00-23:00 is clean.
    const resolved = run('2026-11-15T23:10:00Z');
    expect(resolved.map((m) => [m.incident!.kind, m.incident!.id])).toEqual([['resolved', first[0]!.incident!.id]]);
    expect(resolved[0]!.anomalies).toEqual([]);
    expect(parseAlertMessage(JSON.parse(JSON.stringify(resolved[0])))).toBeTruthy();
    expect(run('2026-11-16T00:10:00Z')).toEqual([]);
  });

  it('the CDN x region message names its cause, and is the example in docs/alerting.md', { timeout: 300_000 }, async () => {
    const sessions = generateSessions({
      start,
      end: new Date('2026-11-16T00:00:00Z'),
      seed: 7,
      incidents: [INCIDENTS.cdnRegionStartFailures(new Date('2026-11-15T19:00:00Z'))],
    });
    const now = new Date('2026-11-15T21:10:00Z');
    const f = findIncidentsOnSessions(sessions, { now, ...settings });
    const plan = planIncidents(f.incidents, [], { now, dedupeMinutes: 60, resolveAfterMinutes: 30 });
    expect(plan.messages).toHaveLength(1);
    const p = plan.messages[0]!;
    const m = incidentMessage(p.incident, {
      incidentId: p.incidentId,
      kind: p.kind,
      detectedAt: now,
      windowStart: f.windowStart,
      windowEnd: f.windowEnd,
      grafana: { url: 'https://grafana.example', dashboardUid: 'qoe-overview' },
      maxListed: 3,
    });
    expect(m.incident!.cause).toEqual({ Cdn: 'Fastly', Region: 'US-CA' });
    const docs = await readFile(new URL('../../docs/alerting.md', import.meta.url), 'utf8');
    const example = /<!-- incident-example -->\n```json\n([\s\S]*?)\n```/.exec(docs);
    expect(example, 'docs/alerting.md has the incident example block').not.toBeNull();
    expect(JSON.parse(example![1]!)).toEqual(JSON.parse(JSON.stringify(m)));
    const slack = /<!-- incident-example-slack -->\n```\n([\s\S]*?)\n```/.exec(docs);
    expect(slack![1]).toBe((slackPayload(m) as { blocks: Array<{ text?: { text: string } }> }).blocks[1]!.text!.text);
  });
});
