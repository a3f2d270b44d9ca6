import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableAlertState } from '../../src/alerts/alert-state-table.js';
import type { IncidentRecord } from '../../src/alerts/incident-lifecycle.js';
import { storageAccess } from '../../src/storage.js';
import { startTestAzurite, type TestAzurite } from '../support/azurite.js';

let azurite: TestAzurite;
let state: TableAlertState;

beforeAll(async () => {
  azurite = await startTestAzurite();
  state = new TableAlertState(storageAccess({ connectionString: azurite.connectionString }).table('alertstate'));
});
afterAll(() => azurite?.stop());

describe('TableAlertState', () => {
  it('keeps one incident record per cause, open until resolved, whatever characters the cause holds', async () => {
    expect(await state.openIncidents()).toEqual([]);
    const at = new Date('2026-11-23T10:32:00Z');
    const record: IncidentRecord = {
      causeKey: 'Cdn=Akamai|ContentId=a/b\\c#d?e',
      incidentId: 'a1b2c3d4e5f60718',
      cause: { Cdn: 'Akamai', ContentId: 'a/b\\c#d?e' },
      openedAt: at,
      lastSeenAt: at,
      lastAlertedAt: at,
      severity: 'major',
      impactedSessions: 79,
      kpis: ['vsf_rate'],
    };
    await state.saveIncident(record);
    await state.saveIncident({ ...record, causeKey: '', cause: {}, incidentId: 'ffff0000ffff0000' });
    expect(
      (await state.openIncidents()).sort((a, b) => a.causeKey.localeCompare(b.causeKey)).map((r) => [r.causeKey, r.incidentId]),
    ).toEqual([
      ['', 'ffff0000ffff0000'],
      [record.causeKey, 'a1b2c3d4e5f60718'],
    ]);
    // a later save replaces the record; a resolved one is no longer open
    const later = new Date('2026-11-23T11:40:00Z');
    await state.saveIncident({ ...record, lastSeenAt: later, lastAlertedAt: later });
    expect((await state.openIncidents()).find((r) => r.causeKey === record.causeKey)).toEqual({
      ...record,
      lastSeenAt: later,
      lastAlertedAt: later,
    });
    await state.saveIncident({ ...record, causeKey: '', cause: {}, incidentId: 'ffff0000ffff0000', resolvedAt: later });
    expect((await state.openIncidents()).map((r) => r.incidentId)).toEqual(['a1b2c3d4e5f60718']);
  });

  it('records deliveries per alert and target, adding to what is there', async () => {
    expect(await state.delivered('a1b2c3d4e5f60718')).toEqual(new Set());
    await state.markDelivered('a1b2c3d4e5f60718', 'webhook', new Date());
    await state.markDelivered('a1b2c3d4e5f60718', 'slack', new Date());
    expect(await state.delivered('a1b2c3d4e5f60718')).toEqual(new Set(['webhook', 'slack']));
    expect(await state.delivered('ffff0000ffff0000')).toEqual(new Set());
    await expect(state.markDelivered('x', 'Not/A/Target', new Date())).rejects.toThrow(/bad target/);
  });

  it('prunes entities written before a time, and keeps newer ones', async () => {
    expect(await state.prune(new Date(Date.now() - 3600_000))).toBe(0);
    expect(await state.openIncidents()).toHaveLength(1);
    // three entities: two incident records, one delivery record; at most `max` per call
    expect(await state.prune(new Date(Date.now() + 60_000), 2)).toBe(2);
    expect(await state.prune(new Date(Date.now() + 60_000))).toBe(1);
    expect(await state.openIncidents()).toEqual([]);
    expect(await state.delivered('a1b2c3d4e5f60718')).toEqual(new Set());
  });
});
