// NDJSON files: one record a line; a bad or over-long line is that record's rejection, never the file's.
// Lines stay bytes here and are decoded and parsed where they are prepared (parseNdjsonLine, on a
// prepare thread when there are some: intake/blob/prepare.ts), so the reading thread only frames.
import type { Readable } from 'node:stream';
import type { Candidate } from '../../../pipeline/contract.js';
import { errorMessage } from '../../../errors.js';
import { boundedRaw } from '../../../pipeline/values.js';
import { byteLines, tooLongRecord, type FileRecord } from './framing.js';

/** Space, tab, CR, VT, FF: what JSON.parse and String.trim both skip around a record. */
const isSpace = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/** The line without surrounding ASCII white space or a byte-order mark (empty: a blank line). */
function trimmed(line: Buffer): Buffer {
  let start = line.length >= 3 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf ? 3 : 0;
  let end = line.length;
  while (start < end && isSpace(line[start]!)) start++;
  while (end > start && isSpace(line[end - 1]!)) end--;
  return start === 0 && end === line.length ? line : line.subarray(start, end);
}

export async function* ndjson(source: Readable, maxRecordBytes: number): AsyncGenerator<FileRecord> {
  let index = 0;
  let blankBytes = 0; // blank lines' bytes go with the next record, so chunk sizes count every byte
  for await (const { data, lineNo: line, bytes, tooLong } of byteLines(source, maxRecordBytes)) {
    if (tooLong !== undefined) {
      yield tooLongRecord(index++, line, `line ${line}`, tooLong, maxRecordBytes);
      continue;
    }
    const content = trimmed(data);
    if (content.length === 0) {
      blankBytes += bytes;
      continue;
    }
    const size = bytes + blankBytes;
    blankBytes = 0;
    yield { index: index++, line, content, bytes: size, unparsed: true };
  }
}

/** One NDJSON line (trimmed) as the pipeline's candidate: its value, or why it is not JSON. */
export function parseNdjsonLine(text: string, index: number, line: number): Candidate {
  try {
    return { index, line, value: JSON.parse(text) };
  } catch (err) {
    return { index, line, error: `line ${line}: invalid JSON (${errorMessage(err)})`, raw: boundedRaw(text) };
  }
}
