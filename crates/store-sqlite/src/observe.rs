//! Metric rows, alarms and alarm history (issue 5): the writes (run by the writer thread, in its
//! transaction) and the reads.

use rusqlite::{Connection, OptionalExtension, Row, params};
use store::observe::{dimensions_from, dimensions_text, values_from, values_text};
use store::{AlarmHistoryRecord, AlarmRecord, AlarmStateChange, Error, MetricRow};

use crate::versions::Outcome;
use crate::{OrBackend, prepare};

/// A change to metrics or alarms.
#[derive(Debug)]
pub(crate) enum ObserveWrite {
    MetricRows(Vec<MetricRow>, i64),
    PutAlarm(Box<AlarmRecord>, AlarmHistoryRecord),
    DeleteAlarms(Vec<String>),
    SetAlarmState(Box<AlarmStateChange>),
}

/// Applies one write inside the writer's transaction.
pub(crate) fn apply(connection: &Connection, write: &ObserveWrite) -> store::Result<Outcome> {
    match write {
        ObserveWrite::MetricRows(rows, prune_before_ms) => {
            put_metric_rows(connection, rows, *prune_before_ms).map(|()| Outcome::Done)
        }
        ObserveWrite::PutAlarm(record, history) => {
            let existed = prepare(
                connection,
                "UPDATE alarms SET config = $1, config_updated_ms = $2 WHERE name = $3",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    record.config,
                    record.config_updated_ms,
                    record.name
                ])
            })
            .or_backend()?
                > 0;
            if !existed {
                prepare(
                    connection,
                    "INSERT INTO alarms (name, config, config_updated_ms, state_value, \
                         state_reason, state_reason_data, state_updated_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        record.name,
                        record.config,
                        record.config_updated_ms,
                        record.state_value,
                        record.state_reason,
                        record.state_reason_data,
                        record.state_updated_ms
                    ])
                })
                .or_backend()?;
            }
            append_history(connection, history)?;
            Ok(Outcome::Existed(existed))
        }
        ObserveWrite::DeleteAlarms(names) => {
            for sql in [
                "DELETE FROM alarms WHERE name = $1",
                "DELETE FROM alarm_history WHERE alarm_name = $1",
            ] {
                let mut statement = prepare(connection, sql).or_backend()?;
                for name in names {
                    statement.execute([name]).or_backend()?;
                }
            }
            Ok(Outcome::Done)
        }
        ObserveWrite::SetAlarmState(change) => {
            let updated = prepare(
                connection,
                "UPDATE alarms SET state_value = $1, state_reason = $2, state_reason_data = $3, \
                     state_updated_ms = $4 WHERE name = $5",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    change.state_value,
                    change.state_reason,
                    change.state_reason_data,
                    change.state_updated_ms,
                    change.name
                ])
            })
            .or_backend()?;
            if updated == 0 {
                return Err(Error::NotFound(change.name.clone()));
            }
            if let Some(history) = &change.history {
                append_history(connection, history)?;
            }
            Ok(Outcome::Done)
        }
    }
}

fn put_metric_rows(
    connection: &Connection,
    rows: &[MetricRow],
    prune_before_ms: i64,
) -> store::Result<()> {
    let mut select = prepare(
        connection,
        "SELECT sample_values FROM metric_rows \
             WHERE namespace = $1 AND name = $2 AND dimensions = $3 AND bucket_ms = $4",
    )
    .or_backend()?;
    let mut upsert = prepare(
        connection,
        "INSERT INTO metric_rows (namespace, name, dimensions, bucket_ms, unit, sample_values) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (namespace, name, dimensions, bucket_ms) \
             DO UPDATE SET unit = excluded.unit, sample_values = excluded.sample_values",
    )
    .or_backend()?;
    for row in rows {
        let dimensions = dimensions_text(&row.dimensions);
        let existing: Option<String> = select
            .query_row(
                params![row.namespace, row.name, dimensions, row.bucket_ms],
                |found| found.get(0),
            )
            .optional()
            .or_backend()?;
        let mut values = match existing {
            Some(text) => values_from(&text)?,
            None => Vec::new(),
        };
        store::observe::merge_values(&mut values, &row.values);
        upsert
            .execute(params![
                row.namespace,
                row.name,
                dimensions,
                row.bucket_ms,
                row.unit,
                values_text(&values)
            ])
            .or_backend()?;
    }
    prepare(connection, "DELETE FROM metric_rows WHERE bucket_ms < $1")
        .and_then(|mut statement| statement.execute([prune_before_ms]))
        .or_backend()?;
    Ok(())
}

fn append_history(connection: &Connection, item: &AlarmHistoryRecord) -> store::Result<()> {
    prepare(
        connection,
        "INSERT INTO alarm_history (alarm_name, timestamp_ms, item_type, summary, data) \
             VALUES ($1, $2, $3, $4, $5)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            item.alarm_name,
            item.timestamp_ms,
            item.item_type,
            item.summary,
            item.data
        ])
    })
    .or_backend()?;
    Ok(())
}

pub(crate) fn metric_rows(connection: &Connection, since_ms: i64) -> store::Result<Vec<MetricRow>> {
    let mut statement = prepare(
        connection,
        "SELECT namespace, name, dimensions, bucket_ms, unit, sample_values FROM metric_rows \
             WHERE bucket_ms >= $1 ORDER BY bucket_ms",
    )
    .or_backend()?;
    let raw = statement
        .query_map([since_ms], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
            ))
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .or_backend()?;
    raw.into_iter()
        .map(|(namespace, name, dimensions, bucket_ms, unit, values)| {
            Ok(MetricRow {
                namespace,
                name,
                dimensions: dimensions_from(&dimensions),
                unit,
                bucket_ms,
                values: values_from(&values)?,
            })
        })
        .collect()
}

const ALARM_COLUMNS: &str = "name, config, config_updated_ms, state_value, state_reason, \
    state_reason_data, state_updated_ms";

fn alarm(row: &Row<'_>) -> rusqlite::Result<AlarmRecord> {
    Ok(AlarmRecord {
        name: row.get(0)?,
        config: row.get(1)?,
        config_updated_ms: row.get(2)?,
        state_value: row.get(3)?,
        state_reason: row.get(4)?,
        state_reason_data: row.get(5)?,
        state_updated_ms: row.get(6)?,
    })
}

pub(crate) fn get_alarm(connection: &Connection, name: &str) -> store::Result<AlarmRecord> {
    prepare(
        connection,
        &format!("SELECT {ALARM_COLUMNS} FROM alarms WHERE name = $1"),
    )
    .and_then(|mut statement| statement.query_row([name], alarm).optional())
    .or_backend()?
    .ok_or_else(|| Error::NotFound(name.to_owned()))
}

pub(crate) fn list_alarms(connection: &Connection) -> store::Result<Vec<AlarmRecord>> {
    prepare(
        connection,
        &format!("SELECT {ALARM_COLUMNS} FROM alarms ORDER BY name"),
    )
    .and_then(|mut statement| {
        statement
            .query_map([], alarm)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    })
    .or_backend()
}

pub(crate) fn alarm_history(
    connection: &Connection,
    name: Option<&str>,
) -> store::Result<Vec<AlarmHistoryRecord>> {
    let item = |row: &Row<'_>| {
        Ok(AlarmHistoryRecord {
            alarm_name: row.get(0)?,
            timestamp_ms: row.get(1)?,
            item_type: row.get(2)?,
            summary: row.get(3)?,
            data: row.get(4)?,
        })
    };
    let columns = "alarm_name, timestamp_ms, item_type, summary, data";
    match name {
        Some(name) => prepare(
            connection,
            &format!("SELECT {columns} FROM alarm_history WHERE alarm_name = $1 ORDER BY seq DESC"),
        )
        .and_then(|mut statement| {
            statement
                .query_map([name], item)
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        }),
        None => prepare(
            connection,
            &format!("SELECT {columns} FROM alarm_history ORDER BY seq DESC"),
        )
        .and_then(|mut statement| {
            statement
                .query_map([], item)
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        }),
    }
    .or_backend()
}
