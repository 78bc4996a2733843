//! Parked executions (issue 10): a durable execution that waits only for a timer keeps nothing
//! in memory but its mailbox, and is rebuilt from its journal when the timer is due or a
//! command reaches it. What it does must not change.

use std::sync::Arc;
use std::time::Duration;

use runtime::{Config, Runtime, StartRequest};
use serde_json::{Value, json};
use store::Executions;
use store::mem::MemStore;

mod common;

use common::{ACTIVITY, event_types, store_with_activity, wait_for_end};

/// A runtime whose timers run ten times faster and which parks an execution whose next timer
/// is at least 100 ms off.
fn parking_runtime(store: Arc<MemStore>, park_after: Option<Duration>) -> Runtime {
    Runtime::new(
        store,
        Config {
            time_scale: 10.0,
            park_after,
            ..Config::default()
        },
    )
}

fn request(definition: &Value, name: &str, input: Value) -> StartRequest {
    StartRequest {
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".to_owned(),
        state_machine_name: "m".to_owned(),
        definition: definition.to_string(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        name: Some(name.to_owned()),
        input: input.to_string(),
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        logging: None,
        test_case: None,
    }
}

async fn until_parked(runtime: &Runtime, count: usize) {
    for _ in 0..200 {
        if runtime.parked() == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} parked, not {count}", runtime.parked());
}

#[tokio::test]
async fn a_parked_execution_goes_on_when_its_timer_is_due_with_its_variables_and_context() {
    let store = store_with_activity().await;
    let runtime = parking_runtime(store.clone(), Some(Duration::from_millis(100)));
    // A Map whose iterations wait, inside a machine that assigned a variable before: the
    // rebuild must restore the threads, the variables and the Context object.
    let definition = json!({"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"greeting": "hello"}, "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.waited",
                 "ItemProcessor": {"StartAt": "Nap", "States": {
                     "Nap": {"Type": "Wait", "Seconds": 5, "End": true}}},
                 "Next": "Done"},
        "Done": {"Type": "Pass", "End": true, "Parameters": {
            "greeting.$": "$greeting", "waited.$": "$.waited",
            "name.$": "$$.Execution.Name"}}}});
    let started = runtime
        .start_execution(request(&definition, "nap", json!({"items": [1, 2]})))
        .await
        .unwrap();
    until_parked(&runtime, 1).await;
    assert_eq!(
        runtime.running(),
        1,
        "a parked execution still counts as running"
    );
    let record = wait_for_end(&store, &started.execution_arn).await;
    assert_eq!(record.status, "SUCCEEDED");
    let output: Value =
        serde_json::from_str(record.end.unwrap().output.as_deref().unwrap()).unwrap();
    assert_eq!(
        output,
        json!({"greeting": "hello", "waited": [1, 2], "name": "nap"})
    );
    assert_eq!(
        event_types(&store, &started.execution_arn).await,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "MapStateEntered",
            "MapStateStarted",
            "MapIterationStarted",
            "WaitStateEntered",
            "MapIterationStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "MapIterationSucceeded",
            "WaitStateExited",
            "MapIterationSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded",
        ]
    );
    assert_eq!(runtime.parked(), 0);
    assert_eq!(runtime.running(), 0);
}

#[tokio::test]
async fn a_parked_execution_stops_at_once_and_a_second_start_finds_it() {
    let store = store_with_activity().await;
    let runtime = parking_runtime(store.clone(), Some(Duration::from_millis(100)));
    let definition =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let started = runtime
        .start_execution(request(&definition, "long", json!({})))
        .await
        .unwrap();
    until_parked(&runtime, 1).await;
    // The same name and input while it runs: the same execution, nothing new.
    let again = runtime
        .start_execution(request(&definition, "long", json!({})))
        .await
        .unwrap();
    assert_eq!(again.execution_arn, started.execution_arn);
    runtime
        .stop_execution(
            &started.execution_arn,
            Some("Enough".to_owned()),
            Some("stopped while parked".to_owned()),
        )
        .await
        .unwrap();
    let record = store.get_execution(&started.execution_arn).await.unwrap();
    assert_eq!(record.status, "ABORTED", "stopped before the answer");
    assert_eq!(
        event_types(&store, &started.execution_arn).await,
        ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    );
    assert_eq!(runtime.parked(), 0);
    assert_eq!(runtime.running(), 0);
}

#[tokio::test]
async fn an_execution_with_a_task_out_or_a_near_timer_does_not_park() {
    let store = store_with_activity().await;
    let runtime = parking_runtime(store.clone(), Some(Duration::from_millis(500)));
    // A branch waits long, the other has an activity task out.
    let definition = json!({"StartAt": "Both", "States": {"Both": {
    "Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}},
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": ACTIVITY, "End": true}}}
    ]}}});
    let busy = runtime
        .start_execution(request(&definition, "busy", json!({})))
        .await
        .unwrap();
    // A timer 100 ms off (1 s at ten times faster): nearer than `park_after`.
    let near =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}});
    let soon = runtime
        .start_execution(request(&near, "soon", json!({})))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(runtime.parked(), 0);
    assert_eq!(
        wait_for_end(&store, &soon.execution_arn).await.status,
        "SUCCEEDED"
    );
    assert_eq!(runtime.parked(), 0);
    runtime
        .stop_execution(&busy.execution_arn, None, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn without_park_after_nothing_parks() {
    let store = store_with_activity().await;
    let runtime = parking_runtime(store.clone(), None);
    let definition =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3, "End": true}}});
    let started = runtime
        .start_execution(request(&definition, "awake", json!({})))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(runtime.parked(), 0);
    assert_eq!(runtime.running(), 1);
    assert_eq!(
        wait_for_end(&store, &started.execution_arn).await.status,
        "SUCCEEDED"
    );
}
