import { describe, expect, it } from 'vitest';
import { alertMessageSchema } from '../../../src/alerts/message.js';
import { webhookPayload } from '../../../src/alerts/notify/webhook.js';
import { sampleAlert } from '../../../src/alerts/sample.js';

describe('webhook payload', () => {
  it('is the alert message itself, version 1', () => {
    const m = sampleAlert(new Date('2026-11-23T10:32:00Z'));
    const payload = webhookPayload(m);
    expect(JSON.parse(JSON.stringify(payload))).toEqual(m);
    expect(alertMessageSchema.parse(payload).version).toBe(1);
  });
});
