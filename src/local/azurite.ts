// Azurite from node_modules, for `npm start` and tests: blob, queue and table on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Azurite's well-known development account (public, documented by Microsoft). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  location: string;
  /** 0 (default) = a free port. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
}

export interface Azurite {
  blobPort: number;
  queuePort: number;
  tablePort: number;
  connectionString: string;
  stop(): Promise<void>;
}

export function connectionStringFor(blobPort: number, queuePort: number, tablePort: number): string {
  const base = `http://127.0.0.1`;
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    `BlobEndpoint=${base}:${blobPort}/${DEV_ACCOUNT};QueueEndpoint=${base}:${queuePort}/${DEV_ACCOUNT};TableEndpoint=${base}:${tablePort}/${DEV_ACCOUNT};`
  );
}

export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed test or host must not leave an emulator running forever.
  process.once('exit', () => running.forEach((c) => c.kill('SIGKILL')));
}

export async function startAzurite(opts: AzuriteOptions): Promise<Azurite> {
  await mkdir(opts.location, { recursive: true });
  const blobPort = opts.blobPort || (await freePort());
  const queuePort = opts.queuePort || (await freePort());
  const tablePort = opts.tablePort || (await freePort());
  const bin = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const args = [
    bin, '--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose', '--location', opts.location,
    '--blobHost', '127.0.0.1', '--blobPort', String(blobPort),
    '--queueHost', '127.0.0.1', '--queuePort', String(queuePort),
    '--tableHost', '127.0.0.1', '--tablePort', String(tablePort),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));

  const deadline = Date.now() + 30_000;
  for (;;) {
    const open = await Promise.all([blobPort, queuePort, tablePort].map((p) => isPortOpen(p)));
    if (open.every(Boolean)) break;
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Azurite did not start (ports ${blobPort}/${queuePort}/${tablePort}): ${output.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    blobPort,
    queuePort,
    tablePort,
    connectionString: connectionStringFor(blobPort, queuePort, tablePort),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
