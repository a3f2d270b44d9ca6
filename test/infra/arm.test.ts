// infra/ as the real Bicep compiler sees it: the ARM JSON `npm run infra:build` writes to
// infra/.tools/arm/ (built here first when missing or older than a .bicep file; that needs the
// .NET SDK, which .ci/run runs before the tests). What the deployment does, read from the template
// Azure Resource Manager would get.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const root = path.resolve(import.meta.dirname, '../..');
const infra = path.join(root, 'infra');
const arm = path.join(infra, '.tools', 'arm');
const bicepBinary = () => {
  const base = path.join(infra, '.tools', 'nuget', 'azure.bicep.commandline.linux-x64');
  const version = existsSync(base) ? readdirSync(base)[0] : undefined;
  return version ? path.join(base, version, 'tools', 'bicep') : undefined;
};

type Json = Record<string, any>;
const template = (rel: string): Json => JSON.parse(readFileSync(path.join(arm, rel), 'utf8')) as Json;
const resourcesOf = (t: Json): Json[] => (Array.isArray(t.resources) ? t.resources : Object.values(t.resources ?? {})) as Json[];

function newestSource(): number {
  const files = readdirSync(infra, { recursive: true, withFileTypes: true }).filter(
    (e) => e.isFile() && /\.(bicep|bicepparam)$|^bicepconfig\.json$/.test(e.name) && !e.parentPath.includes('.tools'),
  );
  return Math.max(...files.map((e) => statSync(path.join(e.parentPath, e.name)).mtimeMs));
}

beforeAll(() => {
  const main = path.join(arm, 'main.json');
  if (existsSync(main) && statSync(main).mtimeMs >= newestSource()) return;
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/infra-build.ts'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`npm run infra:build failed (run it to see why):\n${r.stdout}${r.stderr}`);
}, 600_000);

describe('the compiled template', () => {
  it("caps the host's request body at the app's own cap, whose default is src/config.ts's", () => {
    const app = template('modules/function-app.json');
    expect(app.variables.appSettings.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT).toBe("[string(parameters('maxBodyBytes'))]");
    expect(app.variables.appSettings.QOE_MAX_BODY_BYTES).toBe("[string(parameters('maxBodyBytes'))]");
    expect(template('main.json').parameters.maxBodyBytes.defaultValue).toBe(loadConfig({}).http.maxBodyBytes);
  });

  it('reads operator values from Key Vault and never writes an operator secret: redeploying keeps them', () => {
    const settings = template('modules/function-app.json').variables.appSettings as Record<string, string>;
    for (const [key, secret] of [
      ['QOE_ALERT_WEBHOOK_URL', 'qoe-alert-webhook-url'],
      ['QOE_ALERT_TEAMS_URL', 'qoe-alert-teams-url'],
      ['QOE_ALERT_SLACK_URL', 'qoe-alert-slack-url'],
      ['QOE_GRAFANA_URL', 'qoe-grafana-url'],
    ] as const) {
      expect(settings[key], key).toContain(`'${secret}'`);
      expect(settings[key], key).toContain('__bicep.secretRef');
    }
    const fn = template('modules/function-app.json').functions[0].members.secretRef.output.value as string;
    expect(fn).toBe("[format('@Microsoft.KeyVault(VaultName={0};SecretName={1})', parameters('vault'), parameters('secret'))]");
    // Secrets in any template: only the Grafana URL, only when this template deploys that Grafana.
    const secrets = readdirSync(path.join(arm, 'modules')).flatMap((f) =>
      resourcesOf(template(`modules/${f}`)).filter((r) => r.type === 'Microsoft.KeyVault/vaults/secrets'),
    );
    expect(secrets.map((s) => [s.name, s.condition])).toEqual([
      ["[format('{0}/{1}', parameters('name'), 'qoe-grafana-url')]", "[parameters('ownsGrafanaUrl')]"],
    ]);
    const vault = resourcesOf(template('modules/key-vault.json')).find((r) => r.type === 'Microsoft.KeyVault/vaults')!;
    expect(vault.properties).toMatchObject({ enableRbacAuthorization: true, enablePurgeProtection: true });
    expect(vault.properties.accessPolicies).toBeUndefined();
  });

  it('creates the site after every role of its identity: storage, Key Vault, telemetry, Data Explorer', () => {
    const main = template('main.json');
    const deployment = (name: string) => resourcesOf(main).find((r) => r.type === 'Microsoft.Resources/deployments' && r.name === name)!;
    const after = (deployment('function-app').dependsOn as string[]).join('\n');
    for (const role of ['storage-roles', 'key-vault', 'monitoring', 'adx-database']) expect(after).toContain(`'${role}')]`);
    expect(after).toContain('Microsoft.ManagedIdentity/userAssignedIdentities');
    // Each role module is handed the identity, not the site.
    for (const name of ['storage-roles', 'key-vault', 'monitoring']) {
      expect(JSON.stringify(deployment(name).properties.parameters)).toMatch(/userAssignedIdentities.*principalId/);
    }
    expect(JSON.stringify(deployment('adx-database').properties.parameters.functionClientId)).toContain('clientId');
    const site = resourcesOf(template('modules/function-app.json')).find((r) => r.type === 'Microsoft.Web/sites')!;
    expect(site.identity.type).toBe('UserAssigned');
    expect(site.properties.keyVaultReferenceIdentity).toBe("[parameters('identityId')]");
  });

  it('sends diagnostics to Log Analytics: Function App, Event Grid delivery failures and metrics, storage writes, Data Explorer ingestion', () => {
    const categories = (file: string) =>
      resourcesOf(template(file))
        .filter((r) => r.type === 'Microsoft.Insights/diagnosticSettings')
        .flatMap((r) => {
          const props =
            typeof r.properties === 'string' ? template(file).variables[/variables\('(\w+)'\)/.exec(r.properties)![1]!] : r.properties;
          expect(props.workspaceId, file).toBeTruthy();
          return [...(props.logs ?? []), ...(props.metrics ?? [])].map((c: Json) => c.category as string);
        });
    expect(categories('modules/function-app.json')).toEqual(expect.arrayContaining(['FunctionAppLogs', 'AllMetrics']));
    expect(categories('modules/event-grid.json')).toEqual(expect.arrayContaining(['DeliveryFailures', 'AllMetrics']));
    expect(categories('modules/storage.json')).toEqual(expect.arrayContaining(['StorageWrite', 'StorageDelete', 'Transaction']));
    expect(categories('modules/adx-cluster.json')).toEqual(
      expect.arrayContaining(['FailedIngestion', 'SucceededIngestion', 'IngestionBatching']),
    );
    expect(categories('modules/key-vault.json')).toContain('AuditEvent');
  });

  it('has alert rules on the poison queue, dead letters, Event Grid dead letters and drops, function failures and Data Explorer ingestion, all to the action group', () => {
    const rules = template('modules/alert-rules.json');
    expect((rules.variables.logRules as Json[]).map((r) => r.name)).toEqual([
      'poison-queue',
      'dead-letter-growth',
      'function-failures',
      'adx-ingestion-failures',
    ]);
    expect((rules.variables.eventGridMetrics as Json[]).map((m) => m.metric)).toEqual(['DeadLetteredCount', 'DroppedEventCount']);
    for (const r of resourcesOf(rules)) expect(JSON.stringify(r.properties.actions), r.type).toContain("parameters('actionGroupId')");
    const poison = (rules.variables.logRules as Json[])[0]!.query as string;
    expect(poison).toContain('-poison'); // the queue extension's poison queue name
    const group = resourcesOf(template('modules/monitoring.json')).find((r) => r.type === 'Microsoft.Insights/actionGroups')!;
    expect(JSON.stringify(group)).toContain("parameters('alertEmails')"); // a copy loop over the addresses operators set
  });

  it('builds the parameters file against main.bicep', () => {
    const params = template('main.parameters.json').parameters as Json;
    expect(params.corsOrigins.value).toMatch(/^https:\/\//);
    expect(Object.keys(params).every((k) => k in template('main.json').parameters)).toBe(true);
  });
});

describe('the compiler itself', () => {
  it('rejects what the text-level checks could not see (two @description decorators: BCP166)', async () => {
    const bicep = bicepBinary();
    expect(bicep, 'run npm run infra:build first').toBeDefined();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'qoe-bicep-'));
    try {
      await writeFile(path.join(dir, 'bad.bicep'), "@description('a')\n@description('b')\nparam p string\noutput o string = p\n");
      const r = spawnSync(bicep!, ['build', path.join(dir, 'bad.bicep'), '--stdout'], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr + r.stdout).toContain('BCP166');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
