import { defineConfig } from 'vitest/config';

// npm run test:e2e: a real dash.js in a real (headless) Chromium against a generated DASH stream.
// Needs chromium and ffmpeg (Debian packages); `npm test` does not run these.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Playback timing matters: one browser at a time on a small CI box.
    fileParallelism: false,
  },
});
