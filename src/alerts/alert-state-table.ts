// Alert state in Table Storage (Azurite serves tables too), one table, two kinds of small entity:
//
// - partition `incident`, one entity per root cause: the incident open on it, when it was last
//   seen and last alerted, so one incident is one message an hour and gets its "resolved" message
//   (src/alerts/incident-lifecycle.ts).
// - partition `sent`, one entity per alert message: which targets already took it, so a retry
//   after one target failed sends only to the ones still missing.
//
// Old entities are pruned by the timer; nothing here needs them after a day or two.
import { createHash } from 'node:crypto';
import { odata, RestError, type TableClient } from '@azure/data-tables';
import { createOnce } from '../storage.js';
import type { IncidentRecord } from './incident-lifecycle.js';

export interface IncidentRecords {
  /** Incidents not resolved yet. */
  openIncidents(): Promise<IncidentRecord[]>;
  saveIncident(record: IncidentRecord): Promise<void>;
}

export interface DeliveryLog {
  /** Targets that already took this alert. */
  delivered(alertId: string): Promise<Set<string>>;
  markDelivered(alertId: string, target: string, at: Date): Promise<void>;
}

export interface AlertState extends DeliveryLog, IncidentRecords {
  /** Removes entities last written before `before`; at most `max` per call. Returns how many. */
  prune(before: Date, max?: number): Promise<number>;
}

const SENT = 'sent';
const INCIDENT = 'incident';
/** Table keys forbid / \ # ? and control characters; alert ids are hex, and target names are ours. */
const TARGET = /^[a-z]{1,32}$/;

export class TableAlertState implements AlertState {
  private readonly ensure: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.ensure = createOnce(() => table.createTable());
  }

  private async get<T extends object>(partitionKey: string, rowKey: string): Promise<T | undefined> {
    await this.ensure();
    try {
      return await this.table.getEntity<T>(partitionKey, rowKey);
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async openIncidents(): Promise<IncidentRecord[]> {
    await this.ensure();
    const out: IncidentRecord[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${INCIDENT} and Resolved eq false` },
    })) {
      try {
        out.push({ ...(JSON.parse(String(e.Record)) as IncidentRecord), ...dates(JSON.parse(String(e.Record))) });
      } catch {
        // a record this version cannot read is left to pruning
      }
    }
    return out;
  }

  async saveIncident(record: IncidentRecord): Promise<void> {
    await this.ensure();
    await this.table.upsertEntity(
      {
        partitionKey: INCIDENT,
        rowKey: createHash('sha256').update(record.causeKey).digest('hex'),
        Resolved: record.resolvedAt !== undefined,
        Record: JSON.stringify(record).slice(0, 30_000),
      },
      'Replace',
    );
  }

  async delivered(alertId: string): Promise<Set<string>> {
    const e = await this.get<Record<string, unknown>>(SENT, alertId);
    return new Set(Object.keys(e ?? {}).flatMap((k) => (k.startsWith('Sent_') ? [k.slice(5)] : [])));
  }

  async markDelivered(alertId: string, target: string, at: Date): Promise<void> {
    if (!TARGET.test(target)) throw new Error(`bad target name ${target}`);
    await this.ensure();
    await this.table.upsertEntity({ partitionKey: SENT, rowKey: alertId, [`Sent_${target}`]: at }, 'Merge');
  }

  async prune(before: Date, max = 200): Promise<number> {
    await this.ensure();
    let removed = 0;
    const old = this.table.listEntities({ queryOptions: { filter: odata`Timestamp lt ${before}`, select: ['PartitionKey', 'RowKey'] } });
    for await (const e of old) {
      if (removed >= max) break;
      try {
        await this.table.deleteEntity(e.partitionKey!, e.rowKey!);
        removed++;
      } catch (err) {
        if (!(err instanceof RestError && err.statusCode === 404)) throw err;
      }
    }
    return removed;
  }
}

function dates(r: Record<string, unknown>): Pick<IncidentRecord, 'openedAt' | 'lastSeenAt' | 'lastAlertedAt' | 'resolvedAt'> {
  const d = (v: unknown) => new Date(String(v));
  return {
    openedAt: d(r.openedAt),
    lastSeenAt: d(r.lastSeenAt),
    lastAlertedAt: d(r.lastAlertedAt),
    ...(r.resolvedAt ? { resolvedAt: d(r.resolvedAt) } : {}),
  };
}
