//! Activities and task tokens: create/describe/list/delete, an activity worker's round trip,
//! a `.waitForTaskToken` callback's round trip, failures and heartbeats.

mod common;

use std::time::Duration;

use common::Api;
use serde_json::{Value, json};

fn activity_machine(activity_arn: &str) -> String {
    json!({"StartAt": "ActivityTask", "States": {"ActivityTask": {
        "Type": "Task", "Resource": activity_arn, "HeartbeatSeconds": 60, "End": true}}})
    .to_string()
}

const CALLBACK: &str = r#"{"StartAt": "Publish", "States": {"Publish": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/q", "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}}, "End": true}}}"#;

#[tokio::test]
async fn create_describe_list_delete() {
    let api = Api::new();
    let created = api
        .call("CreateActivity", json!({"name": "activity.name"}))
        .await
        .ok();
    let arn = "arn:aws:states:us-east-1:123456789012:activity:activity.name";
    assert_eq!(created["activityArn"], arn);
    // Idempotent on the name.
    let again = api
        .call(
            "CreateActivity",
            json!({"name": "activity.name", "tags": [{"key": "k", "value": "v"}]}),
        )
        .await
        .ok();
    assert_eq!(again, created);
    let described = api
        .call("DescribeActivity", json!({"activityArn": arn}))
        .await
        .ok();
    assert_eq!(
        described,
        json!({"activityArn": arn, "name": "activity.name", "creationDate": created["creationDate"],
               "encryptionConfiguration": {"type": "AWS_OWNED_KEY"}})
    );
    for name in ["b", "c"] {
        api.call("CreateActivity", json!({"name": name})).await.ok();
    }
    let page = api
        .call("ListActivities", json!({"maxResults": 2}))
        .await
        .ok();
    let names: Vec<&str> = page["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["activity.name", "b"]);
    let rest = api
        .call("ListActivities", json!({"nextToken": page["nextToken"]}))
        .await
        .ok();
    assert_eq!(rest["activities"][0]["name"], "c");
    assert!(rest.get("nextToken").is_none());

    api.call("DeleteActivity", json!({"activityArn": arn}))
        .await
        .ok();
    // Deleting again succeeds (recorded).
    api.call("DeleteActivity", json!({"activityArn": arn}))
        .await
        .ok();
    let answer = api
        .call("DescribeActivity", json!({"activityArn": arn}))
        .await;
    assert_eq!(
        answer.err("ActivityDoesNotExist"),
        format!("Activity Does Not Exist: '{arn}'")
    );
    let answer = api
        .call("GetActivityTask", json!({"activityArn": arn}))
        .await;
    answer.err("ActivityDoesNotExist");
}

#[tokio::test]
async fn activity_errors() {
    let api = Api::new();
    let answer = api
        .call("CreateActivity", json!({"name": "activity name"}))
        .await;
    assert_eq!(answer.err("InvalidName"), "Invalid Name: 'activity name'");
    for operation in ["DescribeActivity", "GetActivityTask", "DeleteActivity"] {
        let answer = api
            .call(operation, json!({"activityArn": "no_an_activity_arn"}))
            .await;
        assert_eq!(
            answer.err("InvalidArn"),
            "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'"
        );
    }
}

#[tokio::test]
async fn an_activity_round_trip() {
    let api = Api::new();
    let activity = api
        .call("CreateActivity", json!({"name": "work"}))
        .await
        .ok()["activityArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let machine = api
        .create_machine("m", &activity_machine(&activity), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({"n": 41})).await;

    let task = api
        .call(
            "GetActivityTask",
            json!({"activityArn": activity, "workerName": "w1"}),
        )
        .await
        .ok();
    let token = task["taskToken"].as_str().unwrap().to_owned();
    assert_eq!(
        serde_json::from_str::<Value>(task["input"].as_str().unwrap()).unwrap(),
        json!({"n": 41})
    );

    api.call("SendTaskHeartbeat", json!({"taskToken": token}))
        .await
        .ok();
    api.call(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"n\": 42}"}),
    )
    .await
    .ok();
    let described = api.wait_end(&execution).await;
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(
        serde_json::from_str::<Value>(described["output"].as_str().unwrap()).unwrap(),
        json!({"n": 42})
    );
    let types: Vec<String> = api
        .history(&execution)
        .await
        .iter()
        .map(|event| event["type"].as_str().unwrap().to_owned())
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

    // The task is closed: its token is spent.
    let answer = api
        .call(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{}"}),
        )
        .await;
    answer.err("TaskTimedOut");
    api.call("SendTaskHeartbeat", json!({"taskToken": token}))
        .await
        .err("TaskTimedOut");
}

#[tokio::test]
async fn an_activity_failure() {
    let api = Api::new();
    let activity = api
        .call("CreateActivity", json!({"name": "work"}))
        .await
        .ok()["activityArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let machine = api
        .create_machine("m", &activity_machine(&activity), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({})).await;
    let task = api
        .call("GetActivityTask", json!({"activityArn": activity}))
        .await
        .ok();
    let token = task["taskToken"].as_str().unwrap();
    let answer = api
        .call(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "not json"}),
        )
        .await;
    answer.err("InvalidOutput");
    api.call(
        "SendTaskFailure",
        json!({"taskToken": token, "error": "Worker.Broke", "cause": "disk full"}),
    )
    .await
    .ok();
    let described = api.wait_end(&execution).await;
    assert_eq!(described["status"], "FAILED");
    assert_eq!(described["error"], "Worker.Broke");
    assert_eq!(described["cause"], "disk full");
}

#[tokio::test(start_paused = true)]
async fn get_activity_task_answers_empty_after_a_minute() {
    let api = Api::new();
    let activity = api
        .call("CreateActivity", json!({"name": "idle"}))
        .await
        .ok()["activityArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = tokio::time::Instant::now();
    let answer = api
        .call("GetActivityTask", json!({"activityArn": activity}))
        .await
        .ok();
    assert_eq!(answer, json!({}));
    assert!(before.elapsed() >= Duration::from_secs(60));
}

#[tokio::test]
async fn a_wait_for_task_token_round_trip() {
    let api = Api::new();
    let machine = api.create_machine("cb", CALLBACK, "STANDARD").await;
    let execution = api.start(&machine, json!({"order": 7})).await;

    // The token is in the TaskScheduled event's parameters. The runtime registers it when it
    // performs the task, after committing TaskScheduled; TaskStarted follows that, so wait for it
    // (a real service call would carry the token only once performed, too).
    let mut token = None;
    for _ in 0..500 {
        let events = api.history(&execution).await;
        let started = events.iter().any(|event| event["type"] == "TaskStarted");
        if let Some(scheduled) = events
            .iter()
            .find(|event| started && event["type"] == "TaskScheduled")
        {
            let details = &scheduled["taskScheduledEventDetails"];
            assert_eq!(details["resource"], "sendMessage.waitForTaskToken");
            assert_eq!(details["resourceType"], "sqs");
            let parameters: Value =
                serde_json::from_str(details["parameters"].as_str().unwrap()).unwrap();
            assert_eq!(parameters["MessageBody"]["order"], 7);
            token = parameters["MessageBody"]["token"]
                .as_str()
                .map(str::to_owned);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let token = token.expect("a TaskScheduled event with the token");
    api.call(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"done\": true}"}),
    )
    .await
    .ok();
    let described = api.wait_end(&execution).await;
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(described["output"], "{\"done\":true}");
}

#[tokio::test]
async fn task_token_errors() {
    let api = Api::new();
    let answer = api
        .call(
            "SendTaskSuccess",
            json!({"taskToken": "unknown", "output": "{}"}),
        )
        .await;
    answer.err("TaskTimedOut");
    let answer = api.call("SendTaskSuccess", json!({"taskToken": "t"})).await;
    assert_eq!(
        answer.err("ValidationException"),
        "1 validation error detected: Value null at 'output' failed to satisfy constraint: Member must not be null"
    );
    let answer = api
        .call(
            "SendTaskFailure",
            json!({"taskToken": "t", "cause": "c".repeat(32_769)}),
        )
        .await;
    assert_eq!(
        answer.err("ValidationException"),
        "1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768"
    );
    let answer = api
        .call("SendTaskHeartbeat", json!({"taskToken": "x".repeat(2049)}))
        .await;
    answer.err("ValidationException");
}
