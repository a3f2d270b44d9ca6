import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertNotDeliveredError, configuredTargets, deliver, NoTargetError, type Target } from '../../../src/alerts/notify/deliver.js';
import { sampleAlert } from '../../../src/alerts/sample.js';
import type { DeliveryLog } from '../../../src/alerts/alert-state-table.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../src/local/webhook-receiver.js';
import { errorMessage } from '../../../src/errors.js';

let receiver: WebhookReceiver;
let targets: Target[];
const m = sampleAlert(new Date('2026-11-23T10:32:00Z'), { url: 'https://grafana.example', dashboardUid: 'qoe-overview' });

/** An in-memory delivery log. */
function memoryLog(): DeliveryLog & { records: Map<string, Set<string>> } {
  const records = new Map<string, Set<string>>();
  return {
    records,
    delivered: async (id) => new Set(records.get(id)),
    markDelivered: async (id, target) => void records.set(id, new Set([...(records.get(id) ?? []), target])),
  };
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  targets = configuredTargets({
    webhookUrl: `${receiver.url}/webhook`,
    teamsUrl: `${receiver.url}/teams`,
    slackUrl: `${receiver.url}/slack`,
  });
});
afterAll(() => receiver?.close());
beforeEach(() => {
  receiver.received.length = 0;
  receiver.failNext(0);
});

describe('deliver', () => {
  it('sends each configured target its own payload and records each delivery', async () => {
    const log = memoryLog();
    expect(await deliver(m, targets, { log, timeoutMs: 2000 })).toEqual({ sent: ['webhook', 'teams', 'slack'], skipped: [] });
    const byPath = Object.fromEntries(receiver.received.map((r) => [r.path, r]));
    expect(byPath['/webhook']).toMatchObject({ kind: 'webhook', body: m });
    expect(byPath['/teams']!.kind).toBe('teams');
    expect(byPath['/slack']!.kind).toBe('slack');
    expect([...log.records.get(m.alertId)!].sort()).toEqual(['slack', 'teams', 'webhook']);
  });

  it('a 500 fails the message; the retry sends only to the target that failed', async () => {
    const log = memoryLog();
    receiver.failNext(1); // whichever request arrives first gets a 500
    const err = await deliver(m, targets, { log, timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlertNotDeliveredError);
    const failed = receiver.received.find((r) => r.status === 500)!;
    const failedTarget = failed.path.slice(1);
    expect((err as AlertNotDeliveredError).failures.map((f) => f.target)).toEqual([failedTarget]);
    expect(errorMessage(err)).toContain('answered 500');
    expect(log.records.get(m.alertId)!.has(failedTarget)).toBe(false);

    receiver.received.length = 0;
    const retry = await deliver(m, targets, { log, timeoutMs: 2000 });
    expect(retry.sent).toEqual([failedTarget]);
    expect(retry.skipped.sort()).toEqual(
      targets
        .map((t) => t.name)
        .filter((n) => n !== failedTarget)
        .sort(),
    );
    expect(receiver.received.map((r) => [r.path, r.status])).toEqual([[failed.path, 200]]);
  });

  it('without any target the message fails (it is kept in the queue, then the poison queue), nothing is sent', async () => {
    await expect(deliver(m, [], { log: memoryLog(), timeoutMs: 2000 })).rejects.toThrow(NoTargetError);
    expect(receiver.received).toEqual([]);
  });

  it('a delivery that cannot be recorded still counts as sent, with a warning', async () => {
    const warnings: string[] = [];
    const log: DeliveryLog = { delivered: async () => new Set(), markDelivered: async () => Promise.reject(new Error('table down')) };
    const r = await deliver(m, targets.slice(0, 1), { log, timeoutMs: 2000, warn: (w) => warnings.push(w) });
    expect(r.sent).toEqual(['webhook']);
    expect(warnings).toEqual([expect.stringContaining('table down')]);
  });

  it('targets come from the settings in a fixed order, unset ones left out', () => {
    expect(configuredTargets({ slackUrl: 'https://hooks.slack.com/x', webhookUrl: 'https://h.example/y' }).map((t) => t.name)).toEqual([
      'webhook',
      'slack',
    ]);
    expect(configuredTargets({})).toEqual([]);
  });
});
