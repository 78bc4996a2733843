//! Versions and aliases: the writes (run by the writer thread, inside its transaction, so that
//! numbering and the checks against aliases are atomic) and the reads (run on either kind of
//! connection).

use rusqlite::{Connection, OptionalExtension, Row, params};
use store::{
    AliasCreated, AliasRecord, AliasUpdate, Error, Page, PageRequest, PublishRequest, Published,
    Route, VersionRecord,
};

use store::invalid_token;

use crate::{OrBackend, prepare, to_i64};

/// A change to versions or aliases.
#[derive(Debug)]
pub(crate) enum VersionWrite {
    Publish(PublishRequest),
    DeleteVersion(String),
    CreateAlias(Box<AliasRecord>, usize),
    UpdateAlias(AliasUpdate),
    DeleteAlias(String),
}

/// What a write answers.
#[derive(Debug)]
pub(crate) enum Outcome {
    Done,
    Published(Box<Published>),
    AliasCreated(Box<AliasCreated>),
    Alias(Box<AliasRecord>),
    /// Whether the record written existed before (`put_alarm`).
    Existed(bool),
}

pub(crate) fn apply(connection: &Connection, write: &VersionWrite) -> store::Result<Outcome> {
    match write {
        VersionWrite::Publish(request) => {
            publish(connection, request).map(|published| Outcome::Published(Box::new(published)))
        }
        VersionWrite::DeleteVersion(arn) => delete_version(connection, arn).map(|()| Outcome::Done),
        VersionWrite::CreateAlias(record, max_aliases) => {
            create_alias(connection, record, *max_aliases)
                .map(|created| Outcome::AliasCreated(Box::new(created)))
        }
        VersionWrite::UpdateAlias(update) => {
            update_alias(connection, update).map(|alias| Outcome::Alias(Box::new(alias)))
        }
        VersionWrite::DeleteAlias(arn) => {
            let deleted = prepare(
                connection,
                "DELETE FROM state_machine_aliases WHERE arn = $1",
            )
            .and_then(|mut statement| statement.execute([arn]))
            .or_backend()?;
            if deleted == 0 {
                return Err(Error::NotFound(arn.clone()));
            }
            prepare(connection, "DELETE FROM alias_routes WHERE alias_arn = $1")
                .and_then(|mut statement| statement.execute([arn]))
                .or_backend()?;
            Ok(Outcome::Done)
        }
    }
}

/// Deletes a machine's versions, aliases and version counter (with the machine itself).
pub(crate) fn forget_machine(connection: &Connection, arn: &str) -> store::Result<()> {
    for sql in [
        "DELETE FROM alias_routes WHERE alias_arn IN \
             (SELECT arn FROM state_machine_aliases WHERE state_machine_arn = $1)",
        "DELETE FROM state_machine_aliases WHERE state_machine_arn = $1",
        "DELETE FROM state_machine_versions WHERE state_machine_arn = $1",
        "DELETE FROM version_counters WHERE state_machine_arn = $1",
    ] {
        prepare(connection, sql)
            .and_then(|mut statement| statement.execute([arn]))
            .or_backend()?;
    }
    Ok(())
}

fn publish(connection: &Connection, request: &PublishRequest) -> store::Result<Published> {
    let machine = prepare(
        connection,
        "SELECT revision_id, definition, role_arn, logging_configuration, tracing_configuration \
             FROM state_machines WHERE arn = $1",
    )
    .and_then(|mut statement| {
        statement
            .query_row([&request.state_machine_arn], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            })
            .optional()
    })
    .or_backend()?
    .ok_or_else(|| Error::NotFound(request.state_machine_arn.clone()))?;
    let (revision_id, definition, role_arn, logging, tracing) = machine;
    if let Some(expected) = &request.expected_revision_id
        && *expected != revision_id
    {
        return Ok(Published::RevisionMismatch(revision_id));
    }
    let existing = prepare(
        connection,
        &format!(
            "SELECT {VERSION_COLUMNS} FROM state_machine_versions \
             WHERE state_machine_arn = $1 AND revision_id = $2 ORDER BY number DESC LIMIT 1"
        ),
    )
    .and_then(|mut statement| {
        statement
            .query_row(params![request.state_machine_arn, revision_id], version)
            .optional()
    })
    .or_backend()?;
    if let Some(existing) = existing {
        return Ok(Published::Existing(existing));
    }
    let count: i64 = prepare(
        connection,
        "SELECT COUNT(*) FROM state_machine_versions WHERE state_machine_arn = $1",
    )
    .and_then(|mut statement| statement.query_row([&request.state_machine_arn], |row| row.get(0)))
    .or_backend()?;
    if count >= to_i64(request.max_versions as u64)? {
        return Ok(Published::QuotaExceeded);
    }
    let number: i64 = prepare(
        connection,
        "INSERT INTO version_counters (state_machine_arn, last_number) VALUES ($1, 1) \
             ON CONFLICT (state_machine_arn) DO UPDATE SET last_number = last_number + 1 \
             RETURNING last_number",
    )
    .and_then(|mut statement| statement.query_row([&request.state_machine_arn], |row| row.get(0)))
    .or_backend()?;
    let record = VersionRecord {
        arn: format!("{}:{number}", request.state_machine_arn),
        state_machine_arn: request.state_machine_arn.clone(),
        number: u64::try_from(number).unwrap_or_default(),
        revision_id,
        definition,
        role_arn,
        logging_configuration: logging,
        tracing_configuration: tracing,
        description: request.description.clone(),
        created_ms: request.created_ms,
    };
    prepare(
        connection,
        "INSERT INTO state_machine_versions (arn, state_machine_arn, number, revision_id, \
             definition, role_arn, logging_configuration, tracing_configuration, description, \
             created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            record.arn,
            record.state_machine_arn,
            number,
            record.revision_id,
            record.definition,
            record.role_arn,
            record.logging_configuration,
            record.tracing_configuration,
            record.description,
            record.created_ms,
        ])
    })
    .or_backend()?;
    Ok(Published::Created(record))
}

fn delete_version(connection: &Connection, arn: &str) -> store::Result<()> {
    let names: Vec<String> = prepare(
        connection,
        "SELECT DISTINCT a.name FROM alias_routes r \
             JOIN state_machine_aliases a ON a.arn = r.alias_arn \
             WHERE r.version_arn = $1 ORDER BY a.name",
    )
    .and_then(|mut statement| {
        statement
            .query_map([arn], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .or_backend()?;
    let exists = get_version(connection, arn).is_ok();
    if !exists {
        return Err(Error::NotFound(arn.to_owned()));
    }
    if !names.is_empty() {
        return Err(Error::Conflict(names.join(", ")));
    }
    prepare(
        connection,
        "DELETE FROM state_machine_versions WHERE arn = $1",
    )
    .and_then(|mut statement| statement.execute([arn]))
    .or_backend()?;
    Ok(())
}

/// `NotFound` with the first routed version that does not exist.
fn check_routes(connection: &Connection, routing: &[Route]) -> store::Result<()> {
    for route in routing {
        get_version(connection, &route.version_arn)?;
    }
    Ok(())
}

fn insert_routes(connection: &Connection, arn: &str, routing: &[Route]) -> store::Result<()> {
    prepare(connection, "DELETE FROM alias_routes WHERE alias_arn = $1")
        .and_then(|mut statement| statement.execute([arn]))
        .or_backend()?;
    let mut statement = prepare(
        connection,
        "INSERT INTO alias_routes (alias_arn, position, version_arn, weight) \
             VALUES ($1, $2, $3, $4)",
    )
    .or_backend()?;
    for (position, route) in routing.iter().enumerate() {
        statement
            .execute(params![
                arn,
                to_i64(position as u64)?,
                route.version_arn,
                i64::from(route.weight)
            ])
            .or_backend()?;
    }
    Ok(())
}

fn create_alias(
    connection: &Connection,
    record: &AliasRecord,
    max_aliases: usize,
) -> store::Result<AliasCreated> {
    let machine_exists = prepare(connection, "SELECT 1 FROM state_machines WHERE arn = $1")
        .and_then(|mut statement| statement.exists([&record.state_machine_arn]))
        .or_backend()?;
    if !machine_exists {
        return Err(Error::NotFound(record.state_machine_arn.clone()));
    }
    match get_alias(connection, &record.arn) {
        Ok(existing) => {
            let same =
                existing.description == record.description && existing.routing == record.routing;
            return Ok(if same {
                AliasCreated::Existing(existing)
            } else {
                AliasCreated::Different(existing)
            });
        }
        Err(Error::NotFound(_)) => {}
        Err(error) => return Err(error),
    }
    check_routes(connection, &record.routing)?;
    let count: i64 = prepare(
        connection,
        "SELECT COUNT(*) FROM state_machine_aliases WHERE state_machine_arn = $1",
    )
    .and_then(|mut statement| statement.query_row([&record.state_machine_arn], |row| row.get(0)))
    .or_backend()?;
    if count >= to_i64(max_aliases as u64)? {
        return Ok(AliasCreated::QuotaExceeded);
    }
    prepare(
        connection,
        "INSERT INTO state_machine_aliases (arn, state_machine_arn, name, description, \
             created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            record.arn,
            record.state_machine_arn,
            record.name,
            record.description,
            record.created_ms,
            record.updated_ms,
        ])
    })
    .or_backend()?;
    insert_routes(connection, &record.arn, &record.routing)?;
    Ok(AliasCreated::Created(record.clone()))
}

pub(crate) fn update_alias(
    connection: &Connection,
    update: &AliasUpdate,
) -> store::Result<AliasRecord> {
    let mut alias = get_alias(connection, &update.arn)?;
    if let Some(routing) = &update.routing {
        check_routes(connection, routing)?;
        insert_routes(connection, &update.arn, routing)?;
        alias.routing = routing.clone();
    }
    if let Some(description) = &update.description {
        alias.description = Some(description.clone());
    }
    alias.updated_ms = update.updated_ms;
    prepare(
        connection,
        "UPDATE state_machine_aliases SET description = $1, updated_ms = $2 WHERE arn = $3",
    )
    .and_then(|mut statement| {
        statement.execute(params![alias.description, alias.updated_ms, alias.arn])
    })
    .or_backend()?;
    Ok(alias)
}

const VERSION_COLUMNS: &str = "arn, state_machine_arn, number, revision_id, definition, role_arn, \
    logging_configuration, tracing_configuration, description, created_ms";

fn version(row: &Row<'_>) -> rusqlite::Result<VersionRecord> {
    let number: i64 = row.get(2)?;
    Ok(VersionRecord {
        arn: row.get(0)?,
        state_machine_arn: row.get(1)?,
        number: u64::try_from(number)
            .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(2, number))?,
        revision_id: row.get(3)?,
        definition: row.get(4)?,
        role_arn: row.get(5)?,
        logging_configuration: row.get(6)?,
        tracing_configuration: row.get(7)?,
        description: row.get(8)?,
        created_ms: row.get(9)?,
    })
}

pub(crate) fn get_version(connection: &Connection, arn: &str) -> store::Result<VersionRecord> {
    prepare(
        connection,
        &format!("SELECT {VERSION_COLUMNS} FROM state_machine_versions WHERE arn = $1"),
    )
    .and_then(|mut statement| statement.query_row([arn], version).optional())
    .or_backend()?
    .ok_or_else(|| Error::NotFound(arn.to_owned()))
}

pub(crate) fn list_versions(
    connection: &Connection,
    state_machine_arn: &str,
    page: &PageRequest,
) -> store::Result<Page<VersionRecord>> {
    let limit = page.effective_limit();
    let before = match &page.token {
        Some(token) => token.parse::<i64>().map_err(|_| invalid_token(token))?,
        None => i64::MAX,
    };
    let mut items = prepare(
        connection,
        &format!(
            "SELECT {VERSION_COLUMNS} FROM state_machine_versions \
             WHERE state_machine_arn = $1 AND number < $2 ORDER BY number DESC LIMIT $3"
        ),
    )
    .and_then(|mut statement| {
        statement
            .query_map(
                params![
                    state_machine_arn,
                    before,
                    to_i64(limit as u64 + 1).unwrap_or(i64::MAX)
                ],
                version,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .or_backend()?;
    let more = items.len() > limit;
    items.truncate(limit);
    let next_token = if more {
        items.last().map(|version| version.number.to_string())
    } else {
        None
    };
    Ok(Page { items, next_token })
}

fn routes(connection: &Connection, alias_arn: &str) -> store::Result<Vec<Route>> {
    prepare(
        connection,
        "SELECT version_arn, weight FROM alias_routes WHERE alias_arn = $1 ORDER BY position",
    )
    .and_then(|mut statement| {
        statement
            .query_map([alias_arn], |row| {
                let weight: i64 = row.get(1)?;
                Ok(Route {
                    version_arn: row.get(0)?,
                    weight: u32::try_from(weight).unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .or_backend()
}

const ALIAS_COLUMNS: &str = "arn, state_machine_arn, name, description, created_ms, updated_ms";

fn alias(row: &Row<'_>) -> rusqlite::Result<AliasRecord> {
    Ok(AliasRecord {
        arn: row.get(0)?,
        state_machine_arn: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        routing: Vec::new(),
        created_ms: row.get(4)?,
        updated_ms: row.get(5)?,
    })
}

pub(crate) fn get_alias(connection: &Connection, arn: &str) -> store::Result<AliasRecord> {
    let mut record = prepare(
        connection,
        &format!("SELECT {ALIAS_COLUMNS} FROM state_machine_aliases WHERE arn = $1"),
    )
    .and_then(|mut statement| statement.query_row([arn], alias).optional())
    .or_backend()?
    .ok_or_else(|| Error::NotFound(arn.to_owned()))?;
    record.routing = routes(connection, arn)?;
    Ok(record)
}

pub(crate) fn list_aliases(
    connection: &Connection,
    state_machine_arn: &str,
    version_arn: Option<&str>,
    page: &PageRequest,
) -> store::Result<Page<AliasRecord>> {
    let limit = page.effective_limit();
    let (after_ms, after_name) = match &page.token {
        Some(token) => token
            .split_once('\u{0}')
            .and_then(|(ms, name)| Some((ms.parse::<i64>().ok()?, name.to_owned())))
            .ok_or_else(|| invalid_token(token))?,
        None => (i64::MIN, String::new()),
    };
    let mut items = prepare(
        connection,
        &format!(
            "SELECT {ALIAS_COLUMNS} FROM state_machine_aliases \
             WHERE state_machine_arn = $1 AND (created_ms, name) > ($2, $3) \
             AND ($4 IS NULL OR arn IN (SELECT alias_arn FROM alias_routes WHERE version_arn = $4)) \
             ORDER BY created_ms, name LIMIT $5"
        ),
    )
    .and_then(|mut statement| {
        statement
            .query_map(
                params![
                    state_machine_arn,
                    after_ms,
                    after_name,
                    version_arn,
                    to_i64(limit as u64 + 1).unwrap_or(i64::MAX)
                ],
                alias,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .or_backend()?;
    let more = items.len() > limit;
    items.truncate(limit);
    for item in &mut items {
        item.routing = routes(connection, &item.arn)?;
    }
    let next_token = if more {
        items
            .last()
            .map(|alias| format!("{}\u{0}{}", alias.created_ms, alias.name))
    } else {
        None
    };
    Ok(Page { items, next_token })
}
