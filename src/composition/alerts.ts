// Alerting's composition root (beside the app's, src/composition/app.ts): what the alerting functions share, built once per process from the one Config.
import { lazyConfig, type Config } from '../config.js';
import { createKustoExecutor } from '../kql/kusto-client.js';
import { storageFromConfig } from '../storage.js';
import { configuredTargets, type Target } from '../alerts/notify/deliver.js';
import { alertQueue, type AlertQueue } from '../alerts/queue.js';
import { TableAlertState, type AlertState } from '../alerts/alert-state-table.js';
import { kustoAnomalyStore, type AnomalyStore } from '../alerts/anomaly-table.js';

export interface AlertServices {
  config: Config;
  /** Absent without a Data Explorer cluster (KUSTO_CLUSTER_URI): the timer has nothing to query. */
  store?: AnomalyStore;
  state: AlertState;
  queue: AlertQueue;
  targets: Target[];
}

export function createAlertServices(config: Config): AlertServices {
  const storage = storageFromConfig(config);
  const { clusterUri, accessToken, database } = config.kusto;
  return {
    config,
    store: clusterUri ? kustoAnomalyStore(createKustoExecutor({ clusterUri, accessToken, timeoutMs: 120_000 }), database) : undefined,
    state: new TableAlertState(storage.table(config.alerts.stateTable)),
    queue: alertQueue(storage.queue(config.alerts.queue)),
    targets: configuredTargets(config.alerts),
  };
}

let shared: AlertServices | undefined;

/** Reads only the settings alerting uses (storage, Kusto, alerts): a ConfigError names the bad ones. */
export function getAlertServices(): AlertServices {
  shared ??= createAlertServices(lazyConfig());
  return shared;
}

/** For tests: use these services instead of building from the environment. */
export function setAlertServices(services: AlertServices | undefined): void {
  shared = services;
}
