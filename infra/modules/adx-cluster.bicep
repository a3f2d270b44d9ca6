// Azure Data Explorer cluster: a new one with streaming ingestion on, or an existing one (then
// streaming ingestion must already be on: `az kusto cluster update --enable-streaming-ingest true`).

param create bool
param name string
param location string
param tags object
param skuName string
param skuTier string
@minValue(1)
param capacity int
@description('Log Analytics workspace for ingestion results (failed, succeeded, batching).')
param workspaceId string

resource cluster 'Microsoft.Kusto/clusters@2025-02-14' = if (create) {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
    capacity: capacity
  }
  properties: {
    // The sink's managed-streaming mode needs it (kql/V002 turns it on for QoeEvents).
    enableStreamingIngest: true
    // A stopped cluster would dead-letter every batch; the pipeline keeps it busy anyway.
    enableAutoStop: false
    enablePurge: false
    publicNetworkAccess: 'Enabled'
  }
}

resource existingCluster 'Microsoft.Kusto/clusters@2025-02-14' existing = if (!create) {
  name: name
}

// On a new or an existing cluster: one more diagnostic setting is additive.
resource clusterForDiagnostics 'Microsoft.Kusto/clusters@2025-02-14' existing = {
  name: name
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'qoe-to-log-analytics'
  scope: clusterForDiagnostics
  dependsOn: [cluster]
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      { category: 'FailedIngestion', enabled: true }
      { category: 'SucceededIngestion', enabled: true }
      { category: 'IngestionBatching', enabled: true }
    ]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

output name string = name
output id string = clusterForDiagnostics.id
output location string = create ? cluster!.location : existingCluster!.location
output uri string = create ? cluster!.properties.uri : existingCluster!.properties.uri
output ingestUri string = create ? cluster!.properties.dataIngestionUri : existingCluster!.properties.dataIngestionUri
