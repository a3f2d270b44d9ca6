import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableAlertState } from '../../src/alerts/alert-state-table.js';
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
  it('remembers the last alert per KPI and dimension value, with the keys it carried', async () => {
    expect(await state.lastAlert('stall_rate', 'Cdn', 'Akamai')).toBeUndefined();
    const at = new Date('2026-11-23T10:32:00Z');
    await state.markAlerted('stall_rate', 'Cdn', 'Akamai', { lastAlertedAt: at, alertId: 'a1b2c3d4e5f60718', keys: ['k1', 'k2'] });
    expect(await state.lastAlert('stall_rate', 'Cdn', 'Akamai')).toEqual({
      lastAlertedAt: at,
      alertId: 'a1b2c3d4e5f60718',
      keys: ['k1', 'k2'],
    });
    // another KPI, or another value with characters table keys forbid, is another record
    expect(await state.lastAlert('error_rate', 'Cdn', 'Akamai')).toBeUndefined();
    await state.markAlerted('error_rate', 'ContentId', 'a/b\\c#d?e', { lastAlertedAt: at, alertId: 'ffff0000ffff0000', keys: ['k3'] });
    expect((await state.lastAlert('error_rate', 'ContentId', 'a/b\\c#d?e'))?.keys).toEqual(['k3']);
    // a later alert replaces the record
    const later = new Date('2026-11-23T11:40:00Z');
    await state.markAlerted('stall_rate', 'Cdn', 'Akamai', { lastAlertedAt: later, alertId: '0123456789abcdef', keys: ['k9'] });
    expect(await state.lastAlert('stall_rate', 'Cdn', 'Akamai')).toEqual({
      lastAlertedAt: later,
      alertId: '0123456789abcdef',
      keys: ['k9'],
    });
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
    expect(await state.lastAlert('error_rate', 'ContentId', 'a/b\\c#d?e')).toBeDefined();
    // three entities: two quiet records, one delivery record; at most `max` per call
    expect(await state.prune(new Date(Date.now() + 60_000), 2)).toBe(2);
    expect(await state.prune(new Date(Date.now() + 60_000))).toBe(1);
    expect(await state.lastAlert('stall_rate', 'Cdn', 'Akamai')).toBeUndefined();
    expect(await state.delivered('a1b2c3d4e5f60718')).toEqual(new Set());
  });
});
