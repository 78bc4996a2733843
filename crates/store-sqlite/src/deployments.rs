//! Deployments: the writes (run by the writer thread, so that a step and the alias routing it
//! sets commit together) and the reads.

use rusqlite::{Connection, OptionalExtension, Row, params};
use store::deployments::same_routing;
use store::{
    AliasUpdate, DeploymentCommit, DeploymentFilter, DeploymentRecord, Error, Page, PageRequest,
    RoutingChange,
};

use crate::{OrBackend, prepare, to_i64, versions};

/// A change to deployments.
#[derive(Debug)]
pub(crate) enum DeploymentWrite {
    Create(DeploymentCommit),
    Commit(DeploymentCommit),
}

const COLUMNS: &str = "id, state_machine_arn, alias_arn, origin_version_arn, target_version_arn, \
    preference, status, state, timeline, seq, created_ms, updated_ms, next_tick_ms";

fn record(row: &Row<'_>) -> rusqlite::Result<DeploymentRecord> {
    let seq: i64 = row.get(9)?;
    Ok(DeploymentRecord {
        id: row.get(0)?,
        state_machine_arn: row.get(1)?,
        alias_arn: row.get(2)?,
        origin_version_arn: row.get(3)?,
        target_version_arn: row.get(4)?,
        preference: row.get(5)?,
        status: row.get(6)?,
        state: row.get(7)?,
        timeline: row.get(8)?,
        seq: seq as u64,
        created_ms: row.get(10)?,
        updated_ms: row.get(11)?,
        next_tick_ms: row.get(12)?,
    })
}

pub(crate) fn apply(connection: &Connection, write: &DeploymentWrite) -> store::Result<()> {
    match write {
        DeploymentWrite::Create(first) => create(connection, first),
        DeploymentWrite::Commit(step) => commit(connection, step),
    }
}

fn routing_change(connection: &Connection, change: &RoutingChange) -> store::Result<()> {
    let alias = versions::get_alias(connection, &change.alias_arn)?;
    if !same_routing(&alias.routing, &change.expected) {
        return Err(Error::Conflict(format!(
            "the routing of alias {} changed",
            change.alias_arn
        )));
    }
    versions::update_alias(
        connection,
        &AliasUpdate {
            arn: change.alias_arn.clone(),
            description: None,
            routing: Some(change.routing.clone()),
            updated_ms: change.updated_ms,
        },
    )?;
    Ok(())
}

fn create(connection: &Connection, first: &DeploymentCommit) -> store::Result<()> {
    let record = &first.record;
    if get(connection, &record.id).is_ok() {
        return Err(Error::AlreadyExists(record.id.clone()));
    }
    versions::get_alias(connection, &record.alias_arn)?;
    let open: Option<String> = prepare(
        connection,
        "SELECT id FROM deployments WHERE alias_arn = $1 \
             AND status IN ('PENDING', 'IN_PROGRESS') LIMIT 1",
    )
    .and_then(|mut statement| {
        statement
            .query_row([&record.alias_arn], |row| row.get(0))
            .optional()
    })
    .or_backend()?;
    if let Some(open) = open {
        return Err(Error::Conflict(format!(
            "alias {} has deployment {open} in progress",
            record.alias_arn
        )));
    }
    if let Some(change) = &first.routing {
        routing_change(connection, change)?;
    }
    prepare(
        connection,
        &format!(
            "INSERT INTO deployments ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ),
    )
    .and_then(|mut statement| {
        statement.execute(params![
            record.id,
            record.state_machine_arn,
            record.alias_arn,
            record.origin_version_arn,
            record.target_version_arn,
            record.preference,
            record.status,
            record.state,
            record.timeline,
            to_i64(record.seq).unwrap_or(i64::MAX),
            record.created_ms,
            record.updated_ms,
            record.next_tick_ms,
        ])
    })
    .or_backend()?;
    Ok(())
}

fn commit(connection: &Connection, step: &DeploymentCommit) -> store::Result<()> {
    let record = &step.record;
    let stored = get(connection, &record.id)?;
    if record.seq != stored.seq + 1 {
        return Err(Error::Conflict(format!(
            "deployment step {} where {} was expected",
            record.seq,
            stored.seq + 1
        )));
    }
    if !stored.is_open() {
        return Err(Error::Conflict(format!(
            "deployment {} has already ended",
            stored.id
        )));
    }
    if let Some(change) = &step.routing {
        routing_change(connection, change)?;
    }
    prepare(
        connection,
        "UPDATE deployments SET origin_version_arn = $1, status = $2, state = $3, \
             timeline = $4, seq = $5, updated_ms = $6, next_tick_ms = $7 WHERE id = $8",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            record.origin_version_arn,
            record.status,
            record.state,
            record.timeline,
            to_i64(record.seq).unwrap_or(i64::MAX),
            record.updated_ms,
            record.next_tick_ms,
            record.id,
        ])
    })
    .or_backend()?;
    Ok(())
}

pub(crate) fn get(connection: &Connection, id: &str) -> store::Result<DeploymentRecord> {
    prepare(
        connection,
        &format!("SELECT {COLUMNS} FROM deployments WHERE id = $1"),
    )
    .and_then(|mut statement| statement.query_row([id], record).optional())
    .or_backend()?
    .ok_or_else(|| Error::NotFound(id.to_owned()))
}

pub(crate) fn list(
    connection: &Connection,
    filter: &DeploymentFilter,
    page: &PageRequest,
) -> store::Result<Page<DeploymentRecord>> {
    let limit = page.effective_limit();
    let (before_ms, after_id) = match &page.token {
        Some(token) => token
            .split_once('\u{0}')
            .and_then(|(ms, id)| Some((ms.parse::<i64>().ok()?, id.to_owned())))
            .ok_or_else(|| Error::Conflict(format!("invalid page token {token:?}")))?,
        None => (i64::MAX, String::new()),
    };
    let mut items = prepare(
        connection,
        &format!(
            "SELECT {COLUMNS} FROM deployments \
             WHERE (created_ms < $1 OR (created_ms = $1 AND id > $2)) \
             AND ($3 IS NULL OR state_machine_arn = $3) AND ($4 IS NULL OR alias_arn = $4) \
             ORDER BY created_ms DESC, id LIMIT $5"
        ),
    )
    .and_then(|mut statement| {
        statement
            .query_map(
                params![
                    before_ms,
                    after_id,
                    filter.state_machine_arn,
                    filter.alias_arn,
                    to_i64(limit as u64 + 1).unwrap_or(i64::MAX)
                ],
                record,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .or_backend()?;
    let more = items.len() > limit;
    items.truncate(limit);
    let next_token = if more {
        items
            .last()
            .map(|record| format!("{}\u{0}{}", record.created_ms, record.id))
    } else {
        None
    };
    Ok(Page { items, next_token })
}

pub(crate) fn open(connection: &Connection) -> store::Result<Vec<DeploymentRecord>> {
    prepare(
        connection,
        &format!(
            "SELECT {COLUMNS} FROM deployments WHERE status IN ('PENDING', 'IN_PROGRESS') \
             ORDER BY created_ms, id"
        ),
    )
    .and_then(|mut statement| {
        statement
            .query_map([], record)?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .or_backend()
}
