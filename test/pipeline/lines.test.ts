import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { splitLines, streamLines } from '../../src/pipeline/lines.js';

async function collect(chunks: string[]): Promise<Array<{ text: string; lineNo: number }>> {
  const out = [];
  for await (const line of streamLines(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(line);
  return out;
}

describe('splitLines', () => {
  it('numbers lines from 1 and keeps blank ones in the count', () => {
    expect([...splitLines('a\n\nb')]).toEqual([
      { text: 'a', lineNo: 1 },
      { text: '', lineNo: 2 },
      { text: 'b', lineNo: 3 },
    ]);
  });

  it('yields no empty line after a trailing newline, and one empty line for empty text', () => {
    expect([...splitLines('a\n')]).toEqual([{ text: 'a', lineNo: 1 }]);
    expect([...splitLines('')]).toEqual([{ text: '', lineNo: 1 }]);
  });

  it('is lazy: a caller can stop after the first lines of a huge text', () => {
    const it = splitLines('x\n'.repeat(1_000_000));
    expect(it.next().value).toEqual({ text: 'x', lineNo: 1 });
    expect(it.next().value).toEqual({ text: 'x', lineNo: 2 });
  });
});

describe('streamLines', () => {
  it('joins lines that span chunks and gives the same lines as splitLines', async () => {
    const text = '{"a":1}\n{"b":\n2}\n\nlast';
    const chunks = ['{"a"', ':1}\n{"b', '":\n2', '}\n', '\nla', 'st'];
    expect(await collect(chunks)).toEqual([...splitLines(text)]);
  });

  it('keeps a multi-byte character cut between chunks whole', async () => {
    const bytes = Buffer.from('é\nü');
    const lines = [];
    for await (const l of streamLines(Readable.from([bytes.subarray(0, 1), bytes.subarray(1)]))) lines.push(l.text);
    expect(lines).toEqual(['é', 'ü']);
  });

  it('reads one long line spread over many chunks whole', async () => {
    const chunks = Array.from({ length: 2000 }, () => 'y'.repeat(512));
    const lines = await collect([...chunks, '\nz']);
    expect(lines.map((l) => l.text.length)).toEqual([2000 * 512, 1]);
  });
});
