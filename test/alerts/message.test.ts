import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  decodeQueueMessage,
  encodeQueueMessage,
  InvalidAlertMessageError,
  parseAlertMessage,
  type AlertMessage,
} from '../../src/alerts/message.js';
import { sampleAlert } from '../../src/alerts/sample.js';

const message = sampleAlert(new Date('2026-11-23T10:32:10Z'), { url: 'https://grafana.example', dashboardUid: 'qoe-overview' });

describe('alert message', () => {
  it('travels as base64 of its JSON, the queue trigger default', () => {
    const text = encodeQueueMessage(message);
    expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(Buffer.from(text, 'base64').toString('utf8'))).toEqual(message);
    expect(decodeQueueMessage(text)).toEqual(message);
  });

  it('is checked when read: the object the trigger hands over, or its JSON text', () => {
    expect(parseAlertMessage(message)).toEqual(message);
    expect(parseAlertMessage(JSON.stringify(message))).toEqual(message);
    expect(() => parseAlertMessage('not json')).toThrow(InvalidAlertMessageError);
    expect(() => parseAlertMessage({ ...message, version: 2 })).toThrow(/version/);
    expect(() => parseAlertMessage({ ...message, anomalies: [] })).toThrow(/anomalies/);
    expect(() => parseAlertMessage({ ...message, dashboardUrl: 'javascript:alert(1)' })).toThrow(/dashboardUrl/);
  });

  it('the example in docs/alerting.md is a valid message of this version', async () => {
    const section = await readFile(new URL('../../docs/alerting.md', import.meta.url), 'utf8');
    const example = /## Message format[\s\S]*?```json\n([\s\S]*?)```/.exec(section);
    expect(example, 'docs/alerting.md: Message format has a json example').not.toBeNull();
    const parsed = parseAlertMessage(JSON.parse(example![1]!)) as AlertMessage;
    expect(Object.keys(parsed).sort()).toEqual(Object.keys(message).sort());
  });
});
