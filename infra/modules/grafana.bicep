// Azure Managed Grafana with a system-assigned identity; that identity is what the ADX data
// source authenticates as (Database Viewer, granted in adx-database.bicep). Bicep cannot create
// the data source or import dashboards: README.md "Deploy to Azure" does that with az grafana.

param name string
param location string
param tags object
param skuName string
param grafanaMajorVersion string

resource grafana 'Microsoft.Dashboard/grafana@2025-08-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: skuName }
  identity: { type: 'SystemAssigned' }
  properties: {
    grafanaMajorVersion: grafanaMajorVersion
    // Service-account tokens instead of legacy API keys.
    apiKey: 'Disabled'
    deterministicOutboundIP: 'Disabled'
    publicNetworkAccess: 'Enabled'
    zoneRedundancy: 'Disabled'
  }
}

output name string = grafana.name
output principalId string = grafana.identity.principalId
output endpoint string = grafana.properties.endpoint
