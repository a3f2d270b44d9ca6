// Azurite on free ports in a temp folder, for one test file.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startAzurite, type Azurite } from '../../src/local/azurite.js';

export interface TestAzurite extends Azurite {
  dir: string;
}

export async function startTestAzurite(): Promise<TestAzurite> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'azurite-'));
  const azurite = await startAzurite({ location: dir });
  return {
    ...azurite,
    dir,
    stop: async () => {
      await azurite.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
