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
@description('Client (application) id of the app\'s user-assigned identity.')
param functionClientId string
@description('Resource id of that identity (compile-time known: names the assignments).')
param functionIdentityId string
@description('Grant Grafana\'s identity Viewer (true when this template deploys Managed Grafana).')
param grantGrafana bool
@description('Principal id of Grafana\'s identity (used when grantGrafana).')
param grafanaPrincipalId string

resource cluster 'Microsoft.Kusto/clusters@2025-02-14' existing = {
  name: clusterName
}

resource newDatabase 'Microsoft.Kusto/clusters/databases@2025-02-14' = if (create) {
  parent: cluster
  name: databaseName
  location: location
  kind: 'ReadWrite'
  properties: {
    softDeletePeriod: softDeletePeriod
    hotCachePeriod: hotCachePeriod
  }
}

resource database 'Microsoft.Kusto/clusters/databases@2025-02-14' existing = {
  parent: cluster
  name: databaseName
}

// The service applies principal changes on one database one at a time, so these are chained.
resource functionIngestor 'Microsoft.Kusto/clusters/databases/principalAssignments@2025-02-14' = {
  parent: database
  name: guid(database.id, functionIdentityId, 'Ingestor')
  dependsOn: [newDatabase]
  properties: {
    principalId: functionClientId
    principalType: 'App'
    role: 'Ingestor'
    tenantId: tenant().tenantId
  }
}

resource functionViewer 'Microsoft.Kusto/clusters/databases/principalAssignments@2025-02-14' = {
  parent: database
  name: guid(database.id, functionIdentityId, 'Viewer')
  dependsOn: [functionIngestor]
  properties: {
    principalId: functionClientId
    principalType: 'App'
    role: 'Viewer'
    tenantId: tenant().tenantId
  }
}

resource grafanaViewer 'Microsoft.Kusto/clusters/databases/principalAssignments@2025-02-14' = if (grantGrafana) {
  parent: database
  name: guid(database.id, 'grafana', 'Viewer')
  dependsOn: [functionViewer]
  properties: {
    principalId: grafanaPrincipalId
    principalType: 'App'
    role: 'Viewer'
    tenantId: tenant().tenantId
  }
}

output name string = databaseName
