//! Metric rows and alarms. Rows are merged into what is stored for their bucket (a row read and
//! rewritten under the write lock); alarm changes append to the alarm's history in the same
//! transaction.

use store::{AlarmHistoryRecord, AlarmRecord, AlarmStateChange, Error, MetricRow};
use tokio_postgres::{GenericClient, Row, Transaction};

use store::observe::{dimensions_from, dimensions_text, values_from, values_text};

use crate::OrBackend;

pub(crate) async fn put_metric_rows(
    tx: &Transaction<'_>,
    rows: &[MetricRow],
    prune_before_ms: i64,
    node: i64,
) -> store::Result<()> {
    if node != 0 && !rows.is_empty() {
        // The other nodes of the cluster read these back (`cluster::metric_deltas`).
        tx.execute(
            "INSERT INTO metric_deltas (node, created_ms, rows) \
             VALUES ($1, switchback_now_ms(), $2)",
            &[&node, &store::observe::rows_text(rows)],
        )
        .await
        .or_backend()?;
        tx.execute(
            "DELETE FROM metric_deltas WHERE created_ms < switchback_now_ms() - 120000",
            &[],
        )
        .await
        .or_backend()?;
    }
    let select = tx
        .prepare(
            "SELECT sample_values FROM metric_rows \
             WHERE namespace = $1 AND name = $2 AND dimensions = $3 AND bucket_ms = $4",
        )
        .await
        .or_backend()?;
    let upsert = tx
        .prepare(
            "INSERT INTO metric_rows (namespace, name, dimensions, bucket_ms, unit, sample_values) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (namespace, name, dimensions, bucket_ms) \
             DO UPDATE SET unit = excluded.unit, sample_values = excluded.sample_values",
        )
        .await
        .or_backend()?;
    // In key order: two nodes merging rows of the same buckets lock them in the same order.
    let mut sorted: Vec<&MetricRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.namespace, &a.name, &a.dimensions, a.bucket_ms).cmp(&(
            &b.namespace,
            &b.name,
            &b.dimensions,
            b.bucket_ms,
        ))
    });
    for row in sorted {
        let dimensions = dimensions_text(&row.dimensions);
        let existing = tx
            .query_opt(
                &select,
                &[&row.namespace, &row.name, &dimensions, &row.bucket_ms],
            )
            .await
            .or_backend()?;
        let mut values = match existing {
            Some(found) => values_from(found.get(0))?,
            None => Vec::new(),
        };
        store::observe::merge_values(&mut values, &row.values);
        tx.execute(
            &upsert,
            &[
                &row.namespace,
                &row.name,
                &dimensions,
                &row.bucket_ms,
                &row.unit,
                &values_text(&values),
            ],
        )
        .await
        .or_backend()?;
    }
    tx.execute(
        "DELETE FROM metric_rows WHERE bucket_ms < $1",
        &[&prune_before_ms],
    )
    .await
    .or_backend()?;
    Ok(())
}

pub(crate) async fn metric_rows(
    db: &impl GenericClient,
    since_ms: i64,
) -> store::Result<Vec<MetricRow>> {
    db.query(
        "SELECT namespace, name, dimensions, bucket_ms, unit, sample_values FROM metric_rows \
         WHERE bucket_ms >= $1 ORDER BY bucket_ms",
        &[&since_ms],
    )
    .await
    .or_backend()?
    .iter()
    .map(|row| {
        Ok(MetricRow {
            namespace: row.get(0),
            name: row.get(1),
            dimensions: dimensions_from(row.get(2)),
            bucket_ms: row.get(3),
            unit: row.get(4),
            values: values_from(row.get(5))?,
        })
    })
    .collect()
}

async fn append_history(tx: &Transaction<'_>, item: &AlarmHistoryRecord) -> store::Result<()> {
    tx.execute(
        "INSERT INTO alarm_history (alarm_name, timestamp_ms, item_type, summary, data) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &item.alarm_name,
            &item.timestamp_ms,
            &item.item_type,
            &item.summary,
            &item.data,
        ],
    )
    .await
    .or_backend()?;
    Ok(())
}

/// Creates or reconfigures an alarm (its state stays); answers whether it existed.
pub(crate) async fn put_alarm(
    tx: &Transaction<'_>,
    record: &AlarmRecord,
    history: &AlarmHistoryRecord,
) -> store::Result<bool> {
    let existed = tx
        .execute(
            "UPDATE alarms SET config = $1, config_updated_ms = $2 WHERE name = $3",
            &[&record.config, &record.config_updated_ms, &record.name],
        )
        .await
        .or_backend()?
        > 0;
    if !existed {
        tx.execute(
            "INSERT INTO alarms (name, config, config_updated_ms, state_value, state_reason, \
             state_reason_data, state_updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &record.name,
                &record.config,
                &record.config_updated_ms,
                &record.state_value,
                &record.state_reason,
                &record.state_reason_data,
                &record.state_updated_ms,
            ],
        )
        .await
        .or_backend()?;
    }
    append_history(tx, history).await?;
    Ok(existed)
}

pub(crate) async fn delete_alarms(tx: &Transaction<'_>, names: &[String]) -> store::Result<()> {
    for sql in [
        "DELETE FROM alarms WHERE name = $1",
        "DELETE FROM alarm_history WHERE alarm_name = $1",
    ] {
        for name in names {
            tx.execute(sql, &[name]).await.or_backend()?;
        }
    }
    Ok(())
}

pub(crate) async fn set_alarm_state(
    tx: &Transaction<'_>,
    change: &AlarmStateChange,
) -> store::Result<()> {
    let updated = tx
        .execute(
            "UPDATE alarms SET state_value = $1, state_reason = $2, state_reason_data = $3, \
             state_updated_ms = $4 WHERE name = $5",
            &[
                &change.state_value,
                &change.state_reason,
                &change.state_reason_data,
                &change.state_updated_ms,
                &change.name,
            ],
        )
        .await
        .or_backend()?;
    if updated == 0 {
        return Err(Error::NotFound(change.name.clone()));
    }
    if let Some(history) = &change.history {
        append_history(tx, history).await?;
    }
    Ok(())
}

const ALARM_COLUMNS: &str = "name, config, config_updated_ms, state_value, state_reason, \
    state_reason_data, state_updated_ms";

fn alarm(row: &Row) -> AlarmRecord {
    AlarmRecord {
        name: row.get(0),
        config: row.get(1),
        config_updated_ms: row.get(2),
        state_value: row.get(3),
        state_reason: row.get(4),
        state_reason_data: row.get(5),
        state_updated_ms: row.get(6),
    }
}

pub(crate) async fn get_alarm(db: &impl GenericClient, name: &str) -> store::Result<AlarmRecord> {
    db.query_opt(
        &format!("SELECT {ALARM_COLUMNS} FROM alarms WHERE name = $1"),
        &[&name],
    )
    .await
    .or_backend()?
    .map(|row| alarm(&row))
    .ok_or_else(|| Error::NotFound(name.to_owned()))
}

pub(crate) async fn list_alarms(db: &impl GenericClient) -> store::Result<Vec<AlarmRecord>> {
    Ok(db
        .query(
            &format!("SELECT {ALARM_COLUMNS} FROM alarms ORDER BY name"),
            &[],
        )
        .await
        .or_backend()?
        .iter()
        .map(alarm)
        .collect())
}

pub(crate) async fn alarm_history(
    db: &impl GenericClient,
    name: Option<&str>,
) -> store::Result<Vec<AlarmHistoryRecord>> {
    let columns = "alarm_name, timestamp_ms, item_type, summary, data";
    let rows = match name {
        Some(name) => {
            db.query(
                &format!(
                    "SELECT {columns} FROM alarm_history WHERE alarm_name = $1 ORDER BY seq DESC"
                ),
                &[&name],
            )
            .await
        }
        None => {
            db.query(
                &format!("SELECT {columns} FROM alarm_history ORDER BY seq DESC"),
                &[],
            )
            .await
        }
    }
    .or_backend()?;
    Ok(rows
        .iter()
        .map(|row| AlarmHistoryRecord {
            alarm_name: row.get(0),
            timestamp_ms: row.get(1),
            item_type: row.get(2),
            summary: row.get(3),
            data: row.get(4),
        })
        .collect())
}
