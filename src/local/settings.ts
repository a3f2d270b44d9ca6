// `func start` puts local.settings.json's Values into the environment; settings already set win.
// The local host and the local CLIs do the same before loadConfig() reads the environment.
import { readFile } from 'node:fs/promises';
import { errorCode, errorMessage } from '../errors.js';

export async function applyLocalSettings(file = 'local.settings.json'): Promise<boolean> {
  try {
    const values = (JSON.parse(await readFile(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
    for (const [k, v] of Object.entries(values)) if (process.env[k] === undefined) process.env[k] = String(v);
    return true;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw new Error(`${file}: ${errorMessage(err)}`);
  }
}
