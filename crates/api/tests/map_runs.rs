//! Map runs (issue 9): a Distributed Map's run as DescribeMapRun, ListMapRuns and UpdateMapRun
//! show and change it, with their errors, before and after a restart.

use std::sync::Arc;
use std::time::Duration;

use runtime::{Config, Runtime};
use serde_json::{Value, json};
use store::mem::MemStore;

mod common;

use common::Api;

async fn activity(api: &Api) -> String {
    api.call("CreateActivity", json!({"name": "pack"}))
        .await
        .ok()["activityArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn distributed(activity: &str) -> String {
    json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "Label": "Packing",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Pack",
                          "States": {"Pack": {"Type": "Task", "Resource": activity, "End": true}}},
        "End": true}}})
    .to_string()
}

/// Takes the next activity task and completes it with its input doubled; false when none came.
async fn work_once(api: &Api, activity: &str) -> bool {
    let task = api
        .call(
            "GetActivityTask",
            json!({"activityArn": activity, "workerName": "w"}),
        )
        .await
        .ok();
    let Some(token) = task["taskToken"].as_str() else {
        return false;
    };
    let input: Value = serde_json::from_str(task["input"].as_str().unwrap()).unwrap();
    api.call(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": (input.as_i64().unwrap() * 2).to_string()}),
    )
    .await
    .ok();
    true
}

/// The first map run of an execution.
async fn first_map_run(api: &Api, execution: &str) -> String {
    api.call("ListMapRuns", json!({"executionArn": execution}))
        .await
        .ok()["mapRuns"][0]["mapRunArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn describe(api: &Api, map_run: &str) -> Value {
    api.call("DescribeMapRun", json!({"mapRunArn": map_run}))
        .await
        .ok()
}

#[tokio::test]
async fn a_map_run_is_described_listed_and_updated() {
    let api = Api::new();
    let activity = activity(&api).await;
    let machine = api
        .create_machine("orders", &distributed(&activity), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({"items": [1, 2, 3]})).await;
    let runs = api
        .call("ListMapRuns", json!({"executionArn": execution}))
        .await
        .ok()["mapRuns"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(runs.len(), 1);
    let map_run = runs[0]["mapRunArn"].as_str().unwrap().to_owned();
    assert!(map_run.contains(":mapRun:orders/Packing:"), "{map_run}");
    assert_eq!(runs[0]["executionArn"], execution);
    assert!(
        runs[0]["stateMachineArn"]
            .as_str()
            .unwrap()
            .ends_with(":stateMachine:orders/Packing")
    );

    let running = describe(&api, &map_run).await;
    assert_eq!(running["status"], "RUNNING");
    assert_eq!(running["maxConcurrency"], 1);
    assert_eq!(running["itemCounts"]["total"], 3);
    assert_eq!(running["itemCounts"]["running"], 1);
    assert_eq!(running["itemCounts"]["pending"], 2);
    assert!(running.get("stopDate").is_none());

    // One at a time, then all at once.
    assert!(work_once(&api, &activity).await);
    api.call(
        "UpdateMapRun",
        json!({"mapRunArn": map_run, "maxConcurrency": 0, "toleratedFailureCount": 1}),
    )
    .await
    .ok();
    let updated = describe(&api, &map_run).await;
    assert_eq!(updated["maxConcurrency"], 0);
    assert_eq!(updated["toleratedFailureCount"], 1);
    assert_eq!(updated["itemCounts"]["running"], 2);
    assert!(work_once(&api, &activity).await);
    assert!(work_once(&api, &activity).await);
    let done = api.wait_end(&execution).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["output"], "[2,4,6]");
    let finished = describe(&api, &map_run).await;
    assert_eq!(finished["status"], "SUCCEEDED");
    assert_eq!(finished["itemCounts"]["succeeded"], 3);
    assert!(finished["stopDate"].is_number());

    let answer = api
        .call(
            "UpdateMapRun",
            json!({"mapRunArn": map_run, "maxConcurrency": 5}),
        )
        .await;
    assert!(answer.err("ValidationException").contains("is not running"));
}

#[tokio::test]
async fn map_run_errors() {
    let api = Api::new();
    let missing = "arn:aws:states:us-east-1:123456789012:mapRun:orders/Packing:0f2c4b3e-5d6a-4b7c-8d9e-0a1b2c3d4e5f";
    let answer = api
        .call("DescribeMapRun", json!({"mapRunArn": missing}))
        .await;
    answer.err("ResourceNotFound");
    let answer = api
        .call(
            "DescribeMapRun",
            json!({"mapRunArn": "arn:aws:states:us-east-1:123456789012:execution:m:e"}),
        )
        .await;
    answer.err("InvalidArn");
    let answer = api
        .call(
            "ListMapRuns",
            json!({"executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e"}),
        )
        .await;
    answer.err("ExecutionDoesNotExist");
    let answer = api
        .call("UpdateMapRun", json!({"mapRunArn": missing}))
        .await;
    answer.err("ValidationException");
}

#[tokio::test]
async fn a_map_run_is_found_after_a_restart() {
    let store = Arc::new(MemStore::new());
    let first = Api::over(Runtime::new(store.clone(), Config::default()));
    let activity = activity(&first).await;
    let machine = first
        .create_machine("orders", &distributed(&activity), "STANDARD")
        .await;
    let execution = first.start(&machine, json!({"items": [1]})).await;
    assert!(work_once(&first, &activity).await);
    assert_eq!(first.wait_end(&execution).await["status"], "SUCCEEDED");
    let map_run = first_map_run(&first, &execution).await;
    // A new server knows no map run until it reads the histories.
    let second = Api::over(Runtime::new(store, Config::default()));
    tokio::time::sleep(Duration::from_millis(1)).await;
    let found = describe(&second, &map_run).await;
    assert_eq!(found["executionArn"], execution);
    assert_eq!(found["status"], "SUCCEEDED");
    let child = first
        .call("ListExecutions", json!({"mapRunArn": map_run}))
        .await
        .ok()["executions"][0]["executionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let third = Api::over(Runtime::new(
        second.state.runtime.store().clone(),
        Config::default(),
    ));
    let described = third
        .call("DescribeExecution", json!({"executionArn": child}))
        .await
        .ok();
    assert_eq!(described["status"], "SUCCEEDED");
}

#[tokio::test]
async fn a_map_run_nested_in_a_child_execution_is_found_too() {
    let store = Arc::new(MemStore::new());
    let first = Api::over(Runtime::new(store.clone(), Config::default()));
    let inner = json!({"Type": "Map", "ItemsPath": "$.inner", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}});
    let definition = json!({"StartAt": "Outer", "States": {"Outer": {
        "Type": "Map", "ItemsPath": "$.outer", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Inner", "States": {"Inner": inner}}}}});
    let machine = first
        .create_machine("nested", &definition.to_string(), "STANDARD")
        .await;
    let execution = first
        .start(&machine, json!({"outer": [{"inner": [1, 2]}]}))
        .await;
    assert_eq!(first.wait_end(&execution).await["status"], "SUCCEEDED");
    let runs = first
        .call("ListMapRuns", json!({"executionArn": execution}))
        .await
        .ok()["mapRuns"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(runs.len(), 2);
    let nested = runs[1]["mapRunArn"].as_str().unwrap().to_owned();
    assert_eq!(
        describe(&first, &nested).await["itemCounts"]["succeeded"],
        2
    );
    let second = Api::over(Runtime::new(store, Config::default()));
    assert_eq!(describe(&second, &nested).await["executionArn"], execution);
}

#[tokio::test]
async fn child_executions_are_listed_described_and_have_histories() {
    let api = Api::new();
    let activity = activity(&api).await;
    let machine = api
        .create_machine("orders", &distributed(&activity), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({"items": [1, 2]})).await;
    assert!(work_once(&api, &activity).await);
    assert!(work_once(&api, &activity).await);
    assert_eq!(api.wait_end(&execution).await["status"], "SUCCEEDED");
    let map_run = first_map_run(&api, &execution).await;
    let children = api
        .call("ListExecutions", json!({"mapRunArn": map_run}))
        .await
        .ok()["executions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(children.len(), 2);
    let child = children[0]["executionArn"].as_str().unwrap().to_owned();
    assert!(child.contains(":execution:orders/Packing:"), "{child}");
    assert_eq!(children[0]["status"], "SUCCEEDED");
    assert_eq!(children[0]["mapRunArn"], map_run);
    let described = api
        .call("DescribeExecution", json!({"executionArn": child}))
        .await
        .ok();
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(described["input"], "1");
    assert_eq!(described["output"], "2");
    assert_eq!(described["mapRunArn"], map_run);
    assert!(
        described["stateMachineArn"]
            .as_str()
            .unwrap()
            .ends_with(":stateMachine:orders/Packing")
    );
    let history = api.history(&child).await;
    let types: Vec<&str> = history
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
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
    let page = api
        .call(
            "GetExecutionHistory",
            json!({"executionArn": child, "maxResults": 2, "reverseOrder": true}),
        )
        .await
        .ok();
    assert_eq!(page["events"][0]["type"], "ExecutionSucceeded");
    let rest = api
        .call(
            "GetExecutionHistory",
            json!({"executionArn": child, "maxResults": 10, "reverseOrder": true,
                   "nextToken": page["nextToken"]}),
        )
        .await
        .ok();
    assert_eq!(rest["events"].as_array().unwrap().len(), 5);
    let missing = format!("{}x", &child[..child.len() - 1]);
    api.call("DescribeExecution", json!({"executionArn": missing}))
        .await
        .err("ExecutionDoesNotExist");
}
