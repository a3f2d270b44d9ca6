// `npm start`: the whole service on one machine, no Azure Functions Core Tools needed. Reads
// local.settings.json like `func start`, starts Azurite when storage is local, loads the same
// function registrations the Azure host sees and serves them on http://localhost:7071.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { startAzurite, isPortOpen, type Azurite } from './azurite.js';
import { installFunctionsCore } from './functions-core.js';
import { startLocalEventGrid } from './event-grid.js';
import { describeFunctions, routePrefixFromHostJson, startLocalHost } from './host.js';
import { maxDequeueCountFromHostJson, startLocalTriggers } from './triggers.js';

/** `func start` puts local.settings.json's Values into the environment; settings already set win. */
async function applyLocalSettings(file = 'local.settings.json'): Promise<boolean> {
  try {
    const values = (JSON.parse(await readFile(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
    for (const [k, v] of Object.entries(values)) if (process.env[k] === undefined) process.env[k] = String(v);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

const DEFAULT_PORTS = [10000, 10001, 10002] as const;

async function main(): Promise<void> {
  const fromFile = await applyLocalSettings();
  const config = loadConfig();
  let azurite: Azurite | undefined;
  if (/UseDevelopmentStorage=true/i.test(config.storageConnection)) {
    const open = await Promise.all(DEFAULT_PORTS.map((p) => isPortOpen(p)));
    if (open.every(Boolean)) {
      console.log('Azurite: using the one already listening on 10000-10002');
    } else {
      const [blobPort, queuePort, tablePort] = DEFAULT_PORTS;
      azurite = await startAzurite({ location: path.join(config.dataDir, 'azurite'), blobPort, queuePort, tablePort });
      console.log(`Azurite: started from node_modules (blob ${blobPort}, queue ${queuePort}, table ${tablePort}), data in ${path.join(config.dataDir, 'azurite')}`);
    }
  }

  installFunctionsCore();
  await import('../index.js');
  const { getServices } = await import('../services.js');
  const services = await getServices(); // fail fast on bad settings, before serving
  const prefix = await routePrefixFromHostJson();
  const host = await startLocalHost({ port: config.localPort, routePrefix: prefix });

  console.log(`\nQoE telemetry local host${fromFile ? ' (settings from local.settings.json)' : ' (embedded defaults)'}`);
  console.log(`sink: ${services.sink.name} -> ${config.sink === 'file' ? config.fileSink.dir : config.kusto.clusterUri}`);
  console.log(`dead letters: ${config.deadLetter.store === 'blob' ? `container ${config.deadLetter.container}` : config.deadLetter.dir}\n`);
  console.log('Functions:\n');
  for (const line of describeFunctions(host, prefix)) console.log(`  ${line}`);
  const eventGrid = host.registrations.some((r) => r.name === 'blobCreated')
    ? startLocalEventGrid({
        connectionString: config.storageConnection,
        containers: config.blob.containers,
        deliver: (event) => host.invoke('blobCreated', event),
        log: (line) => console.log(line),
      })
    : undefined;
  if (eventGrid) console.log(`\nLocal Event Grid: BlobCreated for new blobs in ${config.blob.containers.join(', ')} (polled every second)`);
  const triggers = startLocalTriggers({ host, connectionString: config.storageConnection, maxDequeueCount: await maxDequeueCountFromHostJson() });
  console.log('Timers run on their schedule; queue triggers poll Azurite every second.');
  console.log('\nCtrl+C to stop.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    eventGrid?.stop();
    triggers.stop();
    await host.close();
    await services.batcher.flush();
    await services.sink.close?.();
    await azurite?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${(err as Error)?.message ?? err}`);
  process.exit(1);
});
