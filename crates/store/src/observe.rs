//! What the service keeps about itself (issue 5): metric aggregates and CloudWatch metric alarms
//! with their state history.
//!
//! Metrics are kept as **per-bucket rows** ([`MetricRow`]: one metric, one bucket of the
//! in-memory series' resolution, every distinct value with how often it was seen), written in
//! batches by the runtime's flusher and read back once at start-up; rows older than the
//! retention window are dropped with each batch. The store does not interpret metrics: the
//! runtime rebuilds its `metrics::Series` from the rows.
//!
//! Alarms are kept as their configuration (JSON text in the API's member names, which only the
//! API reads) and their current state in columns; every state change appends a history item in
//! the same transaction ([`Alarms::set_alarm_state`]).

use async_trait::async_trait;

use crate::Result;

/// One metric's samples in one bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// The namespace (`AWS/States`).
    pub namespace: String,
    /// The metric name (`ExecutionsFailed`).
    pub name: String,
    /// The exact dimension set, sorted by name.
    pub dimensions: Vec<(String, String)>,
    /// CloudWatch's unit name (`Count`).
    pub unit: String,
    /// The start of the bucket, epoch milliseconds (of the metric clock).
    pub bucket_ms: i64,
    /// Every distinct value in the bucket and how many samples had it. Counters have one or
    /// two entries, whatever the rate, so a row stays small.
    pub values: Vec<(f64, u64)>,
}

/// A metric alarm: its configuration and current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmRecord {
    /// The alarm's name (its key).
    pub name: String,
    /// The configuration as JSON text (the `PutMetricAlarm` members).
    pub config: String,
    /// When the configuration last changed, epoch milliseconds.
    pub config_updated_ms: i64,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state_value: String,
    /// The state's reason text.
    pub state_reason: String,
    /// The state's reason data (JSON text), if any.
    pub state_reason_data: Option<String>,
    /// When the state last changed, epoch milliseconds.
    pub state_updated_ms: i64,
}

/// One item of an alarm's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmHistoryRecord {
    /// The alarm's name.
    pub alarm_name: String,
    /// When, epoch milliseconds.
    pub timestamp_ms: i64,
    /// `StateUpdate`, `ConfigurationUpdate` or `Action`.
    pub item_type: String,
    /// The summary line.
    pub summary: String,
    /// The history data (JSON text).
    pub data: String,
}

/// A change of an alarm's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmStateChange {
    /// The alarm.
    pub name: String,
    /// The new state value.
    pub state_value: String,
    /// The new reason.
    pub state_reason: String,
    /// The new reason data.
    pub state_reason_data: Option<String>,
    /// When it changed.
    pub state_updated_ms: i64,
    /// The history item recorded with it, if any.
    pub history: Option<AlarmHistoryRecord>,
}

/// Metric aggregates, kept for a retention window.
#[async_trait]
pub trait MetricData: Send + Sync {
    /// Adds rows (a row for a metric and bucket already stored merges its values in) and drops
    /// every row whose bucket starts before `prune_before_ms`, in one transaction.
    async fn put_metric_rows(&self, rows: Vec<MetricRow>, prune_before_ms: i64) -> Result<()>;
    /// Every row whose bucket starts at or after `since_ms`, oldest first.
    async fn metric_rows(&self, since_ms: i64) -> Result<Vec<MetricRow>>;
}

/// Metric alarms and their history.
#[async_trait]
pub trait Alarms: Send + Sync {
    /// Creates an alarm, or replaces the configuration of an existing one (keeping its state),
    /// and records the history item, in one transaction. Answers whether it existed.
    async fn put_alarm(&self, record: AlarmRecord, history: AlarmHistoryRecord) -> Result<bool>;
    /// One alarm; `NotFound` when there is none.
    async fn get_alarm(&self, name: &str) -> Result<AlarmRecord>;
    /// Every alarm, in order of name.
    async fn list_alarms(&self) -> Result<Vec<AlarmRecord>>;
    /// Deletes the alarms named (and their history); names that do not exist are skipped.
    async fn delete_alarms(&self, names: Vec<String>) -> Result<()>;
    /// Sets an alarm's state and appends its history item, in one transaction; `NotFound` when
    /// the alarm is gone.
    async fn set_alarm_state(&self, change: AlarmStateChange) -> Result<()>;
    /// The history of one alarm (or of all), newest first.
    async fn alarm_history(&self, name: Option<&str>) -> Result<Vec<AlarmHistoryRecord>>;
}

/// Adds `more` to `values`: counts of equal values add up (for backends that merge rows).
pub fn merge_values(values: &mut Vec<(f64, u64)>, more: &[(f64, u64)]) {
    for (value, count) in more {
        match values.iter_mut().find(|(known, _)| known == value) {
            Some((_, known_count)) => *known_count += count,
            None => values.push((*value, *count)),
        }
    }
}

// How the SQL backends keep a metric row's dimensions and values in one text column each:
// dimensions as `name US value` joined by RS (neither may appear in a CloudWatch name or
// value), values as `value:count` joined by `;`.
const UNIT_SEPARATOR: char = '\u{1f}';
const RECORD_SEPARATOR: char = '\u{1e}';

/// A row's dimensions as the SQL backends store them.
pub fn dimensions_text(dimensions: &[(String, String)]) -> String {
    dimensions
        .iter()
        .map(|(name, value)| format!("{name}{UNIT_SEPARATOR}{value}"))
        .collect::<Vec<_>>()
        .join(&RECORD_SEPARATOR.to_string())
}

/// The dimensions of [`dimensions_text`].
pub fn dimensions_from(text: &str) -> Vec<(String, String)> {
    text.split(RECORD_SEPARATOR)
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| pair.split_once(UNIT_SEPARATOR))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// A row's values as the SQL backends store them.
pub fn values_text(values: &[(f64, u64)]) -> String {
    values
        .iter()
        .map(|(value, count)| format!("{value}:{count}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// The values of [`values_text`]; a malformed pair is a `Backend` error.
pub fn values_from(text: &str) -> crate::Result<Vec<(f64, u64)>> {
    text.split(';')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let parsed = pair
                .split_once(':')
                .and_then(|(value, count)| Some((value.parse().ok()?, count.parse().ok()?)));
            parsed.ok_or_else(|| {
                crate::Error::Backend(format!("a corrupt metric row value {pair:?}"))
            })
        })
        .collect()
}

/// Between the fields of a row in [`rows_text`] (the group separator).
const FIELD_SEPARATOR: char = '\u{1d}';

/// Between the rows of [`rows_text`] (the file separator).
const ROW_SEPARATOR: char = '\u{1c}';

/// Rows as one text, for a backend to pass them between nodes (the SQL backends' separators
/// inside a field are other control characters).
pub fn rows_text(rows: &[MetricRow]) -> String {
    rows.iter()
        .map(|row| {
            [
                row.namespace.as_str(),
                row.name.as_str(),
                &dimensions_text(&row.dimensions),
                row.unit.as_str(),
                &row.bucket_ms.to_string(),
                &values_text(&row.values),
            ]
            .join(&FIELD_SEPARATOR.to_string())
        })
        .collect::<Vec<_>>()
        .join(&ROW_SEPARATOR.to_string())
}

/// The rows of [`rows_text`]; a malformed row is a `Backend` error.
pub fn rows_from(text: &str) -> crate::Result<Vec<MetricRow>> {
    text.split(ROW_SEPARATOR)
        .filter(|row| !row.is_empty())
        .map(|row| {
            let fields: Vec<&str> = row.split(FIELD_SEPARATOR).collect();
            let [namespace, name, dimensions, unit, bucket_ms, values] = fields[..] else {
                return Err(crate::Error::Backend(format!(
                    "a corrupt metric row {row:?}"
                )));
            };
            Ok(MetricRow {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                dimensions: dimensions_from(dimensions),
                unit: unit.to_owned(),
                bucket_ms: bucket_ms.parse().map_err(|_| {
                    crate::Error::Backend(format!("a corrupt metric row time {bucket_ms:?}"))
                })?,
                values: values_from(values)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_as_written() {
        let rows = vec![
            MetricRow {
                namespace: "AWS/States".to_owned(),
                name: "ExecutionsFailed".to_owned(),
                dimensions: vec![
                    ("Alias".to_owned(), "main".to_owned()),
                    ("StateMachineArn".to_owned(), "arn:aws:states:x".to_owned()),
                ],
                unit: "Count".to_owned(),
                bucket_ms: 1_700_000_000_000,
                values: vec![(1.0, 3)],
            },
            MetricRow {
                namespace: "AWS/States".to_owned(),
                name: "ExecutionTime".to_owned(),
                dimensions: Vec::new(),
                unit: "Milliseconds".to_owned(),
                bucket_ms: -1000,
                values: vec![(12.5, 1), (40.0, 2)],
            },
        ];
        assert_eq!(rows_from(&rows_text(&rows)).unwrap(), rows);
        assert_eq!(rows_from("").unwrap(), Vec::new());
        assert!(rows_from("a\u{1d}b").is_err());
    }
}
