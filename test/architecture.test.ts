// The house rules of docs/architecture.md, checked on the source: imports point one way
// (adapters -> pipeline -> enrich/ingest -> beacon) and there is no import cycle in src/.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** src-relative module -> the src-relative modules it imports (values and types alike). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(src)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = info.importedFiles
      .map((f) => f.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => path.relative(src, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '.ts'));
    graph.set(path.relative(src, file), deps);
  }
  return graph;
}

const room = (module: string) => module.split(path.sep)[0]!;

describe('architecture', () => {
  const graph = importGraph();

  it('the core rooms never import from adapters, the local host or composition roots', () => {
    const core = new Set(['pipeline', 'enrich', 'ingest', 'beacon']);
    const adapters = new Set(['intake', 'functions', 'local', 'composition', 'cli']);
    const against = [...graph].flatMap(([from, deps]) =>
      core.has(room(from)) ? deps.filter((d) => adapters.has(room(d))).map((d) => `${from} -> ${d}`) : [],
    );
    expect(against).toEqual([]);
  });

  it('beacon/ depends on nothing but itself (and errors.ts)', () => {
    const against = [...graph].flatMap(([from, deps]) =>
      room(from) === 'beacon' ? deps.filter((d) => room(d) !== 'beacon' && d !== 'errors.ts').map((d) => `${from} -> ${d}`) : [],
    );
    expect(against).toEqual([]);
  });

  it('has no import cycle in src/', () => {
    // Tarjan's strongly connected components: any component of more than one module is a cycle.
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string) => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
      }
    };
    for (const v of graph.keys()) if (!index.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });

});
