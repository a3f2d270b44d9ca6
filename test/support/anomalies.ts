// Anomaly rows for the Kusto stub: DetectSessionAnomalies answers with `detected`, `.ingest inline into
// table QoeAnomalies` appends to `stored` (parsed back from its CSV), and the stored-keys query
// answers from `stored`, like a cluster would.
import { parse } from 'csv-parse/sync';
import { QOE_ANOMALIES_COLUMNS } from '../../src/alerts/anomaly-table.js';
import type { KustoStub, MgmtCall, V1Table } from './kusto-stub.js';

export interface DetectedRow {
  Timestamp: string;
  Kpi: string;
  Dimension: string;
  DimensionValue: string;
  Value: number | null;
  Baseline: number | null;
  Score: number | null;
  Direction: string;
  Sessions: number;
}

/** One stored row as Kusto would hold it, by QoeAnomalies column name. */
export type StoredRow = Record<
  | 'Timestamp'
  | 'Kpi'
  | 'Dimension'
  | 'DimensionValue'
  | 'Value'
  | 'Baseline'
  | 'Score'
  | 'Direction'
  | 'Sessions'
  | 'DetectedAt'
  | 'AlertKey'
  | 'Alerted',
  string
>;

const DETECT_COLUMNS: V1Table['columns'] = [
  { name: 'Timestamp', type: 'datetime' },
  { name: 'Kpi', type: 'string' },
  { name: 'Dimension', type: 'string' },
  { name: 'DimensionValue', type: 'string' },
  { name: 'Value', type: 'real' },
  { name: 'Baseline', type: 'real' },
  { name: 'Score', type: 'real' },
  { name: 'Direction', type: 'string' },
  { name: 'Sessions', type: 'long' },
];

/** The CSV maps by position onto the table's columns, as the app writes them. */
const STORED_COLUMNS = QOE_ANOMALIES_COLUMNS;

const INGEST = /^\.ingest inline into table QoeAnomalies with \(format = "csv"\) <\|\n([\s\S]*)$/;

/** The CSV of an `.ingest inline` command, parsed by a real CSV parser (quotes, doubled quotes). */
export function inlineRows(csl: string): string[][] | undefined {
  const m = INGEST.exec(csl);
  return m ? (parse(m[1]!, { relax_column_count: false }) as string[][]) : undefined;
}

export interface AnomalyCluster {
  detected: DetectedRow[];
  stored: StoredRow[];
  /** Commands that appended rows. */
  ingests: MgmtCall[];
  detectCalls: MgmtCall[];
}

export function serveAnomalies(stub: KustoStub): AnomalyCluster {
  const cluster: AnomalyCluster = { detected: [], stored: [], ingests: [], detectCalls: [] };
  stub.onQuery = (call) => {
    if (/DetectSessionAnomalies\(/.test(call.csl)) {
      cluster.detectCalls.push(call);
      return { columns: DETECT_COLUMNS, rows: cluster.detected.map((r) => DETECT_COLUMNS.map((c) => r[c.name as keyof DetectedRow])) };
    }
    if (/QoeAnomalies[\s\S]*distinct AlertKey/.test(call.csl)) {
      const p = call.properties?.Parameters as { since: string; until: string };
      const lit = (s: string) => Date.parse(/^datetime\((.*)\)$/.exec(s)![1]!);
      const [since, until] = [lit(p.since), lit(p.until)];
      const keys = cluster.stored
        .filter((r) => Date.parse(r.Timestamp) >= since && Date.parse(r.Timestamp) < until)
        .map((r) => [r.AlertKey]);
      return { columns: [{ name: 'AlertKey', type: 'string' }], rows: [...new Map(keys.map((k) => [k[0], k])).values()] };
    }
    return undefined;
  };
  stub.onMgmt = (call) => {
    const rows = inlineRows(call.csl);
    if (!rows) return undefined;
    cluster.ingests.push(call);
    for (const r of rows) cluster.stored.push(Object.fromEntries(STORED_COLUMNS.map((c, i) => [c, r[i]!])) as StoredRow);
    return undefined;
  };
  return cluster;
}
