// Holds the Kusto table QoeEvents (built by kql/, V001 today) and the QoeEvent row in step.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkKqlFolder, type KqlSchemaBuilder } from '../../src/kql/analyzer.js';
import { QOE_EVENT_COLUMNS, QOE_EVENTS_MAPPING, QOE_EVENTS_TABLE, serializeQoeEvent, type QoeEvent } from '../../src/beacon/qoe-event.js';

// Every field set and non-null (the serializer leaves null columns out). A later change builds it
// with the real row builder instead; the assertions stay.
const EVENT: QoeEvent = {
  Timestamp: '2026-01-02T03:04:05.678Z',
  ReceivedAt: '2026-01-02T03:04:06.000Z',
  EventType: 'startup',
  SessionId: 's-1',
  Seq: 3,
  ViewerId: 'v-1',
  ContentId: 'c-1',
  ManifestUrl: 'https://cdn.example/c-1/manifest.mpd',
  StreamType: 'vod',
  StreamingFormat: 'dash',
  PlayerName: 'dash.js',
  PlayerVersion: '4.7.4',
  Playhead: 12.5,
  BitrateKbps: 3000,
  TopBitrateKbps: 6000,
  Width: 1280,
  Height: 720,
  BufferMs: 8000,
  ThroughputKbps: 12000,
  StartupMs: 850,
  StallMs: 0,
  DroppedFrames: 2,
  ErrorCode: 'E1',
  ErrorMessage: 'none',
  Fatal: false,
  Country: 'FR',
  Region: 'IDF',
  City: 'Paris',
  Asn: 3215,
  AsnOrg: 'Orange',
  ClientIpPrefix: '192.0.2.0/24',
  Os: 'Linux',
  OsVersion: '6',
  Browser: 'Firefox',
  BrowserVersion: '130',
  DeviceType: 'desktop',
  Cdn: 'akamai',
  Source: 'http',
  SourceRef: 'beacons/2026/01/02/part-0001.json',
  Cmcd: { br: 3000 },
  Extra: { custom: 1 },
  SchemaVersion: 1,
};

describe('QoeEvents table and QoeEvent row', () => {
  let schema: KqlSchemaBuilder;
  beforeAll(async () => {
    const { diagnostics, builder } = await checkKqlFolder('kql');
    expect(diagnostics).toEqual([]);
    schema = builder;
  }, 300_000);

  it('the table has exactly QOE_EVENT_COLUMNS, in order, with the same types', () => {
    expect(schema.tableColumns(QOE_EVENTS_TABLE)).toEqual(QOE_EVENT_COLUMNS.map(([name, type]) => ({ name, type })));
  });

  it('the JSON mapping fills every key of a serialised QoeEvent, each from $.<Column>', () => {
    const keys = Object.keys(JSON.parse(serializeQoeEvent(EVENT)) as object);
    const mapping = schema.mapping(QOE_EVENTS_TABLE, QOE_EVENTS_MAPPING);
    expect(mapping?.kind).toBe('json');
    expect(mapping?.entries.map((e) => e.column).sort()).toEqual([...keys].sort());
    expect(mapping?.entries.every((e) => e.path === `$.${e.column}`)).toBe(true);
  });
});
