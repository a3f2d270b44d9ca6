// The browser bundles: built by the same code as `npm run build:player`, under the size budget,
// and usable as an ES module and as a script tag (global QoeReporter).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlayer, PLAYER_BUNDLES, PLAYER_GZIP_BUDGET } from '../../scripts/build-player.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'qoe-player-'));
  await buildPlayer(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('player bundles', () => {
  it.each(Object.values(PLAYER_BUNDLES))('%s is under 8 KB minified + gzip', async (name) => {
    const bytes = await readFile(path.join(dir, name));
    const gz = gzipSync(bytes, { level: 9 }).length;
    expect(gz).toBeLessThan(PLAYER_GZIP_BUDGET);
    expect(bytes.toString('utf8')).not.toMatch(/\bzod\b|node:/); // nothing of the server came along
  });

  it('the IIFE defines the global QoeReporter.attachQoeReporter', async () => {
    const code = await readFile(path.join(dir, PLAYER_BUNDLES.iife), 'utf8');
    const context: Record<string, any> = {};
    vm.runInNewContext(code, context);
    expect(typeof context.QoeReporter.attachQoeReporter).toBe('function');
    expect(context.QoeReporter.DASH_EVENTS.PLAYBACK_PLAYING).toBe('playbackPlaying');
  });

  it('the ES module exports attachQoeReporter', async () => {
    const mod = await import(path.join(dir, PLAYER_BUNDLES.esm));
    expect(typeof mod.attachQoeReporter).toBe('function');
  });
});
