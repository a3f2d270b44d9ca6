// Parameters for infra/main.bicep:
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
// Any of them can be overridden on the command line: -p deployBlobSubscription=true
// Every parameter of main.bicep has a description there; the ones worth a look are here.
using './main.bicep'

// --- what you must set ------------------------------------------------------------------------
// Origins of the pages your players run on (CORS), comma separated. Browsers from other origins
// are refused with 403. `:*` matches any port; `*` allows every origin.
param corsOrigins = 'https://player.example.com'

// Who Azure Monitor notifies (poison queue, dead letters, Event Grid, function failures, Data
// Explorer ingestion). Kept here: receivers added in the portal are replaced on the next run.
param alertEmails = [
  // 'ops@example.com'
]

// Create the Event Grid subscription (BlobCreated -> function). Event Grid checks that the
// function exists, so the first run (before `func azure functionapp publish`) leaves it false;
// run the deployment again with true once the code is published.
param deployBlobSubscription = false

// --- names ------------------------------------------------------------------------------------
// Short lowercase prefix; names get a suffix unique to the resource group.
param namePrefix = 'qoe'
param landingContainerNames = ['telemetry']

// --- function app size (Flex Consumption) -----------------------------------------------------
// Memory per instance in MB: 512, 2048 or 4096 (CPU scales with memory; billed per GB-second).
param instanceMemoryMB = 2048
// Most instances Flex may run; bounds both the bill and the load on Data Explorer.
param maximumInstanceCount = 100
// HTTP requests one instance takes at once. Beacons wait up to QOE_BATCH_MAX_DELAY_MS for a group
// commit, so a high value lets many share one Kusto call; lower it if instances run out of memory.
param httpPerInstanceConcurrency = 64
// Instances kept warm for the beacon endpoint (no cold start; each is billed around the clock).
param alwaysReadyHttpInstances = 0

// --- Azure Data Explorer ----------------------------------------------------------------------
// true: a new cluster in this resource group. false: an existing one (set its name and resource
// group below; it must have streaming ingestion enabled).
param createKustoCluster = true
// param kustoClusterName = 'mycluster'
// param kustoResourceGroupName = 'my-adx-rg'
// Dev SKU: one small node, no SLA, lowest cost. Production, e.g.:
//   kustoSkuName = 'Standard_E2ads_v5', kustoSkuTier = 'Standard', kustoCapacity = 2
param kustoSkuName = 'Dev(No SLA)_Standard_E2a_v4'
param kustoSkuTier = 'Basic'
param kustoCapacity = 1
param kustoDatabaseName = 'qoe'
// managed-streaming: rows queryable in seconds; queued: cheapest per row, 30 s to minutes.
param kustoIngestMode = 'managed-streaming'

// --- Grafana ----------------------------------------------------------------------------------
param deployGrafana = true
param grafanaSku = 'Standard'
