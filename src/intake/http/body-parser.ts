// Decoded bytes -> candidate records: one JSON object, a JSON array, or NDJSON, chosen by
// Content-Type; text/plain (what navigator.sendBeacon sends for a string) may hold any of them.
// CMCD event-report bodies (application/cmcd and friends) are split and mapped by cmcd/candidates.ts.
import { errorMessage, IntakeError } from '../../errors.js';
import type { Candidate } from '../../pipeline/contract.js';
import { countArrayElements, countNonBlankLines, splitLines } from '../../pipeline/lines.js';
import { boundedRaw } from '../../pipeline/values.js';
import { CMCD_MEDIA_TYPES, cmcdCandidates, type CmcdBodyOptions } from '../cmcd/candidates.js';

export type BodyFormat = 'json' | 'ndjson' | 'sniff' | 'cmcd';

const FORMATS: Record<string, BodyFormat> = {
  'application/json': 'json',
  'text/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/jsonlines': 'ndjson',
  'text/plain': 'sniff',
  ...Object.fromEntries(CMCD_MEDIA_TYPES.map((t) => [t, 'cmcd' as const])),
};

/** The media type without parameters, lower case; '' when absent. */
export function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** Body format for a Content-Type; a missing type is sniffed; an unknown one is 415. */
export function formatFor(contentType: string | null | undefined): BodyFormat {
  const type = mediaType(contentType);
  if (type === '') return 'sniff';
  const format = FORMATS[type];
  if (!format)
    throw new IntakeError(
      415,
      `unsupported Content-Type "${type}"; send application/json, application/x-ndjson, text/plain or application/cmcd`,
    );
  return format;
}

export function bytesToText(bytes: Buffer): string {
  // Lenient UTF-8 (bad bytes become U+FFFD) so one broken byte does not cost a whole batch.
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The record-count cap, applied while splitting: refused once max + 1 records are seen, before any is parsed. */
export function tooManyRecords(max: number): IntakeError {
  return new IntakeError(413, `more than ${max} records in one request`);
}

function parseLines(text: string, maxRecords: number): Candidate[] {
  if (countNonBlankLines(text, maxRecords) > maxRecords) throw tooManyRecords(maxRecords);
  const out: Candidate[] = [];
  for (const { text: rawLine, lineNo } of splitLines(text)) {
    const line = rawLine.trim();
    if (line === '') continue;
    const index = out.length;
    try {
      out.push({ index, value: JSON.parse(line), line: lineNo });
    } catch (err) {
      out.push({ index, error: `line ${lineNo}: invalid JSON (${errorMessage(err)})`, raw: boundedRaw(line), line: lineNo });
    }
  }
  return out;
}

function fromValue(value: unknown): Candidate[] {
  if (Array.isArray(value)) return value.map((v, index) => ({ index, value: v }));
  return [{ index: 0, value }];
}

/**
 * Splits a decoded body into candidates. Throws IntakeError(400) when nothing in it is JSON at all
 * (or, for CMCD, when it is empty). `cmcd` options apply to the CMCD format only.
 */
export function parseRecords(text: string, format: BodyFormat, cmcd?: CmcdBodyOptions, maxRecords = Number.POSITIVE_INFINITY): Candidate[] {
  if (format === 'cmcd') return cmcdCandidates(text, { ...cmcd, maxRecords });
  const trimmed = text.trim();
  if (trimmed === '') throw new IntakeError(400, 'body is empty');
  if (format === 'ndjson') return parseLines(trimmed, maxRecords);
  // A JSON array is counted (one scan, nothing allocated) before it is parsed.
  if (countArrayElements(trimmed, maxRecords) > maxRecords) throw tooManyRecords(maxRecords);
  try {
    return fromValue(JSON.parse(trimmed));
  } catch (err) {
    // One JSON document that does not parse may still be NDJSON (several documents, one per line).
    if (trimmed.includes('\n')) {
      const lines = parseLines(trimmed, maxRecords);
      if (lines.some((c) => c.error === undefined)) return lines;
    }
    throw new IntakeError(400, `body is not valid JSON: ${errorMessage(err)}`);
  }
}
