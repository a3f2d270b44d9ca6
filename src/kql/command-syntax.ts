// One parsed control command, as the offline analyzer (analyzer.ts) sees it: the grammar's named
// parts (TableName, ColumnName, MappingFormat, ...), its own words (create, ifnotexists, ...), the
// values of its string literals and JSON, and the problems found while applying it. Plus the
// syntax-tree helpers the analyzer needs and the check for text the parser skipped silently.

import { errorMessage } from '../errors.js';
import { toArray, type KustoLanguage, type SyntaxElement, type TableSymbol } from './kusto-language.js';

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

/** What a command needs to know of the schema: its tables and which kind of entity owns a name. */
export interface SchemaNames {
  readonly tables: ReadonlyMap<string, KqlColumn[]>;
  kindOf(name: string): string | undefined;
}

export class Command {
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
  existingTable(s: SchemaNames, nameNode: SyntaxElement): KqlColumn[] | undefined {
    const columns = s.tables.get(nameNode.SimpleName);
    if (!columns) this.fail(nameNode, 'unknown-table', `unknown table '${nameNode.SimpleName}'`);
    return columns;
  }

  /** Fails if `name` is already taken by another kind of entity (tables, views, functions share names). */
  claim(s: SchemaNames, nameNode: SyntaxElement, kind: string): boolean {
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
    for (
      let t = node.GetLastToken()?.GetNextToken();
      t && t.Kind === this.K.StringLiteralToken && isSkipped(this.K, t);
      t = t.GetNextToken()
    ) {
      value += this.L.KustoFacts.GetStringLiteralValue(t.Text);
    }
    return value;
  }

  /** A string literal parsed as JSON, or a failure. */
  json(node: SyntaxElement): unknown {
    try {
      return JSON.parse(this.literal(node));
    } catch (e) {
      this.fail(node, 'invalid-json', `invalid JSON: ${errorMessage(e)}`);
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
export function reportSkippedText(
  L: KustoLanguage,
  root: SyntaxElement,
  text: string,
  report: (start: number, code: string, message: string) => void,
): void {
  const K = L.Syntax.SyntaxKind;
  const skipped = findAll(root, (n) => n.Kind === K.SkippedTokens);
  for (const node of skipped) {
    const end = node.TextStart + node.Width;
    for (let t = node.GetFirstToken(); t && t.TextStart < end; t = t.GetNextToken()) {
      const joined = t.Kind === K.StringLiteralToken && t.GetPreviousToken()?.Kind === K.StringLiteralToken;
      if (!joined) {
        const rest = text.slice(t.TextStart, end).split('\n', 1)[0] ?? '';
        const hint = rest.startsWith('.') ? ' (separate commands with a blank line)' : '';
        report(t.TextStart, 'unexpected-text', `unexpected text, ignored by the parser: '${rest}'${hint}`);
        break;
      }
    }
  }
}

export function isSkipped(K: Record<string, number>, token: SyntaxElement): boolean {
  for (let n = token.Parent; n; n = n.Parent) if (n.Kind === K.SkippedTokens) return true;
  return false;
}

export function child(node: SyntaxElement, name: string): SyntaxElement | undefined {
  for (let i = 0; i < node.ChildCount; i++) if (node.GetName(i) === name) return node.GetChild(i) ?? undefined;
  return undefined;
}

export function findFirst(node: SyntaxElement, test: (n: SyntaxElement) => boolean): SyntaxElement | undefined {
  return findAll(node, test, true)[0];
}

/** Nodes passing `test`, in text order, not looking inside those found. */
export function findAll(node: SyntaxElement, test: (n: SyntaxElement) => boolean, firstOnly = false): SyntaxElement[] {
  const found: SyntaxElement[] = [];
  const visit = (n: SyntaxElement): void => {
    if (firstOnly && found.length) return;
    if (test(n)) found.push(n);
    else
      for (let i = 0; i < n.ChildCount; i++) {
        const c = n.GetChild(i);
        if (c && !c.IsToken) visit(c);
      }
  };
  visit(node);
  return found;
}
