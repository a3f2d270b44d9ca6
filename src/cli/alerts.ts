// npm run alerts -- <command>: local and operational helpers for anomaly alerting.
//   receiver [--port 7072] [--fail N]   print what the notifier sends (point QOE_ALERT_*_URL here)
//   sample                              queue an example alert (no Data Explorer needed)
//   replay-poison [--dry-run]           move alerts from <queue>-poison back to the alert queue
// Settings come from the environment (and local.settings.json's Values for `sample` and
// `replay-poison`, as `npm start` reads them).
import { parseArgs } from 'node:util';
import { replayPoison } from '../alerts/poison.js';
import { alertQueue } from '../alerts/queue.js';
import { loadConfig } from '../config.js';
import { applyLocalSettings } from '../local/settings.js';
import { startWebhookReceiver } from '../local/webhook-receiver.js';
import { storageFromConfig } from '../storage.js';
import { sampleAlert } from '../alerts/sample.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: '7072' },
    fail: { type: 'string', default: '0' },
    'dry-run': { type: 'boolean', default: false },
  },
});

async function storage() {
  await applyLocalSettings();
  const config = loadConfig();
  return { config, access: storageFromConfig(config) };
}

switch (positionals[0]) {
  case 'receiver': {
    const r = await startWebhookReceiver({ port: Number(values.port), failFirst: Number(values.fail), log: (line) => console.log(line) });
    console.log(`webhook receiver on ${r.url}; set, e.g. in local.settings.json:`);
    console.log(
      `  "QOE_ALERT_WEBHOOK_URL": "${r.url}/webhook", "QOE_ALERT_TEAMS_URL": "${r.url}/teams", "QOE_ALERT_SLACK_URL": "${r.url}/slack"`,
    );
    break;
  }
  case 'sample': {
    const { config, access } = await storage();
    const message = sampleAlert(
      new Date(),
      config.alerts.grafanaUrl ? { url: config.alerts.grafanaUrl, dashboardUid: config.alerts.grafanaDashboardUid } : undefined,
    );
    await alertQueue(access.queue(config.alerts.queue)).send(message);
    console.log(`queued sample alert ${message.alertId} on ${config.alerts.queue}: ${message.title}`);
    break;
  }
  case 'replay-poison': {
    const { config, access } = await storage();
    const report = await replayPoison(access.queue(`${config.alerts.queue}-poison`), access.queue(config.alerts.queue), {
      dryRun: values['dry-run'],
    });
    if (values['dry-run']) {
      console.log(`${config.alerts.queue}-poison: about ${report.waiting} message(s); first ones:`);
      for (const p of report.preview) console.log(`  ${p.id} ${p.alertId ?? '(not an alert message)'} ${p.title ?? ''}`);
    } else {
      console.log(`moved ${report.moved} message(s) from ${config.alerts.queue}-poison back to ${config.alerts.queue}`);
    }
    break;
  }
  default:
    console.error('usage: npm run alerts -- receiver [--port 7072] [--fail N] | sample | replay-poison [--dry-run]');
    process.exitCode = 2;
}
