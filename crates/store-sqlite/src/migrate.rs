//! The migration runner: numbered SQL files applied in order, each in its own transaction with
//! the row of `schema_version` that records it.
//!
//! A migration file never changes once it has shipped: a data directory written by an older
//! build must open in a newer one, which runs only the migrations it lacks. A database whose
//! version is newer than this build knows is refused rather than guessed at.

use rusqlite::Connection;

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
        sql: include_str!("../migrations/0002_versions_aliases.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../migrations/0003_observability.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../migrations/0004_deployments.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../migrations/0005_stacks.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("../migrations/0006_mock_test_cases.sql"),
    },
    Migration {
        version: 7,
        sql: include_str!("../migrations/0007_redrive.sql"),
    },
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 7;

/// The version a database is at: 0 for a new one.
pub(crate) fn version(connection: &Connection) -> store::Result<i64> {
    connection
        .execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY)")
        .or_backend()?;
    connection
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |row| row.get(0),
        )
        .or_backend()
}

/// Brings the database to the last of `migrations`; answers the version it is at.
pub(crate) fn migrate(connection: &Connection, migrations: &[Migration]) -> store::Result<i64> {
    let known = migrations.last().map_or(0, |migration| migration.version);
    let current = version(connection)?;
    if current > known {
        return Err(store::Error::Backend(format!(
            "the database is at schema version {current}, newer than the {known} this build \
             knows: open it with a newer switchback"
        )));
    }
    for migration in migrations
        .iter()
        .filter(|migration| migration.version > current)
    {
        let script = format!(
            "BEGIN IMMEDIATE;\n{}\nINSERT INTO schema_version (version) VALUES ({});\nCOMMIT;",
            migration.sql, migration.version
        );
        if let Err(error) = connection.execute_batch(&script) {
            // The transaction may still be open after a failed statement; leave nothing half done.
            if !connection.is_autocommit() {
                let _ = connection.execute_batch("ROLLBACK");
            }
            return Err(store::Error::Backend(format!(
                "migration to schema version {} failed: {error}",
                migration.version
            )));
        }
    }
    Ok(known)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{MIGRATIONS, Migration, SCHEMA_VERSION, migrate, version};

    #[test]
    fn the_last_migration_is_the_schema_version() {
        assert_eq!(
            MIGRATIONS.last().map(|migration| migration.version),
            Some(SCHEMA_VERSION)
        );
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, index as i64 + 1);
        }
    }

    #[test]
    fn runs_only_the_missing_migrations() {
        let connection = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&connection, &MIGRATIONS[..1]).unwrap(), 1);
        connection
            .execute(
                "INSERT INTO activities (arn, name, created_ms) VALUES ('a', 'n', 1)",
                [],
            )
            .unwrap();
        let second = Migration {
            version: 2,
            sql: "ALTER TABLE activities ADD COLUMN note TEXT;",
        };
        let with_second = [MIGRATIONS[0], second];
        assert_eq!(migrate(&connection, &with_second).unwrap(), 2);
        // Running again applies nothing: the ALTER would fail if it ran twice.
        assert_eq!(migrate(&connection, &with_second).unwrap(), 2);
        assert_eq!(version(&connection).unwrap(), 2);
        let kept: String = connection
            .query_row("SELECT name FROM activities WHERE arn = 'a'", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(kept, "n");
    }

    #[test]
    fn a_failing_migration_leaves_the_version_unchanged() {
        let connection = Connection::open_in_memory().unwrap();
        migrate(&connection, &MIGRATIONS[..1]).unwrap();
        let broken = Migration {
            version: 2,
            sql: "CREATE TABLE extra (x INTEGER); SELECT * FROM no_such_table;",
        };
        let error = migrate(&connection, &[MIGRATIONS[0], broken]).unwrap_err();
        assert!(error.to_string().contains("schema version 2"), "{error}");
        assert_eq!(version(&connection).unwrap(), 1);
        assert!(connection.prepare("SELECT * FROM extra").is_err());
    }

    #[test]
    fn refuses_a_newer_database() {
        let connection = Connection::open_in_memory().unwrap();
        migrate(&connection, MIGRATIONS).unwrap();
        connection
            .execute("INSERT INTO schema_version (version) VALUES (99)", [])
            .unwrap();
        let error = migrate(&connection, MIGRATIONS).unwrap_err();
        assert!(error.to_string().contains("newer"), "{error}");
    }
}
