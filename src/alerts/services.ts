// What the alerting functions share, built once per process from the one Config.
import { QueueClient } from '@azure/storage-queue';
import { loadConfig, type Config } from '../config.js';
import { createKustoExecutor, type KustoExecutor } from '../kql/kusto-client.js';
import { tableClient } from '../storage.js';
import type { QuietPeriods } from './detect.js';
import { alertQueue, type AlertQueue } from './queue.js';
import { TableQuietPeriods } from './state.js';

export interface AlertServices {
  config: Config;
  executor?: KustoExecutor;
  quiet: QuietPeriods;
  queue: AlertQueue;
}

export function queueClient(connectionString: string, queue: string): QueueClient {
  return new QueueClient(connectionString.includes('UseDevelopmentStorage=true') ? 'UseDevelopmentStorage=true' : connectionString, queue);
}

export function createAlertServices(config: Config): AlertServices {
  return {
    config,
    executor: config.kusto.clusterUri ? createKustoExecutor({ clusterUri: config.kusto.clusterUri, accessToken: config.kusto.accessToken, timeoutMs: 120_000 }) : undefined,
    quiet: new TableQuietPeriods(tableClient(config.storageConnection, config.alerts.stateTable)),
    queue: alertQueue(queueClient(config.storageConnection, config.alerts.queue)),
  };
}

let shared: AlertServices | undefined;
export async function getAlertServices(): Promise<AlertServices> {
  shared ??= createAlertServices(loadConfig());
  return shared;
}
