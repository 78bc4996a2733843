//! The conformance suite, the migrations and the cluster (leases, claims, fencing) against PostgreSQL (`SWITCHBACK_TEST_DATABASE_URL`, by default the
//! server on 127.0.0.1:5432, database `test`), in a schema of its own per test so that runs
//! never meet each other's rows.

use store::{Cluster, Executions, StateMachines, suite};
use store_postgres::{Membership, Options, PgStore};

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
            &format!(
                "SELECT version FROM {}.schema_version ORDER BY version",
                schema.name
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    // Each migration ran once.
    assert_eq!(
        versions,
        (1..=store_postgres::SCHEMA_VERSION).collect::<Vec<_>>()
    );
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

fn membership(name: &str, lease_ms: u64) -> Membership {
    Membership {
        name: name.to_owned(),
        address: None,
        lease: std::time::Duration::from_millis(lease_ms),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_commits_and_a_claim_fences_the_old_owner() {
    let schema = Schema::new("fence").await;
    let a = schema.store().await.unwrap();
    let b = schema.store().await.unwrap();
    let node_a = a.join(membership("a", 60_000)).await.unwrap();
    let node_b = b.join(membership("b", 60_000)).await.unwrap();
    assert_ne!(node_a, node_b);
    a.create_state_machine(suite::state_machine("m"))
        .await
        .unwrap();
    let (record, mut first) = suite::execution("m", "e", 1_000);
    first.task_tokens = vec![store::TaskToken {
        token: "token-1".to_owned(),
        activity_arn: None,
    }];
    let arn = record.arn.clone();
    a.create_execution(record, first).await.unwrap();
    // The starter drives it; the other node may not commit its steps.
    let refused = b.commit_step(suite::step(&arn, 2, [3])).await.unwrap_err();
    assert!(matches!(refused, store::Error::NotOwner(_)), "{refused}");
    a.commit_step(suite::step(&arn, 2, [3])).await.unwrap();
    // Any node finds the execution of a token it did not hand out.
    assert_eq!(
        b.token_execution("token-1").await.unwrap(),
        Some(arn.clone())
    );
    assert_eq!(b.token_execution("token-2").await.unwrap(), None);
    // A command for it arrived at b: b claims it, and a is fenced from then on.
    assert!(b.claim(&arn).await.unwrap());
    let fenced = a.commit_step(suite::step(&arn, 3, [4])).await.unwrap_err();
    assert!(
        fenced.to_string().contains(&format!("node {node_b}")),
        "{fenced}"
    );
    b.commit_step(suite::step(&arn, 3, [4])).await.unwrap();
    let journal = b.journal(&arn).await.unwrap();
    assert_eq!(
        journal.iter().map(|entry| entry.seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let nodes = a.nodes().await.unwrap();
    assert_eq!(
        nodes.iter().map(|node| node.id).collect::<Vec<_>>(),
        [node_a, node_b]
    );
    assert_eq!(nodes[1].executions, 1);
    assert!(nodes.iter().all(store::NodeRecord::alive));
    // Its end forgets its tokens, and an ended execution is nobody's to claim.
    let mut last = suite::step(&arn, 4, [5]);
    last.end = Some(suite::end("SUCCEEDED", 2_000));
    b.commit_step(last).await.unwrap();
    assert_eq!(a.token_execution("token-1").await.unwrap(), None);
    assert!(!a.claim(&arn).await.unwrap());
    drop((a, b));
    schema.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_nodes_executions_are_claimed_once_and_its_renewal_is_refused() {
    let schema = Schema::new("lease").await;
    let dead = schema.store().await.unwrap();
    let live = schema.store().await.unwrap();
    let other = schema.store().await.unwrap();
    let dead_id = dead.join(membership("dead", 300)).await.unwrap();
    live.join(membership("live", 60_000)).await.unwrap();
    other.join(membership("other", 60_000)).await.unwrap();
    dead.create_state_machine(suite::state_machine("m"))
        .await
        .unwrap();
    let mut arns = Vec::new();
    for index in 0..40 {
        let (record, first) = suite::execution("m", &format!("e{index}"), 1_000);
        arns.push(record.arn.clone());
        dead.create_execution(record, first).await.unwrap();
    }
    // Alive: nothing to claim.
    assert!(live.claim_orphans(100).await.unwrap().is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    // Two nodes claim at once: each execution goes to one of them.
    let (first, second) = tokio::join!(live.claim_orphans(25), other.claim_orphans(25));
    let (mut first, second) = (first.unwrap(), second.unwrap());
    let mut rest = live.claim_orphans(100).await.unwrap();
    assert!(other.claim_orphans(100).await.unwrap().is_empty());
    first.extend(second);
    first.append(&mut rest);
    first.sort();
    arns.sort();
    assert_eq!(first, arns, "every orphan claimed exactly once");
    // The dead node wakes: its steps are fenced and its lease is gone.
    let fenced = dead
        .commit_step(suite::step(&arns[0], 2, [3]))
        .await
        .unwrap_err();
    assert!(matches!(fenced, store::Error::NotOwner(_)), "{fenced}");
    let renewal = dead.renew().await.unwrap_err();
    assert!(renewal.to_string().contains("ran out"), "{renewal}");
    let again = dead.rejoin().await.unwrap();
    assert!(again > dead_id);
    dead.renew().await.unwrap();
    // A clean stop lets go at once: the others claim without waiting for a lease.
    other.leave().await.unwrap();
    let released = live.claim_orphans(100).await.unwrap();
    assert!(!released.is_empty());
    assert!(
        !live
            .nodes()
            .await
            .unwrap()
            .iter()
            .any(|node| node.name == "other")
    );
    drop((dead, live, other));
    schema.drop_it().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_task_is_offered_again_only_after_its_taker_died() {
    let schema = Schema::new("reoffer").await;
    let owner = schema.store().await.unwrap();
    let taker = schema.store().await.unwrap();
    owner.join(membership("owner", 60_000)).await.unwrap();
    taker.join(membership("taker", 300)).await.unwrap();
    owner
        .create_state_machine(suite::state_machine("m"))
        .await
        .unwrap();
    let activity = "arn:aws:states:us-east-1:123456789012:activity:work";
    let (record, mut first) = suite::execution("m", "e", 1_000);
    first.task_tokens = vec![store::TaskToken {
        token: "token-1".to_owned(),
        activity_arn: Some(activity.to_owned()),
    }];
    owner.create_execution(record, first).await.unwrap();
    // The taker's worker starts the task: nobody else can take it.
    assert!(taker.take_token("token-1").await.unwrap());
    taker.token_started("token-1").await.unwrap();
    assert!(!owner.take_token("token-1").await.unwrap());
    assert_eq!(owner.take_activity_task(activity).await.unwrap(), None);
    // While the taker lives, the task stays with its worker.
    assert!(!owner.reoffer_token("token-1").await.unwrap());
    assert!(!owner.take_token("token-1").await.unwrap());
    // The taker dies (its answer to the worker may have died with it): offered again.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(owner.reoffer_token("token-1").await.unwrap());
    assert!(owner.take_token("token-1").await.unwrap());
    owner.token_started("token-1").await.unwrap();
    // Its new taker lives: not again.
    assert!(!taker.reoffer_token("token-1").await.unwrap());
    assert!(!taker.reoffer_token("no-such-token").await.unwrap());
    drop((owner, taker));
    schema.drop_it().await;
}
