// The alert message: what the anomaly timer puts on the queue, what the notifier reads, and what
// the generic webhook receives, as is. JSON, version 1; queue messages are base64 of its UTF-8,
// the Functions queue extension's default encoding (host.json extensions.queues.messageEncoding).
import { z } from 'zod';

/** How a KPI moved, in titles and lines: ▲ up, ▼ down. */
export const arrow = (direction: 'up' | 'down'): string => (direction === 'up' ? '▲' : '▼');

export interface AlertAnomaly {
  /** QoeAnomalies.AlertKey of this anomaly. */
  key: string;
  /** Start of the time bin, ISO 8601 UTC. */
  timestamp: string;
  kpi: string;
  value: number | null;
  baseline: number | null;
  score: number | null;
  direction: 'up' | 'down';
  sessions: number;
  /** The series it was found in, e.g. "Cdn=Fastly" or "Overall=all" (incident messages). */
  series?: string;
}

/** What an incident message adds: the named root cause, its KPIs' contrasts, impact and severity. */
export interface AlertIncident {
  id: string;
  /** open: first message; ongoing: still there an hour later; resolved: no anomaly for it any more. */
  kind: 'open' | 'ongoing' | 'resolved';
  severity: 'critical' | 'major' | 'minor';
  /** The dimension values the ranking named ({} = all sessions). */
  cause: Record<string, string>;
  impactedSessions: number;
  kpis: Array<{
    kpi: string;
    kpiInWindow: number | null;
    kpiBaseline: number | null;
    share: number | null;
    lift: number | null;
    sessions: number | null;
  }>;
}

export interface AlertMessage {
  version: 1;
  /** Stable for the same set of anomalies: receivers can de-duplicate on it. */
  alertId: string;
  /** One line for people: dimension value and KPIs. */
  title: string;
  detectedAt: string;
  dimension: string;
  dimensionValue: string;
  /** The detection window [windowStart, windowEnd). */
  windowStart: string;
  windowEnd: string;
  /** The most severe anomalies of this dimension value in the window (by score), in time order. */
  anomalies: AlertAnomaly[];
  /** Anomalies of the group left out to keep the message small; all of them are in QoeAnomalies. */
  omitted: number;
  /** Grafana dashboard over the window, filtered on the dimension value where it has a variable. */
  dashboardUrl?: string;
  /** Present on incident messages (anomalies grouped by root cause, issue 18). */
  incident?: AlertIncident;
}

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date');
const num = z.number().nullable();

export const alertMessageSchema = z
  .object({
    version: z.literal(1),
    alertId: z.string().regex(/^[0-9a-f]{8,64}$/),
    title: z.string().min(1).max(1000),
    detectedAt: iso,
    dimension: z.string().min(1).max(64),
    dimensionValue: z.string().min(1).max(1024),
    windowStart: iso,
    windowEnd: iso,
    anomalies: z
      .array(
        z.object({
          key: z.string().min(1).max(64),
          timestamp: iso,
          kpi: z.string().min(1).max(64),
          value: num,
          baseline: num,
          score: num,
          direction: z.enum(['up', 'down']),
          sessions: z.number().int().min(0),
          series: z.string().max(1100).optional(),
        }),
      )
      .min(0),
    omitted: z.number().int().min(0),
    dashboardUrl: z.url({ protocol: /^https?$/ }).optional(),
    incident: z
      .object({
        id: z.string().regex(/^[0-9a-f]{8,64}$/),
        kind: z.enum(['open', 'ongoing', 'resolved']),
        severity: z.enum(['critical', 'major', 'minor']),
        cause: z.record(z.string().max(64), z.string().max(1024)),
        impactedSessions: z.number().int().min(0),
        kpis: z
          .array(
            z.object({
              kpi: z.string().min(1).max(64),
              kpiInWindow: num,
              kpiBaseline: num,
              share: num,
              lift: num,
              sessions: z.number().int().min(0).nullable(),
            }),
          )
          .max(16),
      })
      .optional(),
  })
  .refine((m) => m.anomalies.length > 0 || m.incident?.kind === 'resolved', {
    message: 'anomalies: only a resolved incident message may list none',
  });

export class InvalidAlertMessageError extends Error {
  override name = 'InvalidAlertMessageError';
}

/** What the queue trigger hands over (an object when the text was JSON, else the string) -> a checked message. */
export function parseAlertMessage(input: unknown): AlertMessage {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new InvalidAlertMessageError('alert message is not JSON');
    }
  }
  const r = alertMessageSchema.safeParse(value);
  if (!r.success)
    throw new InvalidAlertMessageError(
      `not an alert message (version 1): ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  return r.data as AlertMessage;
}

/** A queue message holds at most 64 KiB; base64 makes 4 bytes of 3, so the JSON must stay under 48 KiB. */
export const MAX_MESSAGE_JSON_BYTES = 48 * 1024;

export function encodeQueueMessage(message: unknown): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

export function decodeQueueMessage(text: string): unknown {
  return JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
}
