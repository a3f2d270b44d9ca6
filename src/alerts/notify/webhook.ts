// The generic JSON webhook receives the alert message itself (README: "Message format").
import type { AlertMessage } from '../message.js';

export function webhookPayload(m: AlertMessage): AlertMessage {
  return m;
}
