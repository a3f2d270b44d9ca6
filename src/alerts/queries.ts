// The alerting KQL, kept apart so `npm run kql:check` analyses it against the schema the versioned
// scripts build. Every value travels as a query parameter (`declare query_parameters`); nothing
// is ever pasted into these texts.

/** Keys of the anomalies already stored for bins in [since, until): those were handled before. */
export const STORED_KEYS = `declare query_parameters(since:datetime, until:datetime);
QoeAnomalies
| where Timestamp >= since and Timestamp < until
| distinct AlertKey`;

/**
 * Anomalous bins of the session KPIs in [start, end): the contract of DetectSessionAnomalies (kql/V011).
 * The explicit `project` makes the contract visible to kql:check: a renamed column fails it.
 */
export const DETECT_SESSION_ANOMALIES = `declare query_parameters(start:datetime, end:datetime, binSize:timespan, minAttempts:long, historyDays:long);
DetectSessionAnomalies(start, end, binSize, minAttempts, historyDays)
| project Timestamp, Kpi, Dimension, DimensionValue, Value, Baseline, Score, Direction, Sessions`;

/**
 * Sessions the root-cause ranking contrasts: those of [start, end) and of the same time of day
 * (one bin either side) on each of the historyDays days before; at most maxRows of them.
 */
export const RANKING_SESSIONS = `declare query_parameters(start:datetime, end:datetime, binSize:timespan, historyDays:long, maxRows:long);
let days = range d from 0 to historyDays step 1
    | project From = start - d * 1d - iff(d == 0, 0s, binSize), To = end - d * 1d + iff(d == 0, 0s, binSize), Key = 1;
QoeAnomalySessions(start - historyDays * 1d - binSize, end)
| extend Key = 1
| join kind=inner days on Key
| where FirstSeen >= From and FirstSeen < To
| distinct SessionId, FirstSeen, Country, Region, Asn, Cdn, Os, Browser, DeviceType, PlayerVersion, ContentId,
           Attempt, Started, Vsf, Ebvs, PlaybackFailure, StartupMs, WatchMs, StallMs, AvgBitrateKbps, QoeScore
| take maxRows`;

/** Every query the alerting code sends, by name (kql:check reports problems under these names). */
export const ALERT_QUERIES: Record<string, string> = { DETECT_SESSION_ANOMALIES, RANKING_SESSIONS, STORED_KEYS };
