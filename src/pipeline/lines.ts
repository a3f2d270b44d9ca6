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
