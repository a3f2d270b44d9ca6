// The generic JSON webhook receives the alert message itself (docs/alerting.md, "Message format").
import type { AlertMessage } from '../message.js';

export function webhookPayload(m: AlertMessage): AlertMessage {
  return m;
}
