// CSV files with a header row: one record a row, cells typed where they look like numbers or booleans.
import type { Readable } from 'node:stream';
import type { Candidate } from '../../../pipeline/contract.js';
import { parse as parseCsv } from 'csv-parse';

const NUMERIC = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** CSV cells are text; a beacon field wants numbers and booleans where they look like them. */
function csvValue(cell: string): unknown {
  if (cell === '') return undefined;
  if (NUMERIC.test(cell)) return Number(cell);
  if (cell === 'true' || cell === 'false') return cell === 'true';
  return cell;
}

export async function* csv(source: Readable): AsyncGenerator<Candidate> {
  const parser = source.pipe(parseCsv({ columns: false, relax_column_count: true, skip_empty_lines: true, bom: true, info: true }));
  let header: string[] | undefined;
  let index = 0;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = record.map((h) => h.trim());
      continue;
    }
    const value: Record<string, unknown> = {};
    header.forEach((h, i) => {
      const v = csvValue(record[i] ?? '');
      if (h && v !== undefined) value[h] = v;
    });
    yield { index: index++, value, line: info.lines };
  }
}

