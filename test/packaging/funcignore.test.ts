// The deployment package as `func azure functionapp publish` builds it: the project folder after
// `npm run build` and `npm ci --omit=dev`, zipped with .funcignore's gitignore rules. It must hold
// dist/, host.json, package.json and the production node_modules only, and the app's entry point
// must import from the unpacked zip and register every function.
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import ignore from 'ignore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildService, ROOT } from '../support/local-service.js';

let work: string;
let entries: string[];
let unpacked: string;

/** Every file under `dir`, relative, with `/` separators; folders end up implied by their files. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

beforeAll(async () => {
  await buildService();
  work = await mkdtemp(path.join(os.tmpdir(), 'qoe-package-'));
  const project = path.join(work, 'project');
  await mkdir(project);
  // The project folder as a publisher has it: the repository (without its dev node_modules) ...
  for (const e of await readdir(ROOT)) {
    if (e === 'node_modules' || e === '.git') continue;
    await cp(path.join(ROOT, e), path.join(project, e), {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}.tools${path.sep}`),
    });
  }
  // ... with production dependencies only (from the npm cache: no network needed after npm ci).
  const npm = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: project,
    encoding: 'utf8',
  });
  if (npm.status !== 0) throw new Error(`npm ci --omit=dev failed:\n${npm.stdout}${npm.stderr}`);

  const rules = ignore().add(await readFile(path.join(project, '.funcignore'), 'utf8'));
  entries = (await walk(project)).filter((f) => !rules.ignores(f));
  const files: Zippable = {};
  for (const f of entries) files[f] = [await readFile(path.join(project, f)), { level: 1 }];
  const zip = zipSync(files);
  await writeFile(path.join(work, 'app.zip'), zip);

  unpacked = path.join(work, 'unpacked');
  for (const [name, bytes] of Object.entries(unzipSync(zip))) {
    await mkdir(path.dirname(path.join(unpacked, name)), { recursive: true });
    await writeFile(path.join(unpacked, name), bytes);
  }
}, 600_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the deployment package', () => {
  it('holds dist/, host.json, package.json and node_modules only; no maps, tests, infra or settings', () => {
    const top = [...new Set(entries.map((f) => f.split('/')[0]))].sort();
    expect(top).toEqual(['dist', 'host.json', 'node_modules', 'package.json']);
    expect(entries.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/src/'))).toEqual([]);
    expect(entries.filter((f) => f.startsWith('dist/') && f.endsWith('.map'))).toEqual([]);
    expect(entries).toContain('dist/src/index.js');
  });

  it('holds every production dependency and no development one', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const has = (name: string) => entries.some((f) => f.startsWith(`node_modules/${name}/package.json`));
    for (const dep of Object.keys(pkg.dependencies)) expect(has(dep), dep).toBe(true);
    // Development-only packages (the lockfile marks them "dev": e.g. vitest, azurite, typescript);
    // a devDependency that a production package also needs (e.g. @types/node) is not one.
    const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([p, m]) => m.dev && p.startsWith('node_modules/') && !p.slice(13).includes('node_modules/'))
      .map(([p]) => p.slice(13));
    expect(devOnly).toEqual(expect.arrayContaining(['vitest', 'azurite', 'typescript']));
    expect(devOnly.filter(has)).toEqual([]);
    expect(Object.keys(pkg.devDependencies).filter((d) => devOnly.includes(d)).length).toBeGreaterThan(5);
    // Anchored rules keep package folders named like the repository's (src/, data/, scripts/).
    expect(entries.some((f) => /^node_modules\/.+\/(src|data|scripts)\//.test(f))).toBe(true);
    expect((await stat(path.join(work, 'app.zip'))).size).toBeGreaterThan(1024 * 1024);
  });

  it('imports the entry point from the unpacked zip and registers every function, even with a bad alert setting', () => {
    const script = [
      "const { installFunctionsCore, getRegistrations } = await import('./dist/src/local/functions-core.js');",
      'installFunctionsCore();',
      "await import('./dist/src/index.js');",
      'console.log(JSON.stringify(getRegistrations().map((r) => r.name).sort()));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: unpacked,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, QOE_ALERT_TEAMS_URL: 'not a url' },
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual([
      'alertNotifier',
      'anomalyTimer',
      'beacons',
      'blobCreated',
      'blobWorker',
      'cmcd',
    ]);
  });
});
