//! Deployments: each step checked against the stored one (`seq`) and the alias's routing, under
//! the write lock.

use store::deployments::same_routing;
use store::{
    AliasUpdate, DeploymentCommit, DeploymentFilter, DeploymentRecord, Error, Page, PageRequest,
    RoutingChange,
};
use tokio_postgres::{GenericClient, Row, Transaction};

use crate::{OrBackend, invalid_token, to_i64, versions};

const COLUMNS: &str = "id, state_machine_arn, alias_arn, origin_version_arn, target_version_arn, \
    preference, status, state, timeline, seq, created_ms, updated_ms, next_tick_ms";

fn record(row: &Row) -> DeploymentRecord {
    let seq: i64 = row.get(9);
    DeploymentRecord {
        id: row.get(0),
        state_machine_arn: row.get(1),
        alias_arn: row.get(2),
        origin_version_arn: row.get(3),
        target_version_arn: row.get(4),
        preference: row.get(5),
        status: row.get(6),
        state: row.get(7),
        timeline: row.get(8),
        seq: u64::try_from(seq).unwrap_or_default(),
        created_ms: row.get(10),
        updated_ms: row.get(11),
        next_tick_ms: row.get(12),
    }
}

async fn routing_change(tx: &Transaction<'_>, change: &RoutingChange) -> store::Result<()> {
    let alias = versions::get_alias(tx, &change.alias_arn).await?;
    if !same_routing(&alias.routing, &change.expected) {
        return Err(Error::Conflict(format!(
            "the routing of alias {} changed",
            change.alias_arn
        )));
    }
    versions::update_alias(
        tx,
        &AliasUpdate {
            arn: change.alias_arn.clone(),
            description: None,
            routing: Some(change.routing.clone()),
            updated_ms: change.updated_ms,
        },
    )
    .await?;
    Ok(())
}

pub(crate) async fn create(
    tx: &Transaction<'_>,
    first: &DeploymentCommit,
    node: i64,
) -> store::Result<()> {
    let record = &first.record;
    if get(tx, &record.id).await.is_ok() {
        return Err(Error::AlreadyExists(record.id.clone()));
    }
    versions::get_alias(tx, &record.alias_arn).await?;
    let open = tx
        .query_opt(
            "SELECT id FROM deployments WHERE alias_arn = $1 \
             AND status IN ('PENDING', 'IN_PROGRESS') LIMIT 1",
            &[&record.alias_arn],
        )
        .await
        .or_backend()?;
    if let Some(open) = open {
        let open: String = open.get(0);
        return Err(Error::Conflict(format!(
            "alias {} has deployment {open} in progress",
            record.alias_arn
        )));
    }
    if let Some(change) = &first.routing {
        routing_change(tx, change).await?;
    }
    tx.execute(
        &format!(
            "INSERT INTO deployments ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ),
        &[
            &record.id,
            &record.state_machine_arn,
            &record.alias_arn,
            &record.origin_version_arn,
            &record.target_version_arn,
            &record.preference,
            &record.status,
            &record.state,
            &record.timeline,
            &to_i64(record.seq).unwrap_or(i64::MAX),
            &record.created_ms,
            &record.updated_ms,
            &record.next_tick_ms,
        ],
    )
    .await
    .or_backend()?;
    if node != 0 {
        // The node that starts a deployment drives it (see `cluster`).
        tx.execute(
            "UPDATE deployments SET owner = $1 WHERE id = $2",
            &[&node, &record.id],
        )
        .await
        .or_backend()?;
    }
    Ok(())
}

pub(crate) async fn commit(
    tx: &Transaction<'_>,
    step: &DeploymentCommit,
    node: i64,
) -> store::Result<()> {
    let record = &step.record;
    let stored = get(tx, &record.id).await?;
    if node != 0 {
        // Fencing, as for execution steps: only the deployment's owner commits its steps.
        let owner: Option<i64> = tx
            .query_one(
                "SELECT owner FROM deployments WHERE id = $1 FOR UPDATE",
                &[&record.id],
            )
            .await
            .or_backend()?
            .get(0);
        if owner != Some(node) {
            return Err(Error::NotOwner(format!(
                "deployment {} is driven by another node, not by this node ({node})",
                record.id
            )));
        }
    }
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
        routing_change(tx, change).await?;
    }
    tx.execute(
        "UPDATE deployments SET origin_version_arn = $1, status = $2, state = $3, \
         timeline = $4, seq = $5, updated_ms = $6, next_tick_ms = $7 WHERE id = $8",
        &[
            &record.origin_version_arn,
            &record.status,
            &record.state,
            &record.timeline,
            &to_i64(record.seq).unwrap_or(i64::MAX),
            &record.updated_ms,
            &record.next_tick_ms,
            &record.id,
        ],
    )
    .await
    .or_backend()?;
    Ok(())
}

pub(crate) async fn get(db: &impl GenericClient, id: &str) -> store::Result<DeploymentRecord> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM deployments WHERE id = $1"),
        &[&id],
    )
    .await
    .or_backend()?
    .map(|row| record(&row))
    .ok_or_else(|| Error::NotFound(id.to_owned()))
}

pub(crate) async fn list(
    db: &impl GenericClient,
    filter: &DeploymentFilter,
    page: &PageRequest,
) -> store::Result<Page<DeploymentRecord>> {
    let limit = page.effective_limit();
    let (before_ms, after_id) = match &page.token {
        Some(token) => token
            .split_once('\u{0}')
            .and_then(|(ms, id)| Some((ms.parse::<i64>().ok()?, id.to_owned())))
            .ok_or_else(|| invalid_token(token))?,
        None => (i64::MAX, String::new()),
    };
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM deployments \
                 WHERE (created_ms < $1 OR (created_ms = $1 AND id > $2)) \
                 AND ($3::TEXT IS NULL OR state_machine_arn = $3) \
                 AND ($4::TEXT IS NULL OR alias_arn = $4) \
                 ORDER BY created_ms DESC, id LIMIT $5"
            ),
            &[
                &before_ms,
                &after_id,
                &filter.state_machine_arn,
                &filter.alias_arn,
                &to_i64(limit as u64 + 1).unwrap_or(i64::MAX),
            ],
        )
        .await
        .or_backend()?;
    Ok(crate::into_page(
        rows.iter().map(record).collect(),
        limit,
        |record| format!("{}\u{0}{}", record.created_ms, record.id),
    ))
}

pub(crate) async fn open(db: &impl GenericClient) -> store::Result<Vec<DeploymentRecord>> {
    Ok(db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM deployments WHERE status IN ('PENDING', 'IN_PROGRESS') \
                 ORDER BY created_ms, id"
            ),
            &[],
        )
        .await
        .or_backend()?
        .iter()
        .map(record)
        .collect())
}
