// Browser entry point of the QoE reporter (bundled by `npm run build:player` into
// dist/player/qoe-reporter.mjs and dist/player/qoe-reporter.iife.js, global `QoeReporter`).
export { attachQoeReporter, DASH_EVENTS } from './reporter.js';
export type {
  DashPlayerLike,
  EndReason,
  QoeBeacon,
  QoeEventType,
  QoeReporterHandle,
  QoeReporterOptions,
  RepresentationLike,
} from './types.js';
