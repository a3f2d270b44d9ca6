// The Data Explorer database and who may use it: the function ingests (Ingestor) and runs the
// anomaly queries (Viewer); Grafana reads (Viewer). Nobody gets Admin here: kql:migrate runs as a
// person or pipeline that already has it (the cluster's creator is its AllDatabasesAdmin).

param clusterName string
param create bool
param databaseName string
param location string
@description('ISO 8601 duration data stays queryable, e.g. P365D.')
param softDeletePeriod string
@description('ISO 8601 duration data stays in hot cache, e.g. P31D.')
param hotCachePeriod string
param functionPrincipalId string
@description('Empty when Grafana is not deployed.')
param grafanaPrincipalId string

resource cluster 'Microsoft.Kusto/clusters@2024-04-13' existing = {
  name: clusterName
}

resource newDatabase 'Microsoft.Kusto/clusters/databases@2024-04-13' = if (create) {
  parent: cluster
  name: databaseName
  location: location
  kind: 'ReadWrite'
  properties: {
    softDeletePeriod: softDeletePeriod
    hotCachePeriod: hotCachePeriod
  }
}

resource database 'Microsoft.Kusto/clusters/databases@2024-04-13' existing = {
  parent: cluster
  name: databaseName
}

// The service applies principal changes on one database one at a time, so these are chained.
resource functionIngestor 'Microsoft.Kusto/clusters/databases/principalAssignments@2024-04-13' = {
  parent: database
  name: guid(database.id, functionPrincipalId, 'Ingestor')
  dependsOn: [newDatabase]
  properties: {
    principalId: functionPrincipalId
    principalType: 'App'
    role: 'Ingestor'
    tenantId: tenant().tenantId
  }
}

resource functionViewer 'Microsoft.Kusto/clusters/databases/principalAssignments@2024-04-13' = {
  parent: database
  name: guid(database.id, functionPrincipalId, 'Viewer')
  dependsOn: [functionIngestor]
  properties: {
    principalId: functionPrincipalId
    principalType: 'App'
    role: 'Viewer'
    tenantId: tenant().tenantId
  }
}

resource grafanaViewer 'Microsoft.Kusto/clusters/databases/principalAssignments@2024-04-13' = if (!empty(grafanaPrincipalId)) {
  parent: database
  name: guid(database.id, grafanaPrincipalId, 'Viewer')
  dependsOn: [functionViewer]
  properties: {
    principalId: grafanaPrincipalId
    principalType: 'App'
    role: 'Viewer'
    tenantId: tenant().tenantId
  }
}

output name string = databaseName
