//! RedriveExecution (issue 9): AWS's rules and errors, DescribeExecution's and ListExecutions'
//! redrive members, and a redriven execution that runs on to success, across a crash too.

use std::sync::Arc;
use std::time::Duration;

use runtime::{Config, Runtime};
use serde_json::{Value, json};
use store::mem::MemStore;

mod common;

use common::Api;

/// Prepare (Pass), then a callback task whose token is in its TaskScheduled parameters.
const CALLBACK: &str = r#"{"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Result": {"order": 7}, "Next": "Publish"},
    "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/q",
                               "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order",
                                               "redrives.$": "$$.Execution.RedriveCount"}},
                "End": true}}}"#;

fn types(history: &[Value]) -> Vec<String> {
    history
        .iter()
        .map(|event| event["type"].as_str().unwrap().to_owned())
        .collect()
}

/// The message body of the last TaskScheduled event.
async fn last_message(api: &Api, execution: &str) -> Value {
    for _ in 0..300 {
        let history = api.history(execution).await;
        if let Some(event) = history.iter().rev().find(|e| e["type"] == "TaskScheduled") {
            let parameters: Value = serde_json::from_str(
                event["taskScheduledEventDetails"]["parameters"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            return parameters["MessageBody"].clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no task scheduled");
}

async fn fail_task(api: &Api, token: &str) {
    api.call(
        "SendTaskFailure",
        json!({"taskToken": token, "error": "Queue.Down", "cause": "try later"}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn a_failed_execution_is_redriven_from_its_failed_state_and_succeeds() {
    let api = Api::new();
    let machine = api.create_machine("m", CALLBACK, "STANDARD").await;
    let execution = api.start(&machine, json!({})).await;
    let first = last_message(&api, &execution).await;
    assert_eq!(first["redrives"], 0);
    fail_task(&api, first["token"].as_str().unwrap()).await;
    let failed = api.wait_end(&execution).await;
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["redriveStatus"], "REDRIVABLE");
    assert_eq!(failed["redriveCount"], 0);

    let answer = api
        .call("RedriveExecution", json!({"executionArn": execution}))
        .await
        .ok();
    assert!(answer["redriveDate"].is_number(), "{answer}");
    let running = api
        .call("DescribeExecution", json!({"executionArn": execution}))
        .await
        .ok();
    assert_eq!(running["status"], "RUNNING");
    assert_eq!(running["redriveCount"], 1);
    assert_eq!(running["redriveDate"], answer["redriveDate"]);
    assert!(running.get("stopDate").is_none());

    let second = last_message(&api, &execution).await;
    assert_eq!(second["redrives"], 1);
    assert_ne!(second["token"], first["token"]);
    // The old token belongs to the failed run.
    let stale = api
        .call(
            "SendTaskSuccess",
            json!({"taskToken": first["token"], "output": "{}"}),
        )
        .await;
    stale.err("TaskTimedOut");
    api.call(
        "SendTaskSuccess",
        json!({"taskToken": second["token"], "output": r#"{"sent": true}"#}),
    )
    .await
    .ok();
    let done = api.wait_end(&execution).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["redriveStatus"], "NOT_REDRIVABLE");
    let history = api.history(&execution).await;
    let types = types(&history);
    let redriven = types.iter().position(|t| t == "ExecutionRedriven").unwrap();
    assert_eq!(types[redriven - 1], "ExecutionFailed");
    assert_eq!(
        types[redriven + 1..redriven + 3],
        ["TaskStateEntered", "TaskScheduled"]
    );
    assert_eq!(
        history[redriven]["executionRedrivenEventDetails"],
        json!({"redriveCount": 1})
    );
    // Prepare ran once.
    assert_eq!(types.iter().filter(|t| *t == "PassStateEntered").count(), 1);

    let listed = |filter: &'static str| {
        let api = &api;
        let machine = machine.clone();
        async move {
            api.call(
                "ListExecutions",
                json!({"stateMachineArn": machine, "redriveFilter": filter}),
            )
            .await
            .ok()["executions"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let redriven = listed("REDRIVEN").await;
    assert_eq!(redriven.len(), 1);
    assert_eq!(redriven[0]["redriveCount"], 1);
    assert!(listed("NOT_REDRIVEN").await.is_empty());
}

#[tokio::test]
async fn what_cannot_be_redriven_is_refused_as_aws_refuses_it() {
    let api = Api::new();
    let machine = api.create_machine("m", CALLBACK, "STANDARD").await;
    let execution = api.start(&machine, json!({})).await;
    let message = last_message(&api, &execution).await;
    let answer = api
        .call("RedriveExecution", json!({"executionArn": execution}))
        .await;
    assert_eq!(
        answer.err("ExecutionNotRedrivable"),
        "Execution is RUNNING and cannot be redriven"
    );
    api.call(
        "SendTaskSuccess",
        json!({"taskToken": message["token"], "output": "{}"}),
    )
    .await
    .ok();
    assert_eq!(api.wait_end(&execution).await["status"], "SUCCEEDED");
    let answer = api
        .call("RedriveExecution", json!({"executionArn": execution}))
        .await;
    assert_eq!(
        answer.err("ExecutionNotRedrivable"),
        "Execution is SUCCEEDED and cannot be redriven"
    );
    let missing = format!("{}0000", &execution[..execution.len() - 4]);
    let answer = api
        .call("RedriveExecution", json!({"executionArn": missing}))
        .await;
    answer.err("ExecutionDoesNotExist");
    let answer = api
        .call("RedriveExecution", json!({"executionArn": "not-an-arn"}))
        .await;
    answer.err("InvalidArn");
    let answer = api
        .call(
            "RedriveExecution",
            json!({"executionArn": execution, "clientToken": ""}),
        )
        .await;
    answer.err("ValidationException");
}

#[tokio::test]
async fn the_same_client_token_redrives_once() {
    let api = Api::new();
    let machine = api.create_machine("m", CALLBACK, "STANDARD").await;
    let execution = api.start(&machine, json!({})).await;
    let message = last_message(&api, &execution).await;
    fail_task(&api, message["token"].as_str().unwrap()).await;
    api.wait_end(&execution).await;
    let body = json!({"executionArn": execution, "clientToken": "once"});
    let first = api.call("RedriveExecution", body.clone()).await.ok();
    let again = api.call("RedriveExecution", body).await.ok();
    assert_eq!(first, again);
    let history = api.history(&execution).await;
    assert_eq!(
        types(&history)
            .iter()
            .filter(|t| *t == "ExecutionRedriven")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_stopped_execution_redriven_before_a_crash_runs_on_after_it() {
    let store = Arc::new(MemStore::new());
    let kept = store.clone();
    let (execution, token) = std::thread::spawn(move || {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let result = tokio.block_on(async move {
            let api = Api::over(Runtime::new(kept, Config::default()));
            let machine = api.create_machine("m", CALLBACK, "STANDARD").await;
            let execution = api.start(&machine, json!({})).await;
            last_message(&api, &execution).await;
            api.call("StopExecution", json!({"executionArn": execution}))
                .await
                .ok();
            api.call("RedriveExecution", json!({"executionArn": execution}))
                .await
                .ok();
            let message = last_message(&api, &execution).await;
            (execution, message["token"].as_str().unwrap().to_owned())
        });
        drop(tokio);
        result
    })
    .join()
    .unwrap();
    let runtime = Runtime::new(store, Config::default());
    let api = Api::over(runtime.clone());
    assert_eq!(runtime.recover().await.unwrap(), 1);
    // The token handed out after the redrive still completes the task.
    api.call(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": r#"{"ok": 1}"#}),
    )
    .await
    .ok();
    let done = api.wait_end(&execution).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["redriveCount"], 1);
    let types = types(&api.history(&execution).await);
    assert_eq!(types.iter().filter(|t| *t == "ExecutionAborted").count(), 1);
}
