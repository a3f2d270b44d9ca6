// The whole QoE telemetry system in one resource group:
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
// Storage (landing, dead letters, alert queue, checkpoints), the Function App on Flex
// Consumption running as a user-assigned identity whose roles exist before the site does, a Key
// Vault for the values operators set (alert targets, Grafana URL), Log Analytics with diagnostic
// settings on every resource, Azure Monitor alert rules to an action group, Event Grid
// BlobCreated -> function, Azure Data Explorer (new or existing) and Azure Managed Grafana.
// No secrets in the template: every identity is Entra ID, every role is scoped to what uses it.
// Re-running it changes nothing an operator set (docs/deploy.md).

targetScope = 'resourceGroup'

// --- naming -----------------------------------------------------------------------------------
@description('Region for everything (Flex Consumption must be offered there: az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Short lowercase prefix for resource names (letters and digits).')
@minLength(2)
@maxLength(8)
param namePrefix string = 'qoe'

@description('Tags on every resource.')
param tags object = { app: 'qoe-telemetry' }

// Parameter defaults cannot use variables, so they repeat this expression.
var token = uniqueString(resourceGroup().id, namePrefix)

@description('Function App name; also the host name <name>.azurewebsites.net.')
param functionAppName string = 'func-${namePrefix}-${uniqueString(resourceGroup().id, namePrefix)}'

@description('Storage account name (3-24 lowercase letters and digits, globally unique).')
@maxLength(24)
param storageAccountName string = take(toLower('st${namePrefix}${uniqueString(resourceGroup().id, namePrefix)}'), 24)

// --- storage ----------------------------------------------------------------------------------
@description('Landing containers third parties drop telemetry files into (QOE_BLOB_CONTAINERS).')
param landingContainerNames array = ['telemetry']

@description('Dead-letter container of the app (QOE_DEADLETTER_CONTAINER).')
param deadLetterContainerName string = 'qoe-deadletter'

@description('Container Event Grid writes undeliverable BlobCreated events to.')
param eventGridDeadLetterContainerName string = 'qoe-eventgrid-deadletter'

@description('Queue for alert messages (a -poison queue is created next to it).')
param alertQueueName string = 'qoe-alerts'

@description('Table of blob checkpoints (QOE_CHECKPOINT_TABLE).')
param checkpointTableName string = 'blobcheckpoints'

// --- function app sizes -----------------------------------------------------------------------
@description('Memory per instance, MB; CPU scales with it (512, 2048 or 4096).')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Upper bound on instances: caps the bill and the load on Data Explorer.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('HTTP requests one instance handles at once before Flex scales out.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 64

@description('Instances kept warm for the HTTP functions (0 = scale to zero; each one is billed all the time).')
@minValue(0)
param alwaysReadyHttpInstances int = 0

// --- app settings -----------------------------------------------------------------------------
@description('Origins of the pages players run on, comma separated (QOE_CORS_ORIGINS), e.g. https://www.example.com.')
param corsOrigins string

@description('Header carrying the client address: x-forwarded-for (Functions front end), x-azure-clientip (Front Door), none.')
@allowed(['x-forwarded-for', 'x-azure-clientip', 'none'])
param clientIpHeader string = 'x-forwarded-for'

@description('Proxies that append to X-Forwarded-For (QOE_TRUSTED_PROXY_HOPS).')
@minValue(0)
param trustedProxyHops int = 1

@description('JSON content id rules (QOE_CONTENT_ID_RULES).')
param contentIdRules string = '[]'

@description('JSON CDN host rules (QOE_CDN_RULES).')
param cdnRules string = '[]'

@description('Blob name prefixes to ingest within the landing containers, comma separated; empty = all (QOE_BLOB_PREFIXES).')
param blobPrefixes string = ''

@description('Kusto ingestion: managed-streaming (seconds) or queued (cheapest).')
@allowed(['managed-streaming', 'queued'])
param kustoIngestMode string = 'managed-streaming'

@description('Largest request body, bytes (QOE_MAX_BODY_BYTES); the Functions host refuses larger ones before buffering them (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT).')
@minValue(1024)
param maxBodyBytes int = 1048576

@description('App settings merged over the generated ones, e.g. { QOE_BATCH_MAX_DELAY_MS: \'100\' }. Keep tuning here: settings changed in the portal are replaced on the next deployment.')
param appSettingOverrides object = {}

@description('Table of alert quiet periods and deliveries (QOE_ALERT_STATE_TABLE).')
param alertStateTableName string = 'alertstate'

// --- Event Grid -------------------------------------------------------------------------------
@description('Name the blob function is registered under (app.eventGrid(\'blobCreated\', ...)).')
param blobFunctionName string = 'blobCreated'

@description('Create the BlobCreated subscription. Event Grid checks that the function exists, so set it on the run after the code is published.')
param deployBlobSubscription bool = false

@description('Delivery attempts before an event is dead-lettered.')
@minValue(1)
@maxValue(30)
param eventGridMaxDeliveryAttempts int = 30

@description('Minutes Event Grid keeps retrying an event.')
@minValue(1)
@maxValue(1440)
param eventGridEventTimeToLiveMinutes int = 1440

// --- Azure Data Explorer ----------------------------------------------------------------------
@description('Create the cluster (true) or use an existing one named kustoClusterName in kustoResourceGroupName.')
param createKustoCluster bool = true

@description('Cluster name (4-22 lowercase letters and digits).')
@maxLength(22)
param kustoClusterName string = take(toLower('adx${namePrefix}${uniqueString(resourceGroup().id, namePrefix)}'), 22)

@description('Resource group of the cluster (an existing cluster may live elsewhere).')
param kustoResourceGroupName string = resourceGroup().name

@description('Cluster SKU. Dev(No SLA)_Standard_E2a_v4 with tier Basic for trials; e.g. Standard_E2ads_v5 with tier Standard and capacity 2 for production.')
param kustoSkuName string = 'Dev(No SLA)_Standard_E2a_v4'

@description('Basic (Dev SKU only) or Standard.')
@allowed(['Basic', 'Standard'])
param kustoSkuTier string = 'Basic'

@description('Instances of the cluster (1 for the Dev SKU, 2 or more for Standard).')
@minValue(1)
param kustoCapacity int = 1

@description('Create the database (false: use an existing one; its retention is left alone).')
param createKustoDatabase bool = true

@description('Database name (KUSTO_DATABASE).')
param kustoDatabaseName string = 'qoe'

@description('How long rows stay queryable (kql/V002 sets QoeEvents to 365 days).')
param kustoSoftDeletePeriod string = 'P365D'

@description('How long rows stay in hot cache (kql/V002 sets QoeEvents to 31 days).')
param kustoHotCachePeriod string = 'P31D'

// --- Grafana and monitoring -------------------------------------------------------------------
@description('Deploy Azure Managed Grafana.')
param deployGrafana bool = true

@description('Grafana workspace name (2-30 letters, digits, dashes).')
@maxLength(30)
param grafanaName string = 'graf-${namePrefix}-${uniqueString(resourceGroup().id, namePrefix)}'

@description('Managed Grafana plan; the ADX data source with managed identity needs Standard.')
param grafanaSku string = 'Standard'

@description('Grafana major version Managed Grafana offers.')
param grafanaMajorVersion string = '11'

@description('Days Log Analytics keeps the function\'s logs.')
@minValue(30)
param logRetentionInDays int = 30

@description('E-mail addresses the Azure Monitor action group notifies (poison queue, dead letters, Event Grid, function failures, Data Explorer ingestion).')
param alertEmails array = []

@description('Failed function invocations in 5 minutes above which the function-failures rule fires (0: any).')
@minValue(0)
param functionFailureThreshold int = 0

@description('Key Vault for operator-set values (3-24 letters, digits, dashes; globally unique).')
@maxLength(24)
param keyVaultName string = take('kv-${namePrefix}-${uniqueString(resourceGroup().id, namePrefix)}', 24)

var deploymentContainerName = 'app-package'
var appInsightsName = 'appi-${namePrefix}-${token}'

// The app's identity exists first: every role below names it, and the site is created last, so
// no instance ever starts without its roles (no start-up race on storage, Key Vault or Kusto).
resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-${namePrefix}-${token}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${namePrefix}-${token}'
    appInsightsName: appInsightsName
    actionGroupName: 'ag-${namePrefix}-${token}'
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
    appPrincipalId: appIdentity.properties.principalId
    appIdentityId: appIdentity.id
    alertEmails: alertEmails
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    landingContainerNames: landingContainerNames
    deadLetterContainerName: deadLetterContainerName
    eventGridDeadLetterContainerName: eventGridDeadLetterContainerName
    deploymentContainerName: deploymentContainerName
    alertQueueName: alertQueueName
    checkpointTableName: checkpointTableName
    alertStateTableName: alertStateTableName
    workspaceId: monitoring.outputs.workspaceId
  }
}

module storageRoles 'modules/storage-roles.bicep' = {
  name: 'storage-roles'
  dependsOn: [storage]
  params: {
    storageAccountName: storageAccountName
    principalId: appIdentity.properties.principalId
    identityId: appIdentity.id
    landingContainerNames: landingContainerNames
    deadLetterContainerName: deadLetterContainerName
    deploymentContainerName: deploymentContainerName
    alertQueueName: alertQueueName
    checkpointTableName: checkpointTableName
    alertStateTableName: alertStateTableName
  }
}

module grafana 'modules/grafana.bicep' = if (deployGrafana) {
  name: 'grafana'
  params: {
    name: grafanaName
    location: location
    tags: tags
    skuName: grafanaSku
    grafanaMajorVersion: grafanaMajorVersion
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    workspaceId: monitoring.outputs.workspaceId
    appPrincipalId: appIdentity.properties.principalId
    appIdentityId: appIdentity.id
    ownsGrafanaUrl: deployGrafana
    templateGrafanaUrl: deployGrafana ? grafana!.outputs.endpoint : ''
  }
}

module adxCluster 'modules/adx-cluster.bicep' = {
  name: 'adx-cluster'
  scope: resourceGroup(kustoResourceGroupName)
  params: {
    create: createKustoCluster
    name: kustoClusterName
    location: location
    tags: tags
    skuName: kustoSkuName
    skuTier: kustoSkuTier
    capacity: kustoCapacity
    workspaceId: monitoring.outputs.workspaceId
  }
}

module adxDatabase 'modules/adx-database.bicep' = {
  name: 'adx-database'
  scope: resourceGroup(kustoResourceGroupName)
  params: {
    clusterName: kustoClusterName
    create: createKustoDatabase
    databaseName: kustoDatabaseName
    location: adxCluster.outputs.location
    softDeletePeriod: kustoSoftDeletePeriod
    hotCachePeriod: kustoHotCachePeriod
    functionClientId: appIdentity.properties.clientId
    functionIdentityId: appIdentity.id
    grantGrafana: deployGrafana
    grafanaPrincipalId: deployGrafana ? grafana!.outputs.principalId : ''
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  // Roles first: storage (host and data), Key Vault (references), telemetry and Data Explorer.
  dependsOn: [storageRoles, keyVault, adxDatabase]
  params: {
    name: functionAppName
    planName: 'plan-${namePrefix}-${token}'
    location: location
    tags: tags
    identityId: appIdentity.id
    identityClientId: appIdentity.properties.clientId
    storageAccountName: storageAccountName
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    workspaceId: monitoring.outputs.workspaceId
    keyVaultName: keyVaultName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    corsOrigins: corsOrigins
    maxBodyBytes: maxBodyBytes
    clientIpHeader: clientIpHeader
    trustedProxyHops: trustedProxyHops
    contentIdRules: contentIdRules
    cdnRules: cdnRules
    landingContainerNames: landingContainerNames
    blobPrefixes: blobPrefixes
    checkpointTableName: checkpointTableName
    deadLetterContainerName: deadLetterContainerName
    kustoClusterUri: adxCluster.outputs.uri
    kustoIngestUri: adxCluster.outputs.ingestUri
    kustoDatabaseName: kustoDatabaseName
    kustoIngestMode: kustoIngestMode
    alertQueueName: alertQueueName
    alertStateTableName: alertStateTableName
    appSettingOverrides: appSettingOverrides
  }
}

module eventGrid 'modules/event-grid.bicep' = {
  name: 'event-grid'
  dependsOn: [functionApp]
  params: {
    topicName: 'evgt-${namePrefix}-${token}'
    location: storage.outputs.location
    storageAccountName: storageAccountName
    functionAppName: functionAppName
    blobFunctionName: blobFunctionName
    landingContainerNames: landingContainerNames
    eventGridDeadLetterContainerName: eventGridDeadLetterContainerName
    deploySubscription: deployBlobSubscription
    maxDeliveryAttempts: eventGridMaxDeliveryAttempts
    eventTimeToLiveInMinutes: eventGridEventTimeToLiveMinutes
    tags: tags
    workspaceId: monitoring.outputs.workspaceId
  }
}

module alertRules 'modules/alert-rules.bicep' = {
  name: 'alert-rules'
  params: {
    location: location
    tags: tags
    namePrefix: namePrefix
    workspaceId: monitoring.outputs.workspaceId
    actionGroupId: monitoring.outputs.actionGroupId
    eventGridTopicId: eventGrid.outputs.topicId
    alertQueueName: alertQueueName
    deadLetterContainerName: deadLetterContainerName
    functionFailureThreshold: functionFailureThreshold
  }
}

output functionAppName string = functionApp.outputs.name
output beaconsUrl string = 'https://${functionApp.outputs.defaultHostName}/api/beacons'
output storageAccountName string = storageAccountName
output keyVaultName string = keyVault.outputs.name
output appIdentityClientId string = appIdentity.properties.clientId
output eventGridTopicName string = eventGrid.outputs.topicName
output blobSubscriptionDeployed bool = eventGrid.outputs.subscriptionDeployed
output kustoClusterUri string = adxCluster.outputs.uri
output kustoDatabaseName string = adxDatabase.outputs.name
output grafanaName string = deployGrafana ? grafana!.outputs.name : ''
output grafanaEndpoint string = deployGrafana ? grafana!.outputs.endpoint : ''
