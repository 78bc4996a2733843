//! Crashes and restarts (issue 3): what a runtime acknowledged is committed, and a new runtime
//! over the same store goes on exactly where the old one stood.
//!
//! A crash is a runtime that lives on its own tokio runtime, dropped at once: its actors, timers
//! and queues vanish without another step, as with `kill -9`; the in-memory store stays, as
//! the SQLite file would.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use runtime::{Error, Runtime, StartRequest};
use serde_json::{Value, json};
use store::mem::MemStore;
use store::{ExecutionRecord, Executions, JournalEntry, StepCommit};

mod common;

use common::{ACTIVITY, event_types, events, runtime, store_with_activity, wait_for_end};

fn request(definition: &str, name: &str) -> StartRequest {
    StartRequest {
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".to_owned(),
        state_machine_name: "m".to_owned(),
        definition: definition.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        name: Some(name.to_owned()),
        input: format!(r#"{{"name": "{name}"}}"#),
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        logging: None,
        test_case: None,
    }
}

/// Runs `body` against a runtime (time scale 1: no timer fires) that then crashes.
fn before_crash<T, F>(store: Arc<MemStore>, body: impl FnOnce(Runtime) -> F + Send + 'static) -> T
where
    T: Send + 'static,
    F: Future<Output = T>,
{
    std::thread::spawn(move || {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let result = tokio.block_on(body(runtime(store, 1.0)));
        // Every actor, timer and queued task of the old runtime is gone with it.
        drop(tokio);
        result
    })
    .join()
    .unwrap()
}

fn arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:123456789012:execution:m:{name}")
}

const ACTIVITY_THEN_WAIT: &str = r#"{"StartAt": "A", "States": {
    "A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:work",
          "HeartbeatSeconds": 5, "Next": "W"},
    "W": {"Type": "Wait", "Seconds": 30, "End": true}}}"#;

#[tokio::test]
async fn a_worker_hears_of_its_task_and_its_report_only_once_they_are_committed() {
    let store = store_with_activity().await;
    let runtime = runtime(store.clone(), 1.0);
    let started = runtime
        .start_execution(request(ACTIVITY_THEN_WAIT, "acked"))
        .await
        .unwrap();
    let task = runtime
        .get_activity_task(ACTIVITY, Some("w".into()), Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    // No task switch between the answer and the look: the step is in the store already.
    assert!(
        event_types(&store, &started.execution_arn)
            .await
            .contains(&"ActivityStarted".to_owned())
    );
    runtime
        .send_task_success(&task.task_token, "{}")
        .await
        .unwrap();
    assert!(
        event_types(&store, &started.execution_arn)
            .await
            .contains(&"ActivitySucceeded".to_owned())
    );
}

#[tokio::test]
async fn a_token_handed_out_before_a_crash_completes_its_task_after_it() {
    let store = store_with_activity().await;
    let token = before_crash(store.clone(), |first| async move {
        first
            .start_execution(request(ACTIVITY_THEN_WAIT, "held"))
            .await
            .unwrap();
        let task = first
            .get_activity_task(ACTIVITY, Some("w".into()), Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        task.task_token
    });
    let second = runtime(store.clone(), 1000.0);
    assert_eq!(second.recover().await.unwrap(), 1);
    // The replay drew the same token from the execution's seeded entropy.
    second
        .send_task_success(&token, r#"{"x": 1}"#)
        .await
        .unwrap();
    let record = wait_for_end(&store, &arn("held")).await;
    assert_eq!(record.status, "SUCCEEDED");
    let types = event_types(&store, &arn("held")).await;
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "WaitStateEntered",
            "WaitStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn a_task_completed_before_a_crash_is_neither_offered_nor_completed_again() {
    let store = store_with_activity().await;
    let token = before_crash(store.clone(), |first| async move {
        first
            .start_execution(request(ACTIVITY_THEN_WAIT, "done"))
            .await
            .unwrap();
        let task = first
            .get_activity_task(ACTIVITY, None, Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        // Acknowledged, hence committed: the execution is in its Wait when the crash comes.
        first
            .send_task_success(&task.task_token, "{}")
            .await
            .unwrap();
        task.task_token
    });
    let second = runtime(store.clone(), 1.0);
    assert_eq!(second.recover().await.unwrap(), 1);
    assert!(matches!(
        second.send_task_success(&token, "{}").await,
        Err(Error::TaskTimedOut)
    ));
    let offered = second
        .get_activity_task(ACTIVITY, None, Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(offered, None);
    let types = event_types(&store, &arn("done")).await;
    assert_eq!(
        types.iter().filter(|t| *t == "ActivitySucceeded").count(),
        1
    );
}

#[tokio::test]
async fn outstanding_tasks_are_offered_again_and_start_once() {
    let store = store_with_activity().await;
    let before = before_crash(store.clone(), |first| async move {
        for name in ["picked", "waiting"] {
            first
                .start_execution(request(ACTIVITY_THEN_WAIT, name))
                .await
                .unwrap();
        }
        first
            .get_activity_task(ACTIVITY, Some("lost".into()), Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap()
    });
    let second = runtime(store.clone(), 1000.0);
    assert_eq!(second.recover().await.unwrap(), 2);
    let mut offered = Vec::new();
    for _ in 0..2 {
        let task = second
            .get_activity_task(ACTIVITY, Some("new".into()), Duration::from_secs(5))
            .await
            .unwrap()
            .expect("both outstanding tasks are offered again");
        offered.push(task);
    }
    // The task picked up before the crash comes again with the same token.
    assert!(offered.contains(&before));
    for task in &offered {
        second
            .send_task_success(&task.task_token, "{}")
            .await
            .unwrap();
    }
    for name in ["picked", "waiting"] {
        let record = wait_for_end(&store, &arn(name)).await;
        assert_eq!(record.status, "SUCCEEDED");
        let events = events(&store, &arn(name)).await;
        let starts: Vec<&Value> = events
            .iter()
            .filter(|event| event["type"] == "ActivityStarted")
            .collect();
        assert_eq!(starts.len(), 1, "{name}: {events:?}");
        let worker = &starts[0]["activityStartedEventDetails"]["workerName"];
        assert_eq!(worker, if name == "picked" { "lost" } else { "new" });
    }
    // Nothing is left to hand out.
    let none = second
        .get_activity_task(ACTIVITY, None, Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(none, None);
}

#[tokio::test]
async fn the_heartbeat_of_a_task_started_before_a_crash_is_armed_again() {
    let store = store_with_activity().await;
    before_crash(store.clone(), |first| async move {
        first
            .start_execution(request(ACTIVITY_THEN_WAIT, "silent"))
            .await
            .unwrap();
        first
            .get_activity_task(ACTIVITY, None, Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
    });
    // The worker that took the task never reports: at 100x, 5 s of heartbeat is 50 ms.
    let second = runtime(store.clone(), 100.0);
    assert_eq!(second.recover().await.unwrap(), 1);
    let record = wait_for_end(&store, &arn("silent")).await;
    assert_eq!(record.status, "FAILED");
    // A missed heartbeat is recorded as `States.Timeout` (`States.HeartbeatTimeout` is only a
    // name for Retry and Catch to match on).
    assert_eq!(record.end.unwrap().error.as_deref(), Some("States.Timeout"));
    let types = event_types(&store, &arn("silent")).await;
    assert_eq!(types.iter().filter(|t| *t == "ActivityTimedOut").count(), 1);
}

const CALLBACK: &str = r#"{"StartAt": "C", "States": {
    "C": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
          "Parameters": {"token.$": "$$.Task.Token"}, "End": true}}}"#;

#[tokio::test]
async fn a_callback_task_started_before_a_crash_starts_once() {
    let store = Arc::new(MemStore::new());
    let token = before_crash(store.clone(), |first| async move {
        first
            .start_execution(request(CALLBACK, "callback"))
            .await
            .unwrap();
        let store = first.store().clone();
        for _ in 0..200 {
            let history: Vec<Value> = store
                .history(&arn("callback"), false, Default::default())
                .await
                .unwrap()
                .items
                .iter()
                .map(|event| serde_json::from_str(&event.json).unwrap())
                .collect();
            // Once the task has started, the crash comes; its token is in the scheduled event.
            if history.iter().any(|event| event["type"] == "TaskStarted") {
                let scheduled = history
                    .iter()
                    .find(|event| event["type"] == "TaskScheduled")
                    .unwrap();
                let parameters: Value = serde_json::from_str(
                    scheduled["taskScheduledEventDetails"]["parameters"]
                        .as_str()
                        .unwrap(),
                )
                .unwrap();
                return parameters["token"].as_str().unwrap().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the callback task did not start");
    });
    let second = runtime(store.clone(), 1.0);
    assert_eq!(second.recover().await.unwrap(), 1);
    // Let the new actor start the task again (as it does after every restart) before it ends.
    tokio::time::sleep(Duration::from_millis(100)).await;
    second.send_task_success(&token, r#""ok""#).await.unwrap();
    let record = wait_for_end(&store, &arn("callback")).await;
    assert_eq!(record.status, "SUCCEEDED");
    assert_eq!(
        event_types(&store, &arn("callback")).await,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn a_journal_that_replays_to_an_unrecorded_end_is_not_resumed() {
    // A Pass machine ends in its first step; a record that says otherwise cannot be resumed.
    let store = Arc::new(MemStore::new());
    let arn = arn("diverged");
    store
        .create_execution(
            ExecutionRecord {
                arn: arn.clone(),
                state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m"
                    .to_owned(),
                name: "diverged".to_owned(),
                status: "RUNNING".to_owned(),
                input: "{}".to_owned(),
                definition: r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#
                    .to_owned(),
                role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
                start_ms: 0,
                seed: 1,
                end: None,
                state_machine_version_arn: None,
                state_machine_alias_arn: None,
                test_case: None,
                redrive_count: 0,
                redrive_ms: None,
            },
            StepCommit {
                execution_arn: arn.clone(),
                journal: JournalEntry {
                    seq: 1,
                    at_ms: 0,
                    input: json!({"v": 1, "type": "Start", "input": {}}).to_string(),
                },
                events: Vec::new(),
                end: None,
                redrive: None,
                task_tokens: Vec::new(),
            },
        )
        .await
        .unwrap();
    let runtime = runtime(store.clone(), 1.0);
    assert_eq!(runtime.recover().await.unwrap(), 0);
    assert_eq!(runtime.running(), 0);
}

#[tokio::test]
async fn a_resumed_execution_logs_on_with_the_configuration_of_its_machine() {
    use store::{StateMachineRecord, StateMachines};

    let store = Arc::new(MemStore::new());
    let group = "/aws/vendedlogs/states/resumed";
    let configuration = json!({
        "level": "ALL",
        "includeExecutionData": false,
        "destinations": [{"cloudWatchLogsLogGroup": {
            "logGroupArn": format!("arn:aws:logs:us-east-1:123456789012:log-group:{group}:*")}}],
    })
    .to_string();
    let definition =
        r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "End": true}}}"#;
    store
        .create_state_machine(StateMachineRecord {
            arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".to_owned(),
            name: "m".to_owned(),
            machine_type: "STANDARD".to_owned(),
            definition: definition.to_owned(),
            role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
            created_ms: 0,
            updated_ms: 0,
            revision_id: "r1".to_owned(),
            description: None,
            logging_configuration: Some(configuration.clone()),
            tracing_configuration: None,
        })
        .await
        .unwrap();
    let data_dir = std::env::temp_dir().join(format!("switchback-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let first_dir = data_dir.clone();
    before_crash(store.clone(), move |first| async move {
        first.write_logs_to(first_dir);
        let mut start = request(definition, "logged");
        start.logging = runtime::logs::Logging::from_configuration(&configuration).map(Arc::new);
        first.start_execution(start).await.unwrap();
    });
    let second = runtime(store.clone(), 100.0);
    second.write_logs_to(data_dir.clone());
    assert_eq!(second.recover().await.unwrap(), 1);
    assert_eq!(
        wait_for_end(&store, &arn("logged")).await.status,
        "SUCCEEDED"
    );
    let text = std::fs::read_to_string(runtime::logs::path(&data_dir, group)).unwrap();
    let types: Vec<String> = text
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // Before the crash: the start and the Wait entered; after it, the rest, in the same file.
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "ExecutionSucceeded"
        ]
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}
