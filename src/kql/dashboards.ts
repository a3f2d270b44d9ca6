// Grafana dashboards and alert rules under infra/grafana are KQL too: every query is analysed
// offline against the schema the scripts build, with Grafana's macros replaced by valid KQL.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { KqlDiagnostic, KqlSchemaBuilder } from './analyzer.js';

export interface PanelQuery {
  file: string;
  /** Where it sits: "panel 3 'Sessions' target A", "variable country", "alert rule qoe-anomaly-count A". */
  where: string;
  query: string;
  isAlert: boolean;
}

const FROM = 'datetime(2026-01-01T00:00:00Z)';
const TO = 'datetime(2026-01-02T00:00:00Z)';

/** Grafana ADX macros and template variables -> KQL the analyzer can check. */
export function substituteMacros(query: string): string {
  return query
    .replace(/\$__timeFilter\(\s*([^)]*?)\s*\)/g, (_, col: string) => `${col || 'Timestamp'} between (${FROM} .. ${TO})`)
    .replace(/\$__timeFrom(\(\))?/g, FROM)
    .replace(/\$__timeTo(\(\))?/g, TO)
    .replace(/\$__timeInterval(\(\))?/g, '1m')
    .replace(/\$__interval\b/g, '1m')
    .replace(/(["'])\$\{?[A-Za-z_]\w*\}?\1/g, '"value"') // a variable already inside quotes
    .replace(/\(\s*\$[A-Za-z_]\w*\s*\)/g, '("value")') // multi-value variable in `in ($var)`
    .replace(/\$\{?[A-Za-z_]\w*\}?/g, '"value"'); // any other variable
}

interface Target {
  refId?: string;
  query?: string;
}
interface Panel {
  id?: number;
  title?: string;
  targets?: Target[];
  panels?: Panel[];
}

export async function collectQueries(dir: string): Promise<PanelQuery[]> {
  const out: PanelQuery[] = [];
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  for (const name of files) {
    const file = path.join(dir, name);
    const doc = JSON.parse(await readFile(file, 'utf8')) as {
      panels?: Panel[];
      templating?: { list?: Array<{ name: string; type: string; query?: string | { query?: string } }> };
      groups?: Array<{
        rules?: Array<{ uid: string; data?: Array<{ refId: string; datasourceUid?: string; model?: { query?: string } }> }>;
      }>;
    };
    const walk = (panels: Panel[] = []) => {
      for (const p of panels) {
        for (const t of p.targets ?? [])
          if (t.query) out.push({ file, where: `panel ${p.id} '${p.title}' target ${t.refId}`, query: t.query, isAlert: false });
        walk(p.panels);
      }
    };
    walk(doc.panels);
    for (const v of doc.templating?.list ?? []) {
      const q = typeof v.query === 'string' ? v.query : v.query?.query;
      if (v.type === 'query' && q) out.push({ file, where: `variable ${v.name}`, query: q, isAlert: false });
    }
    for (const g of doc.groups ?? []) {
      for (const r of g.rules ?? []) {
        for (const d of r.data ?? []) {
          if (d.datasourceUid !== '__expr__' && d.model?.query)
            out.push({ file, where: `alert rule ${r.uid} ${d.refId}`, query: d.model.query, isAlert: true });
        }
      }
    }
  }
  return out;
}

/** The "All" value of multi-value dimension variables: it keeps every row, empty dimensions too. */
export const ALL_VALUE = "'__all__'";

/**
 * Filters that would hide rows: Grafana's "All" expands to the values listed, so `Cdn in ($cdn)`
 * drops every row whose Cdn is empty (and a variable query that keeps the top N drops the rest).
 * Dimension variables must use ALL_VALUE as their "All", and panels must filter as
 * `("__all__" in ($cdn) or iff(isempty(Cdn), "(none)", Cdn) in ($cdn))`; variable queries must
 * not truncate (top, take, limit, sample). Returns one line per problem.
 */
export async function checkFilters(dir: string): Promise<string[]> {
  const problems: string[] = [];
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  for (const name of files) {
    const file = path.join(dir, name);
    const doc = JSON.parse(await readFile(file, 'utf8')) as {
      templating?: { list?: Array<{ name: string; type: string; includeAll?: boolean; allValue?: string }> };
    };
    const allVars = new Set((doc.templating?.list ?? []).filter((v) => v.type === 'query' && v.includeAll).map((v) => v.name));
    for (const v of doc.templating?.list ?? []) {
      if (allVars.has(v.name) && v.allValue !== ALL_VALUE)
        problems.push(`${file}: variable ${v.name}: "All" must be the custom value ${ALL_VALUE}, so rows with an empty value are kept`);
    }
    for (const q of (await collectQueries(dir)).filter((x) => x.file === file)) {
      if (q.where.startsWith('variable ')) {
        if (/\|\s*(top|take|limit|sample)\b/.test(q.query))
          problems.push(`${file}: ${q.where}: truncates its values (top/take/limit/sample): every value must be listed`);
        continue;
      }
      for (const m of q.query.matchAll(/(\w+)\s+in\s+\(\s*\$(\w+)\s*\)/g)) {
        if (allVars.has(m[2]!))
          problems.push(
            `${file}: ${q.where}: $${m[2]} filters ${m[0]}, which drops rows with an empty ${m[1]}; use ("__all__" in ($${m[2]}) or iff(isempty(${m[1]}), "(none)", ${m[1]}) in ($${m[2]}))`,
          );
      }
      for (const m of q.query.matchAll(/\$(\w+)/g)) {
        if (allVars.has(m[1]!) && !q.query.includes(`"__all__" in ($${m[1]})`))
          problems.push(`${file}: ${q.where}: uses $${m[1]} without "__all__" in ($${m[1]})`);
      }
    }
  }
  return [...new Set(problems)];
}

/** Diagnostics for every dashboard and alert query; alert queries must not use interval macros. */
export async function checkDashboards(dir: string, builder: KqlSchemaBuilder): Promise<{ queries: number; diagnostics: KqlDiagnostic[] }> {
  const queries = await collectQueries(dir);
  const diagnostics: KqlDiagnostic[] = [];
  for (const q of queries) {
    if (q.isAlert && /\$__(timeInterval|interval)\b/.test(q.query)) {
      diagnostics.push({
        file: q.file,
        line: 1,
        column: 1,
        code: 'alert-interval',
        message: `${q.where}: $__timeInterval is 1000 ms during alert evaluation; use a fixed bin`,
        command: q.where,
      });
    }
    for (const d of builder.analyzeQuery(substituteMacros(q.query), q.file))
      diagnostics.push({ ...d, message: `${q.where}: ${d.message}` });
  }
  return { queries: queries.length, diagnostics };
}
