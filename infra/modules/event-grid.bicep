// Event Grid system topic on the storage account, and the subscription that hands
// Microsoft.Storage.BlobCreated in the landing containers to the function `blobCreated`.
// Events that still fail after the retries go to a dead-letter container, written with the
// topic's own identity (the account has no shared keys).
//
// Role definitions used here (built-in; checked against the table in test/infra/bicep.test.ts):
// ba92f5b4-2d11-453d-a403-e96b0029c9fe  Storage Blob Data Contributor

param topicName string
@description('Region of the storage account: a system topic lives where its source does.')
param location string
param storageAccountName string
@description('Function App name (same resource group).')
param functionAppName string
@description('Name the Event Grid trigger is registered under (app.eventGrid in src/functions/).')
param blobFunctionName string
param landingContainerNames array
param eventGridDeadLetterContainerName string
@description('The function must already exist (code published) when the subscription is created.')
param deploySubscription bool
param maxDeliveryAttempts int
param eventTimeToLiveInMinutes int
param tags object
@description('Log Analytics workspace for delivery failures and the topic\'s metrics (dropped and dead-lettered events).')
param workspaceId string

var landingSubjectPrefixes = [for c in landingContainerNames: '/blobServices/default/containers/${c}/']

var roles = {
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
}

resource account 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: topicName
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' existing = {
  parent: account
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = {
  parent: blobService
  name: eventGridDeadLetterContainerName
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, topic.id, roles.blobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource blobCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (deploySubscription) {
  parent: topic
  name: 'blob-created-to-function'
  dependsOn: [deadLetterWriter]
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: resourceId('Microsoft.Web/sites/functions', functionAppName, blobFunctionName)
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      // Only the landing containers: dead letters and the host's own blobs raise no events here.
      advancedFilters: [
        {
          operatorType: 'StringBeginsWith'
          key: 'subject'
          values: landingSubjectPrefixes
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: account.id
          blobContainerName: eventGridDeadLetterContainerName
        }
      }
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: topic
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [{ category: 'DeliveryFailures', enabled: true }]
    // DroppedEventCount, DeadLetteredCount, DeliveryAttemptFailCount, ...
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

output topicName string = topic.name
output topicId string = topic.id
output subscriptionDeployed bool = deploySubscription
