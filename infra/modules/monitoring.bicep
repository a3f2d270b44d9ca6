// Log Analytics and workspace-based Application Insights. Local (instrumentation key) auth is off:
// the function app sends telemetry with its managed identity (Monitoring Metrics Publisher).

param logAnalyticsName string
param appInsightsName string
param location string
param tags object

@description('Days Log Analytics keeps logs and traces.')
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
// Not a secret: with local auth off, nothing can be sent with it alone.
output appInsightsConnectionString string = appInsights.properties.ConnectionString
