// CSV files with a header row: one record a row, cells typed where they look like numbers or booleans.
import { Transform, type Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { tooLongRecord, type FileRecord } from './framing.js';

const NUMERIC = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** CSV cells are text; a beacon field wants numbers and booleans where they look like them. */
function csvValue(cell: string): unknown {
  if (cell === '') return undefined;
  if (NUMERIC.test(cell)) return Number(cell);
  if (cell === 'true' || cell === 'false') return cell === 'true';
  return cell;
}

/**
 * Drops physical lines longer than `max` bytes before csv-parse sees them (it would buffer them
 * whole), leaving an empty line in their place so line numbers stay right, and reports each.
 */
function dropLongLines(max: number, dropped: Array<{ line: number; bytes: number }>): Transform {
  let line = 1;
  let length = 0;
  let over = false;
  let held: Buffer[] = [];
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let start = 0;
      let nl: number;
      while ((nl = chunk.indexOf(0x0a, start)) >= 0) {
        length += nl - start;
        if (over || length > max) {
          dropped.push({ line, bytes: length });
          this.push('\n');
        } else {
          for (const h of held) this.push(h);
          this.push(chunk.subarray(start, nl + 1));
        }
        held = [];
        length = 0;
        over = false;
        line++;
        start = nl + 1;
      }
      if (start < chunk.length) {
        length += chunk.length - start;
        if (length > max) {
          over = true;
          held = [];
        } else if (!over) held.push(chunk.subarray(start));
      }
      done();
    },
    flush(done) {
      if (over) dropped.push({ line, bytes: length });
      else for (const h of held) this.push(h);
      done();
    },
  });
}

export async function* csv(source: Readable, maxRecordBytes: number): AsyncGenerator<FileRecord> {
  const dropped: Array<{ line: number; bytes: number }> = [];
  // max_record_size catches a record over the cap that spans lines (a quoted newline): csv-parse
  // cannot resume after it, so the file is refused from there (records before it are kept).
  const parser = source.pipe(dropLongLines(maxRecordBytes, dropped)).pipe(
    parseCsv({
      columns: false,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
      info: true,
      raw: true,
      max_record_size: maxRecordBytes,
    }),
  );
  let header: string[] | undefined;
  let index = 0;
  for await (const { record, info, raw } of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
    while (dropped.length && dropped[0]!.line < info.lines) {
      const d = dropped.shift()!;
      yield tooLongRecord(index++, d.line, `line ${d.line}`, d.bytes, maxRecordBytes);
    }
    if (!header) {
      header = record.map((h) => h.trim());
      continue;
    }
    const value: Record<string, unknown> = {};
    header.forEach((h, i) => {
      const v = csvValue(record[i] ?? '');
      if (h && v !== undefined) value[h] = v;
    });
    yield { index: index++, value, line: info.lines, content: raw, bytes: Buffer.byteLength(raw) };
  }
  for (const d of dropped) yield tooLongRecord(index++, d.line, `line ${d.line}`, d.bytes, maxRecordBytes);
}
