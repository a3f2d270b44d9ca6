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
      groups?: Array<{ rules?: Array<{ uid: string; data?: Array<{ refId: string; datasourceUid?: string; model?: { query?: string } }> }> }>;
    };
    const walk = (panels: Panel[] = []) => {
      for (const p of panels) {
        for (const t of p.targets ?? []) if (t.query) out.push({ file, where: `panel ${p.id} '${p.title}' target ${t.refId}`, query: t.query, isAlert: false });
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
          if (d.datasourceUid !== '__expr__' && d.model?.query) out.push({ file, where: `alert rule ${r.uid} ${d.refId}`, query: d.model.query, isAlert: true });
        }
      }
    }
  }
  return out;
}

/** Diagnostics for every dashboard and alert query; alert queries must not use interval macros. */
export async function checkDashboards(dir: string, builder: KqlSchemaBuilder): Promise<{ queries: number; diagnostics: KqlDiagnostic[] }> {
  const queries = await collectQueries(dir);
  const diagnostics: KqlDiagnostic[] = [];
  for (const q of queries) {
    if (q.isAlert && /\$__(timeInterval|interval)\b/.test(q.query)) {
      diagnostics.push({ file: q.file, line: 1, column: 1, code: 'alert-interval', message: `${q.where}: $__timeInterval is 1000 ms during alert evaluation; use a fixed bin`, command: q.where });
    }
    for (const d of builder.analyzeQuery(substituteMacros(q.query), q.file)) diagnostics.push({ ...d, message: `${q.where}: ${d.message}` });
  }
  return { queries: queries.length, diagnostics };
}
