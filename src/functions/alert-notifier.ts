// Sends each queued alert to the configured targets (src/alerts/notify/). A failure throws: the
// queue retries up to maxDequeueCount (host.json), then parks the message in `<queue>-poison`.
// The queue name is a %SETTING% expression the host resolves; the alert settings are read when a
// message arrives. With a bad one the message is kept (retried, then poison: replayable).
import { app } from '@azure/functions';
import { parseAlertMessage } from '../alerts/message.js';
import { deliver } from '../alerts/notify/deliver.js';
import { getAlertServices } from '../composition/alerts.js';
import { ConfigError } from '../config.js';
import { alertServicesOrOff } from './alerting-settings.js';

app.storageQueue('alertNotifier', {
  queueName: '%QOE_ALERT_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: async (message, context) => {
    let disabled = '';
    const s = alertServicesOrOff(getAlertServices, (line) => (disabled = line));
    if (!s)
      throw new ConfigError(`alertNotifier: ${disabled}; the message stays queued (poison queue after the retries: replay it once fixed)`);
    const alert = parseAlertMessage(message);
    const r = await deliver(alert, s.targets, {
      log: s.state,
      timeoutMs: s.config.alerts.sendTimeoutMs,
      warn: (m) => context.warn(`alertNotifier: ${m}`),
    });
    context.log(
      `alertNotifier: alert ${alert.alertId} (${alert.dimension}=${alert.dimensionValue}, attempt ${String(context.triggerMetadata?.dequeueCount ?? '?')})` +
        ` sent to ${r.sent.join(', ') || 'none'}${r.skipped.length ? `; ${r.skipped.join(', ')} had it already` : ''}`,
    );
  },
});
