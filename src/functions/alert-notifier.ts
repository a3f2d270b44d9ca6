// Sends each queued alert to the configured targets. A failure throws: the queue retries up to
// maxDequeueCount (host.json) and then parks the message in qoe-alerts-poison; nothing is dropped.
import { app } from '@azure/functions';
import type { AlertMessage } from '../alerts/detect.js';
import { notify } from '../alerts/notify.js';
import { loadConfig } from '../config.js';

const config = loadConfig();

app.storageQueue('alertNotifier', {
  queueName: config.alerts.queue,
  connection: 'AzureWebJobsStorage',
  handler: async (message, context) => {
    const alert = (typeof message === 'string' ? JSON.parse(message) : message) as AlertMessage;
    const sent = await notify(alert, config.alerts);
    context.log(`alertNotifier: alert ${alert.alertId} (${alert.dimension}=${alert.dimensionValue}) sent to ${sent.join(', ') || 'no target (none configured)'}`);
  },
});
