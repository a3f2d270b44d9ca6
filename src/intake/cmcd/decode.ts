// CMCD payloads -> plain JSON keys. Every decode is @svta/cml-cmcd's (the library dash.js uses);
// this file only turns what it returns into plain JSON. Carriers: a body line, the `CMCD=` query
// argument, the CMCD-Object/-Request/-Session/-Status headers.
import { CMCD_HEADER_FIELDS, CMCD_PARAM, decodeCmcd, fromCmcdQuery } from '@svta/cml-cmcd';
import { errorMessage } from '../../errors.js';

/** A JSON value: what a decoded CMCD key holds once made plain. */
export type CmcdJson = string | number | boolean | null | CmcdJson[] | { [key: string]: CmcdJson };
/** Decoded CMCD keys, plain JSON: what the row's `Cmcd` column holds. */
export type CmcdKeys = Record<string, CmcdJson>;

/** CMCD that came with the request itself (query argument and headers): its keys, or why they did not decode. */
export type RequestCmcd = { keys: CmcdKeys; error?: undefined } | { keys?: undefined; error: string };

// --- decoding --------------------------------------------------------------------------------

/** Plain JSON from what decodeCmcd returns: SfItem -> {value, params}, bytes -> base64, Date -> ISO. */
function plain(v: unknown): CmcdJson {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'symbol':
      return v.description ?? '';
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map(plain);
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
      if (v instanceof Date) return v.toISOString();
      if ('value' in v && 'params' in v) {
        const item = v as { value: unknown; params?: Record<string, unknown> };
        return item.params ? { value: plain(item.value), params: plainObject(item.params) } : plain(item.value);
      }
      // SfToken and anything else with a string form.
      return String(v);
    }
    default:
      return null;
  }
}

function plainObject(o: Record<string, unknown>): Record<string, CmcdJson> {
  const out: Record<string, CmcdJson> = {};
  for (const k of Object.keys(o)) out[k] = plain(o[k]);
  return out;
}

function describe(err: unknown): string {
  return err instanceof Error && err.cause !== undefined ? errorMessage(err.cause) : errorMessage(err);
}

/**
 * One CMCD payload (a body line, a header value, a query argument's value) -> plain keys.
 * Throws an Error with a readable message when it is not a structured-field dictionary.
 */
export function decodeCmcdLine(text: string): CmcdKeys {
  try {
    return plainObject(decodeCmcd(text) as Record<string, unknown>);
  } catch (err) {
    throw new Error(`not a CMCD structured-field dictionary (${describe(err)})`);
  }
}

/**
 * CMCD of a query string (`CMCD=` argument); null when there is none. `+` is a space, as in any
 * query string: dash.js writes the space inside v2 inner lists as `+` (`ab=(3000;v+96;a)`).
 */
export function cmcdFromQuery(query: URLSearchParams | string): CmcdKeys | null {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  if (!params.get(CMCD_PARAM)) return null;
  try {
    return plainObject(fromCmcdQuery(params) as Record<string, unknown>);
  } catch (err) {
    throw new Error(`CMCD query argument: not a CMCD structured-field dictionary (${describe(err)})`);
  }
}

/** CMCD of the CMCD-Object/-Request/-Session/-Status headers, merged; null when there are none. */
export function cmcdFromHeaders(header: (name: string) => string | null | undefined): CmcdKeys | null {
  let out: CmcdKeys | null = null;
  for (const field of CMCD_HEADER_FIELDS) {
    const value = header(field);
    if (!value) continue;
    try {
      out = Object.assign(out ?? {}, decodeCmcdLine(value));
    } catch (err) {
      throw new Error(`${field} header: ${errorMessage(err)}`);
    }
  }
  return out;
}

/**
 * The CMCD a request carries in its query and headers (headers win over the query); null when
 * it carries none, `{error}` when some of it does not decode.
 */
export function cmcdFromRequest(header: (name: string) => string | null | undefined, query: URLSearchParams): RequestCmcd | null {
  try {
    const q = cmcdFromQuery(query);
    const h = cmcdFromHeaders(header);
    if (!q && !h) return null;
    return { keys: { ...q, ...h } };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}
