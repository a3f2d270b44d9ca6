// Log Analytics (where every diagnostic setting sends its logs), workspace-based Application
// Insights with local (instrumentation key) auth off, the app identity's right to send telemetry,
// and the action group every Azure Monitor alert rule notifies.
//
// Role definitions used here (built-in; checked against the table in test/infra/bicep.test.ts):
// 3913510d-42f4-4e42-8a64-420c390055eb  Monitoring Metrics Publisher

param logAnalyticsName string
param appInsightsName string
param actionGroupName string
param location string
param tags object

@description('Days Log Analytics keeps logs and traces.')
param retentionInDays int

@description('Principal (object) id of the app identity: it sends telemetry with Entra auth.')
param appPrincipalId string
@description('Resource id of that identity (compile-time known: names the role assignment).')
param appIdentityId string

@description('E-mail addresses the action group notifies; set them in main.bicepparam (portal edits are replaced on the next deployment).')
param alertEmails array

var roles = {
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
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

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appIdentityId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'qoe-ops'
    enabled: true
    emailReceivers: [for (address, i) in alertEmails: { name: 'email-${i}', emailAddress: address, useCommonAlertSchema: true }]
  }
}

output workspaceId string = workspace.id
output appInsightsId string = appInsights.id
output actionGroupId string = actionGroup.id
// Not a secret: with local auth off, nothing can be sent with it alone.
output appInsightsConnectionString string = appInsights.properties.ConnectionString
