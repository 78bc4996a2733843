//! A data directory written by an older build opens in this one; a newer one is refused.

use rusqlite::Connection;
use store::{Executions, Published, StateMachines, Tags, Versions};
use store_sqlite::{FILE_NAME, SCHEMA_VERSION, SqliteStore};

/// What version 1 of the schema looks like on disk. The migration file never changes once
/// shipped, so this stays what a version-1 build wrote even after later migrations exist.
const VERSION_1: &str = include_str!("../migrations/0001_init.sql");

fn write_version_1_database(dir: &std::path::Path) {
    let connection = Connection::open(dir.join(FILE_NAME)).unwrap();
    connection
        .execute_batch("PRAGMA journal_mode = WAL;")
        .unwrap();
    connection
        .execute_batch("CREATE TABLE schema_version (version BIGINT PRIMARY KEY);")
        .unwrap();
    connection.execute_batch(VERSION_1).unwrap();
    connection
        .execute_batch(
            r#"
            INSERT INTO schema_version (version) VALUES (1);
            INSERT INTO state_machines VALUES (
                'arn:aws:states:us-east-1:123456789012:stateMachine:old', 'old', 'STANDARD',
                '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}',
                'arn:aws:iam::123456789012:role/r', 1000, 2000, 'r2', 'kept', NULL, NULL);
            INSERT INTO executions VALUES (
                7, 'arn:aws:states:us-east-1:123456789012:execution:old:e', 
                'arn:aws:states:us-east-1:123456789012:stateMachine:old', 'e', 'RUNNING', '{}',
                '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}',
                'arn:aws:iam::123456789012:role/r', 5000, -1, 2, 3,
                NULL, NULL, NULL, NULL, NULL);
            INSERT INTO journal VALUES (7, 1, 5000, '{"Start":{}}'), (7, 2, 5001, '{"Next":1}');
            INSERT INTO history VALUES (7, 1, '{"id":1}'), (7, 2, '{"id":2}'), (7, 3, '{"id":3}');
            INSERT INTO tags VALUES
                ('arn:aws:states:us-east-1:123456789012:stateMachine:old', 'team', 'a');
            "#,
        )
        .unwrap();
}

#[tokio::test]
async fn opens_a_version_1_database() {
    let dir = tempfile::tempdir().unwrap();
    write_version_1_database(dir.path());
    let store = SqliteStore::open(dir.path()).unwrap();
    let machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:old";
    let machine = store.get_state_machine(machine_arn).await.unwrap();
    assert_eq!(machine.description.as_deref(), Some("kept"));
    assert_eq!(machine.updated_ms, 2000);
    let execution_arn = "arn:aws:states:us-east-1:123456789012:execution:old:e";
    let execution = store.get_execution(execution_arn).await.unwrap();
    assert_eq!(execution.seed, u64::MAX);
    assert_eq!(execution.state_machine_version_arn, None);
    assert_eq!(execution.state_machine_alias_arn, None);
    // A machine of the old build can be published: its first version is 1.
    let published = store
        .publish_version(store::suite::publish(machine_arn, Some("r2")))
        .await
        .unwrap();
    assert!(
        matches!(&published, Published::Created(version) if version.number == 1),
        "{published:?}"
    );
    assert_eq!(store.journal(execution_arn).await.unwrap().len(), 2);
    assert_eq!(
        store.tags(machine_arn).await.unwrap(),
        [("team".to_owned(), "a".to_owned())]
    );
    // The execution goes on where the old build left it.
    let mut next = store::suite::step(execution_arn, 3, [4]);
    next.end = Some(store::suite::end("SUCCEEDED", 6000));
    store.commit_step(next).await.unwrap();
    let history = store
        .history(execution_arn, false, Default::default())
        .await
        .unwrap();
    assert_eq!(
        history
            .items
            .iter()
            .map(|event| event.id)
            .collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert!(store.open_executions().await.unwrap().is_empty());
    drop(store);
    let connection = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let version: i64 = connection
        .query_row("SELECT MAX(version) FROM schema_version", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn reopening_runs_no_migration_again() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    drop(SqliteStore::open(dir.path()).unwrap());
    let connection = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let versions: Vec<i64> = connection
        .prepare("SELECT version FROM schema_version ORDER BY version")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
}

#[test]
fn refuses_a_database_newer_than_the_code() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let connection = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    connection
        .execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
    drop(connection);
    let error = SqliteStore::open(dir.path()).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, store::Error::Backend(_)), "{message}");
    assert!(
        message.contains(&format!("schema version {}", SCHEMA_VERSION + 1))
            && message.contains("newer"),
        "{message}"
    );
}

#[test]
fn creates_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a").join("b");
    drop(SqliteStore::open(&nested).unwrap());
    assert!(nested.join(FILE_NAME).is_file());
}

#[test]
fn reports_a_directory_it_cannot_create() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "not a directory").unwrap();
    let error = SqliteStore::open(&file.join("data")).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("storage unavailable: cannot create"),
        "{error}"
    );
}
