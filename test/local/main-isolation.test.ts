// `npm start` (dist/src/local/main.js) with a bad alert setting: it starts, serves beacons, and the
// anomaly timer says once per run, in one line, that alerting is off and why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '../support/local-service.js';
import { validBeacon } from '../support/services.js';

let service: LocalService;
beforeAll(async () => {
  service = await startLocalService({
    env: { QOE_SINK: 'file', QOE_ALERT_SLACK_URL: 'ftp://hooks.example/SECRET', QOE_LOCAL_RUN_TIMERS_ON_START: 'true' },
  });
}, 180_000);
afterAll(async () => service?.stop());

describe('npm start with a bad alert setting', () => {
  it('starts, takes beacons into the sink, and logs one line that alerting is disabled', async () => {
    const res = await fetch(`${service.url}/api/beacons`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validBeacon({ sessionId: 'iso-1' })),
    });
    expect(res.status).toBe(202);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && ((await service.rows()).length === 0 || !service.output().includes('alerting disabled')))
      await new Promise((r) => setTimeout(r, 200));
    expect((await service.rows()).map((r) => r.SessionId)).toContain('iso-1');
    const out = service.output();
    const lines = out.split('\n').filter((l) => l.includes('alerting disabled'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      'anomalyTimer: alerting disabled by invalid settings: QOE_ALERT_SLACK_URL: must be an http(s) URL (value not shown)',
    );
    expect(out).toContain('alertNotifier: queueTrigger (qoe-alerts)');
    expect(out).not.toContain('SECRET');
  });
});
