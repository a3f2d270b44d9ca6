// Every 5 minutes (QOE_ALERT_SCHEDULE): detect QoE anomalies in Data Explorer, store the new ones,
// queue one alert per dimension value for the notifier.
import { app } from '@azure/functions';
import { detectAndStore } from '../alerts/detect.js';
import { getAlertServices } from '../alerts/services.js';
import { loadConfig } from '../config.js';

app.timer('anomalyTimer', {
  schedule: loadConfig().alerts.schedule,
  handler: async (_timer, context) => {
    const s = await getAlertServices();
    if (!s.executor) return void context.log('anomalyTimer: no Data Explorer cluster configured (KUSTO_CLUSTER_URI); nothing to do');
    const { alerts, kusto } = s.config;
    const result = await detectAndStore({ ...alerts, executor: s.executor, database: kusto.database, now: new Date(), quiet: s.quiet });
    for (const m of result.messages) await s.queue.send(m);
    context.log(`anomalyTimer: ${result.found} anomalies, ${result.fresh.length} new, ${result.messages.length} alerts queued`);
  },
});
