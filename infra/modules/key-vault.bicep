// The Key Vault that holds what operators set once and the template never writes: the alert
// target URLs (webhook, Teams, Slack) and, without the Managed Grafana of this template, the
// Grafana URL. The app reads them as Key Vault references with its identity (Key Vault Secrets
// User on this vault only). Redeploying leaves every secret as it is: secrets are not declared
// here, except the Grafana URL when this template owns that Grafana.
//
// Role definitions used here (built-in; checked against the table in test/infra/bicep.test.ts):
// 4633458b-17de-408a-b874-0445c86b69e6  Key Vault Secrets User

@description('Vault name (3-24 letters, digits and dashes, globally unique).')
@minLength(3)
@maxLength(24)
param name string
param location string
param tags object
param workspaceId string

@description('Principal (object) id of the app identity.')
param appPrincipalId string
@description('Resource id of that identity (compile-time known: names the role assignment).')
param appIdentityId string

@description('Endpoint of the Managed Grafana this template deploys; empty: the operator sets qoe-grafana-url.')
param templateGrafanaUrl string
@description('True when this template deploys Managed Grafana (it then owns the qoe-grafana-url secret).')
param ownsGrafanaUrl bool

var roles = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    // Azure RBAC, not access policies: redeploying cannot drop an operator's access.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appIdentityId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource grafanaUrl 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (ownsGrafanaUrl) {
  parent: vault
  name: 'qoe-grafana-url'
  properties: {
    value: templateGrafanaUrl
    contentType: 'text/plain; written by infra/main.bicep (Managed Grafana endpoint)'
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [{ category: 'AuditEvent', enabled: true }]
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
