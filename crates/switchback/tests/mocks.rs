//! Mocked integrations on a real server (`serve --mock-config`, issue 9): an execution started
//! through `...:stateMachine:Name#TestCase` gets its tasks' answers from the test case, STANDARD
//! and EXPRESS alike, and a STANDARD one goes on with the next mocked answer after a kill -9.

mod common;

use std::time::{Duration, Instant};

use common::Server;
use serde_json::{Value, json};
use switchback::deployments::call;
use tempfile::TempDir;

const MACHINES: &str = "arn:aws:states:us-east-1:123456789012:stateMachine";

fn sfn(server: &Server, operation: &str, body: Value) -> anyhow::Result<Value> {
    call(
        &server.endpoint,
        &format!("AWSStepFunctions.{operation}"),
        &body,
    )
}

fn config() -> Value {
    json!({
        "StateMachines": {
            "Orders": {"TestCases": {
                "HappyPath": {"Charge": "ChargeOk"},
                "RetryPath": {"Charge": "ChargeFlaky"}}},
            "Quick": {"TestCases": {"Fine": {"Charge": "ChargeOk"}}},
            "Loop": {"TestCases": {"Twice": {"Work": "NotYetThenDone"}}}
        },
        "MockedResponses": {
            "ChargeOk": {"0": {"Return": {"charged": true}}},
            "ChargeFlaky": {
                "0-1": {"Throw": {"Error": "Payments.Timeout", "Cause": "slow bank"}},
                "2": {"Return": {"charged": "eventually"}}},
            "NotYetThenDone": {
                "0": {"Return": {"done": false}},
                "1": {"Return": {"done": true}}}
        }
    })
}

fn charge_definition() -> String {
    json!({"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                   "Parameters": {"FunctionName": "charge"},
                   "Retry": [{"ErrorEquals": ["Payments.Timeout"], "IntervalSeconds": 1,
                              "MaxAttempts": 3, "BackoffRate": 1}]}}})
    .to_string()
}

fn create(server: &Server, name: &str, definition: &str, machine_type: &str) {
    sfn(
        server,
        "CreateStateMachine",
        json!({"name": name, "definition": definition, "type": machine_type,
               "roleArn": "arn:aws:iam::123456789012:role/r"}),
    )
    .unwrap();
}

fn wait_for_end(server: &Server, arn: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let described = sfn(server, "DescribeExecution", json!({"executionArn": arn})).unwrap();
        if described["status"] != "RUNNING" {
            return described;
        }
        assert!(Instant::now() < deadline, "{arn} did not end: {described}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn event_types(server: &Server, arn: &str) -> Vec<String> {
    sfn(
        server,
        "GetExecutionHistory",
        json!({"executionArn": arn, "maxResults": 1000}),
    )
    .unwrap()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn test_cases_answer_the_tasks_of_standard_and_express_executions() {
    let data = TempDir::new().unwrap();
    let file = data.path().join("mocks.json");
    std::fs::write(&file, config().to_string()).unwrap();
    let server = Server::start(
        data.path(),
        &[
            "--time-scale",
            "100",
            "--mock-config",
            file.to_str().unwrap(),
        ],
    );
    create(&server, "Orders", &charge_definition(), "STANDARD");
    create(&server, "Quick", &charge_definition(), "EXPRESS");

    let started = sfn(
        &server,
        "StartExecution",
        json!({"stateMachineArn": format!("{MACHINES}:Orders#RetryPath"), "input": "{}"}),
    )
    .unwrap();
    let arn = started["executionArn"].as_str().unwrap().to_owned();
    assert!(arn.contains(":execution:Orders:"), "{arn}");
    let ended = wait_for_end(&server, &arn);
    assert_eq!(ended["status"], "SUCCEEDED", "{ended}");
    assert_eq!(ended["output"], r#"{"charged":"eventually"}"#);
    let types = event_types(&server, &arn);
    assert_eq!(
        types.iter().filter(|t| *t == "TaskFailed").count(),
        2,
        "{types:?}"
    );

    let quick = sfn(
        &server,
        "StartSyncExecution",
        json!({"stateMachineArn": format!("{MACHINES}:Quick#Fine"), "input": "{}"}),
    )
    .unwrap();
    assert_eq!(quick["status"], "SUCCEEDED", "{quick}");
    assert_eq!(quick["output"], r#"{"charged":true}"#);

    // Without a test case the task has no integration to call, as before.
    let plain = sfn(
        &server,
        "StartSyncExecution",
        json!({"stateMachineArn": format!("{MACHINES}:Quick"), "input": "{}"}),
    )
    .unwrap();
    assert_eq!(plain["status"], "FAILED", "{plain}");
    // A test case the configuration does not have is refused, and nothing starts.
    let error = sfn(
        &server,
        "StartExecution",
        json!({"stateMachineArn": format!("{MACHINES}:Orders#Nope"), "input": "{}"}),
    )
    .unwrap_err();
    assert_eq!(
        format!("{error:#}"),
        "ValidationException: The mock configuration has no test case 'Nope' for the state \
         machine 'Orders' (it has: HappyPath, RetryPath)"
    );
}

#[test]
fn a_mocked_execution_goes_on_with_the_next_answer_after_a_kill() {
    let data = TempDir::new().unwrap();
    let file = data.path().join("mocks.json");
    std::fs::write(&file, config().to_string()).unwrap();
    let args = ["--mock-config", file.to_str().unwrap()];
    let server = Server::start(data.path(), &args);
    // Work, then a 3-second Wait, then Work again until it says it is done.
    let definition = json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done?"},
        "Done?": {"Type": "Choice", "Default": "Pause",
                  "Choices": [{"Variable": "$.done", "BooleanEquals": true, "Next": "End"}]},
        "Pause": {"Type": "Wait", "Seconds": 3, "Next": "Work"},
        "End": {"Type": "Succeed"}}})
    .to_string();
    create(&server, "Loop", &definition, "STANDARD");
    let started = sfn(
        &server,
        "StartExecution",
        json!({"stateMachineArn": format!("{MACHINES}:Loop#Twice"), "input": "{}"}),
    )
    .unwrap();
    let arn = started["executionArn"].as_str().unwrap().to_owned();
    // Wait until the first answer is in and the execution waits, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !event_types(&server, &arn)
        .iter()
        .any(|t| t == "WaitStateEntered")
    {
        assert!(
            Instant::now() < deadline,
            "the execution never reached its Wait"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(server);
    let server = Server::start(data.path(), &args);
    let ended = wait_for_end(&server, &arn);
    assert_eq!(ended["status"], "SUCCEEDED", "{ended}");
    // The second Work got the second mocked answer: it ran twice, not in a loop.
    let types = event_types(&server, &arn);
    assert_eq!(
        types.iter().filter(|t| *t == "TaskSucceeded").count(),
        2,
        "{types:?}"
    );
}
