import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKqlFolder, type KqlSchemaBuilder } from '../../src/kql/analyzer.js';
import { checkDashboards, collectQueries, substituteMacros } from '../../src/kql/dashboards.js';

let builder: KqlSchemaBuilder;
let tmp: string;
beforeAll(async () => {
  ({ builder } = await checkKqlFolder('kql'));
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grafana-'));
}, 120_000);
afterAll(async () => rm(tmp, { recursive: true, force: true }));

describe('Grafana dashboards and alert rules, analysed offline', () => {
  it('every shipped panel, variable and alert query analyses cleanly against the schema', async () => {
    const queries = await collectQueries('infra/grafana');
    expect(queries.length).toBeGreaterThanOrEqual(20);
    expect(queries.some((q) => q.isAlert)).toBe(true);
    const { diagnostics } = await checkDashboards('infra/grafana', builder);
    expect(diagnostics).toEqual([]);
  });

  it('a broken column name in a panel fails', async () => {
    const dir = path.join(tmp, 'broken');
    await cp('infra/grafana', dir, { recursive: true });
    const file = path.join(dir, 'qoe-cdn.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('RebufferRatio\\n| order', 'RebuferRatio\\n| order'));
    const { diagnostics } = await checkDashboards(dir, builder);
    expect(diagnostics.some((d) => d.file === file && /RebuferRatio/.test(d.message))).toBe(true);
  });

  it('an alert query with $__timeInterval fails', async () => {
    const dir = path.join(tmp, 'alert');
    await cp('infra/grafana', dir, { recursive: true });
    const file = path.join(dir, 'alert-rules.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('5m, 3.0, 20)\\n| summarize Anomalies = count()', '$__timeInterval, 3.0, 20)\\n| summarize Anomalies = count()'));
    const { diagnostics } = await checkDashboards(dir, builder);
    expect(diagnostics.map((d) => d.code)).toContain('alert-interval');
  });

  it('replaces Grafana macros and variables with valid KQL', () => {
    expect(substituteMacros('T | where $__timeFilter(Minute) | where Cdn in ($cdn) | summarize by bin(Minute, $__timeInterval)')).toBe(
      'T | where Minute between (datetime(2026-01-01T00:00:00Z) .. datetime(2026-01-02T00:00:00Z)) | where Cdn in ("value") | summarize by bin(Minute, 1m)',
    );
    expect(substituteMacros('F($__timeFrom, $__timeTo, "${dim}")')).toBe('F(datetime(2026-01-01T00:00:00Z), datetime(2026-01-02T00:00:00Z), "value")');
  });
});
