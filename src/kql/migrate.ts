// Flyway for Kusto: versioned scripts applied in order, each exactly once, recorded in
// KqlSchemaHistory. A script whose checksum changed after it was applied is an error, not a re-run.
// An `async` command (a materialized view's backfill) answers with an operation id at once; the
// script goes on only when `.show operations <id>` says the operation completed. A script that
// failed is run again from its first command next time, so scripts are written to be re-runnable.
import { errorMessage } from '../errors.js';
import type { KustoExecutor, Row } from './kusto-client.js';
import { listScripts, splitCommands, type KqlScript } from './scripts.js';

export const HISTORY_TABLE = 'KqlSchemaHistory';

const CREATE_HISTORY = `.create-merge table ${HISTORY_TABLE} (Version:int, Description:string, Checksum:string, AppliedAt:datetime, AppliedBy:string, Success:bool) with (docstring = "Versioned KQL scripts applied by kql:migrate", folder = "Schema")`;
const READ_HISTORY = `${HISTORY_TABLE} | summarize arg_max(AppliedAt, *) by Version | project Version, Checksum, Success`;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationEvent {
  kind: 'applied' | 'pending' | 'skipped' | 'command' | 'waiting' | 'failed';
  script: string;
  message: string;
}

export interface MigrationReport {
  applied: string[];
  pending: string[];
  skipped: string[];
}

export interface MigrateOptions {
  dir: string;
  database: string;
  executor: KustoExecutor;
  dryRun?: boolean;
  /** Recorded as AppliedBy; reduced to [A-Za-z0-9._@-]. */
  appliedBy: string;
  onEvent?: (e: MigrationEvent) => void;
  /** How often an async operation's state is read (default 5 s). */
  operationPollMs?: number;
  /** How long an async operation may run before the migration gives up on it (default 24 h). */
  operationTimeoutMs?: number;
}

/** `.create async ...`, `.alter async ...`: commands that answer with an operation id. */
const ASYNC_COMMAND = /^\.[a-z-]+\s+async\b/i;
const OPERATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `.show operations` states that are not final (Microsoft's list; anything else is final). */
const RUNNING_STATES = new Set(['InProgress', 'Scheduled', 'Throttled', 'Pending']);

/**
 * Waits for the operation an async command started; throws unless it Completed. A command with
 * `ifnotexists` on something that exists returns no operation id: nothing to wait for.
 */
async function waitForOperation(
  executor: KustoExecutor,
  database: string,
  rows: Row[],
  opts: MigrateOptions,
  onWait: (message: string) => void,
): Promise<void> {
  const id = rows[0]?.OperationId;
  if (id === undefined || id === null || id === '') return;
  if (typeof id !== 'string' || !OPERATION_ID.test(id)) throw new MigrationError(`unexpected operation id ${JSON.stringify(id)}`);
  const pollMs = opts.operationPollMs ?? 5000;
  const deadline = Date.now() + (opts.operationTimeoutMs ?? 24 * 3600_000);
  for (let polls = 0; ; polls++) {
    const [op] = await executor.command(database, `.show operations ${id}`);
    const state = String(op?.State ?? 'Unknown');
    if (state === 'Completed') return;
    if (!RUNNING_STATES.has(state) && op) {
      throw new MigrationError(`operation ${id} ended ${state}: ${String(op.Status ?? '')}`.trim());
    }
    if (Date.now() >= deadline)
      throw new MigrationError(
        `operation ${id} still ${state} after ${opts.operationTimeoutMs ?? 24 * 3600_000} ms; see .show operations ${id}`,
      );
    if (polls % 12 === 0) onWait(`operation ${id} ${state}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Values we write into the history command are ours and validated, so they are safe as literals. */
function literal(value: string, allowed: RegExp): string {
  if (!allowed.test(value)) throw new MigrationError(`refusing to write ${JSON.stringify(value)} into a command`);
  return `"${value}"`;
}

async function readHistory(executor: KustoExecutor, database: string): Promise<Map<number, { checksum: string; success: boolean }>> {
  const rows: Row[] = await executor.query(database, READ_HISTORY).catch((err: unknown) => {
    // A database that was never migrated has no history table yet.
    if (/KqlSchemaHistory|SEM0100|Failed to resolve table/i.test(errorMessage(err))) return [];
    throw err;
  });
  return new Map(
    rows.map((r) => [Number(r.Version), { checksum: String(r.Checksum), success: r.Success === true || r.Success === 'True' }]),
  );
}

function historyRow(s: KqlScript, appliedBy: string, success: boolean): string {
  return (
    `.set-or-append ${HISTORY_TABLE} <| print Version=int(${s.version}), ` +
    `Description=${literal(s.description, /^[\w ]+$/)}, Checksum=${literal(s.checksum, /^[0-9a-f]{64}$/)}, ` +
    `AppliedAt=now(), AppliedBy=${literal(appliedBy, /^[\w.@-]+$/)}, Success=${success}`
  );
}

export async function migrate(opts: MigrateOptions): Promise<MigrationReport> {
  const { executor, database } = opts;
  const emit = opts.onEvent ?? (() => {});
  const appliedBy = opts.appliedBy.replace(/[^\w.@-]/g, '_') || 'unknown';
  const scripts = await listScripts(opts.dir);
  if (!opts.dryRun) await executor.command(database, CREATE_HISTORY);
  const history = await readHistory(executor, database);
  const report: MigrationReport = { applied: [], pending: [], skipped: [] };

  for (const s of scripts) {
    const done = history.get(s.version);
    if (done?.success) {
      if (done.checksum !== s.checksum) {
        throw new MigrationError(
          `${s.name} was changed after it was applied (checksum ${done.checksum.slice(0, 12)}… != ${s.checksum.slice(0, 12)}…); add a new version instead of editing a released one`,
        );
      }
      report.skipped.push(s.name);
      emit({ kind: 'skipped', script: s.name, message: 'already applied' });
      continue;
    }
    const commands = splitCommands(s.text);
    if (opts.dryRun) {
      report.pending.push(s.name);
      emit({ kind: 'pending', script: s.name, message: `${commands.length} commands would be applied` });
      continue;
    }
    for (const [i, c] of commands.entries()) {
      emit({ kind: 'command', script: s.name, message: `${i + 1}/${commands.length} ${c.text.split('\n', 1)[0]!.slice(0, 100)}` });
      try {
        const rows = await executor.command(database, c.text);
        if (ASYNC_COMMAND.test(c.text)) {
          await waitForOperation(executor, database, rows, opts, (message) => emit({ kind: 'waiting', script: s.name, message }));
        }
      } catch (err) {
        const message = errorMessage(err);
        await executor.command(database, historyRow(s, appliedBy, false)).catch(() => undefined);
        emit({ kind: 'failed', script: s.name, message });
        throw new MigrationError(`${s.name}: command ${i + 1} (line ${c.line}) failed:\n  ${c.text.split('\n', 1)[0]}\n  ${message}`);
      }
    }
    await executor.command(database, historyRow(s, appliedBy, true));
    report.applied.push(s.name);
    emit({ kind: 'applied', script: s.name, message: `${commands.length} commands` });
  }
  return report;
}
