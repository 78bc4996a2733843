//! Stacks and their events: a put is checked against the stored `revision`, under the write
//! lock, so that two writers that read the same stack cannot both write it.

use store::stacks::check_revision;
use store::{Error, Page, PageRequest, StackEventRecord, StackPut, StackRecord};
use tokio_postgres::{GenericClient, Row, Transaction};

use crate::{OrBackend, invalid_token, to_i64};

const COLUMNS: &str = "name, stack_id, status, status_reason, client_request_token, created_ms, \
    updated_ms, document, revision";

fn record(row: &Row) -> StackRecord {
    let revision: i64 = row.get(8);
    StackRecord {
        name: row.get(0),
        stack_id: row.get(1),
        status: row.get(2),
        status_reason: row.get(3),
        client_request_token: row.get(4),
        created_ms: row.get(5),
        updated_ms: row.get(6),
        document: row.get(7),
        revision: u64::try_from(revision).unwrap_or_default(),
    }
}

pub(crate) async fn put(tx: &Transaction<'_>, put: &StackPut) -> store::Result<()> {
    let record = &put.record;
    let stored = match get(tx, &record.name).await {
        Ok(stored) => stored.revision,
        Err(Error::NotFound(_)) => 0,
        Err(error) => return Err(error),
    };
    check_revision(&record.name, stored, record.revision)?;
    tx.execute(
        &format!(
            "INSERT INTO stacks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (name) DO UPDATE SET stack_id = excluded.stack_id, \
             status = excluded.status, status_reason = excluded.status_reason, \
             client_request_token = excluded.client_request_token, \
             created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, \
             document = excluded.document, revision = excluded.revision"
        ),
        &[
            &record.name,
            &record.stack_id,
            &record.status,
            &record.status_reason,
            &record.client_request_token,
            &record.created_ms,
            &record.updated_ms,
            &record.document,
            &to_i64(record.revision).unwrap_or(i64::MAX),
        ],
    )
    .await
    .or_backend()?;
    for event in &put.events {
        tx.execute(
            "INSERT INTO stack_events (stack_name, event_id, timestamp_ms, json) \
             VALUES ($1, $2, $3, $4)",
            &[
                &event.stack_name,
                &event.event_id,
                &event.timestamp_ms,
                &event.json,
            ],
        )
        .await
        .or_backend()?;
    }
    Ok(())
}

pub(crate) async fn delete(tx: &Transaction<'_>, name: &str) -> store::Result<()> {
    let deleted = tx
        .execute("DELETE FROM stacks WHERE name = $1", &[&name])
        .await
        .or_backend()?;
    if deleted == 0 {
        return Err(Error::NotFound(name.to_owned()));
    }
    tx.execute("DELETE FROM stack_events WHERE stack_name = $1", &[&name])
        .await
        .or_backend()?;
    Ok(())
}

pub(crate) async fn get(db: &impl GenericClient, name: &str) -> store::Result<StackRecord> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM stacks WHERE name = $1"),
        &[&name],
    )
    .await
    .or_backend()?
    .map(|row| record(&row))
    .ok_or_else(|| Error::NotFound(name.to_owned()))
}

pub(crate) async fn list(
    db: &impl GenericClient,
    page: &PageRequest,
) -> store::Result<Page<StackRecord>> {
    let limit = page.effective_limit();
    let rows = db
        .query(
            &format!("SELECT {COLUMNS} FROM stacks WHERE name > $1 ORDER BY name LIMIT $2"),
            &[
                &page.token.clone().unwrap_or_default(),
                &to_i64(limit as u64 + 1).unwrap_or(i64::MAX),
            ],
        )
        .await
        .or_backend()?;
    Ok(crate::into_page(
        rows.iter().map(record).collect(),
        limit,
        |record| record.name.clone(),
    ))
}

pub(crate) async fn events(
    db: &impl GenericClient,
    name: &str,
    page: &PageRequest,
) -> store::Result<Page<StackEventRecord>> {
    get(db, name).await?;
    let limit = page.effective_limit();
    let before: i64 = match &page.token {
        Some(token) => token.parse().map_err(|_| invalid_token(token))?,
        None => i64::MAX,
    };
    let rows = db
        .query(
            "SELECT seq, stack_name, event_id, timestamp_ms, json FROM stack_events \
             WHERE stack_name = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
            &[
                &name,
                &before,
                &to_i64(limit as u64 + 1).unwrap_or(i64::MAX),
            ],
        )
        .await
        .or_backend()?;
    let mut items: Vec<(i64, StackEventRecord)> = rows
        .iter()
        .map(|row| {
            (
                row.get(0),
                StackEventRecord {
                    stack_name: row.get(1),
                    event_id: row.get(2),
                    timestamp_ms: row.get(3),
                    json: row.get(4),
                },
            )
        })
        .collect();
    let more = items.len() > limit;
    items.truncate(limit);
    let next_token = more
        .then(|| items.last().map(|(seq, _)| seq.to_string()))
        .flatten();
    Ok(Page {
        items: items.into_iter().map(|(_, event)| event).collect(),
        next_token,
    })
}
