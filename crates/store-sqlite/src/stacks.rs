//! Stacks: the write of a stack with its events (run by the writer thread, one transaction) and
//! the reads.

use rusqlite::{Connection, OptionalExtension, Row, params};
use store::stacks::check_revision;
use store::{Error, Page, PageRequest, StackEventRecord, StackPut, StackRecord};

use crate::{OrBackend, prepare, to_i64};

const COLUMNS: &str = "name, stack_id, status, status_reason, client_request_token, created_ms, \
    updated_ms, document, revision";

fn record(row: &Row<'_>) -> rusqlite::Result<StackRecord> {
    let revision: i64 = row.get(8)?;
    Ok(StackRecord {
        name: row.get(0)?,
        stack_id: row.get(1)?,
        status: row.get(2)?,
        status_reason: row.get(3)?,
        client_request_token: row.get(4)?,
        created_ms: row.get(5)?,
        updated_ms: row.get(6)?,
        document: row.get(7)?,
        revision: revision as u64,
    })
}

pub(crate) fn put(connection: &Connection, put: &StackPut) -> store::Result<()> {
    let record = &put.record;
    let stored = match get(connection, &record.name) {
        Ok(stored) => stored.revision,
        Err(Error::NotFound(_)) => 0,
        Err(error) => return Err(error),
    };
    check_revision(&record.name, stored, record.revision)?;
    prepare(
        connection,
        &format!(
            "INSERT INTO stacks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (name) DO UPDATE SET stack_id = excluded.stack_id, \
             status = excluded.status, status_reason = excluded.status_reason, \
             client_request_token = excluded.client_request_token, \
             created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, \
             document = excluded.document, revision = excluded.revision"
        ),
    )
    .and_then(|mut statement| {
        statement.execute(params![
            record.name,
            record.stack_id,
            record.status,
            record.status_reason,
            record.client_request_token,
            record.created_ms,
            record.updated_ms,
            record.document,
            to_i64(record.revision).unwrap_or(i64::MAX),
        ])
    })
    .or_backend()?;
    for event in &put.events {
        prepare(
            connection,
            "INSERT INTO stack_events (stack_name, event_id, timestamp_ms, json) \
             VALUES ($1, $2, $3, $4)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                event.stack_name,
                event.event_id,
                event.timestamp_ms,
                event.json
            ])
        })
        .or_backend()?;
    }
    Ok(())
}

pub(crate) fn delete(connection: &Connection, name: &str) -> store::Result<()> {
    let deleted = prepare(connection, "DELETE FROM stacks WHERE name = $1")
        .and_then(|mut statement| statement.execute([name]))
        .or_backend()?;
    if deleted == 0 {
        return Err(Error::NotFound(name.to_owned()));
    }
    prepare(connection, "DELETE FROM stack_events WHERE stack_name = $1")
        .and_then(|mut statement| statement.execute([name]))
        .or_backend()?;
    Ok(())
}

pub(crate) fn get(connection: &Connection, name: &str) -> store::Result<StackRecord> {
    prepare(
        connection,
        &format!("SELECT {COLUMNS} FROM stacks WHERE name = $1"),
    )
    .and_then(|mut statement| statement.query_row([name], record).optional())
    .or_backend()?
    .ok_or_else(|| Error::NotFound(name.to_owned()))
}

pub(crate) fn list(
    connection: &Connection,
    page: &PageRequest,
) -> store::Result<Page<StackRecord>> {
    let limit = page.effective_limit();
    let mut items = prepare(
        connection,
        &format!("SELECT {COLUMNS} FROM stacks WHERE name > $1 ORDER BY name LIMIT $2"),
    )
    .and_then(|mut statement| {
        statement
            .query_map(
                params![
                    page.token.clone().unwrap_or_default(),
                    to_i64(limit as u64 + 1).unwrap_or(i64::MAX)
                ],
                record,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .or_backend()?;
    let more = items.len() > limit;
    items.truncate(limit);
    let next_token = more
        .then(|| items.last().map(|record| record.name.clone()))
        .flatten();
    Ok(Page { items, next_token })
}

pub(crate) fn events(
    connection: &Connection,
    name: &str,
    page: &PageRequest,
) -> store::Result<Page<StackEventRecord>> {
    get(connection, name)?;
    let limit = page.effective_limit();
    let before: i64 = match &page.token {
        Some(token) => token
            .parse()
            .map_err(|_| Error::Conflict(format!("invalid page token {token:?}")))?,
        None => i64::MAX,
    };
    let mut rows = prepare(
        connection,
        "SELECT seq, stack_name, event_id, timestamp_ms, json FROM stack_events \
         WHERE stack_name = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
    )
    .and_then(|mut statement| {
        statement
            .query_map(
                params![name, before, to_i64(limit as u64 + 1).unwrap_or(i64::MAX)],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        StackEventRecord {
                            stack_name: row.get(1)?,
                            event_id: row.get(2)?,
                            timestamp_ms: row.get(3)?,
                            json: row.get(4)?,
                        },
                    ))
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .or_backend()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_token = more
        .then(|| rows.last().map(|(seq, _)| seq.to_string()))
        .flatten();
    Ok(Page {
        items: rows.into_iter().map(|(_, event)| event).collect(),
        next_token,
    })
}
