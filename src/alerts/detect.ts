// One run of the anomaly timer: detect -> drop what was handled before -> quiet periods -> group ->
// queue -> remember -> store. The order is what makes it safe to fail anywhere:
//
// - An anomaly is stored in QoeAnomalies only after its alert is on the queue. If queueing fails,
//   nothing of it is stored, and the next run (its window overlaps this one) finds it new again.
// - Right after a message is queued, the quiet-period records of its KPIs remember its anomaly
//   keys. If storing then fails, the next run finds those anomalies new (not stored) but sees
//   that they were sent: it stores them as alerted and does not send them again.
// - The only double send left is a crash between queueing a message and writing its quiet
//   records; the alert id is then the same, and the notifier's delivery log skips targets that
//   already took it. At least once, never silently lost.
import { errorMessage } from '../errors.js';
import type { Anomaly, InvalidRow } from './anomaly.js';
import { groupAlerts } from './group.js';
import type { AlertMessage } from './message.js';
import type { AlertQueue } from './queue.js';
import type { AlertState, QuietRecord } from './alert-state-table.js';
import type { AnomalyStore, StoredAnomaly } from './anomaly-table.js';

export interface DetectSettings {
  windowMinutes: number;
  binMinutes: number;
  threshold: number;
  minSessions: number;
  quietMinutes: number;
  grafanaUrl?: string;
  grafanaDashboardUid: string;
  /** false when no target is configured: anomalies are stored, nothing is queued. */
  notify: boolean;
}

export interface DetectDeps {
  store: AnomalyStore;
  state: AlertState;
  queue: AlertQueue;
  settings: DetectSettings;
  now: Date;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface DetectResult {
  windowStart: Date;
  windowEnd: Date;
  /** Rows the detector returned (valid ones). */
  found: number;
  invalid: InvalidRow[];
  /** Not in QoeAnomalies before this run; all of them are stored now. */
  fresh: number;
  /** Queued by an earlier run that failed before storing them. */
  sentBefore: number;
  /** Inside the quiet period of their KPI and dimension value: stored, not sent. */
  quiet: number;
  /** Not sent because no target is configured. */
  unsent: number;
  messages: AlertMessage[];
}

/** [start, end) aligned to bins; the bin still filling up is left for the next run. */
export function detectionWindow(now: Date, windowMinutes: number, binMinutes: number): { start: Date; end: Date } {
  const bin = binMinutes * 60_000;
  const end = Math.floor(now.getTime() / bin) * bin;
  return { start: new Date(end - Math.max(1, Math.ceil(windowMinutes / binMinutes)) * bin), end: new Date(end) };
}

/** Delivery records must outlive the poison queue's 7-day message lifetime (a replay consults them). */
const STATE_RETENTION_MS = 8 * 24 * 3600_000;

type Fate = 'send' | 'sent-before' | 'quiet' | 'unsent';

export async function detectAndQueue(d: DetectDeps): Promise<DetectResult> {
  const log = d.log ?? (() => {});
  const s = d.settings;
  const { start, end } = detectionWindow(d.now, s.windowMinutes, s.binMinutes);
  const { anomalies, invalid } = await d.store.detect({
    start,
    end,
    binMinutes: s.binMinutes,
    threshold: s.threshold,
    minSessions: s.minSessions,
  });
  if (invalid.length)
    log(
      'error',
      `${invalid.length} anomaly row(s) from DetectQoeAnomalies are invalid and were skipped; first: row ${invalid[0]!.index}: ${invalid[0]!.reason}`,
    );

  const stored = anomalies.length ? await d.store.storedKeys(start, end) : new Set<string>();
  const fresh = anomalies.filter((a) => !stored.has(a.key));
  const result: DetectResult = {
    windowStart: start,
    windowEnd: end,
    found: anomalies.length,
    invalid,
    fresh: fresh.length,
    sentBefore: 0,
    quiet: 0,
    unsent: 0,
    messages: [],
  };

  if (fresh.length) {
    // Quiet-period records, one read per KPI + dimension value.
    const quietKey = (a: Pick<Anomaly, 'kpi' | 'dimension' | 'dimensionValue'>) => `${a.kpi}\u0000${a.dimension}\u0000${a.dimensionValue}`;
    const records = new Map<string, QuietRecord | undefined>();
    await Promise.all(
      [...new Map(fresh.map((a) => [quietKey(a), a])).entries()].map(async ([k, a]) =>
        records.set(k, await d.state.lastAlert(a.kpi, a.dimension, a.dimensionValue)),
      ),
    );
    const fate = new Map<Anomaly, Fate>();
    for (const a of fresh) {
      const rec = records.get(quietKey(a));
      const f: Fate = rec?.keys.includes(a.key)
        ? 'sent-before'
        : !s.notify
          ? 'unsent'
          : rec && d.now.getTime() - rec.lastAlertedAt.getTime() < s.quietMinutes * 60_000
            ? 'quiet'
            : 'send';
      fate.set(a, f);
    }
    const count = (f: Fate) => fresh.filter((a) => fate.get(a) === f).length;
    result.sentBefore = count('sent-before');
    result.quiet = count('quiet');
    result.unsent = count('unsent');

    const groups = groupAlerts(
      fresh.filter((a) => fate.get(a) === 'send'),
      {
        detectedAt: d.now,
        windowStart: start,
        windowEnd: end,
        grafana: s.grafanaUrl ? { url: s.grafanaUrl, dashboardUid: s.grafanaDashboardUid } : undefined,
      },
    );
    for (const { message, members } of groups) {
      await d.queue.send(message);
      result.messages.push(message);
      const byKpi = new Map<string, Anomaly[]>();
      for (const a of members) byKpi.set(quietKey(a), [...(byKpi.get(quietKey(a)) ?? []), a]);
      await Promise.all(
        [...byKpi.values()].map((list) =>
          d.state.markAlerted(list[0]!.kpi, list[0]!.dimension, list[0]!.dimensionValue, {
            lastAlertedAt: d.now,
            alertId: message.alertId,
            keys: list.map((a) => a.key),
          }),
        ),
      );
    }

    const rows: StoredAnomaly[] = fresh.map((a) => {
      const f = fate.get(a)!;
      return { ...a, detectedAt: d.now, alerted: f === 'send' || f === 'sent-before' };
    });
    await d.store.append(rows);
  }

  // Housekeeping: never fails the run.
  const retention = Math.max(STATE_RETENTION_MS, (s.quietMinutes + s.windowMinutes) * 60_000);
  await d.state
    .prune(new Date(d.now.getTime() - retention))
    .catch((err: unknown) => log('warn', `pruning old alert state failed: ${errorMessage(err)}`));
  return result;
}
