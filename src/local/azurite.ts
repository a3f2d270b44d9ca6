// Azurite from node_modules, for `npm start` and tests: blob, queue and table on loopback.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

const require = createRequire(import.meta.url);

import { DEVSTORE_ACCOUNT as DEV_ACCOUNT, DEVSTORE_KEY as DEV_KEY } from '../storage.js';

export { DEV_ACCOUNT, DEV_KEY };
/** The ports `UseDevelopmentStorage=true` means. */
export const DEFAULT_PORTS = { blob: 10000, queue: 10001, table: 10002 } as const;

export interface AzuriteOptions {
  /** Folder for Azurite's data (created if missing). */
  location: string;
  /** 0 or unset = a free port. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** Default true: no access log. False: Azurite's output goes to this process's stdout/stderr. */
  silent?: boolean;
  /** How long to wait for the three ports (default 30 s). */
  startTimeoutMs?: number;
}

export interface Azurite {
  blobPort: number;
  queuePort: number;
  tablePort: number;
  connectionString: string;
  pid: number;
  stop(): Promise<void>;
}

export function connectionStringFor(blobPort: number, queuePort: number, tablePort: number): string {
  const base = 'http://127.0.0.1';
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    `BlobEndpoint=${base}:${blobPort}/${DEV_ACCOUNT};QueueEndpoint=${base}:${queuePort}/${DEV_ACCOUNT};TableEndpoint=${base}:${tablePort}/${DEV_ACCOUNT};`
  );
}

/** The emulator ports a local connection string points at (`UseDevelopmentStorage=true`: the defaults). */
export function emulatorPorts(connectionString: string): [blob: number, queue: number, table: number] {
  const port = (key: string, fallback: number) => {
    const endpoint = new RegExp(`(?:^|;)\\s*${key}=([^;]+)`, 'i').exec(connectionString)?.[1];
    try {
      return endpoint ? Number(new URL(endpoint).port) || fallback : fallback;
    } catch {
      return fallback;
    }
  };
  return [port('BlobEndpoint', DEFAULT_PORTS.blob), port('QueueEndpoint', DEFAULT_PORTS.queue), port('TableEndpoint', DEFAULT_PORTS.table)];
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** `count` distinct free ports: all are held open together so the OS cannot hand out one twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

function azuriteBin(): string {
  const pkgJson = require.resolve('azurite/package.json');
  const bin = (require(pkgJson) as { bin: Record<string, string> }).bin.azurite!;
  return path.resolve(path.dirname(pkgJson), bin);
}

// Preloaded into Azurite: if our process dies without running 'exit' handlers (SIGKILL, a crashed
// test worker), Azurite is re-parented; it notices and shuts itself down instead of living forever.
const WATCH_PARENT = `const p = process.ppid; setInterval(() => { if (process.ppid !== p) process.kill(process.pid, 'SIGTERM'); }, 1000).unref();`;

const running = new Set<() => void>();
let exitHookInstalled = false;
function killOnExit(kill: () => void): () => void {
  running.add(kill);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => running.forEach((k) => k()));
  }
  return () => running.delete(kill);
}

export async function startAzurite(opts: AzuriteOptions): Promise<Azurite> {
  await mkdir(opts.location, { recursive: true });
  const wanted = [opts.blobPort, opts.queuePort, opts.tablePort];
  const free = await freePorts(wanted.filter((p) => !p).length);
  const [blobPort, queuePort, tablePort] = wanted.map((p) => p || free.shift()!) as [number, number, number];
  // Otherwise the readiness poll below would mistake someone else's listener for ours.
  const taken = (await Promise.all(wanted.map(async (p) => (p && (await isPortOpen(p)) ? [p] : [])))).flat();
  if (taken.length) throw new Error(`Azurite cannot start: port ${taken.join(', ')} already in use on 127.0.0.1`);
  const silent = opts.silent ?? true;
  const args = [
    '--import',
    `data:text/javascript,${encodeURIComponent(WATCH_PARENT)}`,
    azuriteBin(),
    ...(silent ? ['--silent'] : []),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--location',
    opts.location,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(blobPort),
    '--queueHost',
    '127.0.0.1',
    '--queuePort',
    String(queuePort),
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(tablePort),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const forget = killOnExit(() => child.kill('SIGKILL'));
  let output = ''; // the tail, for the error message when it does not start
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      output += `\n${err.message}`;
      resolve();
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    forget();
  });
  const keep = (to: NodeJS.WriteStream) => (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
    if (!silent) to.write(d);
  };
  child.stdout!.on('data', keep(process.stdout));
  child.stderr!.on('data', keep(process.stderr));

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    const open = await Promise.all([blobPort, queuePort, tablePort].map((p) => isPortOpen(p)));
    if (open.every(Boolean) && !hasExited) break;
    if (hasExited || Date.now() > deadline) {
      child.kill('SIGKILL');
      const why = hasExited ? `exited with code ${child.exitCode}` : 'timed out';
      throw new Error(`Azurite did not start on ports ${blobPort}/${queuePort}/${tablePort} (${why}): ${output.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    blobPort,
    queuePort,
    tablePort,
    connectionString: connectionStringFor(blobPort, queuePort, tablePort),
    pid: child.pid!,
    async stop() {
      if (hasExited) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
    },
  };
}
