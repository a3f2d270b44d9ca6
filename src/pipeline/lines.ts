// The one line splitter: HTTP NDJSON bodies, CMCD event-report lines and blob readers all split
// here. Linear in the input: a chunk is scanned once, however long the line that spans it.
import type { Readable } from 'node:stream';

/** A line and its 1-based number; `text` excludes the newline (and a trailing CR is kept as is). */
export interface Line {
  text: string;
  lineNo: number;
}

/** Lines of a whole text, lazily, so a caller can stop early. */
export function* splitLines(text: string): Generator<Line> {
  let lineNo = 0;
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    lineNo++;
    if (nl < 0) {
      if (start < text.length || lineNo === 1) yield { text: text.slice(start), lineNo };
      return;
    }
    yield { text: text.slice(start, nl), lineNo };
    start = nl + 1;
  }
}

/**
 * Lines of a text stream. The unfinished tail is kept as parts and joined once its newline
 * arrives, so a long line costs its own length, not its length times the number of chunks.
 */
export async function* streamLines(source: Readable): AsyncGenerator<Line> {
  source.setEncoding('utf8');
  let parts: string[] = [];
  let lineNo = 0;
  for await (const chunk of source as AsyncIterable<string>) {
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      const piece = chunk.slice(start, nl);
      const text = parts.length ? parts.join('') + piece : piece;
      parts = [];
      yield { text, lineNo: ++lineNo };
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.slice(start));
  }
  if (parts.length) yield { text: parts.join(''), lineNo: ++lineNo };
}

/** Non-blank lines of a text, counted up to `max + 1` and no further: the record cap applied before any line is parsed. */
export function countNonBlankLines(text: string, max: number): number {
  let count = 0;
  for (const { text: line } of splitLines(text)) {
    if (line.trim() === '') continue;
    if (++count > max) break;
  }
  return count;
}

const isJsonSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * Top-level elements of a JSON array text, counted up to `max + 1` and no further, in one scan
 * that allocates nothing (strings and nesting are skipped, not parsed). -1 when `text` is not an
 * array; a malformed array is counted as far as it goes (JSON.parse reports it afterwards).
 */
export function countArrayElements(text: string, max: number): number {
  let i = 0;
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 91 /* [ */) return -1;
  i++;
  let depth = 0;
  let count = 0;
  let inElement = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 92 /* \ */) i++;
        else if (s === 34) break;
      }
      if (!inElement && depth === 0) {
        inElement = true;
        if (++count > max) return count;
      }
      continue;
    }
    if (depth === 0) {
      if (c === 93 /* ] */) return count;
      if (c === 44 /* , */) {
        inElement = false;
        continue;
      }
      if (isJsonSpace(c)) continue;
      if (!inElement) {
        inElement = true;
        if (++count > max) return count;
      }
    }
    if (c === 91 || c === 123) depth++;
    else if (c === 93 || c === 125) depth--;
  }
  return count;
}
