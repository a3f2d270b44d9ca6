// The User-Agent cache is keyed on what ua-parser-js reads (the first 512 characters) and bounded
// in bytes: 10,000 unique 12 KB agents once grew it by 122 MB.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DeviceParser, UA_KEY_CHARS } from '../../src/enrich/device.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Heap in use after a full collection: what the cache really keeps. */
const liveHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('DeviceParser cache', () => {
  it('10,000 unique 12 KB agents stay within the byte bound', () => {
    const maxBytes = 2 * 1024 * 1024;
    const parser = new DeviceParser(10_000, maxBytes);
    const padding = 'x'.repeat(12 * 1024);
    const heap0 = liveHeap();
    for (let i = 0; i < 10_000; i++) {
      // unique within the first 512 characters, so each is its own entry
      const ua = `${CHROME} id/${i} ${padding}`;
      if (parser.parse(ua).browser !== 'Chrome') throw new Error(`not parsed: ${i}`);
    }
    expect(parser.cachedBytes).toBeLessThanOrEqual(maxBytes);
    // was +122 MB: every 12 KB agent kept whole as a key
    expect(liveHeap() - heap0).toBeLessThan(16 * 1024 * 1024);
  });

  it('agents that differ only past the first 512 characters share one entry (and one answer)', () => {
    const parser = new DeviceParser(100);
    const base = `${CHROME} `.padEnd(UA_KEY_CHARS, 'a');
    const a = parser.parse(`${base}first tail`);
    const b = parser.parse(`${base}second tail, much longer ${'z'.repeat(5000)}`);
    expect(b).toBe(a);
    expect(parser.cachedBytes).toBeLessThan(2 * UA_KEY_CHARS + 1024);
  });

  it('long client hints are bounded in the key too', () => {
    const parser = new DeviceParser(100);
    parser.parse(CHROME, { platform: '"Windows"', fullVersionList: `"Google Chrome";v="131.0.6778.86", ${'"x";v="1", '.repeat(5000)}` });
    expect(parser.cachedBytes).toBeLessThan(4096);
  });
});
