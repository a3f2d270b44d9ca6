// One anomalous point as the detector reports it, validated: values come from Kusto, but they are
// stored again (QoeAnomalies), keyed, and shown to people, so nothing is taken on trust.
import { createHash } from 'node:crypto';
import { z } from 'zod';

export type Direction = 'up' | 'down';

export interface Anomaly {
  /** Start of the time bin. */
  timestamp: Date;
  kpi: string;
  dimension: string;
  dimensionValue: string;
  /** null when the detector returned no finite number. */
  value: number | null;
  baseline: number | null;
  score: number | null;
  direction: Direction;
  sessions: number;
  /** Same KPI, dimension value and time bin: the same anomaly (QoeAnomalies.AlertKey). */
  key: string;
}

export interface InvalidRow {
  index: number;
  reason: string;
}

/** Line breaks and other control characters: never stored, never shown (they would split records and lines). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
export const cleanText = (s: string): string => s.replace(CONTROL, ' ');

/** KPI and dimension names are identifiers (they become Grafana variables and table keys). */
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

const finiteOrNull = z.unknown().transform((v) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : null;
});

const rowSchema = z.object({
  Timestamp: z
    .union([z.date(), z.string()])
    .transform((v) => new Date(v))
    .refine((d) => !Number.isNaN(d.getTime()), 'Timestamp is not a date'),
  Kpi: z.string().regex(NAME, 'Kpi is not a name'),
  Dimension: z.string().regex(NAME, 'Dimension is not a name'),
  DimensionValue: z.string().min(1).max(1024).transform(cleanText),
  Value: finiteOrNull,
  Baseline: finiteOrNull,
  Score: finiteOrNull,
  Direction: z.enum(['up', 'down']),
  Sessions: z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().int().min(0)),
});

export function alertKey(a: { timestamp: Date; kpi: string; dimension: string; dimensionValue: string }): string {
  return createHash('sha256').update(`${a.timestamp.toISOString()}|${a.kpi}|${a.dimension}|${a.dimensionValue}`).digest('hex').slice(0, 32);
}

/** Rows of DetectSessionAnomalies -> anomalies; bad rows are reported, not guessed at; a repeated key counts once. */
export function parseAnomalyRows(rows: ReadonlyArray<Record<string, unknown>>): { anomalies: Anomaly[]; invalid: InvalidRow[] } {
  const anomalies: Anomaly[] = [];
  const invalid: InvalidRow[] = [];
  const seen = new Set<string>();
  rows.forEach((row, index) => {
    const r = rowSchema.safeParse(row);
    if (!r.success) {
      invalid.push({ index, reason: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    const d = r.data;
    const base = { timestamp: d.Timestamp, kpi: d.Kpi, dimension: d.Dimension, dimensionValue: d.DimensionValue };
    const key = alertKey(base);
    if (seen.has(key)) return;
    seen.add(key);
    anomalies.push({ ...base, value: d.Value, baseline: d.Baseline, score: d.Score, direction: d.Direction, sessions: d.Sessions, key });
  });
  return { anomalies, invalid };
}
