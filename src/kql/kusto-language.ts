// Microsoft's Kusto.Language parser (the C# library, compiled to JavaScript with Bridge.NET and
// published as `@kusto/language-service-next`), loaded once per process, with just enough typing
// for src/kql/. It works offline.
//
// Loading it: the package is two CommonJS scripts that define globals instead of exporting them.
// `bridge.js` is the Bridge.NET runtime (globals `Bridge`, `System`); it must be required first.
// `Kusto.Language.Bridge.js` then defines `globalThis.Kusto.Language`. The `.min.js` twins are the
// same code and load faster. From ESM:
//
//   const require = createRequire(import.meta.url);
//   require('@kusto/language-service-next/bridge.min.js');
//   require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
//   const L = globalThis.Kusto.Language;
//
// Bridge.NET names C# constructor overloads `ctor`, `$ctor1`, `$ctor2`, ... (call them with `new`);
// C# lists are objects with `Count` and `getItem(i)`; enums are numbers (`SyntaxKind.CustomCommand`).
// Loading takes ~0.3 s; the first parse builds the grammars and symbol tables (2-4 s on a slow
// core); after that a command takes 0.1-0.5 s. Hence one lazy load per process.

import { createRequire } from 'node:module';

/** A C# IReadOnlyList as Bridge.NET exposes it. */
export interface List<T> {
  readonly Count: number;
  getItem(index: number): T;
}

export interface KSymbol {
  readonly Name: string;
  readonly Kind: number;
}

export interface ColumnSymbol extends KSymbol {
  readonly Type: KSymbol;
}

export interface TableSymbol extends KSymbol {
  readonly Columns: List<ColumnSymbol>;
}

export interface SyntaxElement {
  readonly Kind: number;
  readonly IsToken: boolean;
  readonly Parent: SyntaxElement | null;
  /** Start of the element's own text (after leading trivia), from the start of the parsed text. */
  readonly TextStart: number;
  /** Length of the element's own text (without leading trivia). */
  readonly Width: number;
  readonly ChildCount: number;
  GetChild(index: number): SyntaxElement | null;
  /** The grammar's name for child `index` (e.g. "TableName"), or "". Nodes only. */
  GetName(index: number): string;
  /** Tokens only. */
  readonly Text: string;
  GetFirstToken(): SyntaxElement | null;
  GetLastToken(): SyntaxElement | null;
  GetNextToken(): SyntaxElement | null;
  GetPreviousToken(): SyntaxElement | null;
  /** Name nodes only: the name without brackets or quotes. */
  readonly SimpleName: string;
  /** Literal expressions only. */
  readonly LiteralValue: unknown;
  /** Name references, function calls, custom commands (a CommandSymbol), type expressions. */
  readonly ReferencedSymbol: KSymbol | null;
  /** Expressions only. */
  readonly ResultType: KSymbol | null;
}

export interface Diagnostic {
  readonly Code: string;
  readonly Message: string;
  /** "Error", "Warning", "Suggestion" or "Information". */
  readonly Severity: string;
  readonly Start: number;
  readonly Length: number;
}

export interface KustoCode {
  /** "Command" or "Query" (or "Directive"). */
  readonly Kind: string;
  readonly Syntax: SyntaxElement;
  /** The result type of a query (a TableSymbol for a tabular query). */
  readonly ResultType: KSymbol | null;
  GetDiagnostics(): List<Diagnostic>;
}

export interface GlobalState {
  WithCluster(cluster: KSymbol): GlobalState;
  WithDatabase(database: KSymbol): GlobalState;
}

type Ctor<A extends unknown[], R> = new (...args: A) => R;

/** The parts of `Kusto.Language` that src/kql/ uses. */
export interface KustoLanguage {
  KustoCode: { ParseAndAnalyze(text: string, globals: GlobalState): KustoCode };
  GlobalState: { Default: GlobalState };
  KustoFacts: { GetStringLiteralValue(literalText: string): string };
  Syntax: { SyntaxKind: Record<string, number> };
  Symbols: {
    ScalarTypes: { GetSymbol(typeName: string): KSymbol | null };
    ColumnSymbol: Ctor<[name: string, type: KSymbol, description: null, originalColumns: null, source: null, examples: null], ColumnSymbol>;
    TableSymbol: { $ctor6: Ctor<[name: string, columns: ColumnSymbol[], description: string | null], TableSymbol> };
    MaterializedViewSymbol: {
      $ctor2: Ctor<[name: string, columns: ColumnSymbol[], query: string, description: string | null], TableSymbol>;
    };
    FunctionSymbol: { $ctor16: Ctor<[name: string, parameterList: string, body: string, description: string | null], KSymbol> };
    DatabaseSymbol: { ctor: Ctor<[name: string, members: KSymbol[]], KSymbol> };
    ClusterSymbol: { ctor: Ctor<[name: string, databases: KSymbol[]], KSymbol> };
  };
}

let loaded: KustoLanguage | undefined;

/** `Kusto.Language`, loaded on first use. */
export function kustoLanguage(): KustoLanguage {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    require('@kusto/language-service-next/bridge.min.js');
    require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
    loaded = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  }
  return loaded;
}

/** The elements of a Bridge.NET list as an array. */
export function toArray<T>(list: List<T> | null | undefined): T[] {
  const out: T[] = [];
  for (let i = 0; list && i < list.Count; i++) out.push(list.getItem(i));
  return out;
}
