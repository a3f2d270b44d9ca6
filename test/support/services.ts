// Real services for a test: file sink and file dead letters under a temp folder.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import funcs from '@azure/functions';
import { loadConfig } from '../../src/config.js';
import { createServices, type ServiceOverrides, type Services } from '../../src/composition/app.js';

const { HttpRequest, InvocationContext } = funcs;

export interface TestServices extends Services {
  dir: string;
  cleanup(): Promise<void>;
}

export async function testServices(settings: Record<string, string> = {}, overrides: ServiceOverrides = {}): Promise<TestServices> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qoe-test-'));
  const config = loadConfig({
    QOE_DATA_DIR: dir,
    QOE_DEADLETTER_STORE: 'file',
    QOE_BATCH_MAX_DELAY_MS: '5',
    QOE_SINK_RETRY_BASE_MS: '1',
    QOE_SINK_RETRY_MAX_MS: '2',
    ...settings,
  });
  const services = await createServices(config, { log: () => {}, ...overrides });
  return { ...services, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function httpRequest(init: {
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  url?: string;
}): InstanceType<typeof HttpRequest> {
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? { string: init.body } : { bytes: init.body };
  return new HttpRequest({
    method: init.method ?? 'POST',
    url: init.url ?? 'http://localhost:7071/api/beacons',
    headers: init.headers ?? {},
    body,
  });
}

export function invocationContext(functionName = 'beacons'): InstanceType<typeof InvocationContext> {
  return new InvocationContext({ functionName, logHandler: () => {} });
}

/** A valid v1 beacon; override any field. */
export function validBeacon(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    sessionId: 'sess-1',
    seq: 1,
    event: 'heartbeat',
    ts: Date.UTC(2026, 10, 23, 10, 0, 0),
    contentId: 'big-buck-bunny',
    manifestUrl: 'https://vod.example.akamaized.net/bbb/manifest.mpd?token=secret',
    playerName: 'dash.js',
    playerVersion: '5.2.1',
    bitrateKbps: 3200,
    bufferMs: 12000,
    ...over,
  };
}
