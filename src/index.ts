// The app entry ("main" in package.json): importing a function module registers it with the host.
import './functions/beacons.js';
import './functions/cmcd.js';
import './functions/blob-created.js';
import './functions/blob-worker.js';
import './functions/anomaly-timer.js';
import './functions/alert-notifier.js';
