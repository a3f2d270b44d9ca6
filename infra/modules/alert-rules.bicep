// Azure Monitor alert rules for what must never pile up unseen, all sent to the one action group
// (operators fill in its receivers in main.bicepparam):
// - messages moved to the alert poison queue (storage queue logs: the queue extension writes them);
// - growth of the app's dead-letter container (storage blob logs);
// - Event Grid events dead-lettered or dropped (system topic metrics);
// - function invocations that failed (Application Insights requests in the workspace);
// - Data Explorer ingestion failures (the cluster's FailedIngestion diagnostic logs).
// Storage has no per-queue length metric, so the poison queue is watched by what is written to it.

param location string
param tags object
param namePrefix string
param workspaceId string
param actionGroupId string
param eventGridTopicId string
param alertQueueName string
param deadLetterContainerName string

@description('Failed function invocations in 5 minutes above which the rule fires (0: any).')
@minValue(0)
param functionFailureThreshold int

var logRules = [
  {
    name: 'poison-queue'
    severity: 1
    description: 'Alert messages were moved to ${alertQueueName}-poison: a target kept failing (replay with `npm run alerts -- replay-poison` once fixed).'
    query: 'StorageQueueLogs | where OperationName == "PutMessage" and ObjectKey contains "/${alertQueueName}-poison"'
    threshold: 0
  }
  {
    name: 'dead-letter-growth'
    severity: 2
    description: 'Records were dead-lettered into ${deadLetterContainerName} (docs/reliability-security.md: inspect, then `npm run deadletter:replay`).'
    query: 'StorageBlobLogs | where OperationName in ("PutBlob", "PutBlockList", "AppendBlock") and ObjectKey contains "/${deadLetterContainerName}/"'
    threshold: 0
  }
  {
    name: 'function-failures'
    severity: 2
    description: 'Function invocations failed (Application Insights requests with Success == false).'
    query: 'AppRequests | where Success == false'
    threshold: functionFailureThreshold
  }
  {
    name: 'adx-ingestion-failures'
    severity: 1
    description: 'Data Explorer reported failed ingestions (ADXFailedIngestion); the app dead-letters what it could not commit.'
    query: 'ADXFailedIngestion'
    threshold: 0
  }
]

resource logAlerts 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for r in logRules: {
    name: '${namePrefix}-${r.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: '${namePrefix}: ${r.name}'
      description: r.description
      severity: r.severity
      enabled: true
      scopes: [workspaceId]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT5M'
      criteria: {
        allOf: [
          {
            query: r.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: r.threshold
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      // The tables appear with their first rows (a new workspace has none yet).
      skipQueryValidation: true
      autoMitigate: true
      actions: { actionGroups: [actionGroupId] }
    }
  }
]

var eventGridMetrics = [
  { name: 'eventgrid-dead-lettered', metric: 'DeadLetteredCount', description: 'Event Grid dead-lettered BlobCreated events (container qoe-eventgrid-deadletter): the function kept failing or was unreachable.' }
  { name: 'eventgrid-dropped', metric: 'DroppedEventCount', description: 'Event Grid dropped BlobCreated events it could neither deliver nor dead-letter.' }
]

resource eventGridAlerts 'Microsoft.Insights/metricAlerts@2026-01-01' = [
  for m in eventGridMetrics: {
    name: '${namePrefix}-${m.name}'
    location: 'global'
    tags: tags
    properties: {
      description: m.description
      severity: 1
      enabled: true
      scopes: [eventGridTopicId]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT5M'
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: m.metric
            metricName: m.metric
            metricNamespace: 'Microsoft.EventGrid/systemTopics'
            timeAggregation: 'Total'
            operator: 'GreaterThan'
            threshold: 0
          }
        ]
      }
      autoMitigate: true
      actions: [{ actionGroupId: actionGroupId }]
    }
  }
]
