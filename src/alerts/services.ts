// What the alerting functions share, built once per process from the one Config.
import { loadConfig, type Config } from '../config.js';
import { createKustoExecutor, type KustoExecutor } from '../kql/kusto-client.js';
import { storageAccess } from '../storage.js';
import type { QuietPeriods } from './detect.js';
import { alertQueue, type AlertQueue } from './queue.js';
import { TableQuietPeriods } from './state.js';

export interface AlertServices {
  config: Config;
  executor?: KustoExecutor;
  quiet: QuietPeriods;
  queue: AlertQueue;
}

export function createAlertServices(config: Config): AlertServices {
  const storage = storageAccess({ connectionString: config.storageConnection, accountName: config.storageAccount });
  return {
    config,
    executor: config.kusto.clusterUri ? createKustoExecutor({ clusterUri: config.kusto.clusterUri, accessToken: config.kusto.accessToken, timeoutMs: 120_000 }) : undefined,
    quiet: new TableQuietPeriods(storage.table(config.alerts.stateTable)),
    queue: alertQueue(storage.queue(config.alerts.queue)),
  };
}

let shared: AlertServices | undefined;
export async function getAlertServices(): Promise<AlertServices> {
  shared ??= createAlertServices(loadConfig());
  return shared;
}
