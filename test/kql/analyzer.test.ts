import { describe, expect, it } from 'vitest';
import { checkKqlFolder, KqlSchemaBuilder, type KqlDiagnostic } from '../../src/kql/analyzer.js';

// Kusto.Language parses a command in ~0.1 s once warm, so each case uses a small schema.
const EVENTS = '.create table Events (Timestamp:datetime, SessionId:string, EventType:string, StartupMs:real)';

function withEvents(): KqlSchemaBuilder {
  const b = new KqlSchemaBuilder();
  expect(b.applyScript('V001__events.kql', EVENTS)).toEqual([]);
  return b;
}

const codes = (ds: KqlDiagnostic[]) => ds.map((d) => d.code);

describe('KqlSchemaBuilder', () => {
  it('passes the real kql/ folder with zero diagnostics and builds QoeEvents', async () => {
    const { scripts, commands, diagnostics, builder } = await checkKqlFolder('kql');
    expect(diagnostics).toEqual([]);
    expect(scripts.map((s) => s.version).slice(0, 2)).toEqual([1, 2]);
    expect(commands).toBeGreaterThanOrEqual(6);
    expect(builder.tableNames()).toContain('QoeEvents');
    expect(builder.analyzeQuery('QoeEvents | summarize percentile(StartupMs, 95) by Country, bin(Timestamp, 1h)')).toEqual([]);
  }, 300_000);

  it('reports a typo in a function body at its line and column in the file', () => {
    const b = withEvents();
    const script = [
      '// KPI functions',
      '',
      '.create-or-alter function Startups(since:timespan) {',
      '    Events',
      '    | where Timestamp > ago(since) and EventTyp == "startup"',
      '}',
    ].join('\n');
    const ds = b.applyScript('kql/V002__kpi.kql', script);
    expect(ds).toEqual([
      {
        file: 'kql/V002__kpi.kql',
        line: 5,
        column: 40,
        code: 'KS142',
        message: expect.stringContaining("'EventTyp'"),
        command: '.create-or-alter function Startups(since:timespan) {',
      },
    ]);
    expect(b.functionNames()).toEqual([]); // a failing command changes nothing
  });

  it('reports a command on an unknown table', () => {
    const ds = withEvents().applyScript('s.kql', '.alter table Evnets policy caching hot = 31d');
    expect(codes(ds)).toEqual(['KS204']);
    expect(ds[0]?.message).toContain("'Evnets' does not refer to any known table");
    expect([ds[0]?.line, ds[0]?.column]).toEqual([1, 14]);
  });

  it('reports a mapping for an unknown table (the parser does not check declared names)', () => {
    const ds = withEvents().applyScript('s.kql', `.create table Evnets ingestion json mapping "m" '[{"column":"SessionId"}]'`);
    expect(codes(ds)).toEqual(['unknown-table']);
  });

  it('reports unknown control commands and commands that are not on the allow-list', () => {
    const b = withEvents();
    expect(codes(b.applyScript('s.kql', '.frobnicate table Events'))).toEqual(['unknown-command']);
    expect(codes(b.applyScript('s.kql', '.rename table Events to Events2'))).toEqual(['unsupported-command']);
    expect(codes(b.applyScript('s.kql', 'Events | take 1'))).toEqual(['not-a-command']);
    // There is no `.create-or-alter table`; the parser wants `ingestion ... mapping` after the name.
    expect(codes(b.applyScript('s.kql', '.create-or-alter table Events (Other:string)'))).toContain('KS005');
  });

  it('reports invalid JSON in a policy or an ingestion mapping', () => {
    const b = withEvents();
    const policy = b.applyScript('s.kql', `.alter table Events policy ingestionbatching '{"MaximumBatchingTimeSpan": "00:00:30",}'`);
    expect(codes(policy)).toEqual(['invalid-json']);
    expect(policy[0]?.column).toBe(46);
    const mapping = b.applyScript('s.kql', `.create-or-alter table Events ingestion json mapping "m" '[{"column": "SessionId", }]'`);
    expect(codes(mapping)).toEqual(['invalid-json']);
    expect(b.mappingColumns('Events', 'm')).toBeUndefined();
  });

  it('reports a mapping that names a column the table lacks, and records a valid one', () => {
    const b = withEvents();
    const bad = `.create-or-alter table Events ingestion json mapping "m" '[{"column":"SessionId","path":"$.SessionId"},{"column":"Sesion","path":"$.Sesion"}]'`;
    const ds = b.applyScript('s.kql', bad);
    expect(codes(ds)).toEqual(['unknown-column']);
    expect(ds[0]?.message).toContain("'Sesion'");
    // Kusto joins adjacent string literals, as the docs' multi-line mapping examples do.
    const good = `.create-or-alter table Events ingestion json mapping "m"\n'['\n'{"column":"SessionId","Properties":{"Path":"$.SessionId"}},'\n'{"column":"StartupMs","path":"$.StartupMs"}'\n']'`;
    expect(b.applyScript('s.kql', good)).toEqual([]);
    expect(b.mapping('Events', 'm')).toEqual({
      kind: 'json',
      entries: [
        { column: 'SessionId', path: '$.SessionId' },
        { column: 'StartupMs', path: '$.StartupMs' },
      ],
    });
    const again = `.create table Events ingestion json mapping "m" '[{"column":"SessionId","path":"$.SessionId"}]'`;
    expect(codes(b.applyScript('s.kql', again))).toEqual(['already-exists']); // .create does not replace
  });

  it('lets a second script use the table the first created, and only then', () => {
    const v002 = '.alter table Events policy caching hot = 31d\n\n.create-or-alter function Sessions() { Events | distinct SessionId }';
    expect(withEvents().applyScript('V002__policies.kql', v002)).toEqual([]);
    expect(codes(new KqlSchemaBuilder().applyScript('V002__policies.kql', v002))).toEqual(['KS204', 'KS204']);
  });

  it('lets later commands call a function with the schema it returns', () => {
    const b = withEvents();
    const script = [
      '.create-or-alter function Startups(since:timespan) {',
      '    Events | where Timestamp > ago(since) and EventType == "startup" | project SessionId, StartupMs',
      '}',
      '',
      '.create-or-alter function StartupP95() { Startups(1h) | summarize p95 = percentile(StartupMs, 95) }',
    ].join('\n');
    expect(b.applyScript('s.kql', script)).toEqual([]);
    expect(b.functionNames()).toEqual(['Startups', 'StartupP95']);
    // Startups returns SessionId and StartupMs only.
    const ds = b.applyScript('s.kql', '.create-or-alter function Bad() { Startups(1h) | project EventType }');
    expect(codes(ds)).toEqual(['KS142']);
    expect(b.analyzeQuery('StartupP95() | project p95')).toEqual([]);
  });

  it('stops using a dropped table', () => {
    const b = withEvents();
    expect(b.applyScript('s.kql', '.drop table Events')).toEqual([]);
    expect(codes(b.applyScript('s.kql', '.create-or-alter function F() { Events | take 1 }'))).toEqual(['KS204']);
    expect(b.applyScript('s.kql', '.drop table Events ifexists')).toEqual([]);
  });

  it('reports text the parser skips, such as two commands with no blank line between them', () => {
    const ds = withEvents().applyScript('s.kql', '.alter table Events policy caching hot = 31d\n.drop table Events');
    expect(codes(ds)).toEqual(['unexpected-text']);
    expect([ds[0]?.line, ds[0]?.column]).toEqual([2, 1]);
  });

  it('merges columns with .create-merge and refuses to change a column type', () => {
    const b = withEvents();
    expect(b.applyScript('s.kql', '.create-merge table Events (SessionId:string, Country:string)')).toEqual([]);
    expect(b.tableColumns('Events')?.map((c) => `${c.name}:${c.type}`)).toEqual([
      'Timestamp:datetime',
      'SessionId:string',
      'EventType:string',
      'StartupMs:real',
      'Country:string',
    ]);
    expect(codes(b.applyScript('s.kql', '.create-merge table Events (StartupMs:long)'))).toEqual(['type-conflict']);
    expect(codes(b.applyScript('s.kql', '.create table Events (Other:string)'))).toEqual(['table-exists']);
  });

  it('gives a materialized view the columns of its query', () => {
    const b = withEvents();
    const mv = '.create materialized-view SessionStarts on table Events { Events | summarize arg_max(Timestamp, StartupMs) by SessionId }';
    expect(b.applyScript('s.kql', mv)).toEqual([]);
    expect(b.tableColumns('SessionStarts')?.map((c) => c.name)).toEqual(['SessionId', 'Timestamp', 'StartupMs']);
    expect(codes(b.analyzeQuery('SessionStarts | project EventType'))).toEqual(['KS142']);
  });

  it('analyses a standalone query against the schema, with positions in the query', () => {
    const ds = withEvents().analyzeQuery('Events\n| summarize count() by bin(Timestamp, 1h)\n| where Cuont > 0', 'dash.json');
    expect(ds).toEqual([{ file: 'dash.json', line: 3, column: 9, code: 'KS142', message: expect.stringContaining("'Cuont'") }]);
  });
});

describe('KqlSchemaBuilder: materialized views over views, and query result columns', () => {
  it('lets a view read a take_any(*) deduplication view, and no other view', () => {
    const b = withEvents();
    const dedup =
      '.create async ifnotexists materialized-view with (backfill = true) Deduped on table Events { Events | summarize take_any(*) by SessionId, Timestamp }';
    expect(b.applyScript('s.kql', dedup)).toEqual([]);
    const sessions =
      '.create async ifnotexists materialized-view with (backfill = true) Sessions on materialized-view Deduped { Deduped | summarize First = min(Timestamp) by SessionId }';
    expect(b.applyScript('s.kql', sessions)).toEqual([]);
    expect(b.tableColumns('Sessions')?.map((c) => c.name)).toEqual(['SessionId', 'First']);
    const overSessions =
      '.create async materialized-view Again on materialized-view Sessions { Sessions | summarize n = count() by SessionId }';
    expect(codes(b.applyScript('s.kql', overSessions))).toEqual(['view-over-view']);
    const unknown = codes(
      b.applyScript('s.kql', '.create async materialized-view X on materialized-view Nope { Nope | summarize n = count() by SessionId }'),
    );
    expect(unknown.length > 0 && unknown.every((c) => c === 'KS204')).toBe(true);
  });

  it('gives the columns a query returns, or undefined when it does not analyse', () => {
    const b = withEvents();
    expect(b.queryColumns('Events | summarize n = count() by SessionId')).toEqual([
      { name: 'SessionId', type: 'string' },
      { name: 'n', type: 'long' },
    ]);
    expect(b.queryColumns('Events | project Nope')).toBeUndefined();
  });
});
