// A .json file holding one top-level array of records, read element by element.
import type { Readable } from 'node:stream';
import type { Candidate } from '../../../pipeline/contract.js';
import { errorMessage, UnreadableFileError } from '../../../errors.js';
import { boundedRaw } from '../../../pipeline/values.js';

/**
 * Elements of a top-level JSON array, one at a time. Hand-written rather than a token-level
 * streaming parser because it only has to find element boundaries (depth, strings, escapes) and
 * leaves parsing to JSON.parse, which keeps it near JSON.parse speed.
 */
export async function* jsonArray(source: Readable): AsyncGenerator<Candidate> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let element = '';
  let index = 0;
  source.setEncoding('utf8');
  const emit = function* (): Generator<Candidate> {
    const t = element.trim();
    element = '';
    if (!t) return;
    index++;
    try {
      yield { index: index - 1, value: JSON.parse(t), line: index };
    } catch (err) {
      yield { index: index - 1, error: `element ${index}: invalid JSON (${errorMessage(err)})`, raw: boundedRaw(t), line: index };
    }
  };
  for await (const chunk of source as AsyncIterable<string>) {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (!started) {
        if (c === 0x5b /* [ */) {
          started = true;
          from = i + 1;
        } else if (c > 0x20 && c !== 0xfeff) throw new UnreadableFileError('a .json file must hold one JSON array of records');
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d) depth--;
      else if (c === 0x5d) {
        if (depth === 0) {
          element += chunk.slice(from, i);
          yield* emit();
          return;
        }
        depth--;
      } else if (c === 0x2c && depth === 0) {
        element += chunk.slice(from, i);
        from = i + 1;
        yield* emit();
      }
    }
    if (started) element += chunk.slice(from);
  }
  if (started) throw new UnreadableFileError('JSON array is not closed (file truncated?)');
}

