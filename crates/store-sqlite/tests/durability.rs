//! Committed steps survive the store being dropped, and the process being killed mid-write.
//!
//! The crash test runs this test binary again as a child (selected by an environment variable)
//! that commits steps in a loop and prints each one acknowledged; the parent kills it with
//! SIGKILL, reopens the database, and checks that every acknowledged step is there and that no
//! journal or history has a gap. It does so three times over the same directory, so recovery
//! of a database that was itself recovered is covered too.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use store::suite::{end, execution, state_machine, step};
use store::{Error, Executions, StateMachines, Store, Tags};
use store_sqlite::{Durability, Options, SqliteStore};

const CHILD_DIR: &str = "SWITCHBACK_CRASH_TEST_DIR";
const CRASH_TEST: &str = "a_killed_writer_loses_no_acknowledged_step";
const CRASH_EXECUTIONS: usize = 8;

async fn write_and_drop(dir: &Path, durability: Durability) {
    let options = Options {
        durability,
        ..Options::default()
    };
    let store = Arc::new(SqliteStore::open_with(dir, options.clone()).unwrap());
    store
        .create_state_machine(state_machine("durable"))
        .await
        .unwrap();
    store
        .tag(
            &state_machine("durable").arn,
            vec![("k".to_owned(), "v".to_owned())],
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for index in 0..10 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let (record, first) = execution("durable", &format!("e{index}"), index);
            store.create_execution(record.clone(), first).await?;
            for seq in 2..=30 {
                let mut commit = step(&record.arn, seq, [seq]);
                if seq == 30 && index % 2 == 0 {
                    commit.end = Some(end("SUCCEEDED", 1));
                }
                store.commit_step(commit).await?;
            }
            Ok::<_, Error>(())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    drop(store);

    let store = SqliteStore::open_with(dir, options).unwrap();
    assert_eq!(
        store
            .get_state_machine(&state_machine("durable").arn)
            .await
            .unwrap(),
        state_machine("durable")
    );
    assert_eq!(
        store
            .tags(&state_machine("durable").arn)
            .await
            .unwrap()
            .len(),
        1
    );
    for index in 0..10 {
        let arn = execution("durable", &format!("e{index}"), index).0.arn;
        let seqs: Vec<u64> = store
            .journal(&arn)
            .await
            .unwrap()
            .iter()
            .map(|entry| entry.seq)
            .collect();
        assert_eq!(seqs, (1..=30).collect::<Vec<_>>());
        let history = store
            .history(&arn, false, Default::default())
            .await
            .unwrap();
        assert_eq!(history.items.len(), 30);
        let expected = if index % 2 == 0 {
            "SUCCEEDED"
        } else {
            "RUNNING"
        };
        assert_eq!(store.get_execution(&arn).await.unwrap().status, expected);
    }
    assert_eq!(store.open_executions().await.unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_store_keeps_every_committed_step() {
    let dir = tempfile::tempdir().unwrap();
    write_and_drop(dir.path(), Durability::Full).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_store_keeps_every_committed_step_with_normal_durability() {
    let dir = tempfile::tempdir().unwrap();
    write_and_drop(dir.path(), Durability::Normal).await;
}

fn crash_arn(index: usize) -> String {
    execution("crash", &format!("e{index}"), 0).0.arn
}

/// The child: resumes every execution where the database has it, then commits steps from
/// several tasks until it is killed (or, should the parent be gone, for at most a minute).
async fn write_until_killed(dir: &Path) {
    let store = Arc::new(SqliteStore::open(dir).unwrap());
    let mut tasks = Vec::new();
    for index in 0..CRASH_EXECUTIONS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let arn = crash_arn(index);
            let mut next = match store.journal(&arn).await {
                Ok(journal) => journal.len() as u64 + 1,
                Err(Error::NotFound(_)) => {
                    let (record, first) = execution("crash", &format!("e{index}"), 0);
                    store.create_execution(record, first).await.unwrap();
                    2
                }
                Err(error) => panic!("{error}"),
            };
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while std::time::Instant::now() < deadline {
                let mut commit = step(&arn, next, [next]);
                // A large input makes the commit long enough for the kill to land inside it.
                commit.journal.input = format!(r#"{{"pad":"{}"}}"#, "x".repeat(16 * 1024));
                store.commit_step(commit).await.unwrap();
                let mut out = std::io::stdout().lock();
                writeln!(out, "ack {index} {next}").unwrap();
                out.flush().unwrap();
                next += 1;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

async fn check_after_crash(store: &dyn Store, acked: &HashMap<usize, u64>) {
    for index in 0..CRASH_EXECUTIONS {
        let arn = crash_arn(index);
        let journal = store.journal(&arn).await.unwrap();
        let seqs: Vec<u64> = journal.iter().map(|entry| entry.seq).collect();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "{arn}");
        let last_acked = acked.get(&index).copied().unwrap_or(0);
        assert!(
            seqs.len() as u64 >= last_acked,
            "{arn}: step {last_acked} was acknowledged, the journal ends at {}",
            seqs.len()
        );
        // Each step wrote one event with its own number: journal and history agree.
        let mut ids = Vec::new();
        let mut token = None;
        loop {
            let page = store
                .history(&arn, false, store::PageRequest { limit: 1000, token })
                .await
                .unwrap();
            ids.extend(page.items.iter().map(|event| event.id));
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(ids, seqs, "{arn}");
    }
}

#[test]
fn a_killed_writer_loses_no_acknowledged_step() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        runtime.block_on(write_until_killed(Path::new(&dir)));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut acked: HashMap<usize, u64> = HashMap::new();
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([CRASH_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        let mut record = |line: &str| {
            let mut words = line.split(' ');
            if words.next() != Some("ack") {
                return false;
            }
            let index: usize = words.next().unwrap().parse().unwrap();
            let seq: u64 = words.next().unwrap().parse().unwrap();
            let last = acked.entry(index).or_default();
            *last = (*last).max(seq);
            true
        };
        // Kill it a little later each round, always while it is writing.
        while seen < 150 + 100 * round {
            let Some(line) = lines.next() else {
                panic!("the child stopped before it was killed")
            };
            if record(&line.unwrap()) {
                seen += 1;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // Acknowledgements printed before the kill are still in the pipe.
        for line in lines {
            record(&line.unwrap());
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        runtime.block_on(check_after_crash(&store, &acked));
    }
    assert_eq!(acked.len(), CRASH_EXECUTIONS);
}
