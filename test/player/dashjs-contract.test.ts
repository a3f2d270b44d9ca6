// The reporter does not import dash.js (it would be 900 KB); this holds its event names and its
// player interface to the dash.js 5.2.1 typings at compile time (`npm test` runs tsc first).
import type { MediaPlayerClass, MediaPlayerEvents } from 'dashjs';
import { describe, expect, it } from 'vitest';
import { DASH_EVENTS } from '../../src/player/reporter.js';
import type { DashPlayerLike } from '../../src/player/types.js';

// Fails to compile if a name is not a dash.js event or its value differs.
const names: { [K in keyof typeof DASH_EVENTS]: MediaPlayerEvents[K] } = DASH_EVENTS;
// Fails to compile if a dash.js MediaPlayer cannot be passed to attachQoeReporter.
const accepts = (p: MediaPlayerClass): DashPlayerLike => p;

describe('dash.js 5.2.1 contract', () => {
  it('uses dash.js event names', () => {
    expect(Object.keys(names).length).toBeGreaterThan(10);
    expect(typeof accepts).toBe('function');
  });
});
