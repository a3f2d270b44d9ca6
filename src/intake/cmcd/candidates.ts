// CMCD bodies and requests -> the pipeline's candidate records: event-report bodies (one CMCD line
// per event), a request whose query or headers are the report, and JSON beacons that carry CMCD.
import { errorMessage, IntakeError } from '../../errors.js';
import type { Candidate } from '../../pipeline/contract.js';
import { countNonBlankLines, splitLines } from '../../pipeline/lines.js';
import { boundedJson, boundedRaw } from '../../pipeline/values.js';
import type { RequestCmcd } from './decode.js';
import { cmcdRecordFromLine, cmcdToBeacon, withCmcd, type CmcdMapOptions, type CmcdRecord } from './map.js';

/** Media types of a CMCD event-report body; all three are in use. */
export const CMCD_MEDIA_TYPES: readonly string[] = ['application/cmcd', 'text/cmcd', 'application/cmcd+text'];

function toCandidate(r: CmcdRecord, index: number, raw: string, line?: number): Candidate {
  const c: Candidate = r.error === undefined ? { index, value: r.value } : { index, error: r.error, raw: boundedRaw(raw) };
  if (line !== undefined) c.line = line;
  return c;
}

/** A CMCD line longer than this is refused before it is decoded: all keys of CTA-5004-B fit in 4 KB. */
export const MAX_CMCD_LINE_CHARS = 16 * 1024;

export interface CmcdBodyOptions extends CmcdMapOptions {
  /** CMCD of the request's query and headers; merged under every line's keys. */
  requestCmcd?: RequestCmcd | null;
  /** Record-count cap: lines are counted up to max + 1 before any is decoded. */
  maxRecords?: number;
}

/**
 * An event-report body (one CMCD line per event; blank lines skipped) -> candidates. A line that
 * does not decode, or has no `sid`, is a candidate with an error; the others are beacon-shaped.
 * Throws IntakeError(400) for an empty body.
 */
export function cmcdCandidates(text: string, opts: CmcdBodyOptions = {}): Candidate[] {
  const max = opts.maxRecords ?? Number.POSITIVE_INFINITY;
  if (countNonBlankLines(text, max) > max) throw new IntakeError(413, `more than ${max} records in one request`);
  const out: Candidate[] = [];
  const requestError = opts.requestCmcd?.error;
  const requestCmcd = opts.requestCmcd?.keys;
  for (const { text: rawLine, lineNo } of splitLines(text)) {
    const line = rawLine.trim();
    if (line === '') continue;
    const index = out.length;
    if (requestError !== undefined) {
      out.push({ index, error: requestError, raw: boundedRaw(line), line: lineNo });
      continue;
    }
    if (line.length > MAX_CMCD_LINE_CHARS) {
      out.push({
        index,
        error: `line ${lineNo}: longer than ${MAX_CMCD_LINE_CHARS} characters (not decoded)`,
        raw: boundedRaw(line),
        line: lineNo,
      });
      continue;
    }
    const r = cmcdRecordFromLine(line, { ...opts, requestCmcd });
    out.push(toCandidate(r.error === undefined ? r : { error: `line ${lineNo}: ${r.error}` }, index, line, lineNo));
  }
  if (out.length === 0) throw new IntakeError(400, 'body is empty');
  return out;
}

/** A request with no body whose query or headers carry CMCD: the request is the report. */
export function cmcdRequestCandidate(requestCmcd: RequestCmcd, opts: CmcdMapOptions = {}): Candidate {
  if (requestCmcd.error !== undefined) return { index: 0, error: requestCmcd.error, raw: '' };
  return toCandidate(cmcdToBeacon(requestCmcd.keys, opts), 0, JSON.stringify(requestCmcd.keys));
}

/** Applies withCmcd to every JSON candidate; with a request CMCD that did not decode, rejects them all with the reason. */
export function candidatesWithCmcd(candidates: Candidate[], requestCmcd: RequestCmcd | null): Candidate[] {
  if (requestCmcd?.error !== undefined) {
    const error = requestCmcd.error;
    return candidates.map((c) => (c.error !== undefined ? c : { index: c.index, error, raw: boundedJson(c.value), line: c.line }));
  }
  const keys = requestCmcd?.keys;
  return candidates.map((c) => {
    if (c.error !== undefined) return c;
    try {
      return { ...c, value: withCmcd(c.value, keys) };
    } catch (err) {
      // One record's CMCD is that record's problem (per-record isolation starts here).
      return { index: c.index, error: `cmcd: ${errorMessage(err)}`, raw: boundedJson(c.value), line: c.line };
    }
  });
}
