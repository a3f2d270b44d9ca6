// The canonical row: one QoeEvent per player event, exactly the columns of the Kusto table
// `QoeEvents` (kql/V001__qoe_events.kql). A test holds the two in step.

export const QOE_EVENTS_TABLE = 'QoeEvents';
export const QOE_EVENTS_MAPPING = 'QoeEvents_json';
export const SCHEMA_VERSION = 1;

/** Column name -> Kusto type, in table order. */
export const QOE_EVENT_COLUMNS = [
  ['Timestamp', 'datetime'],
  ['ReceivedAt', 'datetime'],
  ['EventType', 'string'],
  ['SessionId', 'string'],
  ['Seq', 'long'],
  ['ViewerId', 'string'],
  ['ContentId', 'string'],
  ['ManifestUrl', 'string'],
  ['StreamType', 'string'],
  ['StreamingFormat', 'string'],
  ['PlayerName', 'string'],
  ['PlayerVersion', 'string'],
  ['Playhead', 'real'],
  ['BitrateKbps', 'real'],
  ['TopBitrateKbps', 'real'],
  ['Width', 'int'],
  ['Height', 'int'],
  ['BufferMs', 'real'],
  ['ThroughputKbps', 'real'],
  ['StartupMs', 'real'],
  ['StallMs', 'real'],
  ['DroppedFrames', 'long'],
  ['ErrorCode', 'string'],
  ['ErrorMessage', 'string'],
  ['Fatal', 'bool'],
  ['Country', 'string'],
  ['Region', 'string'],
  ['City', 'string'],
  ['Asn', 'long'],
  ['AsnOrg', 'string'],
  ['ClientIpPrefix', 'string'],
  ['Os', 'string'],
  ['OsVersion', 'string'],
  ['Browser', 'string'],
  ['BrowserVersion', 'string'],
  ['DeviceType', 'string'],
  ['Cdn', 'string'],
  ['Source', 'string'],
  ['SourceRef', 'string'],
  ['Cmcd', 'dynamic'],
  ['Extra', 'dynamic'],
  ['SchemaVersion', 'int'],
] as const;

export type QoeEventColumn = (typeof QOE_EVENT_COLUMNS)[number][0];

/** Where a record came from; the only thing downstream that knows. */
export type Source = 'http' | 'cmcd' | 'blob' | 'cdnlog';

export interface QoeEvent {
  Timestamp: string;
  ReceivedAt: string;
  EventType: string;
  SessionId: string;
  Seq: number | null;
  ViewerId: string | null;
  ContentId: string | null;
  ManifestUrl: string | null;
  StreamType: string | null;
  StreamingFormat: string | null;
  PlayerName: string | null;
  PlayerVersion: string | null;
  Playhead: number | null;
  BitrateKbps: number | null;
  TopBitrateKbps: number | null;
  Width: number | null;
  Height: number | null;
  BufferMs: number | null;
  ThroughputKbps: number | null;
  StartupMs: number | null;
  StallMs: number | null;
  DroppedFrames: number | null;
  ErrorCode: string | null;
  ErrorMessage: string | null;
  Fatal: boolean | null;
  Country: string | null;
  Region: string | null;
  City: string | null;
  Asn: number | null;
  AsnOrg: string | null;
  ClientIpPrefix: string | null;
  Os: string | null;
  OsVersion: string | null;
  Browser: string | null;
  BrowserVersion: string | null;
  DeviceType: string | null;
  Cdn: string | null;
  Source: Source;
  SourceRef: string | null;
  Cmcd: Record<string, unknown> | null;
  Extra: Record<string, unknown> | null;
  SchemaVersion: number;
}

// Compile-time check that the interface and the column list name the same fields.
type _SameKeys<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never] ? true : never;
const _columnsMatch: _SameKeys<keyof QoeEvent, QoeEventColumn> = true;
void _columnsMatch;

/**
 * One JSON line per event, keys in column order, null columns left out (the JSON mapping reads a
 * missing `$.Column` as null, and the line is shorter). Serialization is the costliest step per
 * record, so the serializer is generated once from the column list, as fast-json-stringify does:
 * the code is built only from the constant column names and types above, never from input.
 */
export const serializeQoeEvent: (e: QoeEvent) => string = compileSerializer();

// Most strings need no escaping; quoting them directly skips JSON.stringify's general path.
// eslint-disable-next-line no-control-regex -- the characters JSON must escape
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/;
function quoteString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function compileSerializer(): (e: QoeEvent) => string {
  const [first, ...rest] = QOE_EVENT_COLUMNS;
  const encode = (type: string, v: string) => {
    switch (type) {
      case 'datetime':
        return `'"'+${v}+'"'`; // ISO 8601 strings made by the row builder: nothing to escape
      case 'long':
      case 'int':
      case 'real':
        return `''+${v}`; // finite by schema
      case 'bool':
        return `(${v}?'true':'false')`;
      case 'string':
        return `str(${v})`;
      default:
        return `JSON.stringify(${v})`;
    }
  };
  const lines = [
    `let o='{"${first[0]}":'+${encode(first[1], `e.${first[0]}`)};`,
    ...rest.map(([name, type]) => `if(e.${name}!==null&&e.${name}!==undefined)o+=',"${name}":'+${encode(type, `e.${name}`)};`),
    `return o+'}';`,
  ];
  return new Function('str', 'e', lines.join('\n')).bind(null, quoteString) as (e: QoeEvent) => string;
}
