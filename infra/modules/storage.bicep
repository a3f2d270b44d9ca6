// One storage account for the Functions host and the pipeline's data: landing containers for
// third-party drops, the dead-letter container, the alert queue, the blob checkpoint table.
// Shared-key access is off: the host, the app and Event Grid all authenticate with Entra ID.

@description('Storage account name (3-24 lowercase letters and digits, globally unique).')
param name string

param location string
param tags object

@description('Containers third parties drop telemetry files into; BlobCreated events from these reach the function.')
param landingContainerNames array

@description('Where the app keeps dead letters (QOE_DEADLETTER_CONTAINER).')
param deadLetterContainerName string

@description('Where Event Grid keeps events it could not deliver.')
param eventGridDeadLetterContainerName string

@description('Flex Consumption deployment package container.')
param deploymentContainerName string

@description('Queue that alert messages go through.')
param alertQueueName string

@description('Table of blob checkpoints (QOE_CHECKPOINT_TABLE).')
param checkpointTableName string

@description('Table of alert quiet periods (QOE_ALERT_STATE_TABLE).')
param alertStateTableName string

@description('Log Analytics workspace the storage logs go to (writes and deletes: poison queue and dead-letter alerts read them).')
param workspaceId string

resource account 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: account
  name: 'default'
  properties: {
    // A deleted drop or dead letter can be brought back for a week.
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource landing 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [
  for c in landingContainerNames: {
    parent: blobService
    name: c
    properties: { publicAccess: 'None' }
  }
]

resource deadLetter 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: { publicAccess: 'None' }
}

@description('Days a rejected record stays in the dead-letter container (rejected/); failed batches (batches/) wait for replay and are never expired.')
@minValue(1)
param deadLetterRetentionDays int = 30

// Rejected client input cannot pile up for ever: a flood of bad records is gone after the retention.
resource deadLetterLifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-06-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-rejected-records'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['${deadLetterContainerName}/rejected/'] }
            actions: { baseBlob: { delete: { daysAfterCreationGreaterThan: deadLetterRetentionDays } } }
          }
        }
      ]
    }
  }
  dependsOn: [deadLetter]
}

resource eventGridDeadLetter 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: eventGridDeadLetterContainerName
  properties: { publicAccess: 'None' }
}

resource deploymentPackage 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

// The host's own containers exist up front so its role can be scoped to them instead of the account.
resource hostContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [
  for c in ['azure-webjobs-hosts', 'azure-webjobs-secrets']: {
    parent: blobService
    name: c
    properties: { publicAccess: 'None' }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-06-01' = {
  parent: account
  name: 'default'
}

// The poison queue is created here too: the Functions queue extension creates it on first use,
// which a role scoped to the queues could not do.
// The blob work queue (blobCreated -> blobWorker, QOE_BLOB_QUEUE in function-app.bicep) beside it.
var blobWorkQueueName = 'qoe-blob-work'

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' = [
  for q in [alertQueueName, '${alertQueueName}-poison', blobWorkQueueName, '${blobWorkQueueName}-poison']: {
    parent: queueService
    name: q
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-06-01' = {
  parent: account
  name: 'default'
}

resource checkpoints 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-06-01' = {
  parent: tableService
  name: checkpointTableName
}

resource alertState 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-06-01' = {
  parent: tableService
  name: alertStateTableName
}

// Writes and deletes only: reads (queue polling, blob downloads) would cost more than they tell.
resource accountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: workspaceId
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

var serviceLogs = {
  workspaceId: workspaceId
  logAnalyticsDestinationType: 'Dedicated'
  logs: [{ category: 'StorageWrite', enabled: true }, { category: 'StorageDelete', enabled: true }]
  metrics: [{ category: 'Transaction', enabled: true }]
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
  properties: serviceLogs
}

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: queueService
  properties: serviceLogs
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: tableService
  properties: serviceLogs
}

output id string = account.id
output name string = account.name
output location string = account.location
output blobEndpoint string = account.properties.primaryEndpoints.blob
