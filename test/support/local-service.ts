// The whole service as a process, the way `npm start` runs it: `node dist/src/local/main.js`,
// after a build, with its own data folder, port and Azurite. For end-to-end tests.
import { DEVSTORE_ACCOUNT, DEVSTORE_KEY } from '../../src/storage.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNdjsonTree } from './files.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The checkout whose service is started: this one, or QOE_E2E_SERVICE_ROOT (another tree, e.g. before a merge). */
const SERVICE_ROOT = path.resolve(process.env.QOE_E2E_SERVICE_ROOT ?? ROOT);

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) before listening on ${port}:\n${output()}`));
      }
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${port} after ${timeoutMs} ms:\n${output()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function collect(child: ChildProcess, limit = 64 * 1024): () => string {
  let out = '';
  const add = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-limit);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface AzuriteProcess {
  connectionString: string;
  stop(): Promise<void>;
}

/** Azurite from node_modules, in memory, on free ports (so it never meets a developer's own Azurite). */
export async function startAzurite(): Promise<AzuriteProcess> {
  const [blob, queue, table] = [await freePort(), await freePort(), await freePort()];
  const location = await mkdtemp(path.join(os.tmpdir(), 'qoe-azurite-'));
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js'),
      '--silent',
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(blob),
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      String(queue),
      '--tableHost',
      '127.0.0.1',
      '--tablePort',
      String(table),
    ],
    { cwd: location, stdio: ['ignore', 'pipe', 'pipe'] }, // in memory; the temp cwd catches anything it still writes
  );
  const output = collect(child);
  try {
    await waitForPort(blob, child, output, 30_000);
    await waitForPort(queue, child, output, 30_000);
  } catch (err) {
    await stopProcess(child);
    await rm(location, { recursive: true, force: true });
    throw err;
  }
  const account = DEVSTORE_ACCOUNT;
  const key = DEVSTORE_KEY;
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};` +
    `BlobEndpoint=http://127.0.0.1:${blob}/${account};QueueEndpoint=http://127.0.0.1:${queue}/${account};TableEndpoint=http://127.0.0.1:${table}/${account};`;
  return {
    connectionString,
    async stop() {
      await stopProcess(child);
      await rm(location, { recursive: true, force: true });
    },
  };
}

let built: Promise<void> | undefined;

/** `npm run build` (tsc) once per test process; rejects with the compiler's output. QOE_E2E_SKIP_BUILD=1 uses dist/ as it is. */
export function buildService(): Promise<void> {
  if (process.env.QOE_E2E_SKIP_BUILD === '1') return Promise.resolve();
  built ??= new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(SERVICE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: SERVICE_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collect(child);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build failed (${code}):\n${output()}`))));
    child.on('error', reject);
  });
  return built;
}

export interface LocalService {
  /** e.g. http://127.0.0.1:7123 */
  url: string;
  port: number;
  dataDir: string;
  /** Every row the file sink wrote to `<dataDir>/sink/QoeEvents/*.ndjson` so far. */
  rows(): Promise<Array<Record<string, any>>>;
  output(): string;
  stop(): Promise<void>;
}

export interface LocalServiceOptions {
  /** Extra app settings (environment variables). */
  env?: Record<string, string>;
  /** Use this Azurite instead of starting one. */
  azurite?: AzuriteProcess;
}

/** Builds, then starts `node dist/src/local/main.js` with a fresh data folder and port; resolves once it answers HTTP. */
export async function startLocalService(opts: LocalServiceOptions = {}): Promise<LocalService> {
  await buildService();
  const azurite = opts.azurite ?? (await startAzurite());
  const ownAzurite = !opts.azurite;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'qoe-e2e-data-'));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(SERVICE_ROOT, 'dist', 'src', 'local', 'main.js')], {
    cwd: SERVICE_ROOT,
    env: {
      ...process.env,
      AzureWebJobsStorage: azurite.connectionString,
      QOE_DATA_DIR: dataDir,
      QOE_LOCAL_PORT: String(port),
      QOE_DEADLETTER_STORE: 'file',
      QOE_BATCH_MAX_DELAY_MS: '50',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collect(child);
  const stop = async () => {
    await stopProcess(child);
    if (ownAzurite) await azurite.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, output, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    rows: () => readNdjsonTree(path.join(dataDir, 'sink', 'QoeEvents')),
    output,
    stop,
  };
}
