// The Function App on the Flex Consumption plan (Linux, Node.js 22), with a system-assigned
// identity and one app setting for every setting src/config.ts declares.
//
// Role definitions used here (built-in; checked against the table in test/infra/bicep.test.ts):
// 3913510d-42f4-4e42-8a64-420c390055eb  Monitoring Metrics Publisher

param name string
param planName string
param location string
param tags object

param storageAccountName string
param storageBlobEndpoint string
param deploymentContainerName string
param appInsightsName string
param appInsightsConnectionString string

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
@description('Extra or changed app settings, merged over the ones below (e.g. tuned batch limits).')
@description('Queue the anomaly timer fills and the notifier reads (QOE_ALERT_QUEUE).')
param alertQueueName string
@description('Grafana endpoint for links in alerts (QOE_GRAFANA_URL); empty without Managed Grafana.')
param grafanaUrl string
param appSettingOverrides object

var roles = {
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
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

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      // No platform CORS: the app answers preflights itself from QOE_CORS_ORIGINS, and platform
      // CORS would answer them first.
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: { type: 'SystemAssignedIdentity' }
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

// Every key of settingsSchema in src/config.ts, plus what the host needs. Flex Consumption takes
// the runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION are
// not app settings there.
var appSettings = {
  // Host storage by identity. The app's AzureWebJobsStorage (a connection string) is left unset:
  // see "Deploy to Azure" in README.md for what that means for the app today.
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'

  // Flex Consumption instances can write under /tmp only.
  QOE_DATA_DIR: '/tmp/qoe'

  QOE_CORS_ORIGINS: corsOrigins
  QOE_MAX_BODY_BYTES: '1048576'
  QOE_MAX_DECODED_BYTES: '8388608'
  QOE_MAX_RECORDS_PER_REQUEST: '1000'
  QOE_MAX_STRING_LENGTH: '1024'
  QOE_MAX_URL_LENGTH: '4096'

  QOE_CLIENT_IP_HEADER: clientIpHeader
  QOE_TRUSTED_PROXY_HOPS: string(trustedProxyHops)

  QOE_GEO_COUNTRY_DB: ''
  QOE_GEO_CITY_DB: ''
  QOE_GEO_ASN_DB: ''
  QOE_UA_CACHE_SIZE: '10000'
  QOE_CONTENT_ID_RULES: contentIdRules
  QOE_CDN_RULES: cdnRules

  QOE_BLOB_CONTAINERS: join(landingContainerNames, ',')
  QOE_BLOB_PREFIXES: blobPrefixes
  QOE_BLOB_QUEUE: 'qoe-blob-work'
  QOE_BLOB_CHUNK_BYTES: '33554432'
  QOE_BLOB_RANGE_BYTES: '268435456'
  QOE_BLOB_MAX_RECORD_BYTES: '1048576'
  QOE_BLOB_CLAIM_SECONDS: '60'
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

  KUSTO_CLUSTER_URI: kustoClusterUri
  KUSTO_INGEST_URI: kustoIngestUri
  KUSTO_DATABASE: kustoDatabaseName
  KUSTO_INGEST_MODE: kustoIngestMode
  // Empty on purpose: in Azure the managed identity gets the token.
  KUSTO_ACCESS_TOKEN: ''
  KUSTO_REPORT_STATUS: 'none'

  // Anomaly alerting. Webhook URLs are secrets: set them afterwards (or as Key Vault references),
  // never in this file; empty means "target not used".
  QOE_ALERT_SCHEDULE: '0 */5 * * * *'
  QOE_ALERT_WINDOW_MINUTES: '30'
  QOE_ALERT_BIN_MINUTES: '5'
  QOE_ALERT_THRESHOLD: '3'
  QOE_ALERT_MIN_SESSIONS: '20'
  QOE_ALERT_QUIET_MINUTES: '60'
  QOE_ALERT_QUEUE: alertQueueName
  QOE_ALERT_STATE_TABLE: 'alertstate'
  QOE_ALERT_WEBHOOK_URL: ''
  QOE_ALERT_TEAMS_URL: ''
  QOE_ALERT_SLACK_URL: ''
  QOE_ALERT_SEND_TIMEOUT_MS: '10000'
  QOE_GRAFANA_URL: grafanaUrl
  QOE_GRAFANA_DASHBOARD_UID: 'qoe-overview'

  // Only the local host listens on it; listed so every setting has its value here.
  QOE_LOCAL_PORT: '7071'
  QOE_LOCAL_RUN_TIMERS_ON_START: 'false'
}

resource siteAppSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, appSettingOverrides)
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Telemetry with Entra auth (local auth is off on the component).
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, site.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output id string = site.id
output name string = site.name
output principalId string = site.identity.principalId
output defaultHostName string = site.properties.defaultHostName
