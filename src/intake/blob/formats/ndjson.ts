// NDJSON files: one record a line; a bad line is that record's rejection, never the file's.
import type { Readable } from 'node:stream';
import type { Candidate } from '../../../pipeline/contract.js';
import { errorMessage } from '../../../errors.js';
import { streamLines } from '../../../pipeline/lines.js';
import { boundedRaw } from '../../../pipeline/values.js';

export async function* ndjson(source: Readable): AsyncGenerator<Candidate> {
  let index = 0;
  for await (const { text, lineNo: line } of streamLines(source)) {
    const t = text.trim();
    if (!t) continue;
    try {
      yield { index: index++, value: JSON.parse(t), line };
    } catch (err) {
      yield { index: index++, error: `line ${line}: invalid JSON (${errorMessage(err)})`, raw: boundedRaw(t), line };
    }
  }
}

