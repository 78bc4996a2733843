//! The migration runner: numbered SQL files applied in order in one transaction, under a
//! transaction-level advisory lock, with the rows of `schema_version` that record them. The
//! first node of a new build runs them; a node that starts meanwhile waits on the lock and then
//! finds nothing to do. A database newer than this build is refused.

use deadpool_postgres::Object;

use crate::OrBackend;

/// One step of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// 1, 2, 3, ...: the version the database has once this ran.
    pub(crate) version: i64,
    /// The SQL, run as one batch.
    pub(crate) sql: &'static str,
}

/// Every migration this build knows, in order.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/0002_nodes.sql"),
    },
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 2;

/// Brings the database to the last of `migrations`; answers the version it is at.
pub(crate) async fn migrate(client: &mut Object, migrations: &[Migration]) -> store::Result<i64> {
    let known = migrations.last().map_or(0, |migration| migration.version);
    let transaction = client.transaction().await.or_backend()?;
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&crate::MIGRATION_LOCK],
        )
        .await
        .or_backend()?;
    // Looked up first: `CREATE TABLE IF NOT EXISTS` would log a notice at every start.
    let exists: bool = transaction
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
        .await
        .or_backend()?
        .get(0);
    if !exists {
        transaction
            .batch_execute("CREATE TABLE schema_version (version BIGINT PRIMARY KEY)")
            .await
            .or_backend()?;
    }
    let current: i64 = transaction
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .or_backend()?
        .get(0);
    if current > known {
        return Err(store::Error::Backend(format!(
            "the database is at schema version {current}, newer than the {known} this build \
             knows: run a newer switchback against it"
        )));
    }
    for migration in migrations
        .iter()
        .filter(|migration| migration.version > current)
    {
        let applied = async {
            transaction.batch_execute(migration.sql).await?;
            transaction
                .execute(
                    "INSERT INTO schema_version (version) VALUES ($1)",
                    &[&migration.version],
                )
                .await
        }
        .await;
        if let Err(error) = applied {
            let _ = transaction.rollback().await;
            return Err(store::Error::Backend(format!(
                "migration to schema version {} failed: {}",
                migration.version,
                crate::classify(&error)
            )));
        }
    }
    transaction.commit().await.or_backend()?;
    Ok(known)
}
