//! Execution operations: start (idempotency, input checks, EXPRESS), sync start, stop,
//! describe, list with filters and paging, history with paging and without data.

mod common;

use common::{Api, PASS_RESULT, machine_arn};
use serde_json::{Value, json};

const WAIT: &str = r#"{"StartAt": "State_1", "States": {"State_1": {"Type": "Wait", "Seconds": 600, "End": true}}}"#;
const FAIL: &str =
    r#"{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "it broke"}}}"#;

#[tokio::test]
async fn start_describe_and_history() {
    let api = Api::new();
    let machine = api.create_machine("m", PASS_RESULT, "STANDARD").await;
    let started = api
        .call(
            "StartExecution",
            json!({"stateMachineArn": machine, "name": "e1"}),
        )
        .await
        .ok();
    let execution = "arn:aws:states:us-east-1:123456789012:execution:m:e1";
    assert_eq!(started["executionArn"], execution);
    assert!(started["startDate"].is_f64());

    let described = api.wait_end(execution).await;
    assert_eq!(
        described,
        json!({
            "executionArn": execution,
            "stateMachineArn": machine,
            "name": "e1",
            "status": "SUCCEEDED",
            "startDate": started["startDate"],
            "stopDate": described["stopDate"],
            "input": "{}",
            "inputDetails": {"included": true},
            "output": r#"{"Arg1":"argument1"}"#,
            "outputDetails": {"included": true},
            "redriveCount": 0,
            "redriveStatus": "NOT_REDRIVABLE",
            "redriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
        })
    );
    let metadata = api
        .call(
            "DescribeExecution",
            json!({"executionArn": execution, "includedData": "METADATA_ONLY"}),
        )
        .await
        .ok();
    assert!(metadata.get("input").is_none() && metadata.get("output").is_none());
    assert_eq!(metadata["inputDetails"], json!({"included": false}));

    let events = api.history(execution).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert!(events[0]["timestamp"].is_f64());
    assert_eq!(events[0]["executionStartedEventDetails"]["input"], "{}");

    let for_execution = api
        .call(
            "DescribeStateMachineForExecution",
            json!({"executionArn": execution}),
        )
        .await
        .ok();
    assert_eq!(for_execution["stateMachineArn"], machine.as_str());
    assert_eq!(for_execution["name"], "m");
    assert_eq!(for_execution["definition"], PASS_RESULT);
    assert_eq!(for_execution["roleArn"], common::ROLE);
    assert!(for_execution["updateDate"].is_f64());
}

#[tokio::test]
async fn history_pages_reverses_and_drops_data() {
    let api = Api::new();
    let machine = api.create_machine("m", PASS_RESULT, "STANDARD").await;
    let execution = api.start(&machine, json!({"k": 1})).await;
    api.wait_end(&execution).await;

    let first = api
        .call(
            "GetExecutionHistory",
            json!({"executionArn": execution, "maxResults": 3}),
        )
        .await
        .ok();
    assert_eq!(first["events"].as_array().unwrap().len(), 3);
    let token = first["nextToken"].as_str().unwrap();
    let second = api
        .call(
            "GetExecutionHistory",
            json!({"executionArn": execution, "maxResults": 3, "nextToken": token}),
        )
        .await
        .ok();
    assert_eq!(second["events"].as_array().unwrap().len(), 1);
    assert_eq!(second["events"][0]["id"], 4);
    assert!(second.get("nextToken").is_none());

    let reversed = api
        .call(
            "GetExecutionHistory",
            json!({"executionArn": execution, "reverseOrder": true}),
        )
        .await
        .ok();
    let ids: Vec<u64> = reversed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [4, 3, 2, 1]);

    let without = api
        .call(
            "GetExecutionHistory",
            json!({"executionArn": execution, "includeExecutionData": false}),
        )
        .await
        .ok();
    let started = &without["events"][0]["executionStartedEventDetails"];
    assert!(started.get("input").is_none(), "{started}");
    assert_eq!(started["roleArn"], common::ROLE);
    assert!(
        without["events"][3]["executionSucceededEventDetails"]
            .get("output")
            .is_none()
    );
}

#[tokio::test]
async fn start_is_idempotent_while_running_only() {
    let api = Api::new();
    let machine = api.create_machine("m", WAIT, "STANDARD").await;
    let request = json!({"stateMachineArn": machine, "name": "once", "input": "{\"a\": 1}"});
    let first = api.call("StartExecution", request.clone()).await.ok();
    let again = api.call("StartExecution", request.clone()).await.ok();
    assert_eq!(first, again);

    let other_input = json!({"stateMachineArn": machine, "name": "once", "input": "{\"a\": 2}"});
    let execution = first["executionArn"].as_str().unwrap();
    let answer = api.call("StartExecution", other_input).await;
    assert_eq!(
        answer.err("ExecutionAlreadyExists"),
        format!("Execution Already Exists: '{execution}'")
    );

    let stopped = api
        .call("StopExecution", json!({"executionArn": execution}))
        .await
        .ok();
    assert!(stopped["stopDate"].is_f64());
    // Closed: the same name and input are refused now.
    api.call("StartExecution", request)
        .await
        .err("ExecutionAlreadyExists");
}

#[tokio::test]
async fn stop_aborts_a_running_execution() {
    let api = Api::new();
    let machine = api.create_machine("m", WAIT, "STANDARD").await;
    let execution = api.start(&machine, json!({})).await;
    api.call(
        "StopExecution",
        json!({"executionArn": execution, "error": "Halt", "cause": "by hand"}),
    )
    .await
    .ok();
    let described = api.wait_end(&execution).await;
    assert_eq!(described["status"], "ABORTED");
    assert_eq!(described["error"], "Halt");
    assert_eq!(described["cause"], "by hand");
    assert_eq!(described["redriveStatus"], "REDRIVABLE");
    assert!(described.get("redriveStatusReason").is_none());
    let events = api.history(&execution).await;
    assert_eq!(events.last().unwrap()["type"], "ExecutionAborted");

    let missing = format!("{}0000", &execution[..execution.len() - 4]);
    let answer = api
        .call("StopExecution", json!({"executionArn": missing}))
        .await;
    assert_eq!(
        answer.err("ExecutionDoesNotExist"),
        format!("Execution Does Not Exist: '{missing}'")
    );
}

#[tokio::test]
async fn failures_are_described() {
    let api = Api::new();
    let machine = api.create_machine("m", FAIL, "STANDARD").await;
    let execution = api.start(&machine, json!({})).await;
    let described = api.wait_end(&execution).await;
    assert_eq!(described["status"], "FAILED");
    assert_eq!(described["error"], "Oops");
    assert_eq!(described["cause"], "it broke");
    assert!(described.get("output").is_none());
}

#[tokio::test]
async fn start_errors() {
    let api = Api::new();
    let machine = api.create_machine("m", PASS_RESULT, "STANDARD").await;
    let gone = machine_arn("statemachine_invalid_m");
    let answer = api
        .call("StartExecution", json!({"stateMachineArn": gone}))
        .await;
    assert_eq!(
        answer.err("StateMachineDoesNotExist"),
        format!("State Machine Does Not Exist: '{gone}'")
    );
    let answer = api
        .call(
            "StartExecution",
            json!({"stateMachineArn": machine, "input": "{nope"}),
        )
        .await;
    assert!(
        answer
            .err("InvalidExecutionInput")
            .starts_with("Invalid State Machine Execution Input: '")
    );
    let big = format!("\"{}\"", "x".repeat(262_144));
    let answer = api
        .call(
            "StartExecution",
            json!({"stateMachineArn": machine, "input": big}),
        )
        .await;
    answer.err("InvalidExecutionInput");
    let answer = api
        .call(
            "StartExecution",
            json!({"stateMachineArn": machine, "name": "a b"}),
        )
        .await;
    assert_eq!(answer.err("InvalidName"), "Invalid Name: 'a b'");
    let answer = api
        .call("StartExecution", json!({"stateMachineArn": "nope"}))
        .await;
    assert_eq!(
        answer.err("InvalidArn"),
        "Invalid Arn: 'Invalid ARN prefix: nope'"
    );
}

#[tokio::test]
async fn describe_and_history_errors() {
    let api = Api::new();
    let missing = "arn:aws:states:us-east-1:123456789012:execution:m:0000";
    for operation in [
        "DescribeExecution",
        "GetExecutionHistory",
        "DescribeStateMachineForExecution",
    ] {
        let answer = api.call(operation, json!({"executionArn": missing})).await;
        assert_eq!(
            answer.err("ExecutionDoesNotExist"),
            format!("Execution Does Not Exist: '{missing}'")
        );
        let answer = api
            .call(
                operation,
                json!({"executionArn": "invalid_state_machine_arn"}),
            )
            .await;
        assert_eq!(
            answer.err("InvalidArn"),
            "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'"
        );
    }
    let express = "arn:aws:states:us-east-1:123456789012:express:m:e:1234";
    for operation in ["DescribeExecution", "GetExecutionHistory", "StopExecution"] {
        let answer = api.call(operation, json!({"executionArn": express})).await;
        assert_eq!(
            answer.err("InvalidArn"),
            "Invalid Arn: 'Resource type not valid in this context: express'"
        );
    }
}

#[tokio::test]
async fn list_filters_and_pages() {
    let api = Api::new();
    let machine = api.create_machine("m", PASS_RESULT, "STANDARD").await;
    let empty = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine, "statusFilter": "SUCCEEDED"}),
        )
        .await
        .ok();
    assert_eq!(empty, json!({"executions": []}));
    let mut started = Vec::new();
    for _ in 0..13 {
        let execution = api.start(&machine, json!({})).await;
        api.wait_end(&execution).await;
        started.push(execution);
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let page1 = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine, "maxResults": 10}),
        )
        .await
        .ok();
    let items = page1["executions"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    // Newest first.
    assert_eq!(items[0]["executionArn"], started[12].as_str());
    assert_eq!(items[0]["status"], "SUCCEEDED");
    assert_eq!(items[0]["redriveCount"], 0);
    assert!(items[0]["stopDate"].is_f64());
    let page2 = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine, "maxResults": 3, "nextToken": page1["nextToken"]}),
        )
        .await
        .ok();
    let items: Vec<&Value> = page2["executions"].as_array().unwrap().iter().collect();
    assert_eq!(items.len(), 3);
    assert_eq!(items[2]["executionArn"], started[0].as_str());
    assert!(page2.get("nextToken").is_none());

    let running = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine, "statusFilter": "RUNNING"}),
        )
        .await
        .ok();
    assert_eq!(running, json!({"executions": []}));
    let answer = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine, "statusFilter": "succeeded"}),
        )
        .await;
    assert_eq!(
        answer.err("ValidationException"),
        "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]"
    );
    let answer = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine, "nextToken": "x".repeat(3097)}),
        )
        .await;
    assert!(
        answer
            .err("ValidationException")
            .ends_with("Member must have length less than or equal to 3096")
    );
    let redriven = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine, "redriveFilter": "REDRIVEN"}),
        )
        .await
        .ok();
    assert_eq!(redriven, json!({"executions": []}));
    api.call("ListExecutions", json!({}))
        .await
        .err("ValidationException");
    let gone = machine_arn("gone");
    let answer = api
        .call("ListExecutions", json!({"stateMachineArn": gone}))
        .await;
    assert_eq!(
        answer.err("StateMachineDoesNotExist"),
        format!("State Machine Does Not Exist: '{gone}'")
    );
    let answer = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": "invalid_state_machine_arn"}),
        )
        .await;
    answer.err("InvalidArn");
}

#[tokio::test]
async fn express_machines_run_in_memory() {
    let api = Api::new();
    let machine = api.create_machine("x", PASS_RESULT, "EXPRESS").await;
    let started = api
        .call("StartExecution", json!({"stateMachineArn": machine}))
        .await
        .ok();
    let arn = started["executionArn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:123456789012:express:x:"),
        "{arn}"
    );
    api.call("DescribeExecution", json!({"executionArn": arn}))
        .await
        .err("InvalidArn");
    api.call("ListExecutions", json!({"stateMachineArn": machine}))
        .await
        .err("StateMachineTypeNotSupported");

    let sync = api
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": machine, "input": "{}", "name": "s1"}),
        )
        .await
        .ok();
    assert_eq!(sync["status"], "SUCCEEDED");
    assert_eq!(sync["name"], "s1");
    assert_eq!(sync["stateMachineArn"], machine.as_str());
    assert_eq!(sync["input"], "{}");
    assert_eq!(sync["output"], r#"{"Arg1":"argument1"}"#);
    assert_eq!(sync["inputDetails"], json!({"included": true}));
    assert_eq!(sync["outputDetails"], json!({"included": true}));
    assert_eq!(
        sync["billingDetails"],
        json!({"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100})
    );
    assert!(sync["startDate"].is_f64() && sync["stopDate"].is_f64());

    let failing = api.create_machine("xf", FAIL, "EXPRESS").await;
    let failed = api
        .call("StartSyncExecution", json!({"stateMachineArn": failing}))
        .await
        .ok();
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["error"], "Oops");
    assert_eq!(failed["cause"], "it broke");
    assert!(failed.get("output").is_none());

    let standard = api.create_machine("s", PASS_RESULT, "STANDARD").await;
    let answer = api
        .call("StartSyncExecution", json!({"stateMachineArn": standard}))
        .await;
    assert_eq!(
        answer.err("StateMachineTypeNotSupported"),
        "This operation is not supported by this type of state machine"
    );
}
