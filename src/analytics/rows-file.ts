// QoeEvents rows from NDJSON files: one file, or a folder such as the file sink's
// `data/sink/QoeEvents/` (every *.ndjson under it). Lines that are not rows are counted, not fatal.
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { KpiRow } from './session-kpis.js';

/** A QoeEvents row is far below this; a longer line is not one (and is not parsed). */
const MAX_LINE_CHARS = 1_048_576;

export interface RowsRead {
  rows: KpiRow[];
  files: number;
  /** Lines that were not JSON objects with SessionId, EventType and Timestamp strings. */
  skipped: number;
}

/** The NDJSON files of `target`: itself when a file; under a folder, its `QoeEvents` subfolder when it has one. */
export async function ndjsonFiles(target: string): Promise<string[]> {
  const info = await stat(target);
  if (!info.isDirectory()) return [target];
  const table = path.join(target, 'QoeEvents');
  const root = (await stat(table).catch(() => null))?.isDirectory() ? table : target;
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ndjson'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

// Columns the KPIs do arithmetic on: in a file from elsewhere, a value of the wrong type is dropped (null).
const NUMBER_COLUMNS = ['Seq', 'StartupMs', 'StallMs', 'BitrateKbps', 'TopBitrateKbps', 'DroppedFrames', 'Asn'] as const;

function asRow(line: string): KpiRow | null {
  if (line.length > MAX_LINE_CHARS) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  if (typeof r.SessionId !== 'string' || typeof r.EventType !== 'string' || typeof r.Timestamp !== 'string') return null;
  for (const col of NUMBER_COLUMNS) if (r[col] != null && !(typeof r[col] === 'number' && Number.isFinite(r[col]))) r[col] = null;
  if (r.Fatal != null && typeof r.Fatal !== 'boolean') r.Fatal = null;
  return r as unknown as KpiRow;
}

export async function readQoeRows(target: string): Promise<RowsRead> {
  const files = await ndjsonFiles(target);
  const rows: KpiRow[] = [];
  let skipped = 0;
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const raw of lines) {
      const line = raw.trim();
      if (line === '') continue;
      const row = asRow(line);
      if (row) rows.push(row);
      else skipped++;
    }
  }
  return { rows, files: files.length, skipped };
}
