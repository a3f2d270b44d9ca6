// docs/kpis.md is the one definition: its KPI table and business-code list must name exactly what
// the reference exports (and so what the KQL side is tested against).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUSINESS_ERROR_CODES,
  BUSINESS_ERROR_PREFIX,
  SESSION_DIMENSION_COLUMNS,
  SESSION_KPI_COLUMNS,
} from '../../src/analytics/session-kpis.js';

const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/kpis.md'), 'utf8');
const section = (title: string) => doc.slice(doc.indexOf(title), doc.indexOf('\n## ', doc.indexOf(title) + 1));

describe('docs/kpis.md names what the reference exports', () => {
  it('the per-session table lists every field with its KQL column, and nothing else', () => {
    const rows = [...section('## 2. Per-session KPIs').matchAll(/^\| `(\w+)` \| `(\w+)` \|/gm)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(rows)).toEqual(SESSION_KPI_COLUMNS);
    expect(rows).toHaveLength(Object.keys(SESSION_KPI_COLUMNS).length);
  });

  it('the dimensions and the business error codes are the exported lists', () => {
    const dims = section('## 2. Per-session KPIs').match(/keyed\s+by column: ([^:]+):/)![1]!;
    expect([...dims.matchAll(/`(\w+)`/g)].map((m) => m[1])).toEqual([...SESSION_DIMENSION_COLUMNS]);
    const codes = doc.slice(doc.indexOf('**Business error codes**'), doc.indexOf('(the reference exports the list'));
    expect(codes).toContain(`\`${BUSINESS_ERROR_PREFIX}\``);
    expect([...codes.matchAll(/`([^`]+)`/g)].map((m) => m[1]).filter((c) => c !== 'vsfKind' && c !== BUSINESS_ERROR_PREFIX)).toEqual([
      ...BUSINESS_ERROR_CODES,
    ]);
  });
});
