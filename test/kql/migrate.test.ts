import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKustoExecutor } from '../../src/kql/kusto-client.js';
import { HISTORY_TABLE, migrate, MigrationError } from '../../src/kql/migrate.js';
import { listScripts, splitCommands } from '../../src/kql/scripts.js';
import { startKustoStub, type KustoStub } from '../support/kusto-stub.js';

interface HistoryRow { Version: number; Description: string; Checksum: string; AppliedAt: string; AppliedBy: string; Success: boolean }

/** A stub whose history table behaves like the real one for the commands migrate() sends. */
async function stubWithHistory(): Promise<{ stub: KustoStub; history: HistoryRow[] }> {
  const stub = await startKustoStub();
  const history: HistoryRow[] = [];
  let clock = 0;
  stub.onMgmt = (call) => {
    const m = /^\.set-or-append KqlSchemaHistory <\| print Version=int\((\d+)\), Description="([^"]*)", Checksum="([0-9a-f]+)", AppliedAt=now\(\), AppliedBy="([^"]*)", Success=(true|false)$/.exec(call.csl);
    if (m) history.push({ Version: Number(m[1]), Description: m[2]!, Checksum: m[3]!, AppliedAt: new Date(Date.UTC(2026, 0, 1) + clock++ * 1000).toISOString(), AppliedBy: m[4]!, Success: m[5] === 'true' });
    return undefined;
  };
  stub.onQuery = (call) => {
    if (!call.csl.startsWith(HISTORY_TABLE)) return undefined;
    const latest = new Map<number, HistoryRow>();
    for (const r of history) latest.set(r.Version, r);
    return {
      columns: [{ name: 'Version', type: 'int' }, { name: 'Checksum', type: 'string' }, { name: 'Success', type: 'bool' }],
      rows: [...latest.values()].map((r) => [r.Version, r.Checksum, r.Success]),
    };
  };
  return { stub, history };
}

const scriptCommands = (stub: KustoStub) => stub.mgmt.map((c) => c.csl).filter((c) => !c.startsWith(`.create-merge table ${HISTORY_TABLE}`) && !c.startsWith(`.set-or-append ${HISTORY_TABLE}`));

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function run(stub: KustoStub, dir: string, dryRun = false) {
  const executor = createKustoExecutor({ clusterUri: stub.url, accessToken: 'test' });
  try {
    return await migrate({ dir, database: 'qoe', executor, dryRun, appliedBy: 'tester@ci' });
  } finally {
    executor.close();
  }
}

describe('kql:migrate against the real azure-kusto-data client and a loopback stub', () => {
  it('applies every command of every script in version order, records history, and a second run sends nothing', async () => {
    const { stub, history } = await stubWithHistory();
    cleanup.push(() => stub.close());
    const dir = path.resolve('kql');
    const scripts = await listScripts(dir);
    const report = await run(stub, dir);
    expect(report.applied).toEqual(scripts.map((s) => s.name));
    expect(scriptCommands(stub)).toEqual(scripts.flatMap((s) => splitCommands(s.text).map((c) => c.text)));
    expect(stub.mgmt.every((c) => c.database === 'qoe')).toBe(true);
    expect(history.map((h) => [h.Version, h.Checksum, h.Success, h.AppliedBy])).toEqual(scripts.map((s) => [s.version, s.checksum, true, 'tester@ci']));

    stub.mgmt.length = 0;
    const again = await run(stub, dir);
    expect(again.applied).toEqual([]);
    expect(again.skipped).toHaveLength(scripts.length);
    expect(scriptCommands(stub)).toEqual([]);
  });

  it('refuses a script whose checksum changed after it was applied', async () => {
    const { stub } = await stubWithHistory();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kql-'));
    cleanup.push(() => stub.close(), () => rm(dir, { recursive: true, force: true }));
    await cp('kql', dir, { recursive: true });
    await run(stub, dir);
    const [first] = await listScripts(dir);
    await writeFile(first!.path, (await readFile(first!.path, 'utf8')) + '\n// an innocent-looking edit\n');
    const err = await run(stub, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toContain(`${first!.name} was changed after it was applied`);
  });

  it('stops at the first failing command with the service message, records the failure, and resumes later', async () => {
    const { stub, history } = await stubWithHistory();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kql-'));
    cleanup.push(() => stub.close(), () => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'V001__one.kql'), '.create table A (x:int)\n');
    await writeFile(path.join(dir, 'V002__two.kql'), '.create table B (x:int)\n\n.alter table B policy caching hot = 1d\n');
    await writeFile(path.join(dir, 'V003__three.kql'), '.create table C (x:int)\n');
    // The service refuses V002's second command until the operator fixes its cause.
    const failing = '.alter table B policy caching hot = 1d';
    let fixed = false;
    const executor = createKustoExecutor({ clusterUri: stub.url, accessToken: 'test' });
    const guarded = {
      ...executor,
      command: async (db: string, text: string) => {
        if (text === failing && !fixed) throw new Error('Policy is not valid here');
        return executor.command(db, text);
      },
    };
    const err = await migrate({ dir, database: 'qoe', executor: guarded, appliedBy: 'ci' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toMatch(/V002__two\.kql: command 2 \(line 3\) failed/);
    expect((err as Error).message).toMatch(/Policy is not valid here/);
    expect(history.map((h) => [h.Version, h.Success])).toEqual([[1, true], [2, false]]);
    expect(scriptCommands(stub)).not.toContain('.create table C (x:int)');

    fixed = true;
    const report = await migrate({ dir, database: 'qoe', executor: guarded, appliedBy: 'ci' });
    executor.close();
    expect(report.applied).toEqual(['V002__two.kql', 'V003__three.kql']);
    expect(report.skipped).toEqual(['V001__one.kql']);
  });

  it('lists pending scripts without applying them on a dry run', async () => {
    const { stub } = await stubWithHistory();
    cleanup.push(() => stub.close());
    const report = await run(stub, path.resolve('kql'), true);
    expect(report.pending.length).toBeGreaterThan(0);
    expect(stub.mgmt).toEqual([]);
  });
});
