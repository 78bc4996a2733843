//! The runtime over the in-memory store: executions run to their end, timers obey the time
//! scale, activity and callback tasks complete through their tokens, and a new runtime over
//! the same store resumes what an old one left open.

use std::sync::Arc;
use std::time::Duration;

use runtime::{Error, StartRequest};
use serde_json::Value;
use store::Executions;
use store::mem::MemStore;

mod common;

use common::{ACTIVITY, event_types, runtime, store_with_activity, wait_for_end};

fn request(definition: &str, name: Option<&str>, input: &str) -> StartRequest {
    StartRequest {
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".to_owned(),
        state_machine_name: "m".to_owned(),
        definition: definition.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        name: name.map(str::to_owned),
        input: input.to_owned(),
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        logging: None,
        test_case: None,
    }
}

const WAIT: &str = r#"{"StartAt": "W", "States": {
    "W": {"Type": "Wait", "Seconds": 30, "Next": "P"},
    "P": {"Type": "Pass", "Result": {"done": true}, "End": true}}}"#;

#[tokio::test]
async fn a_standard_execution_runs_to_its_end() {
    let store = Arc::new(MemStore::new());
    let runtime = runtime(store.clone(), 1000.0);
    let started = runtime
        .start_execution(request(WAIT, Some("e1"), r#"{"x": 1}"#))
        .await
        .unwrap();
    let record = wait_for_end(&store, &started.execution_arn).await;
    assert_eq!(record.status, "SUCCEEDED");
    assert_eq!(
        record.end.unwrap().output.as_deref(),
        Some(r#"{"done":true}"#)
    );
    assert_eq!(
        event_types(&store, &started.execution_arn).await,
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(runtime.running(), 0);
}

#[tokio::test]
async fn starting_again_returns_the_running_execution_or_refuses() {
    let store = Arc::new(MemStore::new());
    let runtime = runtime(store.clone(), 1.0);
    let first = runtime
        .start_execution(request(WAIT, Some("same"), "{}"))
        .await
        .unwrap();
    let again = runtime
        .start_execution(request(WAIT, Some("same"), "{}"))
        .await
        .unwrap();
    assert_eq!(first, again);
    let other_input = runtime
        .start_execution(request(WAIT, Some("same"), r#"{"a": 1}"#))
        .await;
    assert!(matches!(other_input, Err(Error::ExecutionAlreadyExists(_))));
    runtime
        .stop_execution(&first.execution_arn, Some("E".into()), None)
        .await
        .unwrap();
    let record = store.get_execution(&first.execution_arn).await.unwrap();
    assert_eq!(record.status, "ABORTED");
    let after_end = runtime
        .start_execution(request(WAIT, Some("same"), "{}"))
        .await;
    assert!(matches!(after_end, Err(Error::ExecutionAlreadyExists(_))));
}

#[tokio::test]
async fn a_name_of_an_execution_that_ended_in_its_first_step_is_refused() {
    // Such a start skips the read before its create: the create alone must refuse the name,
    // with the same or another input, and while another execution runs under a reused name.
    let store = Arc::new(MemStore::new());
    let runtime = runtime(store.clone(), 1.0);
    let done = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
    let first = runtime
        .start_execution(request(done, Some("quick"), "{}"))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_execution(&first.execution_arn)
            .await
            .unwrap()
            .status,
        "SUCCEEDED"
    );
    for input in ["{}", r#"{"a": 1}"#] {
        let again = runtime
            .start_execution(request(done, Some("quick"), input))
            .await;
        assert!(matches!(again, Err(Error::ExecutionAlreadyExists(_))));
    }
    // A running execution under the name is handed back for a finishing start's same input.
    let running = runtime
        .start_execution(request(WAIT, Some("slow"), "{}"))
        .await
        .unwrap();
    let same = runtime
        .start_execution(request(done, Some("slow"), "{}"))
        .await
        .unwrap();
    assert_eq!(running, same);
    assert_eq!(runtime.running(), 1);
}

#[tokio::test]
async fn express_runs_synchronously() {
    let store = Arc::new(MemStore::new());
    let runtime = runtime(store.clone(), 1000.0);
    let outcome = runtime
        .start_sync_execution(request(WAIT, None, "{}"))
        .await
        .unwrap();
    assert_eq!(outcome.status.as_str(), "SUCCEEDED");
    assert_eq!(outcome.output.as_deref(), Some(r#"{"done":true}"#));
    assert!(outcome.execution_arn.contains(":express:m:"));
    // Nothing of an express execution is kept.
    assert!(store.open_executions().await.unwrap().is_empty());
}

const ACTIVITY_MACHINE: &str = r#"{"StartAt": "A", "States": {
    "A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:work",
          "End": true}}}"#;

#[tokio::test]
async fn an_activity_task_completes_through_its_token() {
    let store = store_with_activity().await;
    let runtime = runtime(store.clone(), 1.0);
    let started = runtime
        .start_execution(request(ACTIVITY_MACHINE, None, r#"{"job": 7}"#))
        .await
        .unwrap();
    let task = runtime
        .get_activity_task(ACTIVITY, Some("worker-1".into()), Duration::from_secs(5))
        .await
        .unwrap()
        .expect("a task");
    assert_eq!(task.input, r#"{"job":7}"#);
    runtime
        .send_task_success(&task.task_token, r#"{"ok": true}"#)
        .await
        .unwrap();
    let record = wait_for_end(&store, &started.execution_arn).await;
    assert_eq!(record.status, "SUCCEEDED");
    assert_eq!(
        event_types(&store, &started.execution_arn).await,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    // The token is spent.
    assert!(matches!(
        runtime.send_task_success(&task.task_token, "{}").await,
        Err(Error::TaskTimedOut)
    ));
    // Nobody polls in vain for long.
    let none = runtime
        .get_activity_task(ACTIVITY, None, Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(none, None);
}

#[tokio::test]
async fn unknown_activities_and_bad_outputs_are_refused() {
    let store = Arc::new(MemStore::new());
    let runtime = runtime(store, 1.0);
    assert!(matches!(
        runtime
            .get_activity_task(ACTIVITY, None, Duration::from_millis(10))
            .await,
        Err(Error::ActivityDoesNotExist(_))
    ));
    assert!(matches!(
        runtime.send_task_success("", "{}").await,
        Err(Error::InvalidToken(_))
    ));
    assert!(matches!(
        runtime.send_task_success("abc", "not json").await,
        Err(Error::InvalidOutput(_))
    ));
}

const CALLBACK: &str = r#"{"StartAt": "C", "States": {
    "C": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
          "Parameters": {"token.$": "$$.Task.Token"}, "HeartbeatSeconds": 5, "End": true}}}"#;

async fn token_of(store: &MemStore, arn: &str) -> String {
    for _ in 0..200 {
        for event in store
            .history(arn, false, Default::default())
            .await
            .unwrap()
            .items
        {
            let json: Value = serde_json::from_str(&event.json).unwrap();
            if json["type"] == "TaskScheduled" {
                let parameters: Value = serde_json::from_str(
                    json["taskScheduledEventDetails"]["parameters"]
                        .as_str()
                        .unwrap(),
                )
                .unwrap();
                return parameters["token"].as_str().unwrap().to_owned();
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no TaskScheduled event");
}

#[tokio::test]
async fn a_callback_task_fails_through_its_token() {
    let store = Arc::new(MemStore::new());
    let runtime = runtime(store.clone(), 1.0);
    let started = runtime
        .start_execution(request(CALLBACK, None, "{}"))
        .await
        .unwrap();
    let token = token_of(&store, &started.execution_arn).await;
    runtime.send_task_heartbeat(&token).await.unwrap();
    runtime
        .send_task_failure(&token, Some("Boom".into()), Some("it broke".into()))
        .await
        .unwrap();
    let record = wait_for_end(&store, &started.execution_arn).await;
    assert_eq!(record.status, "FAILED");
    let end = record.end.unwrap();
    assert_eq!(end.error.as_deref(), Some("Boom"));
    assert_eq!(end.cause.as_deref(), Some("it broke"));
}

#[tokio::test]
async fn a_missed_heartbeat_times_the_task_out() {
    let store = Arc::new(MemStore::new());
    // 5 s of heartbeat at 100x is 50 ms.
    let runtime = runtime(store.clone(), 100.0);
    let started = runtime
        .start_execution(request(CALLBACK, None, "{}"))
        .await
        .unwrap();
    let record = wait_for_end(&store, &started.execution_arn).await;
    assert_eq!(record.status, "FAILED");
    let types = event_types(&store, &started.execution_arn).await;
    assert!(types.contains(&"TaskTimedOut".to_owned()), "{types:?}");
}

#[tokio::test]
async fn unsupported_integrations_fail_clearly() {
    let store = Arc::new(MemStore::new());
    let runtime = runtime(store.clone(), 1.0);
    let definition = r#"{"StartAt": "L", "States": {
        "L": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}"#;
    let started = runtime
        .start_execution(request(definition, None, "{}"))
        .await
        .unwrap();
    let record = wait_for_end(&store, &started.execution_arn).await;
    assert_eq!(record.status, "FAILED");
    let end = record.end.unwrap();
    assert_eq!(end.error.as_deref(), Some("States.Runtime"));
    assert!(
        end.cause
            .unwrap()
            .contains("not supported by Switchback yet")
    );
}

#[tokio::test]
async fn a_new_runtime_resumes_open_executions() {
    let store = store_with_activity().await;
    let waiting = {
        // A long wait at scale 1 never fires while the first runtime lives.
        let first = runtime(store.clone(), 1.0);
        let wait = first
            .start_execution(request(WAIT, Some("waiting"), "{}"))
            .await
            .unwrap();
        let activity = first
            .start_execution(request(ACTIVITY_MACHINE, Some("activity"), "{}"))
            .await
            .unwrap();
        (wait, activity)
    };
    // The first runtime is gone (as after a crash: its actors are not polled any more, and
    // nothing they did was committed after the start). A new one takes over, faster.
    let second = runtime(store.clone(), 1000.0);
    assert_eq!(second.recover().await.unwrap(), 2);
    let record = wait_for_end(&store, &waiting.0.execution_arn).await;
    assert_eq!(record.status, "SUCCEEDED");
    let task = second
        .get_activity_task(ACTIVITY, None, Duration::from_secs(5))
        .await
        .unwrap()
        .expect("the activity task is offered again");
    second
        .send_task_success(&task.task_token, "1")
        .await
        .unwrap();
    let record = wait_for_end(&store, &waiting.1.execution_arn).await;
    assert_eq!(record.status, "SUCCEEDED");
    assert_eq!(record.end.unwrap().output.as_deref(), Some("1"));
}
