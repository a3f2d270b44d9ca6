import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Runs `tsx src/cli/kql-check.ts <dir>` as npm run kql:check does. */
function kqlCheck(dir: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/kql-check.ts', dir], (err, stdout) => {
      resolve({ code: err ? Number(err.code) : 0, stdout });
    });
  });
}

describe.concurrent('npm run kql:check', () => {
  let root: string;
  const folder = async (name: string, files: Record<string, string>) => {
    const dir = join(root, name);
    await mkdir(dir);
    for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
    return dir;
  };
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kql-check-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('prints file:line:col per problem and a summary, and exits 1', async () => {
    const dir = await folder('bad', {
      'V001__events.kql': '// events\n.create table Events (SessionId:string)\n',
      'V002__more.kql': '.alter table Evnts policy caching hot = 31d\n\n.frobnicate\n\n.alter table Events policy caching hot = 7d\n',
    });
    const { code, stdout } = await kqlCheck(dir);
    expect(stdout.trim().split('\n')).toEqual([
      `${join(dir, 'V002__more.kql')}:1:14 The name 'Evnts' does not refer to any known table, tabular variable or function. [KS204]`,
      `${join(dir, 'V002__more.kql')}:3:1 unknown control command: .frobnicate [unknown-command]`,
      'kql:check: 2 scripts, 4 commands, 2 problems',
    ]);
    expect(code).toBe(1);
  });

  it('exits 0 when there is no problem', async () => {
    // No scripts: the parser is never loaded, so this stays fast; clean scripts are analyzer tests.
    const dir = await folder('empty', { 'README.md': 'not a script' });
    const { code, stdout } = await kqlCheck(dir);
    expect(stdout).toBe('kql:check: 0 scripts, 0 commands, 0 problems\n');
    expect(code).toBe(0);
  });

  it('exits 1 on a badly named script', async () => {
    const dir = await folder('named', { 'V001__events.kql': '', 'events.kql': '' });
    const { code, stdout } = await kqlCheck(dir);
    expect(stdout).toContain(`${join(dir, 'events.kql')}: not a versioned script name`);
    expect(code).toBe(1);
  });
});
