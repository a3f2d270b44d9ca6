// `npm start`: the whole service on one machine, no Azure Functions Core Tools needed. Reads
// local.settings.json like `func start`, starts Azurite when storage is local, loads the same
// function registrations the Azure host sees and serves them on http://localhost:7071.
import path from 'node:path';
import { lazyConfig } from '../config.js';
import { emulatorPorts, isPortOpen, startAzurite, type Azurite } from './azurite.js';
import { getRegistrations, installFunctionsCore, runAppHooks } from './functions-core.js';
import { startLocalEventGrid } from './event-grid.js';
import { describeFunctions, routePrefixFromHostJson, startLocalHost } from './host.js';
import { storageFromConfig } from '../storage.js';
import { applyLocalSettings } from './settings.js';
import { queueSettingsFromHostJson, startLocalTriggers } from './triggers.js';
import { errorMessage } from '../errors.js';

/** Starts Azurite unless one already serves the ports the settings name. */
async function ensureAzurite(connectionString: string, dataDir: string): Promise<Azurite | undefined> {
  const [blobPort, queuePort, tablePort] = emulatorPorts(connectionString);
  const open = await Promise.all([blobPort, queuePort, tablePort].map((p) => isPortOpen(p)));
  if (open.every(Boolean)) {
    console.log(`Azurite: using the one already listening on ${blobPort}/${queuePort}/${tablePort}`);
    return undefined;
  }
  const location = path.join(dataDir, 'azurite');
  const azurite = await startAzurite({ location, blobPort, queuePort, tablePort });
  console.log(`Azurite: started from node_modules (blob ${blobPort}, queue ${queuePort}, table ${tablePort}), data in ${location}`);
  return azurite;
}

async function main(): Promise<void> {
  const fromFile = await applyLocalSettings();
  // Each section is validated when first used: a bad alert setting leaves intake serving (the
  // alerting functions log why they are off), a bad intake setting stops the start below.
  const config = lazyConfig();
  const azurite = config.storageIsLocal ? await ensureAzurite(config.storageConnection, config.dataDir) : undefined;

  // Before the app's first `app.*` call: @azure/functions looks for the core only once.
  installFunctionsCore();
  await import('../index.js');
  if (getRegistrations().length === 0) throw new Error('src/index.ts registered no functions');
  await runAppHooks('appStart');
  const { getServices } = await import('../composition/app.js');
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
        stateFile: path.join(config.dataDir, 'event-grid.json'),
        log: (line) => console.log(line),
      })
    : undefined;
  if (eventGrid) {
    // the first scan starts now rather than in a second, and creates the watched containers
    void eventGrid.poll().catch((err: Error) => console.log(`[event-grid] first poll failed: ${err.message}`));
    console.log(
      `\nLocal Event Grid: BlobCreated for new blobs in ${config.blob.containers.join(', ')} (polled every second; delivered eTags in ${path.join(config.dataDir, 'event-grid.json')})`,
    );
  }
  const storage = storageFromConfig(config);
  const triggers = startLocalTriggers({
    host,
    queueClient: (name) => storage.queue(name),
    queues: await queueSettingsFromHostJson(),
    runTimersOnStart: config.localRunTimersOnStart,
  });
  const timers = Object.entries(triggers.nextRuns());
  if (timers.length) {
    console.log(
      `\nTimers (UTC): ${timers.map(([name, next]) => `${name} next at ${next.toISOString()}`).join('; ')}${config.localRunTimersOnStart ? ' (and once now: QOE_LOCAL_RUN_TIMERS_ON_START)' : ''}`,
    );
  }
  if (host.registrations.some((r) => r.trigger.type.toLowerCase() === 'queuetrigger'))
    console.log('Queue triggers poll their queues every second (retries and poison queue as in host.json).');
  console.log('\nCtrl+C to stop.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.log(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping`);
    let code = 0;
    try {
      eventGrid?.stop();
      await triggers.stop();
      await host.close();
      await runAppHooks('appTerminate');
      await services.batcher.flush();
      await services.sink.close?.();
    } catch (err) {
      console.error(`stopping failed: ${errorMessage(err)}`);
      code = 1;
    }
    await azurite?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${errorMessage(err)}`);
  process.exit(1);
});
