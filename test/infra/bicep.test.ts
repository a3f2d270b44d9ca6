// Consistency of infra/ with the code, read as text: what ties the Bicep to src/config.ts, the
// roles, Event Grid and secrets. Syntax, types, module paths and unused params are the real
// compiler's and linter's job (`npm run infra:build`; test/infra/arm.test.ts reads its output).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, settingsSchema } from '../../src/config.js';

const root = path.resolve(import.meta.dirname, '../..');
const infra = path.join(root, 'infra');
const read = (rel: string) => readFile(path.join(root, rel), 'utf8');

async function infraFiles(ext: string): Promise<string[]> {
  const entries = await readdir(infra, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

// --- a small Bicep scanner -------------------------------------------------------------------

/**
 * The text with comments blanked and, with `blankStrings`, the characters of string literals
 * blanked too (quotes and `${...}` interpolations kept). Offsets and line breaks are preserved, so
 * positions found in the result are positions in the original.
 */
function blank(text: string, blankStrings = true): string {
  const out = text.split('');
  const put = (i: number) => {
    if (out[i] !== '\n') out[i] = ' ';
  };
  // Modes stack: 'code' (top level or inside an interpolation) or 'str' (inside '...').
  const modes: { kind: 'code' | 'str'; depth: number }[] = [{ kind: 'code', depth: 0 }];
  let i = 0;
  while (i < text.length) {
    const top = modes[modes.length - 1]!;
    const c = text[i]!;
    const next = text[i + 1];
    if (top.kind === 'code') {
      if (c === '/' && next === '/') {
        while (i < text.length && text[i] !== '\n') put(i++);
      } else if (c === '/' && next === '*') {
        const end = text.indexOf('*/', i + 2);
        const stop = end < 0 ? text.length : end + 2;
        while (i < stop) put(i++);
      } else if (text.startsWith("'''", i)) {
        const end = text.indexOf("'''", i + 3);
        const stop = end < 0 ? text.length : end + 3;
        for (let j = i + 3; j < stop - 3; j++) if (blankStrings) put(j);
        i = stop;
      } else if (c === "'") {
        modes.push({ kind: 'str', depth: 0 });
        i++;
      } else {
        if (c === '{') top.depth++;
        if (c === '}') {
          if (top.depth === 0 && modes.length > 1) {
            modes.pop(); // end of an interpolation: back into its string
            i++;
            continue;
          }
          top.depth--;
        }
        i++;
      }
    } else {
      if (c === '\\') {
        if (blankStrings) {
          put(i);
          put(i + 1);
        }
        i += 2;
      } else if (c === "'") {
        modes.pop();
        i++;
      } else if (c === '$' && next === '{') {
        modes.push({ kind: 'code', depth: 0 });
        i += 2;
      } else {
        if (blankStrings) put(i);
        i++;
      }
    }
  }
  return out.join('');
}

const lineOf = (text: string, at: number) => text.slice(0, at).split('\n').length;

/** The text from the '{' at `open` to its matching '}' (inclusive). */
function blockAt(text: string, open: number): string {
  const code = blank(text);
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '{') depth++;
    if (code[i] === '}' && --depth === 0) return text.slice(open, i + 1);
  }
  throw new Error(`no '}' closes the '{' of line ${lineOf(text, open)}`);
}

/** Keys of an object literal block (`{ ... }`), top level only, in order. */
function objectKeys(block: string): string[] {
  const code = blank(block);
  const keys: string[] = [];
  let depth = 0;
  let lineStart = 0;
  for (let i = 0; i <= code.length; i++) {
    if (i === code.length || code[i] === '\n') {
      if (depth === 1) {
        const m = /^\s*(?:([A-Za-z_]\w*)|'([^']*)')\s*:/.exec(block.slice(lineStart, i));
        if (m) keys.push(m[1] ?? m[2]!);
      }
      for (let j = lineStart; j < i; j++) {
        if (code[j] === '{' || code[j] === '[' || code[j] === '(') depth++;
        if (code[j] === '}' || code[j] === ']' || code[j] === ')') depth--;
      }
      lineStart = i + 1;
    }
  }
  return keys;
}

interface ResourceDecl {
  symbol: string;
  type: string;
  block: string;
}

/** `resource <symbol> '<type>@<api>' [existing] = [if (...)] { ... }` and loops over them. */
function resources(text: string): ResourceDecl[] {
  const code = blank(text, false);
  const found: ResourceDecl[] = [];
  const re = /^resource\s+(\w+)\s+'([^'@]+)@[^']+'/gm;
  for (let m; (m = re.exec(code));) {
    const open = code.indexOf('{', m.index);
    found.push({ symbol: m[1]!, type: m[2]!, block: blockAt(text, open) });
  }
  return found;
}

// --- app settings ----------------------------------------------------------------------------

/**
 * The rule for a setting counted as set: its own name, or (Azure Functions identity-based
 * connections) `<NAME>__accountName`, `__blobServiceUri`, `__queueServiceUri`, `__tableServiceUri`,
 * `__serviceUri` or `__fullyQualifiedNamespace`. So `AzureWebJobsStorage__accountName` covers
 * `AzureWebJobsStorage`: the host connects with the managed identity instead of a key.
 */
const IDENTITY_SUFFIXES = ['accountName', 'blobServiceUri', 'queueServiceUri', 'tableServiceUri', 'serviceUri', 'fullyQualifiedNamespace'];

function missingSettings(schemaKeys: string[], setKeys: string[]): string[] {
  const set = new Set(setKeys);
  return schemaKeys.filter((k) => !set.has(k) && !IDENTITY_SUFFIXES.some((s) => set.has(`${k}__${s}`)));
}

/** Settings the host or platform reads, not the app: allowed in Bicep without a schema entry. */
const PLATFORM_SETTINGS = new Set([
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'AzureWebJobsStorage__clientId', // the user-assigned identity the host signs in as
  'AZURE_CLIENT_ID', // DefaultAzureCredential in the app picks the same identity
  'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT', // the host's body limit, set to the app's cap
]);

/** Flex Consumption takes these from functionAppConfig and rejects them as app settings. */
const NOT_ON_FLEX = ['FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_NODE_DEFAULT_VERSION', 'WEBSITE_RUN_FROM_PACKAGE'];

/** The keys of `var appSettings = { ... }` in the Function App module. */
function bicepAppSettings(functionAppBicep: string): string[] {
  const at = /^var appSettings\s*=\s*\{/m.exec(blank(functionAppBicep, false));
  if (!at) throw new Error('no `var appSettings = {` in the Function App module');
  return objectKeys(blockAt(functionAppBicep, functionAppBicep.indexOf('{', at.index)));
}

/** The app settings whose Bicep value is a plain string literal, e.g. `QOE_SINK: 'kusto'`. */
function bicepLiteralSettings(functionAppBicep: string): Record<string, string> {
  const at = /^var appSettings\s*=\s*\{/m.exec(blank(functionAppBicep, false))!;
  const block = blockAt(functionAppBicep, functionAppBicep.indexOf('{', at.index));
  const literals: Record<string, string> = {};
  for (const m of block.matchAll(/^\s*(\w+):\s*'([^'$\\]*)'\s*(\/\/.*)?$/gm)) literals[m[1]!] = m[2]!;
  return literals;
}

function settingsProblems(schemaKeys: string[], bicepKeys: string[]): string[] {
  const schema = new Set(schemaKeys);
  return [
    ...missingSettings(schemaKeys, bicepKeys).map((k) => `${k} is in the config schema but not set in Bicep`),
    ...bicepKeys
      .filter((k) => !schema.has(k) && !PLATFORM_SETTINGS.has(k) && !NOT_ON_FLEX.includes(k))
      .map((k) => `${k} is set in Bicep but the config schema does not declare it`),
    ...bicepKeys.filter((k) => NOT_ON_FLEX.includes(k)).map((k) => `${k} must not be an app setting on Flex Consumption`),
  ];
}

// --- roles -----------------------------------------------------------------------------------

/** Built-in roles infra/ may assign (checked against Microsoft's built-in roles list). */
const ALLOWED_ROLES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner', // the host's own containers only
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '8a0f0c08-91a1-4084-bc3d-661d67233fed': 'Storage Queue Data Message Processor',
  'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a': 'Storage Queue Data Message Sender',
  '19e7f393-937e-4f77-808e-94535e297925': 'Storage Queue Data Reader',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '76199698-9eea-4c19-bc75-cec21354c6b6': 'Storage Table Data Reader',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User', // one vault, read secrets only
};

/** Administrative roles (or ones that hand out keys): never assigned by infra/. */
const FORBIDDEN_ROLES: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
  '22926164-76b3-42b3-bc55-97df8dab3e41': 'Grafana Admin',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor',
  '81a9662b-bebf-436f-a333-f67b29880f12': 'Storage Account Key Operator Service Role',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
};

/** Data Explorer database roles a principal assignment may name. */
const ALLOWED_KUSTO_ROLES = new Set(['Ingestor', 'Viewer']);

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Role problems in one Bicep file: unknown or admin GUIDs, undocumented GUIDs, admin role names. */
function roleProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  const noComments = blank(text, false);
  // The comment table: `// <guid>  <role name>`.
  const documented = new Map<string, string>();
  for (const m of text.matchAll(/^\/\/\s*([0-9a-f-]{36})\s+(.+?)\s*$/gim)) documented.set(m[1]!.toLowerCase(), m[2]!);

  const used = new Set([...noComments.matchAll(GUID)].map((m) => m[0].toLowerCase()));
  for (const g of used) {
    if (FORBIDDEN_ROLES[g]) problems.push(`${file}: assigns ${FORBIDDEN_ROLES[g]} (${g})`);
    else if (!ALLOWED_ROLES[g]) problems.push(`${file}: ${g} is not a role in the allowed table`);
    if (!documented.has(g)) problems.push(`${file}: ${g} is used but not listed with its name in the header comment`);
  }
  for (const [g, name] of documented) {
    const expected = ALLOWED_ROLES[g] ?? FORBIDDEN_ROLES[g];
    if (expected !== name) problems.push(`${file}: comment names ${g} "${name}", the table says "${expected ?? 'unknown'}"`);
  }
  for (const name of Object.values(FORBIDDEN_ROLES)) {
    if (new RegExp(`'${name}'`, 'i').test(noComments)) problems.push(`${file}: names the role '${name}'`);
  }

  const decls = resources(text);
  const typeOf = new Map(decls.map((d) => [d.symbol, d.type]));
  const roleVars = /^var roles\s*=\s*\{/m.exec(noComments);
  const roleMap = new Map<string, string>();
  if (roleVars) {
    const block = blockAt(text, text.indexOf('{', roleVars.index));
    for (const m of block.matchAll(/^\s*(\w+)\s*:\s*'([0-9a-f-]{36})'/gim)) roleMap.set(m[1]!, m[2]!.toLowerCase());
  }
  for (const d of decls) {
    if (d.type === 'Microsoft.Authorization/roleAssignments') {
      const ref = /roleDefinitionId:.*roles\.(\w+)/.exec(d.block);
      const guid = ref ? roleMap.get(ref[1]!) : /roleDefinitionId:.*?([0-9a-f-]{36})/i.exec(d.block)?.[1]?.toLowerCase();
      if (!guid) problems.push(`${file}: role assignment ${d.symbol} names no role definition from \`var roles\``);
      else if (!ALLOWED_ROLES[guid]) problems.push(`${file}: role assignment ${d.symbol} uses ${FORBIDDEN_ROLES[guid] ?? guid}`);
      const scope = /^\s*scope:\s*(\w+)/m.exec(d.block)?.[1];
      const scopeType = scope ? typeOf.get(scope) : undefined;
      // Least privilege: never the resource group, subscription or a whole storage account.
      if (!scopeType) problems.push(`${file}: role assignment ${d.symbol} has no resource scope`);
      else if (scopeType === 'Microsoft.Storage/storageAccounts')
        problems.push(`${file}: role assignment ${d.symbol} covers the whole storage account`);
    }
    if (/principalAssignments$/.test(d.type)) {
      const role = /^\s*role:\s*'([^']*)'/m.exec(d.block)?.[1];
      if (!role || !ALLOWED_KUSTO_ROLES.has(role)) problems.push(`${file}: ${d.symbol} assigns Data Explorer role '${role}'`);
    }
  }
  return problems;
}

// --- Event Grid ------------------------------------------------------------------------------

function eventGridProblems(text: string): string[] {
  const subs = resources(text).filter((d) => /^Microsoft\.EventGrid\/(systemTopics\/)?eventSubscriptions$/.test(d.type));
  if (subs.length === 0) return ['no Event Grid subscription'];
  const problems: string[] = [];
  for (const { symbol, block } of subs) {
    const types = /includedEventTypes:\s*\[([^\]]*)\]/.exec(block)?.[1];
    const listed = [...(types ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]);
    if (listed.length !== 1 || listed[0] !== 'Microsoft.Storage.BlobCreated') {
      problems.push(`${symbol}: filter must include Microsoft.Storage.BlobCreated only, has [${listed.join(', ')}]`);
    }
    // The subject prefixes may be built in a variable; the subscription must filter on the subject.
    const subjectFilter = /subjectBeginsWith:/.test(block) || /key:\s*'subject'/.test(block);
    if (!subjectFilter || !/\/blobServices\/default\/containers\//.test(text))
      problems.push(`${symbol}: no subject filter on the landing containers`);
    const deadLetter = /deadLetterDestination:\s*\{/.exec(block);
    if (!deadLetter) problems.push(`${symbol}: no dead-letter destination`);
    else {
      const dl = blockAt(block, block.indexOf('{', deadLetter.index));
      if (!/endpointType:\s*'StorageBlob'/.test(dl) || !/blobContainerName:/.test(dl))
        problems.push(`${symbol}: dead letters must go to a storage blob container`);
    }
    if (!/retryPolicy:\s*\{[^}]*maxDeliveryAttempts:/.test(block)) problems.push(`${symbol}: no retry policy`);
    if (!/endpointType:\s*'AzureFunction'/.test(block) || !/sites\/functions/.test(block))
      problems.push(`${symbol}: destination is not an Azure Function`);
  }
  return problems;
}

// --- well-formedness -------------------------------------------------------------------------

const SECRET_PATTERNS = [
  /AccountKey=/i,
  /SharedAccessKey=/i,
  /SharedAccessSignature=/i,
  /InstrumentationKey=/i,
  /listKeys\s*\(/i,
  /[?&]sig=/i,
];

function secretProblems(file: string, text: string): string[] {
  const problems = SECRET_PATTERNS.filter((re) => re.test(text)).map((re) => `${file}: matches ${re}`);
  // A @secure() parameter with a default would put the secret in the repo.
  for (const m of blank(text, false).matchAll(/@secure\(\)\s*\n\s*param\s+(\w+)\s+\w+\s*=/g))
    problems.push(`${file}: secure param ${m[1]} has a default`);
  return problems;
}

// --- the checks ------------------------------------------------------------------------------

const schemaKeys = Object.keys(settingsSchema.shape);
const FUNCTION_APP = 'infra/modules/function-app.bicep';

describe('infra/ app settings match the config schema', () => {
  it('sets every setting of settingsSchema in the Function App, and nothing the schema does not know', async () => {
    const keys = bicepAppSettings(await read(FUNCTION_APP));
    expect(keys.length).toBeGreaterThan(10);
    expect(settingsProblems(schemaKeys, keys)).toEqual([]);
  });

  it('the site is created with that object (no instance starts without its settings)', async () => {
    const text = blank(await read(FUNCTION_APP), false);
    expect(text).toMatch(
      /appSettings:\s*\[for s in items\(union\(appSettings, appSettingOverrides\)\): \{ name: s\.key, value: s\.value \}\]/,
    );
  });

  it('the values Bicep fixes are valid for the config schema, and choose the Kusto sink', async () => {
    const literals = bicepLiteralSettings(await read(FUNCTION_APP));
    expect(literals.QOE_SINK).toBe('kusto');
    expect(Object.keys(literals).length).toBeGreaterThan(15);
    const sample = JSON.parse(await read('local.settings.sample.json')) as { Values: Record<string, string> };
    // Values Bicep computes (cluster URI, CORS origins, ...) come from the sample or an example.
    const env = { ...sample.Values, KUSTO_CLUSTER_URI: 'https://adxqoe.westeurope.kusto.windows.net', ...literals };
    const config = loadConfig(env);
    expect(config.sink).toBe('kusto');
    expect(config.deadLetter.store).toBe('blob');
  });

  it('lists every setting of settingsSchema in local.settings.sample.json', async () => {
    const sample = JSON.parse(await read('local.settings.sample.json')) as { Values: Record<string, string> };
    expect(missingSettings(schemaKeys, Object.keys(sample.Values))).toEqual([]);
  });

  it('fails, naming it, when a setting is removed from the Bicep', async () => {
    const text = await read(FUNCTION_APP);
    const victim = schemaKeys.find((k) => k.startsWith('QOE_') && new RegExp(`^\\s*${k}:`, 'm').test(text))!;
    expect(victim).toBeDefined();
    const without = text.replace(new RegExp(`^\\s*${victim}:.*\\n`, 'm'), '');
    expect(settingsProblems(schemaKeys, bicepAppSettings(without))).toEqual([`${victim} is in the config schema but not set in Bicep`]);
  });

  it('counts AzureWebJobsStorage as set only through AzureWebJobsStorage__accountName', async () => {
    const text = await read(FUNCTION_APP);
    const without = text.replace(/^\s*AzureWebJobsStorage__accountName:.*\n/m, '');
    expect(missingSettings(schemaKeys, bicepAppSettings(without))).toEqual(['AzureWebJobsStorage', 'AzureWebJobsStorage__accountName']);
    expect(missingSettings(['AzureWebJobsStorage'], ['AzureWebJobsStorage'])).toEqual([]);
  });

  it('flags a setting the schema does not declare (a typo) and the ones Flex rejects', () => {
    expect(settingsProblems(['QOE_A'], ['QOE_A', 'QOE_B', 'FUNCTIONS_WORKER_RUNTIME'])).toEqual([
      'QOE_B is set in Bicep but the config schema does not declare it',
      'FUNCTIONS_WORKER_RUNTIME must not be an app setting on Flex Consumption',
    ]);
  });
});

describe('infra/ roles are least privilege', () => {
  it('assigns only known non-admin roles, each documented, scoped below the storage account; ADX roles are Ingestor or Viewer', async () => {
    const problems: string[] = [];
    for (const f of await infraFiles('.bicep')) problems.push(...roleProblems(f, await read(f)));
    expect(problems).toEqual([]);
  });

  it('gives the function Ingestor and Viewer on the database, Grafana Viewer, and Storage roles where they are needed', async () => {
    const adx = blank(await read('infra/modules/adx-database.bicep'), false);
    expect(adx.match(/role:\s*'Ingestor'/g)).toHaveLength(1);
    expect(adx.match(/role:\s*'Viewer'/g)).toHaveLength(2);
    const storageRoles = resources(await read('infra/modules/storage-roles.bicep')).filter(
      (d) => d.type === 'Microsoft.Authorization/roleAssignments',
    );
    const roleOf = (sym: string) => /roles\.(\w+)/.exec(storageRoles.find((d) => d.symbol === sym)!.block)![1];
    expect(roleOf('landingReader')).toBe('blobDataReader');
    expect(roleOf('deadLetterContributor')).toBe('blobDataContributor');
    expect(roleOf('checkpointContributor')).toBe('tableDataContributor');
  });

  it('fails on an admin role by GUID, by name, on an undocumented GUID and on an account-wide scope', async () => {
    const text = await read('infra/modules/storage-roles.bicep');
    const owner = text.replace(
      "blobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'",
      "blobDataReader: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'",
    );
    expect(roleProblems('x', owner)).toContain('x: assigns Owner (8e3af657-a8ff-443c-a75c-2fe8c4bcb635)');
    expect(roleProblems('x', owner)).toContain('x: role assignment landingReader uses Owner');
    const undocumented = text.replace(/^\/\/ 2a2b9908.*\n/m, '');
    expect(roleProblems('x', undocumented)).toEqual([
      'x: 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1 is used but not listed with its name in the header comment',
    ]);
    const wide = text.replace('scope: deadLetter\n', 'scope: account\n');
    expect(roleProblems('x', wide)).toEqual(['x: role assignment deadLetterContributor covers the whole storage account']);
    const adx = await read('infra/modules/adx-database.bicep');
    expect(roleProblems('y', adx.replace("role: 'Ingestor'", "role: 'Admin'"))).toEqual([
      "y: functionIngestor assigns Data Explorer role 'Admin'",
    ]);
    expect(roleProblems('z', "var x = 'Grafana Admin'\n")).toEqual(["z: names the role 'Grafana Admin'"]);
  });
});

describe('infra/ Event Grid', () => {
  it('subscribes the function to BlobCreated in the landing containers, with retries and a dead-letter container', async () => {
    expect(eventGridProblems(await read('infra/modules/event-grid.bicep'))).toEqual([]);
  });

  it('fails without a dead-letter destination or with other event types', async () => {
    const text = await read('infra/modules/event-grid.bicep');
    const noDl = text
      .replace(/deadLetterWithResourceIdentity:/, 'deadLetterWithResourceIdentityX:')
      .replace(/deadLetterDestination:/, 'somewhereElse:');
    expect(eventGridProblems(noDl)).toEqual(['blobCreated: no dead-letter destination']);
    const more = text.replace(
      "includedEventTypes: ['Microsoft.Storage.BlobCreated']",
      "includedEventTypes: ['Microsoft.Storage.BlobCreated', 'Microsoft.Storage.BlobDeleted']",
    );
    expect(eventGridProblems(more)).toEqual([
      'blobCreated: filter must include Microsoft.Storage.BlobCreated only, has [Microsoft.Storage.BlobCreated, Microsoft.Storage.BlobDeleted]',
    ]);
  });

  it('names the function the code registers for blob events', async () => {
    const main = await read('infra/main.bicep');
    const name = /param blobFunctionName string = '(\w+)'/.exec(main)?.[1];
    expect(await read('src/functions/blob-created.ts')).toContain(`app.eventGrid('${name}'`);
  });
});

describe('infra/ Bicep is well formed (text level)', () => {
  it('the parameters file sets the sizes a user changes', async () => {
    const params = blank(await read('infra/main.bicepparam'), false);
    expect(params).toMatch(/^using '\.\/main\.bicep'/m);
    const given = [...params.matchAll(/^param\s+(\w+)\s*=/gm)].map((m) => m[1]!);
    for (const size of ['kustoSkuName', 'instanceMemoryMB', 'maximumInstanceCount', 'httpPerInstanceConcurrency'])
      expect(given).toContain(size);
  });

  it('holds no secrets', async () => {
    const files = [...(await infraFiles('.bicep')), ...(await infraFiles('.bicepparam'))];
    const problems: string[] = [];
    for (const f of files) problems.push(...secretProblems(f, await read(f)));
    expect(problems).toEqual([]);
    expect(secretProblems('x', "var c = 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc'")).toEqual([
      'x: matches /AccountKey=/i',
    ]);
    expect(secretProblems('x', "@secure()\nparam token string = 'abc'\n")).toEqual(['x: secure param token has a default']);
  });

  it('is a Flex Consumption app on Node.js 22 running as the user-assigned identity', async () => {
    const text = blank(await read(FUNCTION_APP), false);
    expect(text).toMatch(/name:\s*'FC1'\s*\n\s*tier:\s*'FlexConsumption'/);
    expect(text).toMatch(/runtime:\s*\{\s*name:\s*'node',\s*version:\s*'22'\s*\}/);
    expect(text).toMatch(/type:\s*'UserAssigned'\s*\n\s*userAssignedIdentities:\s*\{\s*'\$\{identityId\}':\s*\{\}\s*\}/);
    expect(text).toMatch(/authentication:\s*\{\s*type:\s*'UserAssignedIdentity',\s*userAssignedIdentityResourceId:\s*identityId\s*\}/);
    expect(text).toMatch(/keyVaultReferenceIdentity:\s*identityId/);
    expect(text).toMatch(/perInstanceConcurrency:\s*httpPerInstanceConcurrency/);
    const storage = blank(await read('infra/modules/storage.bicep'), false);
    expect(storage).toMatch(/allowSharedKeyAccess:\s*false/);
  });
});
