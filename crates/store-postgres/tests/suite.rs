//! The conformance suite, the migrations and the node lock against PostgreSQL (`SWITCHBACK_TEST_DATABASE_URL`, by default the
//! server on 127.0.0.1:5432, database `test`), in a schema of its own per test so that runs
//! never meet each other's rows.

use store::StateMachines;
use store_postgres::{Options, PgStore};

fn url() -> String {
    std::env::var("SWITCHBACK_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A fresh schema, dropped when the guard goes.
struct Schema {
    name: String,
}

impl Schema {
    async fn new(tag: &str) -> Schema {
        let name = format!(
            "switchback_test_{tag}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|error| {
                panic!("PostgreSQL at {} is needed for this test: {error}", url())
            });
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .unwrap();
        Schema { name }
    }

    async fn store(&self) -> store::Result<PgStore> {
        PgStore::connect_with(
            &url(),
            Options {
                connections: 8,
                schema: Some(self.name.clone()),
                ..Options::default()
            },
        )
        .await
    }

    async fn drop_it(self) {
        let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_suite() {
    let schema = Schema::new("suite").await;
    let store = schema.store().await.unwrap();
    store::suite::run_all(&store).await;
    drop(store);
    schema.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_suite_with_small_batches() {
    let schema = Schema::new("batches").await;
    let store = PgStore::connect_with(
        &url(),
        Options {
            connections: 2,
            schema: Some(schema.name.clone()),
            max_batch: 3,
        },
    )
    .await
    .unwrap();
    store::suite::run_all(&store).await;
    drop(store);
    schema.drop_it().await;
}

async fn sql(statement: &str) {
    let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.batch_execute(statement).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once_and_keep_the_data() {
    let schema = Schema::new("migrate").await;
    // Four connects at once: one runs the migration under the lock, the others wait and find
    // it done (a second run would fail on CREATE TABLE).
    let stores = futures_join(&schema).await;
    assert_eq!(stores.len(), 4);
    let store = &stores[0];
    store
        .create_state_machine(store::suite::state_machine("Kept"))
        .await
        .unwrap();
    drop(stores);
    let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let versions: Vec<i64> = client
        .query(
            &format!("SELECT version FROM {}.schema_version", schema.name),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, vec![store_postgres::SCHEMA_VERSION]);
    // Connected again, the data is there.
    let again = schema.store().await.unwrap();
    let kept = again
        .get_state_machine(&store::suite::state_machine("Kept").arn)
        .await
        .unwrap();
    assert_eq!(kept.name, "Kept");
    drop(again);
    schema.drop_it().await;
}

async fn futures_join(schema: &Schema) -> Vec<PgStore> {
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let name = schema.name.clone();
        tasks.push(tokio::spawn(async move {
            PgStore::connect_with(
                &url(),
                Options {
                    connections: 2,
                    schema: Some(name),
                    ..Options::default()
                },
            )
            .await
        }));
    }
    let mut stores = Vec::new();
    for task in tasks {
        stores.push(task.await.unwrap().unwrap());
    }
    stores
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_and_left_alone() {
    let schema = Schema::new("newer").await;
    drop(schema.store().await.unwrap());
    sql(&format!(
        "INSERT INTO {}.schema_version (version) VALUES (99)",
        schema.name
    ))
    .await;
    let error = schema.store().await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("schema version 99"), "{text}");
    assert!(text.contains("newer"), "{text}");
    schema.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_per_schema() {
    let schema = Schema::new("node").await;
    let store = schema.store().await.unwrap();
    let node = store.claim_node(&url(), Some(&schema.name)).await.unwrap();
    let second = store
        .claim_node(&url(), Some(&schema.name))
        .await
        .unwrap_err();
    assert!(
        second.to_string().contains("another switchback node"),
        "{second}"
    );
    // Another schema is another database as far as the lock goes.
    let other = Schema::new("node_other").await;
    let other_store = other.store().await.unwrap();
    let other_node = other_store
        .claim_node(&url(), Some(&other.name))
        .await
        .unwrap();
    // Released with the guard: the next node may serve.
    drop(node);
    let mut claimed = None;
    for _ in 0..50 {
        match store.claim_node(&url(), Some(&schema.name)).await {
            Ok(node) => {
                claimed = Some(node);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    assert!(claimed.is_some(), "the lock was not released");
    drop((claimed, other_node, store, other_store));
    schema.drop_it().await;
    other.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_unavailable() {
    let error = PgStore::connect("postgres://postgres@127.0.0.1:1/test")
        .await
        .unwrap_err();
    assert!(matches!(error, store::Error::Unavailable(_)), "{error:?}");
    let error = PgStore::connect("mysql://nobody").await.unwrap_err();
    assert!(error.to_string().contains("URL"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_killed_under_it_are_replaced() {
    let schema = Schema::new("killed").await;
    let application = format!("switchback_killed_{}", std::process::id());
    let separator = if url().contains('?') { '&' } else { '?' };
    let store = PgStore::connect_with(
        &format!("{}{separator}application_name={application}", url()),
        Options {
            connections: 2,
            schema: Some(schema.name.clone()),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    store
        .create_state_machine(store::suite::state_machine("BeforeTheKill"))
        .await
        .unwrap();
    // The administrator (or a failover) ends every connection of this store.
    sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = '{application}'"
    ))
    .await;
    // The next write either goes through on a new connection or is refused as Unavailable
    // (the API's 503), never as anything else; the one after that goes through.
    match store
        .create_state_machine(store::suite::state_machine("DuringTheKill"))
        .await
    {
        Ok(()) | Err(store::Error::Unavailable(_)) => {}
        Err(other) => panic!("a killed connection gave {other:?}"),
    }
    let mut written = false;
    for _ in 0..20 {
        match store
            .create_state_machine(store::suite::state_machine("AfterTheKill"))
            .await
        {
            Ok(()) => {
                written = true;
                break;
            }
            Err(store::Error::Unavailable(_)) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(other) => panic!("a write after the kill gave {other:?}"),
        }
    }
    assert!(written, "no connection was replaced");
    for name in ["BeforeTheKill", "AfterTheKill"] {
        let arn = store::suite::state_machine(name).arn;
        assert_eq!(store.get_state_machine(&arn).await.unwrap().name, name);
    }
    drop(store);
    schema.drop_it().await;
}
