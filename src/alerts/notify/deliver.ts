// Delivering one alert to every configured target. Each target that took it is written to the
// delivery log, so a retry (the queue's, or a poison-queue replay) sends only to the targets still
// missing; any failure fails the message, and the queue retries it, then parks it in the poison queue.
import { errorMessage } from '../../errors.js';
import type { AlertMessage } from '../message.js';
import type { DeliveryLog } from '../alert-state-table.js';
import { DeliveryError, postJson } from './http.js';
import { slackPayload } from './slack.js';
import { teamsPayload } from './teams.js';
import { webhookPayload } from './webhook.js';

export type TargetName = 'webhook' | 'teams' | 'slack';

export interface Target {
  name: TargetName;
  url: string;
}

const PAYLOADS: Record<TargetName, (m: AlertMessage) => unknown> = { webhook: webhookPayload, teams: teamsPayload, slack: slackPayload };

export function configuredTargets(c: { webhookUrl?: string; teamsUrl?: string; slackUrl?: string }): Target[] {
  const all: Array<[TargetName, string | undefined]> = [
    ['webhook', c.webhookUrl],
    ['teams', c.teamsUrl],
    ['slack', c.slackUrl],
  ];
  return all.flatMap(([name, url]) => (url ? [{ name, url }] : []));
}

export function payloadFor(name: TargetName, m: AlertMessage): unknown {
  return PAYLOADS[name](m);
}

export class NoTargetError extends Error {
  override name = 'NoTargetError';
}

export class AlertNotDeliveredError extends Error {
  override name = 'AlertNotDeliveredError';
  constructor(
    readonly alertId: string,
    readonly failures: DeliveryError[],
  ) {
    super(`alert ${alertId} not delivered to ${failures.map((f) => f.message).join('; ')}`);
  }
}

export interface DeliverOptions {
  log: DeliveryLog;
  timeoutMs: number;
  now?: () => Date;
  fetch?: typeof fetch;
  /** Called when a send succeeded but could not be recorded (it may be sent again on a retry). */
  warn?: (message: string) => void;
}

export async function deliver(
  m: AlertMessage,
  targets: Target[],
  o: DeliverOptions,
): Promise<{ sent: TargetName[]; skipped: TargetName[] }> {
  if (targets.length === 0) {
    throw new NoTargetError(
      'no alert target configured (QOE_ALERT_WEBHOOK_URL, QOE_ALERT_TEAMS_URL, QOE_ALERT_SLACK_URL): the message stays queued and ends in the poison queue',
    );
  }
  const done = await o.log.delivered(m.alertId);
  const todo = targets.filter((t) => !done.has(t.name));
  const results = await Promise.allSettled(
    todo.map(async (t) => {
      await postJson(t.name, t.url, payloadFor(t.name, m), { timeoutMs: o.timeoutMs, fetch: o.fetch });
      await o.log.markDelivered(m.alertId, t.name, o.now?.() ?? new Date()).catch((err: unknown) => {
        o.warn?.(
          `alert ${m.alertId} sent to ${t.name}, but the delivery log could not record it (a retry may send it again): ${errorMessage(err)}`,
        );
      });
    }),
  );
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected'
      ? [r.reason instanceof DeliveryError ? r.reason : new DeliveryError(todo[i]!.name, `${todo[i]!.name}: ${errorMessage(r.reason)}`)]
      : [],
  );
  if (failures.length) throw new AlertNotDeliveredError(m.alertId, failures);
  return { sent: todo.map((t) => t.name), skipped: targets.filter((t) => done.has(t.name)).map((t) => t.name) };
}
