import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  bindingSetting,
  ConfigError,
  lazyConfig,
  loadConfig,
  loadSection,
  sections,
  settingsSchema,
  type SectionName,
} from '../src/config.js';
import { errorMessage } from '../src/errors.js';

describe('loadConfig', () => {
  it('runs on embedded defaults: file sink, Azurite storage, shipped country database', () => {
    const c = loadConfig({});
    expect(c.sink).toBe('file');
    expect(c.storageIsLocal).toBe(true);
    expect(c.enrich.countryDb).toMatch(/geo-whois-asn-country\.mmdb$/);
    expect(c.http.maxBodyBytes).toBe(1024 * 1024);
    expect(c.http.maxDecodedBytes).toBe(8 * 1024 * 1024);
    expect(c.batch.maxBytes).toBeLessThan(4 * 1000 * 1000);
  });

  it('chooses the Kusto sink when a cluster is configured and derives the ingestion URI', () => {
    const c = loadConfig({ KUSTO_CLUSTER_URI: 'https://mycluster.westeurope.kusto.windows.net' });
    expect(c.sink).toBe('kusto');
    expect(c.kusto.ingestUri).toBe('https://ingest-mycluster.westeurope.kusto.windows.net');
  });

  it('parses lists and JSON settings', () => {
    const c = loadConfig({
      QOE_CORS_ORIGINS: 'https://a.example, https://b.example',
      QOE_CDN_RULES: '[{"hostSuffix":"cdn.example.net","cdn":"OurCDN"}]',
    });
    expect(c.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(c.enrich.cdnRules).toEqual([{ hostSuffix: 'cdn.example.net', cdn: 'OurCDN' }]);
  });

  it('names every bad setting', () => {
    expect(() => loadConfig({ QOE_MAX_BODY_BYTES: 'lots', QOE_CDN_RULES: '{nope' })).toThrowError(ConfigError);
    try {
      loadConfig({ QOE_MAX_BODY_BYTES: 'lots', QOE_CDN_RULES: '{nope' });
    } catch (e) {
      expect(errorMessage(e)).toContain('QOE_MAX_BODY_BYTES');
      expect(errorMessage(e)).toContain('QOE_CDN_RULES');
    }
    expect(() => loadConfig({ QOE_SINK: 'kusto' })).toThrowError(/KUSTO_CLUSTER_URI/);
  });

  it('local.settings.sample.json lists exactly the settings the schema reads', async () => {
    const sample = JSON.parse(await readFile(new URL('../local.settings.sample.json', import.meta.url), 'utf8'));
    const keys = Object.keys(sample.Values).filter((k) => k !== 'FUNCTIONS_WORKER_RUNTIME');
    expect(keys.sort()).toEqual(Object.keys(settingsSchema.shape).sort());
    // and every sample value is itself valid
    expect(() => loadConfig(sample.Values)).not.toThrow();
  });
});

describe('storage settings', () => {
  it('uses Azurite when nothing is set, the connection string when set, the managed identity with an account name', async () => {
    expect(loadConfig({})).toMatchObject({ storageConnection: 'UseDevelopmentStorage=true', storageIsLocal: true });
    expect(
      loadConfig({ AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=a2V5;EndpointSuffix=core.windows.net' }),
    ).toMatchObject({ storageIsLocal: false, storageAccount: undefined });
    const identity = loadConfig({ AzureWebJobsStorage__accountName: 'qoestore' });
    expect(identity).toMatchObject({ storageConnection: '', storageAccount: 'qoestore', storageIsLocal: false });
    const { storageAccess } = await import('../src/storage.js');
    const access = storageAccess({ connectionString: identity.storageConnection, accountName: identity.storageAccount });
    expect(access.blobService().url).toBe('https://qoestore.blob.core.windows.net/');
    expect(access.queue('qoe-alerts').url).toBe('https://qoestore.queue.core.windows.net/qoe-alerts');
    expect(access.table('blobcheckpoints').url).toBe('https://qoestore.table.core.windows.net');
    const keyed = storageAccess({
      connectionString: 'DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    });
    expect(keyed.queue('q').url).toBe('https://acc.queue.core.windows.net/q');
  });
});

describe('config sections', () => {
  it('every setting belongs to a section, and each section provides exactly the keys it declares', () => {
    const used = new Set(Object.values(sections).flatMap((sec) => [...sec.settings]));
    expect([...used].sort()).toEqual(Object.keys(settingsSchema.shape).sort());
    for (const name of Object.keys(sections) as SectionName[]) {
      expect(Object.keys(loadSection(name, {})).sort(), name).toEqual([...sections[name].provides].map(String).sort());
    }
    // the eager and the lazy config are the same values
    expect({ ...lazyConfig({ KUSTO_CLUSTER_URI: 'https://c.westeurope.kusto.windows.net' }) }).toEqual(
      loadConfig({ KUSTO_CLUSTER_URI: 'https://c.westeurope.kusto.windows.net' }),
    );
  });

  it('lazyConfig validates a section only when it is used: a bad alert setting leaves the rest readable', () => {
    const c = lazyConfig({ QOE_ALERT_TEAMS_URL: 'not a url', QOE_MAX_BODY_BYTES: '2048' });
    expect(c.http.maxBodyBytes).toBe(2048);
    expect(c.sink).toBe('file');
    expect(c.storageIsLocal).toBe(true);
    expect(() => c.alerts).toThrowError(ConfigError);
    expect(() => c.alerts).toThrowError(/QOE_ALERT_TEAMS_URL: must be an http\(s\) URL \(value not shown\)/);
    expect(() => loadConfig({ QOE_ALERT_TEAMS_URL: 'not a url' })).toThrowError(/QOE_ALERT_TEAMS_URL/);
    // cross-setting rule of the ingest section
    expect(() => lazyConfig({ QOE_SINK: 'kusto' }).sink).toThrowError(/QOE_SINK=kusto needs KUSTO_CLUSTER_URI/);
    expect(lazyConfig({ QOE_SINK: 'kusto' }).http.maxBodyBytes).toBe(1024 * 1024);
  });

  it('reads a Key Vault reference App Service could not resolve as "not set"', () => {
    const c = loadConfig({
      QOE_ALERT_SLACK_URL: '@Microsoft.KeyVault(VaultName=kv;SecretName=qoe-alert-slack-url)',
      QOE_ALERT_TEAMS_URL: 'https://teams.example/hook',
    });
    expect(c.alerts.slackUrl).toBeUndefined();
    expect(c.alerts.teamsUrl).toBe('https://teams.example/hook');
  });

  it('resolves %SETTING% binding expressions with the schema: value, default, or a ConfigError', () => {
    expect(bindingSetting('QOE_ALERT_QUEUE', {})).toBe('qoe-alerts');
    expect(bindingSetting('QOE_ALERT_SCHEDULE', { QOE_ALERT_SCHEDULE: '0 0 * * * *' })).toBe('0 0 * * * *');
    expect(() => bindingSetting('QOE_ALERT_QUEUE', { QOE_ALERT_QUEUE: 'Bad_Queue' })).toThrowError(/QOE_ALERT_QUEUE: must be a queue name/);
    expect(() => bindingSetting('NOT_A_SETTING', {})).toThrowError(ConfigError);
  });
});
