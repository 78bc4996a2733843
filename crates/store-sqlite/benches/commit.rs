//! `commit_step` throughput with 1, 8 and 64 concurrent writers, each on its own execution.
//!
//! Run with `cargo bench -p store-sqlite --bench commit`; criterion reports steps per second
//! (`thrpt`). With `Durability::Full` every commit is an fsync, so the numbers show what group
//! commit buys: one writer pays a whole commit per step, many writers share one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use store::Executions;
use store::suite::{execution, step};
use store_sqlite::{Durability, Options, SqliteStore};

/// One writer's execution and the next journal entry it commits.
struct Lane {
    arn: String,
    next: AtomicU64,
}

fn commit_step(criterion: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut group = criterion.benchmark_group("commit_step");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(1));
    for durability in [Durability::Full, Durability::Normal] {
        for writers in [1_usize, 8, 64] {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let options = Options {
                durability,
                ..Options::default()
            };
            let store = Arc::new(SqliteStore::open_with(dir.path(), options).expect("a store"));
            let lanes: Arc<Vec<Lane>> = Arc::new(
                (0..writers)
                    .map(|index| {
                        let (record, first) = execution("bench", &format!("w{index}"), 0);
                        runtime
                            .block_on(store.create_execution(record.clone(), first))
                            .expect("an execution");
                        Lane {
                            arn: record.arn,
                            next: AtomicU64::new(2),
                        }
                    })
                    .collect(),
            );
            let id = BenchmarkId::new(format!("{durability:?}"), format!("{writers} writers"));
            group.bench_function(id, |bencher| {
                bencher.iter_custom(|steps| {
                    let store = Arc::clone(&store);
                    let lanes = Arc::clone(&lanes);
                    runtime.block_on(async move {
                        let started = Instant::now();
                        let tasks: Vec<_> = (0..writers)
                            .map(|index| {
                                // Split the steps evenly; the first lanes take the remainder.
                                let share = steps / writers as u64
                                    + u64::from((index as u64) < steps % writers as u64);
                                let store = Arc::clone(&store);
                                let lanes = Arc::clone(&lanes);
                                tokio::spawn(async move {
                                    let lane = &lanes[index];
                                    for _ in 0..share {
                                        let seq = lane.next.fetch_add(1, Ordering::Relaxed);
                                        let mut commit = step(&lane.arn, seq, [2 * seq, 2 * seq + 1]);
                                        commit.journal.input = format!(
                                            r#"{{"TaskSucceeded":{{"token":"t{seq}","output":{{"value":{seq},"note":"a typical small task result"}}}}}}"#
                                        );
                                        store.commit_step(commit).await.expect("a committed step");
                                    }
                                })
                            })
                            .collect();
                        for task in tasks {
                            task.await.expect("a writer task");
                        }
                        started.elapsed()
                    })
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, commit_step);
criterion_main!(benches);
