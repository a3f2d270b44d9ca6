// Every 5 minutes (QOE_ALERT_SCHEDULE): detect session-KPI anomalies in Data Explorer, name their
// root cause, queue one alert per incident, store the new anomalies in QoeAnomalies (detect-incidents.ts).
// The schedule is a %SETTING% expression the host resolves: nothing is read at import, so a bad
// alert setting cannot stop the other functions from being indexed.
import { app } from '@azure/functions';
import { detectIncidentsAndQueue } from '../alerts/detect-incidents.js';
import { getAlertServices } from '../composition/alerts.js';
import { alertServicesOrOff } from './alerting-settings.js';

app.timer('anomalyTimer', {
  schedule: '%QOE_ALERT_SCHEDULE%',
  handler: async (_timer, context) => {
    const s = alertServicesOrOff(getAlertServices, (line) => context.error(`anomalyTimer: ${line}`));
    if (!s) return;
    if (!s.store) return void context.log('anomalyTimer: no Data Explorer cluster configured (KUSTO_CLUSTER_URI): nothing to query');
    if (!s.targets.length)
      context.warn(
        'anomalyTimer: no alert target configured (QOE_ALERT_WEBHOOK_URL, QOE_ALERT_TEAMS_URL, QOE_ALERT_SLACK_URL): new anomalies are stored, none are sent',
      );
    const r = await detectIncidentsAndQueue({
      store: s.store,
      state: s.state,
      queue: s.queue,
      settings: { ...s.config.alerts, notify: s.targets.length > 0 },
      now: new Date(),
      log: (level, message) =>
        level === 'error'
          ? context.error(`anomalyTimer: ${message}`)
          : level === 'warn'
            ? context.warn(`anomalyTimer: ${message}`)
            : context.log(`anomalyTimer: ${message}`),
    });
    context.log(
      `anomalyTimer: window ${r.windowStart.toISOString()}..${r.windowEnd.toISOString()}: ${r.found} anomalies, ${r.fresh} new` +
        ` (${r.incidents.length} incident(s), ${r.silenced} within their hour), ${r.messages.length} alert(s) queued`,
    );
  },
});
