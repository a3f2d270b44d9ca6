// Child process for the load benchmarks: the real registrations on the local host, file sink and
// file dead letters under a temp folder. Prints {"port":N} when ready; reports RSS on request.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { installFunctionsCore } from '../src/local/functions-core.js';
import { startLocalHost } from '../src/local/host.js';
import { createServices, setServices } from '../src/composition/app.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-serve-'));
const config = loadConfig({ QOE_DATA_DIR: dir, QOE_DEADLETTER_STORE: 'file', QOE_FILE_SINK_WINDOW_SECONDS: '60' });
setServices(await createServices(config, { log: () => {} }));
installFunctionsCore();
await import('../src/index.js');
const host = await startLocalHost({ port: 0, log: () => {} });
console.log(JSON.stringify({ port: host.port, dir }));
process.on('message', (m) => {
  if (m === 'rss') process.send!({ rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed });
});
