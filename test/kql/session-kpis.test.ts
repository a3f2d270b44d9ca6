// The KQL session function and the TypeScript reference (src/analytics/session-kpis.ts, the
// executable form of docs/kpis.md) must name the same KPIs: one on either side only fails here.
import { beforeAll, describe, expect, it } from 'vitest';
import { SESSION_DIMENSION_COLUMNS, SESSION_KPI_COLUMNS } from '../../src/analytics/session-kpis.js';
import { checkKqlFolder, type KqlColumn, type KqlSchemaBuilder } from '../../src/kql/analyzer.js';

let builder: KqlSchemaBuilder;
let columns: KqlColumn[];
beforeAll(async () => {
  const checked = await checkKqlFolder('kql');
  expect(checked.diagnostics).toEqual([]);
  builder = checked.builder;
  columns = builder.queryColumns('QoeSessionKpis(datetime(2026-11-23), datetime(2026-11-24), datetime(2026-11-23T10:30:00Z), 5m)') ?? [];
}, 300_000);

describe('QoeSessionKpis (kql/) and the reference (src/analytics/) name the same KPIs', () => {
  it('every KPI of the reference is a column of the session function, and every column is a KPI or a dimension', () => {
    const kql = columns.map((c) => c.name);
    const reference = Object.values(SESSION_KPI_COLUMNS);
    expect({ missingInKql: reference.filter((c) => !kql.includes(c)) }).toEqual({ missingInKql: [] });
    expect({
      missingInReference: kql.filter((c) => !reference.includes(c as never) && !SESSION_DIMENSION_COLUMNS.includes(c as never)),
    }).toEqual({ missingInReference: [] });
    expect(kql.filter((c) => SESSION_DIMENSION_COLUMNS.includes(c as never)).sort()).toEqual([...SESSION_DIMENSION_COLUMNS].sort());
  });

  it('the columns have the types the reference values need', () => {
    const type = Object.fromEntries(columns.map((c) => [c.name, c.type]));
    for (const c of ['FirstSeen', 'LastSeen', 'FirstFrameAt', 'PlayEndAt']) expect([c, type[c]]).toEqual([c, 'datetime']);
    for (const c of ['Attempt', 'Vsf', 'Ebvs', 'Starting', 'Ended', 'PlaybackFailure']) expect([c, type[c]]).toEqual([c, 'bool']);
    for (const c of ['StallCount', 'BitrateUpSwitches', 'BitrateDownSwitches', 'DroppedFrames', 'ErrorCount', 'Asn'])
      expect([c, type[c]]).toEqual([c, 'long']);
    for (const c of ['VideoStartTimeMs', 'StallMs', 'PlayTimeMs', 'RebufferingRatio', 'AvgBitrateKbps', 'QoeScore'])
      expect([c, type[c]]).toEqual([c, 'real']);
  });

  it('a KPI dropped from the function, or one it adds, is caught', () => {
    // The same comparison on a function that lost StallCount and gained a KPI the reference lacks.
    const broken =
      builder.queryColumns(
        'QoeSessionKpis(datetime(2026-11-23), datetime(2026-11-24)) | project-away StallCount | extend StallsPerHour = 0.0',
      ) ?? [];
    const kql = broken.map((c) => c.name);
    const reference = Object.values(SESSION_KPI_COLUMNS);
    expect(reference.filter((c) => !kql.includes(c))).toEqual(['StallCount']);
    expect(kql.filter((c) => !reference.includes(c as never) && !SESSION_DIMENSION_COLUMNS.includes(c as never))).toEqual([
      'StallsPerHour',
    ]);
  });

  it('dashboards and alerts read sessions or the deduplicated base: the views exist with their keys', () => {
    expect(
      builder
        .tableColumns('QoeEventsDeduped')
        ?.slice(0, 5)
        .map((c) => c.name),
    ).toEqual(['SessionId', 'Source', 'Seq', 'Timestamp', 'EventType']);
    expect(
      builder
        .tableColumns('QoeSessionEvents')
        ?.slice(0, 2)
        .map((c) => c.name),
    ).toEqual(['SessionId', 'Source']);
    expect(builder.queryColumns('QoeConcurrentPlays(datetime(2026-11-23), datetime(2026-11-24), 1m)')?.map((c) => c.name)).toEqual([
      'Timestamp',
      'ConcurrentPlays',
    ]);
    expect(builder.queryColumns('QoeKpiSeriesSource(datetime(2026-11-23), datetime(2026-11-24), 5m)')?.map((c) => c.name)).toEqual([
      'Timestamp',
      'Dimension',
      'DimensionValue',
      'Sessions',
      'stall_rate',
      'error_rate',
      'fatal_error_rate',
      'startup_p95_ms',
      'avg_bitrate_kbps',
    ]);
  });
});
