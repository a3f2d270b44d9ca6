// The alerting KQL, kept apart so `npm run kql:check` analyses it against the schema the versioned
// scripts build. Every value travels as a query parameter (`declare query_parameters`); nothing
// is ever pasted into these texts.

/**
 * Anomalous points in [start, end), one row each: the contract of DetectQoeAnomalies (kql/V004).
 * The explicit `project` makes the contract visible to kql:check: a renamed column fails it.
 */
export const DETECT_ANOMALIES = `declare query_parameters(start:datetime, end:datetime, binSize:timespan, threshold:real, minSessions:long);
DetectQoeAnomalies(start, end, binSize, threshold, minSessions)
| project Timestamp, Kpi, Dimension, DimensionValue, Value, Baseline, Score, Direction, Sessions`;

/** Keys of the anomalies already stored for bins in [since, until): those were handled before. */
export const STORED_KEYS = `declare query_parameters(since:datetime, until:datetime);
QoeAnomalies
| where Timestamp >= since and Timestamp < until
| distinct AlertKey`;

/** Every query the alerting code sends, by name (kql:check reports problems under these names). */
export const ALERT_QUERIES: Record<string, string> = { DETECT_ANOMALIES, STORED_KEYS };
