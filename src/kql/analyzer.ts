// Offline analysis of the versioned KQL scripts with Microsoft's Kusto.Language parser.
//
// KqlSchemaBuilder plays the scripts' control commands in order against an empty database, the way
// a cluster would: each command is parsed and analysed against the schema built so far (so a name
// the schema lacks is an error), checked for what the parser lets through, and only if it is clean
// applied to the schema (a failing command changes nothing on a cluster either). Queries (Grafana
// panels, function bodies) can then be analysed against the result with analyzeQuery.
//
// What the parser checks: syntax, the names and types inside queries and function bodies, and the
// table/function/view names that a command references (not those it declares).
// What it does not, and this file does: unknown control commands (it parses them as
// UnknownCommand, no error), text after a command (it skips it silently, so two commands without a
// blank line between them pass as one), JSON inside mappings and policies, mapping columns, the
// table of a `.create table ... ingestion mapping`, and the effects of commands on the schema.
// The files: this one (the builder), schema-commands.ts (what each command does to the schema),
// command-syntax.ts (one parsed command and the syntax-tree helpers).

import { join } from 'node:path';
import { Command, findFirst, reportSkippedText, type KqlColumn, type KqlDiagnostic } from './command-syntax.js';
import { kustoLanguage, toArray, type GlobalState, type TableSymbol } from './kusto-language.js';
import { checkPolicy, COMMANDS, POLICY_COMMAND, Schema, type KqlMapping } from './schema-commands.js';
import { lineAndColumn, listScripts, splitCommands, type KqlScript } from './scripts.js';

export type { KqlColumn, KqlDiagnostic } from './command-syntax.js';
export type { KqlMapping, KqlMappingEntry } from './schema-commands.js';

export class KqlSchemaBuilder {
  private readonly schema = new Schema();
  private globals: GlobalState | undefined;

  constructor(readonly databaseName = 'qoe') {}

  /** Applies each command of a script in order; returns the problems found. */
  applyScript(file: string, text: string): KqlDiagnostic[] {
    const diagnostics: KqlDiagnostic[] = [];
    for (const command of splitCommands(text)) {
      const at = (start: number) => lineAndColumn(text, command.offset + start);
      diagnostics.push(...this.applyCommand(file, command.text, at));
    }
    return diagnostics;
  }

  /** Analyses a query (not a command) against the schema built so far. */
  analyzeQuery(query: string, file = '<query>'): KqlDiagnostic[] {
    const code = kustoLanguage().KustoCode.ParseAndAnalyze(query, this.currentGlobals());
    if (code.Kind !== 'Query') {
      return [{ file, line: 1, column: 1, code: 'not-a-query', message: 'expected a query, found a control command' }];
    }
    return toArray(code.GetDiagnostics())
      .filter((d) => d.Severity === 'Error')
      .map((d) => ({ file, ...lineAndColumn(query, d.Start), code: d.Code, message: d.Message }));
  }

  /** The columns a query returns (e.g. a function call), or undefined when it has errors or returns no table. */
  queryColumns(query: string): KqlColumn[] | undefined {
    if (this.analyzeQuery(query).length) return undefined;
    const code = kustoLanguage().KustoCode.ParseAndAnalyze(query, this.currentGlobals());
    const type = code.ResultType as TableSymbol | null;
    return type?.Columns ? toArray(type.Columns).map((c) => ({ name: c.Name, type: c.Type.Name })) : undefined;
  }

  /** A table's (or materialized view's) columns, in order. */
  tableColumns(table: string): KqlColumn[] | undefined {
    const columns = this.schema.tables.get(table) ?? this.schema.views.get(table)?.columns;
    return columns?.map((c) => ({ ...c }));
  }

  tableNames(): string[] {
    return [...this.schema.tables.keys()];
  }

  functionNames(): string[] {
    return [...this.schema.functions.keys()];
  }

  mapping(table: string, mapping: string): KqlMapping | undefined {
    const m = this.schema.mappings.get(table)?.get(mapping);
    return m && { kind: m.kind, entries: m.entries.map((e) => ({ ...e })) };
  }

  /** The columns a table's ingestion mapping fills, in mapping order. */
  mappingColumns(table: string, mapping: string): string[] | undefined {
    return this.mapping(table, mapping)?.entries.map((e) => e.column);
  }

  private applyCommand(file: string, text: string, at: (start: number) => { line: number; column: number }): KqlDiagnostic[] {
    const L = kustoLanguage();
    const K = L.Syntax.SyntaxKind;
    const out: KqlDiagnostic[] = [];
    const command = (text.split('\n', 1)[0] ?? '').trimEnd();
    const report = (start: number, code: string, message: string) => out.push({ file, ...at(start), code, message, command });

    const code = L.KustoCode.ParseAndAnalyze(text, this.currentGlobals());
    if (code.Kind !== 'Command') {
      report(0, 'not-a-command', 'expected a control command (.create, .alter, ...): scripts hold control commands only');
      return out;
    }
    const commandKinds = [K.CustomCommand, K.UnknownCommand, K.PartialCommand, K.BadCommand];
    const root = findFirst(code.Syntax, (n) => commandKinds.includes(n.Kind));
    const name = root && root.Kind === K.CustomCommand ? (root.ReferencedSymbol?.Name ?? '?') : undefined;
    const cmd = root && name ? new Command(L, name, root, text, (q) => this.analyzeQuery(q)) : undefined;

    // `.drop ... ifexists` of something absent is fine; the parser still calls the name unknown.
    const ignored = name?.startsWith('Drop') && cmd?.has('ifexists') ? cmd.spansOf(/Name$/) : new Set<string>();
    for (const d of toArray(code.GetDiagnostics())) {
      if (d.Severity === 'Error' && !ignored.has(`${d.Start}+${d.Length}`)) report(d.Start, d.Code, d.Message);
    }
    if (!cmd || !name) {
      // UnknownCommand parses without error; PartialCommand and BadCommand come with one.
      if (root?.Kind === K.UnknownCommand || !out.length) report(0, 'unknown-command', `unknown control command: ${command}`);
      return out;
    }
    reportSkippedText(L, code.Syntax, text, report);
    const handler = COMMANDS[name] ?? (POLICY_COMMAND.test(name) ? checkPolicy : undefined);
    if (!handler) {
      report(0, 'unsupported-command', `control command ${name} is not on the allow-list in src/kql/schema-commands.ts: ${command}`);
    }
    if (out.length || !handler) return out;

    handler(this.schema, cmd);
    for (const f of cmd.failures) report(f.start, f.code, f.message);
    return out;
  }

  private currentGlobals(): GlobalState {
    if (!this.globals || this.schema.changed) {
      const L = kustoLanguage();
      const database = this.schema.toSymbol(L, this.databaseName);
      this.globals = L.GlobalState.Default.WithCluster(new L.Symbols.ClusterSymbol.ctor('local', [database])).WithDatabase(database);
      this.schema.changed = false;
    }
    return this.globals;
  }
}

/** Checks every versioned script of `dir` in order (listScripts throws KqlScriptError on bad names). */
export async function checkKqlFolder(
  dir: string,
): Promise<{ scripts: KqlScript[]; commands: number; diagnostics: KqlDiagnostic[]; builder: KqlSchemaBuilder }> {
  const scripts = await listScripts(dir);
  const builder = new KqlSchemaBuilder();
  const diagnostics: KqlDiagnostic[] = [];
  let commands = 0;
  for (const script of scripts) {
    commands += splitCommands(script.text).length;
    diagnostics.push(...builder.applyScript(join(dir, script.name), script.text));
  }
  return { scripts, commands, diagnostics, builder };
}
