// Quiet periods in Table Storage: when each KPI + dimension value was last alerted.
import { createHash } from 'node:crypto';
import { RestError, type TableClient } from '@azure/data-tables';
import { ensureExists } from '../storage.js';
import type { QuietPeriods } from './detect.js';

const key = (s: string) => createHash('sha256').update(s).digest('hex');

export class TableQuietPeriods implements QuietPeriods {
  private ready: Promise<unknown> | undefined;
  constructor(private readonly table: TableClient) {}

  private ensure() {
    this.ready ??= ensureExists(() => this.table.createTable()).catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async lastAlerted(kpi: string, dimension: string, value: string): Promise<Date | undefined> {
    await this.ensure();
    try {
      const e = await this.table.getEntity<{ LastAlerted: Date }>(kpi, key(`${dimension}|${value}`));
      return new Date(e.LastAlerted);
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async markAlerted(kpi: string, dimension: string, value: string, at: Date): Promise<void> {
    await this.ensure();
    await this.table.upsertEntity({ partitionKey: kpi, rowKey: key(`${dimension}|${value}`), Dimension: dimension, DimensionValue: value, LastAlerted: at }, 'Replace');
  }
}
