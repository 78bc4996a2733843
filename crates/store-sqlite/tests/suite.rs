//! The conformance suite against the SQLite backend, in a fresh directory per test.

use store_sqlite::{Durability, Options, SqliteStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store::suite::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_suite_with_normal_durability_and_small_batches() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        durability: Durability::Normal,
        readers: 1,
        max_batch: 3,
    };
    let store = SqliteStore::open_with(dir.path(), options).unwrap();
    store::suite::run_all(&store).await;
}
