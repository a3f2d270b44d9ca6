import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKqlFolder, type KqlSchemaBuilder } from '../../src/kql/analyzer.js';
import { checkDashboards, checkFilters, collectQueries, substituteMacros } from '../../src/kql/dashboards.js';

let builder: KqlSchemaBuilder;
let tmp: string;
beforeAll(async () => {
  ({ builder } = await checkKqlFolder('kql'));
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grafana-'));
}, 300_000);
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
    await writeFile(file, (await readFile(file, 'utf8')).replace('RebufferingRatio\\n| order', 'RebuferingRatio\\n| order'));
    const { diagnostics } = await checkDashboards(dir, builder);
    expect(diagnostics.some((d) => d.file === file && /RebuferingRatio/.test(d.message))).toBe(true);
  });

  it('an alert query with $__timeInterval fails', async () => {
    const dir = path.join(tmp, 'alert');
    await cp('infra/grafana', dir, { recursive: true });
    const file = path.join(dir, 'alert-rules.json');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(
        '| summarize Incidents = dcount(IncidentId)',
        '| summarize Incidents = dcount(IncidentId) by bin(DetectedAt, $__timeInterval)',
      ),
    );
    const { diagnostics } = await checkDashboards(dir, builder);
    expect(diagnostics.map((d) => d.code)).toContain('alert-interval');
  });

  it('replaces Grafana macros and variables with valid KQL', () => {
    expect(substituteMacros('T | where $__timeFilter(Minute) | where Cdn in ($cdn) | summarize by bin(Minute, $__timeInterval)')).toBe(
      'T | where Minute between (datetime(2026-01-01T00:00:00Z) .. datetime(2026-01-02T00:00:00Z)) | where Cdn in ("value") | summarize by bin(Minute, 1m)',
    );
    expect(substituteMacros('F($__timeFrom, $__timeTo, "${dim}")')).toBe(
      'F(datetime(2026-01-01T00:00:00Z), datetime(2026-01-02T00:00:00Z), "value")',
    );
  });

  it('a filter that drops rows with an empty dimension under "All" fails the filter check', async () => {
    expect(await checkFilters('infra/grafana')).toEqual([]);
    const dir = path.join(tmp, 'filters');
    await cp('infra/grafana', dir, { recursive: true });
    const file = path.join(dir, 'qoe-overview.json');
    const doc = JSON.parse(await readFile(file, 'utf8')) as { panels: Array<{ targets: Array<{ query: string }> }> };
    doc.panels[1]!.targets[0]!.query = doc.panels[1]!.targets[0]!.query.replace(
      /\("__all__" in \(\$cdn\) or iff\(isempty\(Cdn\), "\(none\)", Cdn\) in \(\$cdn\)\)/,
      'Cdn in ($cdn)',
    );
    const vars = (doc as unknown as { templating: { list: Array<{ name: string; query: string; allValue?: string }> } }).templating.list;
    vars.find((v) => v.name === 'content')!.query += ' | top 500 by ContentId';
    await writeFile(file, JSON.stringify(doc));
    const problems = await checkFilters(dir);
    expect(problems).toEqual([
      expect.stringContaining("panel 2 'Sessions' target A: $cdn filters Cdn in ($cdn), which drops rows with an empty Cdn"),
      expect.stringContaining(`panel 2 'Sessions' target A: uses $cdn without "__all__" in ($cdn)`),
      expect.stringContaining('variable content: truncates its values'),
    ]);
  });
});

describe('what the dashboards show (issue 17 item 7)', () => {
  const load = async (name: string) => JSON.parse(await readFile(path.join('infra/grafana', name), 'utf8')) as Record<string, unknown>;
  const queries = async (name: string) => (await collectQueries('infra/grafana')).filter((q) => q.file.endsWith(name));

  it('anomaly panels read the stored anomalies (QoeAnomalies), never recompute them', async () => {
    const anomalyPanels = [
      ...(await queries('qoe-anomalies.json')),
      ...(await queries('qoe-overview.json')).filter((q) => /anomal/i.test(q.where)),
    ];
    expect(anomalyPanels.length).toBeGreaterThanOrEqual(3);
    for (const q of anomalyPanels) {
      expect(q.query).toMatch(/^QoeAnomalies\n/);
      expect(q.query).not.toContain('DetectQoeAnomalies');
    }
  });

  it('dashboards read sessions, rollups or the deduplicated base, not re-sessionized raw events', async () => {
    for (const q of (await collectQueries('infra/grafana')).filter((x) => !x.isAlert)) {
      // Freshness panels are the only readers of QoeEvents: ingestion_time() is per raw row.
      if (/^QoeEvents\n/.test(q.query)) expect([q.where, q.query]).toEqual([q.where, expect.stringContaining('(IngestedAt - ReceivedAt)')]);
      expect([q.where, /\b(prev|next|row_cumsum)\(/.test(q.query)]).toEqual([q.where, false]);
    }
  });

  it('freshness is one query (p50, p95, p99 of ingestion_time() - ReceivedAt), on the overview and the pipeline-health dashboard', async () => {
    const freshness = async (name: string) => (await queries(name)).filter((q) => q.query.includes('extend IngestedAt = ingestion_time()'));
    const [overview, health] = [await freshness('qoe-overview.json'), await freshness('qoe-pipeline-health.json')];
    expect([overview.length, health.length]).toEqual([1, 1]);
    expect(overview[0]!.query).toBe(health[0]!.query);
    expect(overview[0]!.query).toContain('DelaySeconds = (IngestedAt - ReceivedAt) / 1s');
    expect(overview[0]!.query).toMatch(/percentile\(DelaySeconds, 50\).*percentile\(DelaySeconds, 95\).*percentile\(DelaySeconds, 99\)/);
  });

  it("the session drill-down shows one session's events, bitrate, buffer and stalls, and the overview's session tables link to it", async () => {
    const drill = await load('qoe-session.json');
    const titles = (drill.panels as Array<{ title: string }>).map((p) => p.title).join(' | ');
    for (const word of ['KPIs', 'Player state', 'Bitrate', 'Buffer', 'Stalls', 'Every event']) expect(titles).toContain(word);
    for (const q of await queries('qoe-session.json')) expect(q.query).toContain('SessionId == "$session"');
    for (const name of ['qoe-overview.json', 'qoe-cdn.json']) {
      const tables = ((await load(name)).panels as Array<{ type: string; title: string; fieldConfig: unknown }>).filter(
        (p) => p.type === 'table' && /session/i.test(p.title),
      );
      expect(tables.length).toBeGreaterThan(0);
      for (const t of tables)
        expect(JSON.stringify(t.fieldConfig)).toContain(
          '/d/qoe-session/qoe-session-drill-down?var-session=${__data.fields.SessionId}&var-source=${__data.fields.Source}',
        );
    }
  });
});
