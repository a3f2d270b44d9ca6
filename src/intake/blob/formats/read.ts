// Streaming record readers for dropped files: NDJSON, a JSON array, CSV with a header row, CDN
// logs (and gzip of any of them). Memory stays bounded by one record, never one file. Every
// reader yields the pipeline's Candidate, index and line set.
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { errorCode, errorMessage, UnreadableFileError } from '../../../errors.js';
import { cdnlog } from './cdnlog.js';
import { csv } from './csv.js';
import { sniffGzip, type FileFormat } from './detect.js';
import { DEFAULT_MAX_RECORD_BYTES, type FileRecord } from './framing.js';
import { jsonArray } from './json-array.js';
import { ndjson } from './ndjson.js';
import { textGuard } from './text-guard.js';

/**
 * Records of a file stream, by format; gzip (by name, type or magic bytes) undone on the way.
 * Corrupt gzip / binary -> UnreadableFileError. A record over `maxRecordBytes` is rejected and skipped.
 */
export async function* readRecords(
  body: Readable,
  format: FileFormat,
  gzip: boolean,
  maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
): AsyncGenerator<FileRecord> {
  if (!gzip) ({ gzip, stream: body } = await sniffGzip(body));
  let source: Readable = body;
  if (gzip) {
    const gunzip = createGunzip();
    body.on('error', (err) => gunzip.destroy(err));
    source = body.pipe(gunzip);
  }
  const guarded = source.pipe(textGuard());
  source.on('error', (err) => guarded.destroy(err));
  const reader =
    format === 'csv'
      ? csv(guarded, maxRecordBytes)
      : format === 'json-array'
        ? jsonArray(guarded, maxRecordBytes)
        : format === 'cdnlog'
          ? cdnlog(guarded, maxRecordBytes)
          : ndjson(guarded, maxRecordBytes);
  try {
    yield* reader;
  } catch (err) {
    const code = errorCode(err) ?? '';
    if (err instanceof UnreadableFileError) throw err;
    if (code.startsWith('Z_') || /incorrect header check|unexpected end of file|invalid (block|distance|stored)/i.test(errorMessage(err))) {
      throw new UnreadableFileError(`corrupt gzip: ${errorMessage(err)}`);
    }
    if (code.startsWith('CSV_')) throw new UnreadableFileError(`invalid CSV: ${errorMessage(err)}`);
    throw err;
  }
}
