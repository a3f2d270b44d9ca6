// npm run test:unit: the tests that need no Azurite and start no process (well under a minute).
// A test file is an integration test when it starts Azurite, the local service or a child process.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

const INTEGRATION = /startTestAzurite|startAzurite|local-service|startLocalService|\bspawn\(/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const integration = testFiles('test').filter((f) => INTEGRATION.test(readFileSync(f, 'utf8')));

export default mergeConfig(base, { test: { exclude: integration } });
