// Structured logs: one JSON object per line (the Functions host sends console lines to Application
// Insights as traces), with the active trace id so a log line finds its span. Every message and
// string field is scrubbed of IP addresses and secrets first: no raw client address is ever logged.
import { trace } from '@opentelemetry/api';
import { sanitize } from '../ingest/sinks/kusto-errors.js';

export type LogLevel = 'info' | 'warn' | 'error';

const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
// Hex groups joined by two to seven colons; a clock time (12:30:05, also inside ISO timestamps) is kept.
const IPV6 = /(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}/gi;
const CLOCK = /^\d{1,2}:\d{2}(?::\d{2})?$/;

/** IP addresses become `[ip]`; SAS signatures, bearer tokens and account keys become `***`. */
export function scrub(text: string): string {
  return sanitize(text)
    .replace(IPV4, '[ip]')
    .replace(IPV6, (m) => (CLOCK.test(m) || (m.replace(/:/g, '').length === 0 && m.length < 2) ? m : '[ip]'));
}

export function logEvent(
  level: LogLevel,
  message: string,
  fields: Record<string, string | number | boolean | undefined> = {},
  write: (line: string) => void = (l) => console[level](l),
): void {
  const span = trace.getActiveSpan()?.spanContext();
  const clean: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) clean[k] = typeof v === 'string' ? scrub(v).slice(0, 1000) : v;
  write(
    JSON.stringify({
      level,
      message: scrub(message).slice(0, 2000),
      ...clean,
      ...(span && { traceId: span.traceId, spanId: span.spanId }),
    }),
  );
}

/** For the batcher and sinks (their `log` option): structured and scrubbed. */
export const structuredLog = (level: LogLevel, message: string) => logEvent(level, message, { component: 'ingest' });
