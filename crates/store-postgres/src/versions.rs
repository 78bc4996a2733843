//! Versions and aliases. Every write here runs under the write lock (`transaction!(.., true,
//! ..)`): publishing counts and numbers versions, an alias checks its routes and the quota.

use store::{
    AliasCreated, AliasRecord, AliasUpdate, Error, Page, PageRequest, PublishRequest, Published,
    Route, VersionRecord,
};
use tokio_postgres::{GenericClient, Row, Transaction};

use crate::{OrBackend, invalid_token, to_i64};

/// Drops a deleted state machine's versions and aliases.
pub(crate) async fn forget_machine(tx: &Transaction<'_>, arn: &str) -> store::Result<()> {
    for sql in [
        "DELETE FROM alias_routes WHERE alias_arn IN \
             (SELECT arn FROM state_machine_aliases WHERE state_machine_arn = $1)",
        "DELETE FROM state_machine_aliases WHERE state_machine_arn = $1",
        "DELETE FROM state_machine_versions WHERE state_machine_arn = $1",
        "DELETE FROM version_counters WHERE state_machine_arn = $1",
    ] {
        tx.execute(sql, &[&arn]).await.or_backend()?;
    }
    Ok(())
}

pub(crate) async fn publish(
    tx: &Transaction<'_>,
    request: &PublishRequest,
) -> store::Result<Published> {
    let machine = tx
        .query_opt(
            "SELECT revision_id, definition, role_arn, logging_configuration, \
             tracing_configuration FROM state_machines WHERE arn = $1",
            &[&request.state_machine_arn],
        )
        .await
        .or_backend()?
        .ok_or_else(|| Error::NotFound(request.state_machine_arn.clone()))?;
    let revision_id: String = machine.get(0);
    if let Some(expected) = &request.expected_revision_id
        && *expected != revision_id
    {
        return Ok(Published::RevisionMismatch(revision_id));
    }
    let existing = tx
        .query_opt(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM state_machine_versions \
                 WHERE state_machine_arn = $1 AND revision_id = $2 ORDER BY number DESC LIMIT 1"
            ),
            &[&request.state_machine_arn, &revision_id],
        )
        .await
        .or_backend()?;
    if let Some(existing) = existing {
        return Ok(Published::Existing(version(&existing)?));
    }
    let count: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM state_machine_versions WHERE state_machine_arn = $1",
            &[&request.state_machine_arn],
        )
        .await
        .or_backend()?
        .get(0);
    if count >= to_i64(request.max_versions as u64)? {
        return Ok(Published::QuotaExceeded);
    }
    let number: i64 = tx
        .query_one(
            "INSERT INTO version_counters (state_machine_arn, last_number) VALUES ($1, 1) \
             ON CONFLICT (state_machine_arn) \
             DO UPDATE SET last_number = version_counters.last_number + 1 \
             RETURNING last_number",
            &[&request.state_machine_arn],
        )
        .await
        .or_backend()?
        .get(0);
    let record = VersionRecord {
        arn: format!("{}:{number}", request.state_machine_arn),
        state_machine_arn: request.state_machine_arn.clone(),
        number: u64::try_from(number).unwrap_or_default(),
        revision_id,
        definition: machine.get(1),
        role_arn: machine.get(2),
        logging_configuration: machine.get(3),
        tracing_configuration: machine.get(4),
        description: request.description.clone(),
        created_ms: request.created_ms,
    };
    tx.execute(
        "INSERT INTO state_machine_versions (arn, state_machine_arn, number, revision_id, \
         definition, role_arn, logging_configuration, tracing_configuration, description, \
         created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &record.arn,
            &record.state_machine_arn,
            &number,
            &record.revision_id,
            &record.definition,
            &record.role_arn,
            &record.logging_configuration,
            &record.tracing_configuration,
            &record.description,
            &record.created_ms,
        ],
    )
    .await
    .or_backend()?;
    Ok(Published::Created(record))
}

pub(crate) async fn delete_version(tx: &Transaction<'_>, arn: &str) -> store::Result<()> {
    let names: Vec<String> = tx
        .query(
            "SELECT DISTINCT a.name FROM alias_routes r \
             JOIN state_machine_aliases a ON a.arn = r.alias_arn \
             WHERE r.version_arn = $1 ORDER BY a.name",
            &[&arn],
        )
        .await
        .or_backend()?
        .iter()
        .map(|row| row.get(0))
        .collect();
    get_version(tx, arn).await?;
    if !names.is_empty() {
        return Err(Error::Conflict(names.join(", ")));
    }
    tx.execute("DELETE FROM state_machine_versions WHERE arn = $1", &[&arn])
        .await
        .or_backend()?;
    Ok(())
}

async fn check_routes(db: &impl GenericClient, routing: &[Route]) -> store::Result<()> {
    for route in routing {
        get_version(db, &route.version_arn).await?;
    }
    Ok(())
}

async fn insert_routes(tx: &Transaction<'_>, arn: &str, routing: &[Route]) -> store::Result<()> {
    tx.execute("DELETE FROM alias_routes WHERE alias_arn = $1", &[&arn])
        .await
        .or_backend()?;
    for (position, route) in routing.iter().enumerate() {
        tx.execute(
            "INSERT INTO alias_routes (alias_arn, position, version_arn, weight) \
             VALUES ($1, $2, $3, $4)",
            &[
                &arn,
                &to_i64(position as u64)?,
                &route.version_arn,
                &i64::from(route.weight),
            ],
        )
        .await
        .or_backend()?;
    }
    Ok(())
}

pub(crate) async fn create_alias(
    tx: &Transaction<'_>,
    record: &AliasRecord,
    max_aliases: usize,
) -> store::Result<AliasCreated> {
    let machine = tx
        .query_opt(
            "SELECT 1 FROM state_machines WHERE arn = $1",
            &[&record.state_machine_arn],
        )
        .await
        .or_backend()?;
    if machine.is_none() {
        return Err(Error::NotFound(record.state_machine_arn.clone()));
    }
    match get_alias(tx, &record.arn).await {
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
    check_routes(tx, &record.routing).await?;
    let count: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM state_machine_aliases WHERE state_machine_arn = $1",
            &[&record.state_machine_arn],
        )
        .await
        .or_backend()?
        .get(0);
    if count >= to_i64(max_aliases as u64)? {
        return Ok(AliasCreated::QuotaExceeded);
    }
    tx.execute(
        "INSERT INTO state_machine_aliases (arn, state_machine_arn, name, description, \
         created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &record.arn,
            &record.state_machine_arn,
            &record.name,
            &record.description,
            &record.created_ms,
            &record.updated_ms,
        ],
    )
    .await
    .or_backend()?;
    insert_routes(tx, &record.arn, &record.routing).await?;
    Ok(AliasCreated::Created(record.clone()))
}

pub(crate) async fn update_alias(
    tx: &Transaction<'_>,
    update: &AliasUpdate,
) -> store::Result<AliasRecord> {
    let mut alias = get_alias(tx, &update.arn).await?;
    if let Some(routing) = &update.routing {
        check_routes(tx, routing).await?;
        insert_routes(tx, &update.arn, routing).await?;
        alias.routing = routing.clone();
    }
    if let Some(description) = &update.description {
        alias.description = Some(description.clone());
    }
    alias.updated_ms = update.updated_ms;
    tx.execute(
        "UPDATE state_machine_aliases SET description = $1, updated_ms = $2 WHERE arn = $3",
        &[&alias.description, &alias.updated_ms, &alias.arn],
    )
    .await
    .or_backend()?;
    Ok(alias)
}

pub(crate) async fn delete_alias(tx: &Transaction<'_>, arn: &str) -> store::Result<()> {
    let deleted = tx
        .execute("DELETE FROM state_machine_aliases WHERE arn = $1", &[&arn])
        .await
        .or_backend()?;
    if deleted == 0 {
        return Err(Error::NotFound(arn.to_owned()));
    }
    tx.execute("DELETE FROM alias_routes WHERE alias_arn = $1", &[&arn])
        .await
        .or_backend()?;
    Ok(())
}

const VERSION_COLUMNS: &str = "arn, state_machine_arn, number, revision_id, definition, role_arn, \
    logging_configuration, tracing_configuration, description, created_ms";

fn version(row: &Row) -> store::Result<VersionRecord> {
    let number: i64 = row.get(2);
    Ok(VersionRecord {
        arn: row.get(0),
        state_machine_arn: row.get(1),
        number: u64::try_from(number)
            .map_err(|_| Error::Backend(format!("a negative version number {number} is stored")))?,
        revision_id: row.get(3),
        definition: row.get(4),
        role_arn: row.get(5),
        logging_configuration: row.get(6),
        tracing_configuration: row.get(7),
        description: row.get(8),
        created_ms: row.get(9),
    })
}

pub(crate) async fn get_version(
    db: &impl GenericClient,
    arn: &str,
) -> store::Result<VersionRecord> {
    let row = db
        .query_opt(
            &format!("SELECT {VERSION_COLUMNS} FROM state_machine_versions WHERE arn = $1"),
            &[&arn],
        )
        .await
        .or_backend()?
        .ok_or_else(|| Error::NotFound(arn.to_owned()))?;
    version(&row)
}

pub(crate) async fn list_versions(
    db: &impl GenericClient,
    state_machine_arn: &str,
    page: &PageRequest,
) -> store::Result<Page<VersionRecord>> {
    let limit = page.effective_limit();
    let before = match &page.token {
        Some(token) => token.parse::<i64>().map_err(|_| invalid_token(token))?,
        None => i64::MAX,
    };
    let rows = db
        .query(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM state_machine_versions \
                 WHERE state_machine_arn = $1 AND number < $2 ORDER BY number DESC LIMIT $3"
            ),
            &[
                &state_machine_arn,
                &before,
                &to_i64(limit as u64 + 1).unwrap_or(i64::MAX),
            ],
        )
        .await
        .or_backend()?;
    let items = rows
        .iter()
        .map(version)
        .collect::<store::Result<Vec<_>>>()?;
    Ok(crate::into_page(items, limit, |version| {
        version.number.to_string()
    }))
}

async fn routes(db: &impl GenericClient, alias_arn: &str) -> store::Result<Vec<Route>> {
    Ok(db
        .query(
            "SELECT version_arn, weight FROM alias_routes WHERE alias_arn = $1 ORDER BY position",
            &[&alias_arn],
        )
        .await
        .or_backend()?
        .iter()
        .map(|row| Route {
            version_arn: row.get(0),
            weight: u32::try_from(row.get::<_, i64>(1)).unwrap_or_default(),
        })
        .collect())
}

const ALIAS_COLUMNS: &str = "arn, state_machine_arn, name, description, created_ms, updated_ms";

fn alias(row: &Row) -> AliasRecord {
    AliasRecord {
        arn: row.get(0),
        state_machine_arn: row.get(1),
        name: row.get(2),
        description: row.get(3),
        routing: Vec::new(),
        created_ms: row.get(4),
        updated_ms: row.get(5),
    }
}

pub(crate) async fn get_alias(db: &impl GenericClient, arn: &str) -> store::Result<AliasRecord> {
    let mut record = db
        .query_opt(
            &format!("SELECT {ALIAS_COLUMNS} FROM state_machine_aliases WHERE arn = $1"),
            &[&arn],
        )
        .await
        .or_backend()?
        .map(|row| alias(&row))
        .ok_or_else(|| Error::NotFound(arn.to_owned()))?;
    record.routing = routes(db, arn).await?;
    Ok(record)
}

pub(crate) async fn list_aliases(
    db: &impl GenericClient,
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
    let rows = db
        .query(
            &format!(
                "SELECT {ALIAS_COLUMNS} FROM state_machine_aliases \
                 WHERE state_machine_arn = $1 AND (created_ms, name) > ($2, $3) \
                 AND ($4::TEXT IS NULL OR arn IN \
                      (SELECT alias_arn FROM alias_routes WHERE version_arn = $4)) \
                 ORDER BY created_ms, name LIMIT $5"
            ),
            &[
                &state_machine_arn,
                &after_ms,
                &after_name,
                &version_arn,
                &to_i64(limit as u64 + 1).unwrap_or(i64::MAX),
            ],
        )
        .await
        .or_backend()?;
    let mut page = crate::into_page(rows.iter().map(alias).collect(), limit, |alias| {
        format!("{}\u{0}{}", alias.created_ms, alias.name)
    });
    for item in &mut page.items {
        item.routing = routes(db, &item.arn).await?;
    }
    Ok(page)
}
