// `npm run infra:build`: the real Bicep compiler over infra/. Restores the pinned Bicep CLI from
// NuGet (infra/bicep-cli/bicep-cli.csproj, restore only) into infra/.tools/, then builds every
// .bicep to ARM JSON and every .bicepparam to parameters JSON under infra/.tools/arm/ (read by
// test/infra/), and lints with infra/bicepconfig.json, whose analyzer rules are errors.
// Exits non-zero on any compiler or linter diagnostic (errors and warnings alike).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const infra = path.join(root, 'infra');
const project = path.join(infra, 'bicep-cli', 'bicep-cli.csproj');
const BICEP_VERSION = '0.49.2'; // keep in step with bicep-cli.csproj
export const bicepPath = path.join(infra, '.tools', 'nuget', 'azure.bicep.commandline.linux-x64', BICEP_VERSION, 'tools', 'bicep');
export const armDir = path.join(infra, '.tools', 'arm');

function fail(message: string): never {
  console.error(`infra:build: ${message}`);
  process.exit(1);
}

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
  });
  if (r.error) return { ok: false, out: String(r.error.message) };
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

function restore(): void {
  if (existsSync(bicepPath)) return;
  if (spawnSync('dotnet', ['--version'], { encoding: 'utf8' }).status !== 0) {
    fail(
      'the .NET SDK (`dotnet`) is not installed; it restores the Bicep CLI from NuGet.\n' +
        '  Install the .NET SDK 8 or later (Debian/Ubuntu: apt-get install -y dotnet-sdk-8.0, or see https://dot.net),\n' +
        '  then run `npm run infra:build` again.',
    );
  }
  const r = run('dotnet', ['restore', project, '--nologo']);
  if (!r.ok || !existsSync(bicepPath)) fail(`dotnet restore of ${path.relative(root, project)} failed:\n${r.out}`);
}

function files(ext: string): string[] {
  return readdirSync(infra, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext) && !path.relative(infra, e.parentPath).startsWith('.tools'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Diagnostic lines ("file(line,col) : Error|Warning CODE: ..."), made relative to the repository. */
const diagnostics = (out: string) =>
  out
    .split('\n')
    .filter((l) => / : (Error|Warning|Info) /.test(l))
    .map((l) => l.replaceAll(`${root}/`, ''));

function main(): void {
  restore();
  chmodSync(bicepPath, 0o755); // NuGet does not keep the executable bit
  const version = run(bicepPath, ['--version']);
  if (!version.ok) fail(`${bicepPath} does not run:\n${version.out}`);
  mkdirSync(armDir, { recursive: true });
  const problems: string[] = [];
  const step = (args: string[]) => {
    const r = run(bicepPath, args);
    const found = diagnostics(r.out);
    problems.push(...found);
    if (!r.ok && found.length === 0) problems.push(`bicep ${args.join(' ')} failed:\n${r.out}`);
  };
  const bicepFiles = files('.bicep');
  const paramFiles = files('.bicepparam');
  // One CLI start per step (each start is seconds of .NET warm-up): globs over infra/.
  step(['build', '--pattern', 'infra/**/*.bicep', '--outdir', armDir]);
  // Parameters files are few; each gets its own name (`--outdir` would write main.json over the template).
  for (const f of paramFiles)
    step(['build-params', f, '--outfile', path.join(armDir, path.relative(infra, f).replace(/\.bicepparam$/, '.parameters.json'))]);
  step(['lint', '--pattern', 'infra/**/*.bicep']);
  step(['lint', '--pattern', 'infra/**/*.bicepparam']);
  const unique = [...new Set(problems)];
  if (unique.length) fail(`${unique.length} problem(s):\n  ${unique.join('\n  ')}`);
  console.log(
    `infra:build: ${version.out.trim()}: ${bicepFiles.length} .bicep and ${paramFiles.length} .bicepparam files build and lint clean (ARM JSON in ${path.relative(root, armDir)}/)`,
  );
}

main();
