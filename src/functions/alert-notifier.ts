// Sends each queued alert to the configured targets (src/alerts/notify/). A failure throws: the
// queue retries up to maxDequeueCount (host.json), then parks the message in `<queue>-poison`.
import { app } from '@azure/functions';
import { parseAlertMessage } from '../alerts/message.js';
import { deliver } from '../alerts/notify/deliver.js';
import { getAlertServices } from '../composition/alerts.js';
import { loadConfig } from '../config.js';

app.storageQueue('alertNotifier', {
  queueName: loadConfig().alerts.queue,
  connection: 'AzureWebJobsStorage',
  handler: async (message, context) => {
    const alert = parseAlertMessage(message);
    const s = getAlertServices();
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
