// NDJSON files: one record a line; a bad or over-long line is that record's rejection, never the file's.
import type { Readable } from 'node:stream';
import { errorMessage } from '../../../errors.js';
import { boundedRaw } from '../../../pipeline/values.js';
import { byteLines, tooLongRecord, type FileRecord } from './framing.js';

export async function* ndjson(source: Readable, maxRecordBytes: number): AsyncGenerator<FileRecord> {
  let index = 0;
  let blankBytes = 0; // blank lines' bytes go with the next record, so chunk sizes count every byte
  for await (const { text, lineNo: line, bytes, tooLong } of byteLines(source, maxRecordBytes)) {
    if (tooLong !== undefined) {
      yield tooLongRecord(index++, line, `line ${line}`, tooLong, maxRecordBytes);
      continue;
    }
    const t = text.trim();
    if (!t) {
      blankBytes += bytes;
      continue;
    }
    const size = bytes + blankBytes;
    blankBytes = 0;
    try {
      yield { index: index++, value: JSON.parse(t), line, text: t, bytes: size };
    } catch (err) {
      yield { index: index++, error: `line ${line}: invalid JSON (${errorMessage(err)})`, raw: boundedRaw(t), line, text: t, bytes: size };
    }
  }
}
