// What the function's identity may do in the storage account, each role scoped to the one
// container, queue or table that needs it (never the whole account).
//
// Role definitions used here (built-in; checked against the table in test/infra/bicep.test.ts):
// b7e6dc6d-f1e8-4753-8033-0f276bb0955b  Storage Blob Data Owner
// 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1  Storage Blob Data Reader
// ba92f5b4-2d11-453d-a403-e96b0029c9fe  Storage Blob Data Contributor
// 974c5e8b-45b9-4653-ba55-5f855dd0fb88  Storage Queue Data Contributor
// 0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3  Storage Table Data Contributor

param storageAccountName string
@description('Principal (object) id of the app identity.')
param principalId string
@description('Resource id of that identity (compile-time known: names the role assignments).')
param identityId string
param landingContainerNames array
param deadLetterContainerName string
param deploymentContainerName string
param alertQueueName string
param checkpointTableName string
@description('Table of alert quiet periods (QOE_ALERT_STATE_TABLE).')
param alertStateTableName string

var hostContainerNames = ['azure-webjobs-hosts', 'azure-webjobs-secrets', deploymentContainerName]
var alertQueueNames = [alertQueueName, '${alertQueueName}-poison']
// The blob work queue (storage.bicep): blobCreated sends, blobWorker receives and re-sends.
var queueNames = concat(alertQueueNames, ['qoe-blob-work', 'qoe-blob-work-poison'])

var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  blobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource account 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' existing = {
  parent: account
  name: 'default'
}

// The Functions host documents Storage Blob Data Owner for identity-based AzureWebJobsStorage
// (leases, keys, deployment package); here it covers the host's containers only.
resource hostContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = [
  for c in hostContainerNames: {
    parent: blobService
    name: c
  }
]

resource hostOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for i in range(0, length(hostContainerNames)): {
    name: guid(hostContainers[i].id, identityId, roles.blobDataOwner)
    scope: hostContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataOwner)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Landing containers: the function only reads what third parties drop.
resource landing 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = [
  for c in landingContainerNames: {
    parent: blobService
    name: c
  }
]

resource landingReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for i in range(0, length(landingContainerNames)): {
    name: guid(landing[i].id, identityId, roles.blobDataReader)
    scope: landing[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataReader)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Dead letters: written by the app, listed and removed by deadletter:replay.
resource deadLetter 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

resource deadLetterContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetter.id, identityId, roles.blobDataContributor)
  scope: deadLetter
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Alerts: send and receive on the alert queue and its poison queue. Contributor (not Sender plus
// Processor) because the Functions queue extension calls CreateIfNotExists on both queues.
resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-06-01' existing = {
  parent: account
  name: 'default'
}

resource alertQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' existing = [
  for q in queueNames: {
    parent: queueService
    name: q
  }
]

resource alertQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for i in range(0, length(queueNames)): {
    name: guid(alertQueues[i].id, identityId, roles.queueDataContributor)
    scope: alertQueues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataContributor)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Blob checkpoints: read and upsert entities in the one table.
resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-06-01' existing = {
  parent: account
  name: 'default'
}

resource checkpointTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-06-01' existing = {
  parent: tableService
  name: checkpointTableName
}

resource alertStateTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-06-01' existing = {
  parent: tableService
  name: alertStateTableName
}

// Alert quiet periods: read and upsert entities in their one table.
resource alertStateContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(alertStateTable.id, identityId, roles.tableDataContributor)
  scope: alertStateTable
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.tableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource checkpointContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(checkpointTable.id, identityId, roles.tableDataContributor)
  scope: checkpointTable
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.tableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
