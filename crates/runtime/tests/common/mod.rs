//! What the runtime's integration tests share: a runtime over the in-memory store, and waiting for
//! an execution to end and reading its history.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::sync::Arc;
use std::time::Duration;

use runtime::{Config, Runtime};
use serde_json::Value;
use store::mem::MemStore;
use store::{Activities, ActivityRecord, Executions};

/// The activity of [`store_with_activity`].
pub const ACTIVITY: &str = "arn:aws:states:us-east-1:123456789012:activity:work";

/// An in-memory store holding the activity `work`.
pub async fn store_with_activity() -> Arc<MemStore> {
    let store = Arc::new(MemStore::new());
    store
        .create_activity(ActivityRecord {
            arn: ACTIVITY.to_owned(),
            name: "work".to_owned(),
            created_ms: 0,
        })
        .await
        .unwrap();
    store
}

/// A runtime over `store` whose timers run `time_scale` times faster.
pub fn runtime(store: Arc<MemStore>, time_scale: f64) -> Runtime {
    Runtime::new(
        store,
        Config {
            time_scale,
            ..Config::default()
        },
    )
}

/// Waits (up to 5 s) until the execution has ended, and returns its record.
pub async fn wait_for_end(store: &MemStore, arn: &str) -> store::ExecutionRecord {
    for _ in 0..500 {
        let record = store.get_execution(arn).await.unwrap();
        if record.end.is_some() {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{arn} did not end");
}

/// The execution's history events, as JSON.
pub async fn events(store: &MemStore, arn: &str) -> Vec<Value> {
    store
        .history(arn, false, Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|event| serde_json::from_str(&event.json).unwrap())
        .collect()
}

/// The types of the execution's history events, in order.
pub async fn event_types(store: &MemStore, arn: &str) -> Vec<String> {
    events(store, arn)
        .await
        .iter()
        .map(|event| event["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}
