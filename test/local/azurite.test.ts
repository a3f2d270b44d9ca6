import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, rm } from 'node:fs/promises';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { DEV_ACCOUNT, emulatorPorts, freePort, isPortOpen, startAzurite } from '../../src/local/azurite.js';
import { startTestAzurite } from '../support/azurite.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

describe('Azurite from node_modules', () => {
  it('starts on three free ports, serves blobs with the returned connection string, and stops', async () => {
    const azurite = await startTestAzurite();
    const ports = [azurite.blobPort, azurite.queuePort, azurite.tablePort];
    expect(new Set(ports).size).toBe(3);
    expect(azurite.connectionString).toContain(`BlobEndpoint=http://127.0.0.1:${azurite.blobPort}/${DEV_ACCOUNT};`);
    expect(azurite.connectionString).toContain(`QueueEndpoint=http://127.0.0.1:${azurite.queuePort}/${DEV_ACCOUNT};`);
    expect(azurite.connectionString).toContain(`TableEndpoint=http://127.0.0.1:${azurite.tablePort}/${DEV_ACCOUNT};`);
    try {
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('drops');
      await container.create();
      const blob = container.getBlockBlobClient('a/b.ndjson');
      const bytes = Buffer.from('{"x":1}\n{"x":2}\n');
      await blob.upload(bytes, bytes.length);
      expect((await blob.downloadToBuffer()).equals(bytes)).toBe(true);
      expect(await Promise.all(ports.map((p) => isPortOpen(p)))).toEqual([true, true, true]);
    } finally {
      await azurite.stop();
    }
    expect(alive(azurite.pid)).toBe(false);
    expect(await Promise.all(ports.map((p) => isPortOpen(p)))).toEqual([false, false, false]);
    await expect(access(azurite.dir)).rejects.toThrow(); // the temp folder is gone
  });

  it('refuses a port that something else already listens on, naming it', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const taken = (server.address() as net.AddressInfo).port;
    try {
      await expect(startAzurite({ location: fileURLToPath(new URL('./never-created', import.meta.url)), blobPort: taken })).rejects.toThrow(
        new RegExp(`port ${taken} already in use`),
      );
    } finally {
      server.close();
    }
  });

  it('does not outlive a process that is killed without cleaning up', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/azurite-child.ts', import.meta.url))], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const { blobPort, pid, dir } = JSON.parse(line.toString()) as { blobPort: number; pid: number; dir: string };
    try {
      expect(await isPortOpen(blobPort)).toBe(true);
      child.kill('SIGKILL'); // no 'exit' handlers run
      expect(await waitFor(() => !alive(pid), 15_000)).toBe(true);
      expect(await isPortOpen(blobPort)).toBe(false);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the emulator ports from a local connection string', async () => {
    expect(emulatorPorts('UseDevelopmentStorage=true')).toEqual([10000, 10001, 10002]);
    const port = await freePort();
    const cs = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};BlobEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};QueueEndpoint=http://127.0.0.1:20001/${DEV_ACCOUNT};`;
    expect(emulatorPorts(cs)).toEqual([port, 20001, 10002]);
  });
});
