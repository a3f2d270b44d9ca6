// The test page: a muted <video>, dash.js from node_modules, the reporter bundle, and a log of
// every dash.js event (for the assertions, and to see what dash.js really fires).

export interface PageConfig {
  manifestUrl: string;
  endpoint: string;
  contentId: string;
  heartbeatSeconds: number;
  /** dash.js CMCD v2 event reporting to this URL, with the reporter's session id as `sid`. */
  cmcd?: { url: string };
}

/** `module`: the ES module builds of dash.js and the reporter; `script`: the script-tag (UMD/IIFE) builds. */
export type PageForm = 'module' | 'script';

/** Every CMCD v2 key a player can report in an event (request keys, response keys, event keys). */
export const CMCD_EVENT_KEYS = [
  'ab',
  'bl',
  'br',
  'bs',
  'cdn',
  'cid',
  'd',
  'dl',
  'ltc',
  'msd',
  'mtp',
  'nor',
  'ot',
  'pb',
  'pr',
  'pt',
  'rtp',
  'sf',
  'sid',
  'sn',
  'st',
  'sta',
  'su',
  'tb',
  'v',
  'rc',
  'ttfb',
  'ttlb',
  'url',
  'e',
  'h',
  'ts',
];

const NOISY = [
  'playbackTimeUpdated',
  'playbackProgress',
  'fragmentLoadingProgress',
  'metricAdded',
  'metricChanged',
  'metricUpdated',
  'metricsChanged',
  'log',
  'bufferLevelUpdated',
  'throughputMeasurementStored',
  'fragmentLoadingStarted',
  'fragmentLoadingCompleted',
];

// Runs in the page. Kept as plain ES2017 so it needs no build step.
const START = `
window.__start = function (MediaPlayer, attachQoeReporter) {
  var cfg = window.E2E;
  var video = document.getElementById('video');
  var state = window.e2e = { t0: performance.now(), events: [], counts: {}, ended: false, playing: false, videoHeights: [], waiting: 0 };
  var noisy = new Set(${JSON.stringify(NOISY)});
  var player = MediaPlayer().create();
  var names = new Set(Object.keys(MediaPlayer.events).map(function (k) { return MediaPlayer.events[k]; }));
  names.forEach(function (name) {
    player.on(name, function (e) {
      state.counts[name] = (state.counts[name] || 0) + 1;
      if (name === 'playbackEnded') state.ended = true;
      if (name === 'playbackPlaying') state.playing = true;
      if (name === 'playbackWaiting') state.waiting++;
      if (noisy.has(name)) return;
      var entry = { t: Math.round(performance.now() - state.t0), name: name };
      if (e && e.mediaType) entry.mediaType = e.mediaType;
      if (name === 'qualityChangeRendered' && e.newRepresentation) {
        entry.height = e.newRepresentation.height;
        entry.kbps = e.newRepresentation.bitrateInKbit;
        entry.from = e.oldRepresentation ? e.oldRepresentation.height || e.oldRepresentation.bitrateInKbit : null;
        if (e.mediaType === 'video') state.videoHeights.push(e.newRepresentation.height);
      }
      if (name === 'error') entry.error = JSON.stringify(e.error && (e.error.message || e.error)).slice(0, 300);
      state.events.push(entry);
    });
  });
  var qoe = attachQoeReporter(player, { endpoint: cfg.endpoint, contentId: cfg.contentId, viewerId: 'e2e-viewer', heartbeatSeconds: cfg.heartbeatSeconds });
  var streaming = {
    // a small buffer, so that throttling the network leads to a stall within seconds
    buffer: { bufferTimeDefault: 4, bufferTimeAtTopQuality: 4, bufferTimeAtTopQualityLongForm: 4 },
  };
  if (cfg.cmcd) {
    streaming.cmcd = {
      enabled: true, version: 2, sid: qoe.sessionId, cid: cfg.contentId,
      eventTargets: [{ enabled: true, url: cfg.cmcd.url, events: ['ps', 'e', 't'], interval: 5, batchSize: 1, enabledKeys: ${JSON.stringify(CMCD_EVENT_KEYS)} }],
    };
  }
  player.updateSettings({ debug: { logLevel: 2 }, streaming: streaming });
  window.player = player;
  window.qoe = qoe;
  player.initialize(video, cfg.manifestUrl, true);
};
`;

export function pageHtml(form: PageForm): string {
  const load =
    form === 'module'
      ? `<script type="module">
import { MediaPlayer } from '/dashjs/esm/dash.all.min.js';
import { attachQoeReporter } from '/reporter/qoe-reporter.mjs';
window.__start(MediaPlayer, attachQoeReporter);
</script>`
      : `<script src="/dashjs/umd/dash.all.min.js"></script>
<script src="/reporter/qoe-reporter.iife.js"></script>
<script>window.__start(dashjs.MediaPlayer, QoeReporter.attachQoeReporter);</script>`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>QoE reporter e2e</title></head>
<body>
<video id="video" muted playsinline width="640" height="360"></video>
<script>${START}</script>
${load}
</body></html>
`;
}
