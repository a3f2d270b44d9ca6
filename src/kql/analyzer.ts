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

import { join } from 'node:path';
import {
  kustoLanguage,
  toArray,
  type GlobalState,
  type KSymbol,
  type KustoLanguage,
  type SyntaxElement,
  type TableSymbol,
} from './kusto-language.js';
import { lineAndColumn, listScripts, splitCommands, type KqlScript } from './scripts.js';

export interface KqlDiagnostic {
  file: string;
  /** 1-based, in the file. */
  line: number;
  column: number;
  /** Kusto.Language's code (KS142, ...) or one of this file's: unknown-command, invalid-json, ... */
  code: string;
  message: string;
  /** The first line of the command it is about. */
  command?: string;
}

export interface KqlColumn {
  name: string;
  /** Kusto's canonical type name: string, long, real, datetime, dynamic, ... */
  type: string;
}

export interface KqlMappingEntry {
  column: string;
  path?: string;
  datatype?: string;
}

export interface KqlMapping {
  /** json, csv, ... */
  kind: string;
  entries: KqlMappingEntry[];
}

/** The control commands scripts may use (Kusto.Language's command names), and what each does. */
const COMMANDS: Record<string, Handler> = {
  CreateTable: createTables,
  CreateTables: createTables,
  CreateMergeTable: createTables,
  CreateMergeTables: createTables,
  AlterTable: alterTable,
  AlterMergeTable: alterTable,
  AlterTableDocString: requireTables,
  AlterTableFolder: requireTables,
  DropTable: dropTables,
  DropTables: dropTables,
  CreateFunction: defineFunction,
  CreateOrAlterFunction: defineFunction,
  AlterFunction: defineFunction,
  DropFunction: dropFunctions,
  DropFunctions: dropFunctions,
  CreateMaterializedView: defineView,
  CreateOrAlterMaterializedView: defineView,
  AlterMaterializedView: defineView,
  DropMaterializedView: dropView,
  CreateTableIngestionMapping: defineMapping,
  CreateOrAlterTableIngestionMapping: defineMapping,
  AlterTableIngestionMapping: defineMapping,
  DropTableIngestionMapping: dropMapping,
  SetTable: ingestFromQuery,
  AppendTable: ingestFromQuery,
  SetOrAppendTable: ingestFromQuery,
  SetOrReplaceTable: ingestFromQuery,
};
/** Policies change no schema; their JSON is checked. */
const POLICY_COMMAND = /^(Alter|AlterMerge|Delete)(Table|Database|MaterializedView)Policy[A-Za-z]+$/;

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
    const command = text.split('\n', 1)[0].trimEnd();
    const report = (start: number, code: string, message: string) => out.push({ file, ...at(start), code, message, command });

    const code = L.KustoCode.ParseAndAnalyze(text, this.currentGlobals());
    if (code.Kind !== 'Command') {
      report(0, 'not-a-command', 'expected a control command (.create, .alter, ...): scripts hold control commands only');
      return out;
    }
    const commandKinds = [K.CustomCommand, K.UnknownCommand, K.PartialCommand, K.BadCommand];
    const root = findFirst(code.Syntax, (n) => commandKinds.includes(n.Kind));
    const name = root?.Kind === K.CustomCommand ? (root.ReferencedSymbol?.Name ?? '?') : undefined;
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
      report(0, 'unsupported-command', `control command ${name} is not on the allow-list in src/kql/analyzer.ts: ${command}`);
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

// ---------------------------------------------------------------------------------------------
// The schema and what commands do to it

class Schema {
  readonly tables = new Map<string, KqlColumn[]>();
  readonly views = new Map<string, { columns: KqlColumn[]; query: string }>();
  readonly functions = new Map<string, { parameters: string; body: string }>();
  /** table -> mapping name -> mapping */
  readonly mappings = new Map<string, Map<string, KqlMapping>>();
  changed = true;

  kindOf(name: string): string | undefined {
    if (this.tables.has(name)) return 'table';
    if (this.views.has(name)) return 'materialized view';
    if (this.functions.has(name)) return 'function';
    return undefined;
  }

  toSymbol(L: KustoLanguage, databaseName: string): KSymbol {
    const S = L.Symbols;
    const columns = (cs: KqlColumn[]) => cs.map((c) => new S.ColumnSymbol(c.name, S.ScalarTypes.GetSymbol(c.type)!, null, null, null, null));
    const members: KSymbol[] = [
      ...[...this.tables].map(([name, cs]) => new S.TableSymbol.$ctor6(name, columns(cs), null)),
      ...[...this.views].map(([name, v]) => new S.MaterializedViewSymbol.$ctor2(name, columns(v.columns), v.query, null)),
      ...[...this.functions].map(([name, f]) => new S.FunctionSymbol.$ctor16(name, f.parameters, f.body, null)),
    ];
    return new S.DatabaseSymbol.ctor(databaseName, members);
  }
}

type Handler = (schema: Schema, cmd: Command) => void;

/** .create[-merge] table(s): new tables; .create-merge adds missing columns to existing ones. */
function createTables(s: Schema, c: Command): void {
  const merge = c.name.startsWith('CreateMerge');
  const results = new Map<SyntaxElement, KqlColumn[]>();
  for (const { nameNode, columns } of c.tableDefinitions()) {
    const name = nameNode.SimpleName;
    if (!c.claim(s, nameNode, 'table')) continue;
    const existing = s.tables.get(name);
    if (!existing) results.set(nameNode, columns);
    else if (merge) results.set(nameNode, mergeColumns(c, nameNode, existing, columns));
    else if (!sameColumns(existing, columns)) {
      c.fail(nameNode, 'table-exists', `table '${name}' already exists with other columns: .create table leaves it unchanged (use .create-merge or .alter-merge table)`);
    }
  }
  if (c.ok) for (const [nameNode, columns] of results) setColumns(s, c, nameNode, columns);
}

/** .alter table replaces the columns; .alter-merge table adds the missing ones. */
function alterTable(s: Schema, c: Command): void {
  const [definition] = c.tableDefinitions();
  if (!definition) return;
  const { nameNode, columns } = definition;
  const existing = c.existingTable(s, nameNode);
  if (!existing) return;
  const next = c.name === 'AlterMergeTable' ? mergeColumns(c, nameNode, existing, columns) : columns;
  if (c.ok) setColumns(s, c, nameNode, next);
}

function requireTables(s: Schema, c: Command): void {
  for (const node of c.all('TableName')) c.existingTable(s, node);
}

function dropTables(s: Schema, c: Command): void {
  for (const node of c.all('TableName')) {
    s.tables.delete(node.SimpleName);
    s.mappings.delete(node.SimpleName);
  }
  s.changed = true;
}

/** .create / .create-or-alter / .alter function: later commands can call it. */
function defineFunction(s: Schema, c: Command): void {
  const nameNode = c.one('FunctionName');
  const declaration = c.one('FunctionDeclaration');
  if (!nameNode || !declaration) return;
  const name = nameNode.SimpleName;
  if (!c.claim(s, nameNode, 'function')) return;
  if (c.name === 'CreateFunction' && s.functions.has(name)) {
    if (!c.has('ifnotexists')) c.fail(nameNode, 'already-exists', `function '${name}' already exists (use .create-or-alter function)`);
    return;
  }
  const parameters = c.textOf(child(declaration, 'Parameters'));
  const body = c.textOf(child(declaration, 'Body'));
  s.functions.set(name, { parameters, body });
  s.changed = true;
}

function dropFunctions(s: Schema, c: Command): void {
  for (const node of c.all('FunctionName')) s.functions.delete(node.SimpleName);
  s.changed = true;
}

/** Materialized views become tables with the columns their query returns. */
function defineView(s: Schema, c: Command): void {
  const nameNode = c.one('MaterializedViewName');
  const body = c.one('SourceBody');
  if (!nameNode || !body) return;
  const name = nameNode.SimpleName;
  if (!c.claim(s, nameNode, 'materialized view')) return;
  if (c.name === 'CreateMaterializedView' && s.views.has(name)) {
    if (!c.has('ifnotexists')) c.fail(nameNode, 'already-exists', `materialized view '${name}' already exists`);
    return;
  }
  const columns = c.resultColumns(child(body, 'Expression'), body);
  if (!columns) return;
  s.views.set(name, { columns, query: c.textOf(body).slice(1, -1).trim() });
  s.changed = true;
}

function dropView(s: Schema, c: Command): void {
  for (const node of c.all('MaterializedViewName')) s.views.delete(node.SimpleName);
  s.changed = true;
}

/** Ingestion mappings: valid JSON, an array of entries naming columns the table has. */
function defineMapping(s: Schema, c: Command): void {
  const tableNode = c.one('TableName');
  const nameNode = c.one('MappingName');
  const formatNode = c.one('MappingFormat');
  if (!tableNode || !nameNode || !formatNode) return;
  const columns = c.existingTable(s, tableNode);
  const mappingName = c.literal(nameNode);
  const kind = c.wordAfter('ingestion') ?? '?';
  const json = c.json(formatNode);
  if (!columns || json === undefined) return;

  const existing = s.mappings.get(tableNode.SimpleName)?.get(mappingName);
  if (c.name === 'CreateTableIngestionMapping' && existing) {
    c.fail(nameNode, 'already-exists', `mapping '${mappingName}' of table '${tableNode.SimpleName}' already exists (use .create-or-alter)`);
  } else if (c.name === 'AlterTableIngestionMapping' && !existing) {
    c.fail(nameNode, 'not-found', `table '${tableNode.SimpleName}' has no mapping '${mappingName}' to alter`);
  }
  const entries = mappingEntries(c, formatNode, json);
  const known = new Set(columns.map((col) => col.name));
  const seen = new Set<string>();
  for (const e of entries ?? []) {
    if (!known.has(e.column)) c.fail(formatNode, 'unknown-column', `mapping '${mappingName}' names column '${e.column}', which table '${tableNode.SimpleName}' does not have`);
    if (seen.has(e.column)) c.fail(formatNode, 'duplicate-column', `mapping '${mappingName}' names column '${e.column}' twice`);
    seen.add(e.column);
  }
  if (!c.ok || !entries) return;
  const byName = s.mappings.get(tableNode.SimpleName) ?? new Map<string, KqlMapping>();
  byName.set(mappingName, { kind, entries });
  s.mappings.set(tableNode.SimpleName, byName);
}

function dropMapping(s: Schema, c: Command): void {
  const tableNode = c.one('TableName');
  const nameNode = c.one('MappingName');
  if (!tableNode || !nameNode) return;
  const name = c.literal(nameNode);
  if (!s.mappings.get(tableNode.SimpleName)?.delete(name)) {
    c.fail(nameNode, 'not-found', `table '${tableNode.SimpleName}' has no mapping '${name}' to drop`);
  }
}

/** .set creates a table from a query, .append needs one, .set-or-append/.set-or-replace either. */
function ingestFromQuery(s: Schema, c: Command): void {
  const nameNode = c.one('TableName');
  const query = c.one('QueryOrCommand');
  if (!nameNode || !query) return;
  const name = nameNode.SimpleName;
  if (c.name === 'AppendTable') {
    c.existingTable(s, nameNode);
    return;
  }
  if (!c.claim(s, nameNode, 'table')) return;
  if (s.tables.has(name)) {
    if (c.name === 'SetTable') c.fail(nameNode, 'already-exists', `table '${name}' already exists: .set creates a new table (use .append or .set-or-append)`);
    return;
  }
  const statement = findFirst(query, (n) => n.Kind === c.K.ExpressionStatement);
  const columns = c.resultColumns(statement && child(statement, 'Expression'), query);
  if (columns) setColumns(s, c, nameNode, columns);
}

/** Policies: their JSON must parse; an update policy's Source must exist and its Query analyse. */
function checkPolicy(s: Schema, c: Command): void {
  for (const node of c.all(/polic(y|ies)$/i)) {
    if (node.Kind !== c.K.StringLiteralExpression) continue;
    const json = c.json(node);
    if (json === undefined || !c.name.endsWith('PolicyUpdate')) continue;
    for (const entry of Array.isArray(json) ? json : [json]) {
      const { Source, Query } = (entry ?? {}) as { Source?: unknown; Query?: unknown };
      if (typeof Source === 'string' && !s.tables.has(Source)) {
        c.fail(node, 'unknown-table', `update policy: unknown table '${Source}' (Source)`);
      }
      if (typeof Query === 'string') {
        for (const d of c.analyze(Query)) c.fail(node, d.code, `update policy Query, line ${d.line} col ${d.column}: ${d.message}`);
      }
    }
  }
}

function mergeColumns(c: Command, at: SyntaxElement, existing: KqlColumn[], added: KqlColumn[]): KqlColumn[] {
  const merged = existing.map((col) => ({ ...col }));
  for (const col of added) {
    const same = merged.find((m) => m.name === col.name);
    if (!same) merged.push(col);
    else if (same.type !== col.type) {
      c.fail(at, 'type-conflict', `column '${col.name}' is ${same.type}: a merge cannot make it ${col.type} (use .alter column)`);
    }
  }
  return merged;
}

/** Sets a table's columns, unless an ingestion mapping of the table names a column it would lose. */
function setColumns(s: Schema, c: Command, at: SyntaxElement, columns: KqlColumn[]): void {
  const table = at.SimpleName;
  const names = new Set(columns.map((col) => col.name));
  for (const [mappingName, m] of s.mappings.get(table) ?? []) {
    const lost = m.entries.map((e) => e.column).filter((col) => !names.has(col));
    if (lost.length) {
      const list = lost.length > 5 ? `${lost.slice(0, 5).join(', ')} and ${lost.length - 5} more` : lost.join(', ');
      c.fail(at, 'unknown-column', `mapping '${mappingName}' of table '${table}' names columns this command removes: ${list}`);
    }
  }
  if (!c.ok) return;
  s.tables.set(table, columns);
  s.changed = true;
}

function sameColumns(a: KqlColumn[], b: KqlColumn[]): boolean {
  return a.length === b.length && a.every((col, i) => col.name === b[i].name && col.type === b[i].type);
}

function mappingEntries(c: Command, at: SyntaxElement, json: unknown): KqlMappingEntry[] | undefined {
  const bad = (why: string) => {
    c.fail(at, 'invalid-mapping', `ingestion mapping: ${why}`);
    return undefined;
  };
  if (!Array.isArray(json)) return bad('expected a JSON array of { "column": ..., ... } entries');
  const entries: KqlMappingEntry[] = [];
  for (const [i, raw] of json.entries()) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad(`entry ${i} is not an object`);
    // Kusto accepts the keys in any case: column/Column, path/Path or Properties.Path, datatype/DataType.
    const get = (o: object, key: string): unknown => Object.entries(o).find(([k]) => k.toLowerCase() === key)?.[1];
    const column = get(raw, 'column');
    if (typeof column !== 'string' || !column) return bad(`entry ${i} has no "column"`);
    const properties = get(raw, 'properties');
    const path = get(raw, 'path') ?? (typeof properties === 'object' && properties ? get(properties, 'path') : undefined);
    const datatype = get(raw, 'datatype');
    entries.push({
      column,
      ...(typeof path === 'string' ? { path } : {}),
      ...(typeof datatype === 'string' && datatype ? { datatype } : {}),
    });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// One parsed command: its grammar's named parts, and the problems found while applying it

class Command {
  readonly K: Record<string, number>;
  readonly failures: Array<{ start: number; code: string; message: string }> = [];
  /** The grammar's named parts (TableName, ColumnName, MappingFormat, ...) in text order, not inside queries. */
  private readonly parts: Array<{ name: string; node: SyntaxElement }> = [];
  /** The command's own words (create, table, ifexists, ...). */
  private readonly words: string[] = [];

  constructor(
    private readonly L: KustoLanguage,
    readonly name: string,
    root: SyntaxElement,
    readonly text: string,
    readonly analyze: (query: string) => KqlDiagnostic[],
  ) {
    this.K = L.Syntax.SyntaxKind;
    this.collect(root);
  }

  get ok(): boolean {
    return this.failures.length === 0;
  }

  fail(at: SyntaxElement | number, code: string, message: string): void {
    this.failures.push({ start: typeof at === 'number' ? at : at.TextStart, code, message });
  }

  all(name: string | RegExp): SyntaxElement[] {
    return this.parts.filter((p) => (typeof name === 'string' ? p.name === name : name.test(p.name))).map((p) => p.node);
  }

  one(name: string): SyntaxElement | undefined {
    return this.all(name)[0];
  }

  has(word: string): boolean {
    return this.words.includes(word);
  }

  wordAfter(word: string): string | undefined {
    const i = this.words.indexOf(word);
    return i < 0 ? undefined : this.words[i + 1];
  }

  /** "start+length" of the parts whose name matches, to recognise the parser's diagnostics on them. */
  spansOf(name: RegExp): Set<string> {
    return new Set(this.all(name).map((n) => `${n.TextStart}+${n.Width}`));
  }

  textOf(node: SyntaxElement | undefined): string {
    return node ? this.text.slice(node.TextStart, node.TextStart + node.Width) : '';
  }

  /** Table name + column list pairs, as in `.create tables A (x:int), B (y:string)`. */
  tableDefinitions(): Array<{ nameNode: SyntaxElement; columns: KqlColumn[] }> {
    const tables: Array<{ nameNode: SyntaxElement; columns: KqlColumn[] }> = [];
    let column: string | undefined;
    for (const { name, node } of this.parts) {
      const current = tables[tables.length - 1];
      if (name === 'TableName') tables.push({ nameNode: node, columns: [] });
      else if (name === 'ColumnName') column = node.SimpleName;
      else if (name === 'ColumnType' && current && column !== undefined) {
        if (current.columns.some((c) => c.name === column)) this.fail(node, 'duplicate-column', `column '${column}' is declared twice`);
        current.columns.push({ name: column, type: node.ReferencedSymbol?.Name ?? this.textOf(node) });
        column = undefined;
      }
    }
    return tables;
  }

  /** The table's columns, or a failure if the schema has no such table. */
  existingTable(s: Schema, nameNode: SyntaxElement): KqlColumn[] | undefined {
    const columns = s.tables.get(nameNode.SimpleName);
    if (!columns) this.fail(nameNode, 'unknown-table', `unknown table '${nameNode.SimpleName}'`);
    return columns;
  }

  /** Fails if `name` is already taken by another kind of entity (tables, views, functions share names). */
  claim(s: Schema, nameNode: SyntaxElement, kind: string): boolean {
    const taken = s.kindOf(nameNode.SimpleName);
    if (taken && taken !== kind) this.fail(nameNode, 'name-conflict', `'${nameNode.SimpleName}' is already a ${taken}`);
    return !taken || taken === kind;
  }

  /** The columns of a query expression's result, or a failure. */
  resultColumns(expression: SyntaxElement | undefined, at: SyntaxElement): KqlColumn[] | undefined {
    const type = expression?.ResultType as TableSymbol | null | undefined;
    if (!type?.Columns) {
      this.fail(at, 'not-tabular', 'the query does not return a table');
      return undefined;
    }
    return toArray(type.Columns).map((c) => ({ name: c.Name, type: c.Type.Name }));
  }

  /**
   * A string literal's value. Kusto joins adjacent string literals ('[' '{...}' ']'); the command
   * grammar takes the first as the value and skips the others, so they are joined here.
   */
  literal(node: SyntaxElement): string {
    let value = String(node.LiteralValue ?? '');
    for (let t = node.GetLastToken()?.GetNextToken(); t && t.Kind === this.K.StringLiteralToken && isSkipped(this.K, t); t = t.GetNextToken()) {
      value += this.L.KustoFacts.GetStringLiteralValue(t.Text);
    }
    return value;
  }

  /** A string literal parsed as JSON, or a failure. */
  json(node: SyntaxElement): unknown {
    try {
      return JSON.parse(this.literal(node));
    } catch (e) {
      this.fail(node, 'invalid-json', `invalid JSON: ${(e as Error).message}`);
      return undefined;
    }
  }

  private collect(node: SyntaxElement): void {
    for (let i = 0; i < node.ChildCount; i++) {
      const c = node.GetChild(i);
      if (!c) continue;
      const name = node.GetName(i) || (c.Kind === this.K.FunctionDeclaration ? 'FunctionDeclaration' : '');
      if (name) this.parts.push({ name, node: c });
      if (c.IsToken) {
        if (c.Kind === this.K.IdentifierToken && node.Kind === this.K.CustomNode) this.words.push(c.Text);
      } else if (c.Kind !== this.K.FunctionDeclaration && c.Kind !== this.K.FunctionBody && name !== 'QueryOrCommand') {
        this.collect(c);
      }
    }
  }
}

/** Text the parser skipped without a word: trailing garbage, or a second command with no blank line before it. */
function reportSkippedText(L: KustoLanguage, root: SyntaxElement, text: string, report: (start: number, code: string, message: string) => void): void {
  const K = L.Syntax.SyntaxKind;
  const skipped = findAll(root, (n) => n.Kind === K.SkippedTokens);
  for (const node of skipped) {
    const end = node.TextStart + node.Width;
    for (let t = node.GetFirstToken(); t && t.TextStart < end; t = t.GetNextToken()) {
      const joined = t.Kind === K.StringLiteralToken && t.GetPreviousToken()?.Kind === K.StringLiteralToken;
      if (!joined) {
        const rest = text.slice(t.TextStart, end).split('\n', 1)[0];
        const hint = rest.startsWith('.') ? ' (separate commands with a blank line)' : '';
        report(t.TextStart, 'unexpected-text', `unexpected text, ignored by the parser: '${rest}'${hint}`);
        break;
      }
    }
  }
}

function isSkipped(K: Record<string, number>, token: SyntaxElement): boolean {
  for (let n = token.Parent; n; n = n.Parent) if (n.Kind === K.SkippedTokens) return true;
  return false;
}

function child(node: SyntaxElement, name: string): SyntaxElement | undefined {
  for (let i = 0; i < node.ChildCount; i++) if (node.GetName(i) === name) return node.GetChild(i) ?? undefined;
  return undefined;
}

function findFirst(node: SyntaxElement, test: (n: SyntaxElement) => boolean): SyntaxElement | undefined {
  return findAll(node, test, true)[0];
}

/** Nodes passing `test`, in text order, not looking inside those found. */
function findAll(node: SyntaxElement, test: (n: SyntaxElement) => boolean, firstOnly = false): SyntaxElement[] {
  const found: SyntaxElement[] = [];
  const visit = (n: SyntaxElement): void => {
    if (firstOnly && found.length) return;
    if (test(n)) found.push(n);
    else for (let i = 0; i < n.ChildCount; i++) {
      const c = n.GetChild(i);
      if (c && !c.IsToken) visit(c);
    }
  };
  visit(node);
  return found;
}
