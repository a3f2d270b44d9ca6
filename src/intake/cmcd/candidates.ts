// CMCD bodies and requests -> the pipeline's candidate records: event-report bodies (one CMCD line
// per event), a request whose query or headers are the report, and JSON beacons that carry CMCD.
import { IntakeError } from '../../errors.js';
import type { Candidate } from '../../pipeline/contract.js';
import { splitLines } from '../../pipeline/lines.js';
import { boundedJson, boundedRaw } from '../../pipeline/values.js';
import type { CmcdKeys, RequestCmcd } from './decode.js';
import { cmcdRecordFromLine, cmcdToBeacon, withCmcd, type CmcdMapOptions, type CmcdRecord } from './map.js';

/** Media types of a CMCD event-report body; all three are in use. */
export const CMCD_MEDIA_TYPES: readonly string[] = ['application/cmcd', 'text/cmcd', 'application/cmcd+text'];

function toCandidate(r: CmcdRecord, index: number, raw: string, line?: number): Candidate {
  const c: Candidate = r.error === undefined ? { index, value: r.value } : { index, error: r.error, raw: boundedRaw(raw) };
  if (line !== undefined) c.line = line;
  return c;
}

export interface CmcdBodyOptions extends CmcdMapOptions {
  /** CMCD of the request's query and headers; merged under every line's keys. */
  requestCmcd?: RequestCmcd | null;
}

/**
 * An event-report body (one CMCD line per event; blank lines skipped) -> candidates. A line that
 * does not decode, or has no `sid`, is a candidate with an error; the others are beacon-shaped.
 * Throws IntakeError(400) for an empty body.
 */
export function cmcdCandidates(text: string, opts: CmcdBodyOptions = {}): Candidate[] {
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
  for (const c of candidates) if (c.error === undefined) c.value = withCmcd(c.value, keys);
  return candidates;
}

