// Once per `npm run test:e2e`: the reporter bundles (as `npm run build:player` makes them) and the
// DASH test stream, both in a temp folder shared by every e2e file.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildPlayer } from '../../scripts/build-player.js';
import { generateDashStream } from './support/stream.js';

declare module 'vitest' {
  export interface ProvidedContext {
    streamDir: string;
    reporterDir: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qoe-e2e-'));
  const reporterDir = path.join(dir, 'reporter');
  const streamDir = path.join(dir, 'stream');
  const t0 = Date.now();
  try {
    await Promise.all([buildPlayer(reporterDir), mkdir(streamDir)]);
    await generateDashStream(streamDir, 30);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  console.log(`e2e: reporter built and a 30 s DASH stream generated in ${Date.now() - t0} ms (${dir})`);
  project.provide('streamDir', streamDir);
  project.provide('reporterDir', reporterDir);
  return async () => {
    if (!process.env.QOE_E2E_KEEP) await rm(dir, { recursive: true, force: true });
  };
}
