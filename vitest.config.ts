import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The browser e2e (chromium, ffmpeg) runs with `npm run test:e2e` only (vitest.e2e.config.ts).
    exclude: [...configDefaults.exclude, 'test/e2e/**'],
    // Integration tests start Azurite and local servers; give them room on a shared 2-core box.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
