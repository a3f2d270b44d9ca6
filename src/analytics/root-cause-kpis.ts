// The session KPIs anomaly detection and root cause watch: which sessions count for each, what
// one session contributes (value x, weight w: the KPI is sum(w*x)/sum(w)), which direction is
// worse, and how sure and how large a change must be before it is called an anomaly.
import type { QoeSession } from './root-cause-sessions.js';

export { DIMENSIONS, type DimensionName } from './root-cause-sessions.js';

export const KPI_NAMES = [
  'vsf_rate',
  'ebvs_rate',
  'playback_failure_rate',
  'rebuffering_ratio',
  'startup_p95_ms',
  'avg_bitrate_kbps',
  'qoe_score',
] as const;
export type KpiName = (typeof KPI_NAMES)[number];

export interface KpiDefinition {
  name: KpiName;
  /** +1: a higher value is worse (failure rates, startup); -1: a lower value is worse (bitrate, score). */
  worse: 1 | -1;
  /** Rates of sessions: x in {0,1}, w = 1, tested as proportions. */
  proportion: boolean;
  /** The KPI is the 95th percentile of `x` (startup): contrasts test the share of sessions above the baseline's p95. */
  percentile?: 95;
  /** Sensitivity: the one-sided z score a bin must reach (higher = fewer, stronger alerts). */
  zThreshold: number;
  /** And the change must matter: at least this relative and this absolute worsening. */
  minRelative: number;
  minAbsolute: number;
  /** What one session contributes, or null when it is not in this KPI's population. */
  sample(s: QoeSession): { x: number; w: number } | null;
}

const rate = (
  name: KpiName,
  inPopulation: (s: QoeSession) => boolean,
  bad: (s: QoeSession) => boolean,
  minAbsolute: number,
): KpiDefinition => ({
  name,
  worse: 1,
  proportion: true,
  zThreshold: 4,
  minRelative: 0.3,
  minAbsolute,
  sample: (s) => (inPopulation(s) ? { x: bad(s) ? 1 : 0, w: 1 } : null),
});

export const KPIS: Record<KpiName, KpiDefinition> = {
  // Over attempts (docs/kpis.md once issue 17 lands it; until then src/analytics/kpis.ts).
  vsf_rate: rate(
    'vsf_rate',
    (s) => s.attempt,
    (s) => s.vsf,
    0.01,
  ),
  ebvs_rate: rate(
    'ebvs_rate',
    (s) => s.attempt,
    (s) => s.ebvs,
    0.02,
  ),
  playback_failure_rate: rate(
    'playback_failure_rate',
    (s) => s.started,
    (s) => s.playbackFailure,
    0.01,
  ),
  rebuffering_ratio: {
    name: 'rebuffering_ratio',
    worse: 1,
    proportion: false,
    zThreshold: 4,
    minRelative: 0.3,
    minAbsolute: 0.005,
    sample: (s) => (s.started && s.watchMs > 0 ? { x: s.stallMs / s.watchMs, w: s.watchMs } : null),
  },
  startup_p95_ms: {
    name: 'startup_p95_ms',
    worse: 1,
    proportion: true,
    percentile: 95,
    zThreshold: 4,
    minRelative: 0.2,
    minAbsolute: 250,
    sample: (s) => (s.started && s.startupMs !== null ? { x: s.startupMs, w: 1 } : null),
  },
  avg_bitrate_kbps: {
    name: 'avg_bitrate_kbps',
    worse: -1,
    proportion: false,
    zThreshold: 5,
    minRelative: 0.15,
    minAbsolute: 200,
    sample: (s) => (s.started && s.watchMs > 0 && s.avgBitrateKbps !== null ? { x: s.avgBitrateKbps, w: s.watchMs } : null),
  },
  qoe_score: {
    name: 'qoe_score',
    worse: -1,
    proportion: false,
    zThreshold: 5,
    minRelative: 0.1,
    minAbsolute: 5,
    sample: (s) => (s.qoeScore !== null ? { x: s.qoeScore, w: 1 } : null),
  },
};

export const isKpiName = (s: string): s is KpiName => (KPI_NAMES as readonly string[]).includes(s);

/** Is a change from `baseline` to `value` large enough to matter (in the KPI's worse direction)? */
export function mattersEnough(kpi: KpiDefinition, value: number | null, baseline: number | null): boolean {
  if (value === null || baseline === null) return false;
  const worseBy = (value - baseline) * kpi.worse;
  return worseBy >= kpi.minAbsolute && worseBy >= kpi.minRelative * Math.abs(baseline);
}

/** The q-th percentile (nearest rank) of numbers, or null for none. */
export function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1))]!;
}
