// What each allowed control command does to the schema the offline analyzer (analyzer.ts) builds:
// tables, materialized views, functions and ingestion mappings, in the order the scripts declare
// them. A handler checks what the parser lets through (JSON, mapping columns, existing names) and
// records failures on the command; it changes the schema only when the command is clean.

import type { KSymbol, KustoLanguage, SyntaxElement } from './kusto-language.js';
import { child, findFirst, type Command, type KqlColumn } from './command-syntax.js';

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
export const COMMANDS: Record<string, Handler> = {
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
  CreateMaterializedViewOverMaterializedView: defineView,
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
export const POLICY_COMMAND = /^(Alter|AlterMerge|Delete)(Table|Database|MaterializedView)Policy[A-Za-z]+$/;

export class Schema {
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
    const columns = (cs: KqlColumn[]) =>
      cs.map((c) => new S.ColumnSymbol(c.name, S.ScalarTypes.GetSymbol(c.type)!, null, null, null, null));
    const members: KSymbol[] = [
      ...[...this.tables].map(([name, cs]) => new S.TableSymbol.$ctor6(name, columns(cs), null)),
      ...[...this.views].map(([name, v]) => new S.MaterializedViewSymbol.$ctor2(name, columns(v.columns), v.query, null)),
      ...[...this.functions].map(([name, f]) => new S.FunctionSymbol.$ctor16(name, f.parameters, f.body, null)),
    ];
    return new S.DatabaseSymbol.ctor(databaseName, members);
  }
}

export type Handler = (schema: Schema, cmd: Command) => void;

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
      c.fail(
        nameNode,
        'table-exists',
        `table '${name}' already exists with other columns: .create table leaves it unchanged (use .create-merge or .alter-merge table)`,
      );
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
  // Microsoft: a view may read another view only when that one is a take_any(*) deduplication.
  const source = c.name === 'CreateMaterializedViewOverMaterializedView' ? c.one('SourceMaterializedViewName') : undefined;
  const sourceQuery = source && s.views.get(source.SimpleName)?.query;
  if (source && sourceQuery !== undefined && !/\|\s*summarize\s+take_any\(\s*\*\s*\)/.test(sourceQuery)) {
    c.fail(
      source,
      'view-over-view',
      `materialized view '${name}' reads view '${source.SimpleName}', which is not a take_any(*) deduplication view`,
    );
  }
  if (!c.ok) return;
  if (c.name.startsWith('CreateMaterializedView') && s.views.has(name)) {
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
    if (!known.has(e.column))
      c.fail(
        formatNode,
        'unknown-column',
        `mapping '${mappingName}' names column '${e.column}', which table '${tableNode.SimpleName}' does not have`,
      );
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
    if (c.name === 'SetTable')
      c.fail(nameNode, 'already-exists', `table '${name}' already exists: .set creates a new table (use .append or .set-or-append)`);
    return;
  }
  const statement = findFirst(query, (n) => n.Kind === c.K.ExpressionStatement);
  const columns = c.resultColumns(statement && child(statement, 'Expression'), query);
  if (columns) setColumns(s, c, nameNode, columns);
}

/** Policies: their JSON must parse; an update policy's Source must exist and its Query analyse. */
export function checkPolicy(s: Schema, c: Command): void {
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
  return a.length === b.length && a.every((col, i) => col.name === b[i]?.name && col.type === b[i]?.type);
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
