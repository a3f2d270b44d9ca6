import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKustoExecutor } from '../../src/kql/kusto-client.js';
import { HISTORY_TABLE, migrate, MigrationError } from '../../src/kql/migrate.js';
import { listScripts, splitCommands } from '../../src/kql/scripts.js';
import { startKustoStub, type KustoStub } from '../support/kusto-stub.js';
import { errorMessage } from '../../src/errors.js';

interface HistoryRow {
  Version: number;
  Description: string;
  Checksum: string;
  AppliedAt: string;
  AppliedBy: string;
  Success: boolean;
}

/** A stub whose history table behaves like the real one for the commands migrate() sends. */
async function stubWithHistory(): Promise<{ stub: KustoStub; history: HistoryRow[] }> {
  const stub = await startKustoStub();
  const history: HistoryRow[] = [];
  let clock = 0;
  stub.onMgmt = (call) => {
    const m =
      /^\.set-or-append KqlSchemaHistory <\| print Version=int\((\d+)\), Description="([^"]*)", Checksum="([0-9a-f]+)", AppliedAt=now\(\), AppliedBy="([^"]*)", Success=(true|false)$/.exec(
        call.csl,
      );
    if (m)
      history.push({
        Version: Number(m[1]),
        Description: m[2]!,
        Checksum: m[3]!,
        AppliedAt: new Date(Date.UTC(2026, 0, 1) + clock++ * 1000).toISOString(),
        AppliedBy: m[4]!,
        Success: m[5] === 'true',
      });
    return undefined;
  };
  stub.onQuery = (call) => {
    if (!call.csl.startsWith(HISTORY_TABLE)) return undefined;
    const latest = new Map<number, HistoryRow>();
    for (const r of history) latest.set(r.Version, r);
    return {
      columns: [
        { name: 'Version', type: 'int' },
        { name: 'Checksum', type: 'string' },
        { name: 'Success', type: 'bool' },
      ],
      rows: [...latest.values()].map((r) => [r.Version, r.Checksum, r.Success]),
    };
  };
  return { stub, history };
}

const scriptCommands = (stub: KustoStub) =>
  stub.mgmt
    .map((c) => c.csl)
    .filter((c) => !c.startsWith(`.create-merge table ${HISTORY_TABLE}`) && !c.startsWith(`.set-or-append ${HISTORY_TABLE}`));

const cleanup: Array<() => Promise<unknown>> = [];
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
    expect(history.map((h) => [h.Version, h.Checksum, h.Success, h.AppliedBy])).toEqual(
      scripts.map((s) => [s.version, s.checksum, true, 'tester@ci']),
    );

    stub.mgmt.length = 0;
    const again = await run(stub, dir);
    expect(again.applied).toEqual([]);
    expect(again.skipped).toHaveLength(scripts.length);
    expect(scriptCommands(stub)).toEqual([]);
  });

  it('refuses a script whose checksum changed after it was applied', async () => {
    const { stub } = await stubWithHistory();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kql-'));
    cleanup.push(
      () => stub.close(),
      () => rm(dir, { recursive: true, force: true }),
    );
    await cp('kql', dir, { recursive: true });
    await run(stub, dir);
    const [first] = await listScripts(dir);
    await writeFile(first!.path, (await readFile(first!.path, 'utf8')) + '\n// an innocent-looking edit\n');
    const err = await run(stub, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect(errorMessage(err)).toContain(`${first!.name} was changed after it was applied`);
  });

  it('stops at the first failing command with the service message, records the failure, and resumes later', async () => {
    const { stub, history } = await stubWithHistory();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kql-'));
    cleanup.push(
      () => stub.close(),
      () => rm(dir, { recursive: true, force: true }),
    );
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
    expect(errorMessage(err)).toMatch(/V002__two\.kql: command 2 \(line 3\) failed/);
    expect(errorMessage(err)).toMatch(/Policy is not valid here/);
    expect(history.map((h) => [h.Version, h.Success])).toEqual([
      [1, true],
      [2, false],
    ]);
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

  it("waits for an async command's operation before the next command, and stops when it fails", async () => {
    const { stub, history } = await stubWithHistory();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kql-'));
    cleanup.push(
      () => stub.close(),
      () => rm(dir, { recursive: true, force: true }),
    );
    const view = '.create async ifnotexists materialized-view with (backfill = true) V on table A { A | summarize take_any(*) by x }';
    await writeFile(
      path.join(dir, 'V001__one.kql'),
      `.create table A (x:int)\n\n${view}\n\n.alter materialized-view V policy caching hot = 1d\n`,
    );
    const id = '0b7f3c1e-5a2d-4c8b-9e6f-2a1b3c4d5e6f';
    const states = ['Scheduled', 'InProgress', 'InProgress', 'Failed'];
    let viewExists = false;
    const base = stub.onMgmt!;
    stub.onMgmt = (call) => {
      base(call);
      if (call.csl === view) {
        // ifnotexists on an existing view: no operation, nothing to wait for (a re-run).
        return viewExists
          ? { columns: [{ name: 'Result', type: 'string' }], rows: [['exists']] }
          : { columns: [{ name: 'OperationId', type: 'guid' }], rows: [[id]] };
      }
      if (call.csl === `.show operations ${id}`) {
        const state = states.shift() ?? 'Completed';
        return {
          columns: [
            { name: 'OperationId', type: 'guid' },
            { name: 'State', type: 'string' },
            { name: 'Status', type: 'string' },
          ],
          rows: [[id, state, state === 'Failed' ? 'Backfill ran out of memory' : '']],
        };
      }
      return undefined;
    };
    const executor = createKustoExecutor({ clusterUri: stub.url, accessToken: 'test' });
    cleanup.push(async () => executor.close());
    const run = () => migrate({ dir, database: 'qoe', executor, appliedBy: 'ci', operationPollMs: 1 });
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect(errorMessage(err)).toMatch(/command 2 \(line 3\) failed/);
    expect(errorMessage(err)).toContain(`operation ${id} ended Failed: Backfill ran out of memory`);
    // Polled until the final state; the command after the view was never sent.
    expect(scriptCommands(stub).filter((c) => c.startsWith('.show operations'))).toHaveLength(4);
    expect(scriptCommands(stub)).not.toContain('.alter materialized-view V policy caching hot = 1d');
    expect(history.map((h) => [h.Version, h.Success])).toEqual([[1, false]]);

    // The re-run starts the script again: the first backfill failed, so the view is created again and this time completes.
    stub.mgmt.length = 0;
    states.push('InProgress', 'Completed');
    expect((await run()).applied).toEqual(['V001__one.kql']);
    expect(scriptCommands(stub)).toEqual([
      '.create table A (x:int)',
      view,
      `.show operations ${id}`,
      `.show operations ${id}`,
      '.alter materialized-view V policy caching hot = 1d',
    ]);

    // Once the view exists, `ifnotexists` answers without an operation: a re-run does not wait.
    viewExists = true;
    history.length = 0;
    stub.mgmt.length = 0;
    expect((await run()).applied).toEqual(['V001__one.kql']);
    expect(scriptCommands(stub).some((c) => c.startsWith('.show operations'))).toBe(false);
  });
});
