// The Function App on the Flex Consumption plan (Linux, Node.js 22) running as a user-assigned
// identity whose roles are granted before this module runs (main.bicep orders it after them), with
// one app setting for every setting src/config.ts declares. Values operators own (alert target
// URLs, the Grafana URL) are Key Vault references: the template never holds or overwrites them.
// Logs and metrics go to the Log Analytics workspace.

param name string
param planName string
param location string
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string
@description('Its client id (DefaultAzureCredential, the host storage connection, Application Insights).')
param identityClientId string

param storageAccountName string
param storageBlobEndpoint string
param deploymentContainerName string
param appInsightsConnectionString string
param workspaceId string
@description('Key Vault the operator-set values live in (see docs/deploy.md).')
param keyVaultName string

@allowed([512, 2048, 4096])
param instanceMemoryMB int
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int
@minValue(0)
param alwaysReadyHttpInstances int

// --- settings the app reads (src/config.ts) --------------------------------------------------
param corsOrigins string
@description('Largest request body, bytes: the app\'s cap (QOE_MAX_BODY_BYTES) and the host\'s (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT).')
param maxBodyBytes int
param clientIpHeader string
param trustedProxyHops int
param contentIdRules string
param cdnRules string
param landingContainerNames array
param blobPrefixes string
param checkpointTableName string
param deadLetterContainerName string
param kustoClusterUri string
param kustoIngestUri string
param kustoDatabaseName string
param kustoIngestMode string
@description('Queue the anomaly timer fills and the notifier reads (QOE_ALERT_QUEUE).')
param alertQueueName string
@description('Table of alert quiet periods and deliveries (QOE_ALERT_STATE_TABLE).')
param alertStateTableName string
@description('Extra or changed app settings, merged over the ones below (e.g. tuned batch limits).')
param appSettingOverrides object

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

/** A Key Vault reference App Service resolves with the app's identity (keyVaultReferenceIdentity). */
func secretRef(vault string, secret string) string => '@Microsoft.KeyVault(VaultName=${vault};SecretName=${secret})'

// Every key of settingsSchema in src/config.ts, plus what the host needs. Flex Consumption takes
// the runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION are
// not app settings there.
var appSettings = {
  // Host and app storage by identity (the app's AzureWebJobsStorage connection string stays unset).
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // DefaultAzureCredential (storage, Data Explorer) picks the user-assigned identity by this.
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // The host buffers a request body before the app sees it (default limit 100 MB): cap it at the
  // app's own limit, so an oversized POST is refused before it is held in memory.
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(maxBodyBytes)

  // Flex Consumption instances can write under /tmp only.
  QOE_DATA_DIR: '/tmp/qoe'

  QOE_CORS_ORIGINS: corsOrigins
  QOE_MAX_BODY_BYTES: string(maxBodyBytes)
  QOE_MAX_DECODED_BYTES: '8388608'
  QOE_MAX_DECODE_RATIO: '100'
  QOE_MAX_RECORDS_PER_REQUEST: '1000'
  QOE_MAX_STRING_LENGTH: '1024'
  QOE_MAX_URL_LENGTH: '4096'

  QOE_CLIENT_IP_HEADER: clientIpHeader
  QOE_TRUSTED_PROXY_HOPS: string(trustedProxyHops)

  QOE_GEO_COUNTRY_DB: ''
  QOE_GEO_CITY_DB: ''
  QOE_GEO_ASN_DB: ''
  QOE_UA_CACHE_SIZE: '10000'
  QOE_UA_CACHE_BYTES: '8388608'
  QOE_CONTENT_ID_RULES: contentIdRules
  QOE_CDN_RULES: cdnRules

  QOE_BLOB_CONTAINERS: join(landingContainerNames, ',')
  QOE_BLOB_PREFIXES: blobPrefixes
  QOE_BLOB_QUEUE: 'qoe-blob-work'
  QOE_BLOB_CHUNK_BYTES: '33554432'
  QOE_BLOB_RANGE_BYTES: '268435456'
  QOE_BLOB_MAX_RECORD_BYTES: '1048576'
  QOE_BLOB_CLAIM_SECONDS: '60'
  // One prepare thread per vCPU of the instance size (Flex: 2 GB has 1 vCPU, 4 GB has 2); the host may report more cores than the instance may use.
  QOE_BLOB_PREPARE_THREADS: string(instanceMemoryMB >= 4096 ? 2 : 1)
  QOE_CHECKPOINT_TABLE: checkpointTableName

  QOE_SINK: 'kusto'
  QOE_BATCH_MAX_RECORDS: '5000'
  QOE_BATCH_MAX_BYTES: '3670016'
  QOE_BATCH_MAX_DELAY_MS: '200'
  QOE_SINK_MAX_ATTEMPTS: '4'
  QOE_SINK_RETRY_BASE_MS: '100'
  QOE_SINK_RETRY_MAX_MS: '5000'
  QOE_RETRY_AFTER_SECONDS: '5'
  QOE_FILE_SINK_WINDOW_SECONDS: '60'
  QOE_DEADLETTER_STORE: 'blob'
  QOE_DEADLETTER_CONTAINER: deadLetterContainerName
  QOE_DEADLETTER_BYTES_PER_REQUEST: '262144'

  KUSTO_CLUSTER_URI: kustoClusterUri
  KUSTO_INGEST_URI: kustoIngestUri
  KUSTO_DATABASE: kustoDatabaseName
  KUSTO_INGEST_MODE: kustoIngestMode
  // Empty on purpose: in Azure the managed identity gets the token.
  KUSTO_ACCESS_TOKEN: ''
  KUSTO_REPORT_STATUS: 'all'
  KUSTO_STATUS_POLL_SECONDS: '30'
  KUSTO_STATUS_SETTLE_MINUTES: '60'
  KUSTO_AUTH_GRACE_SECONDS: '120'
  // Telemetry goes to the Application Insights above (APPLICATIONINSIGHTS_CONNECTION_STRING).
  QOE_TELEMETRY: 'auto'
  OTEL_EXPORTER_OTLP_ENDPOINT: ''

  // Anomaly alerting. The schedule and queue are read by the host too (%SETTING% bindings).
  QOE_ALERT_SCHEDULE: '0 */5 * * * *'
  QOE_ALERT_WINDOW_MINUTES: '30'
  QOE_ALERT_BIN_MINUTES: '5'
  QOE_ALERT_MIN_SESSIONS: '30'
  QOE_ALERT_QUIET_MINUTES: '60'
  QOE_ALERT_QUEUE: alertQueueName
  QOE_ALERT_STATE_TABLE: alertStateTableName
  // Operator-set, in Key Vault (docs/deploy.md). A secret not set yet reads as "not set".
  QOE_ALERT_WEBHOOK_URL: secretRef(keyVaultName, 'qoe-alert-webhook-url')
  QOE_ALERT_TEAMS_URL: secretRef(keyVaultName, 'qoe-alert-teams-url')
  QOE_ALERT_SLACK_URL: secretRef(keyVaultName, 'qoe-alert-slack-url')
  QOE_ALERT_SEND_TIMEOUT_MS: '10000'
  QOE_GRAFANA_URL: secretRef(keyVaultName, 'qoe-grafana-url')
  QOE_GRAFANA_DASHBOARD_UID: 'qoe-overview'

  // Only the local host listens on it; listed so every setting has its value here.
  QOE_LOCAL_PORT: '7071'
  QOE_LOCAL_RUN_TIMERS_ON_START: 'false'
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      // No platform CORS: the app answers preflights itself from QOE_CORS_ORIGINS, and platform
      // CORS would answer them first.
      // Settings are part of the site, so it starts with them (no restart after a separate write).
      appSettings: [for s in items(union(appSettings, appSettingOverrides)): { name: s.key, value: s.value }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // Beacons wait up to QOE_BATCH_MAX_DELAY_MS for a group commit, so many requests per
        // instance share one Kusto call; the default concurrency would scale out instead.
        triggers: { http: { perInstanceConcurrency: httpPerInstanceConcurrency } }
        alwaysReady: alwaysReadyHttpInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttpInstances }] : []
      }
      runtime: { name: 'node', version: '22' }
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [{ category: 'FunctionAppLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
