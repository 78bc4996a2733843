//! Nested executions (`arn:aws:states:::states:startExecution`, issue 9): request-response,
//! `.sync`, `.sync:2` and `.waitForTaskToken`, through versions and aliases, with errors,
//! stop propagation and a parent that crashes while its child runs.

use std::sync::Arc;
use std::time::Duration;

use runtime::{Config, Runtime};
use serde_json::{Value, json};
use store::mem::MemStore;

mod common;

use common::{Api, machine_arn};

/// A child that echoes its input under `got`.
const CHILD: &str = r#"{"StartAt": "P", "States": {
    "P": {"Type": "Pass", "Parameters": {"got.$": "$"}, "End": true}}}"#;

/// A child that fails.
const FAILING_CHILD: &str = r#"{"StartAt": "F", "States": {
    "F": {"Type": "Fail", "Error": "Child.Broke", "Cause": "on purpose"}}}"#;

/// A child that waits a minute.
const SLOW_CHILD: &str = r#"{"StartAt": "W", "States": {
    "W": {"Type": "Wait", "Seconds": 60, "End": true}}}"#;

/// A parent whose one Task starts `child` with `pattern` ("", ".sync", ...), passing its own
/// input and its execution id; `extra` adds fields to the Task state.
fn parent(pattern: &str, child: &str, extra: &str) -> String {
    format!(
        r#"{{"StartAt": "Call", "States": {{
        "Call": {{"Type": "Task", "Resource": "arn:aws:states:::states:startExecution{pattern}",
                 "Parameters": {{"StateMachineArn": "{child}",
                                 "Input": {{"value.$": "$.value",
                                            "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}}}}
                 {extra},
                 "End": true}}}}}}"#
    )
}

fn event_types(history: &[Value]) -> Vec<String> {
    history
        .iter()
        .map(|event| event["type"].as_str().unwrap().to_owned())
        .collect()
}

fn event<'a>(history: &'a [Value], event_type: &str) -> &'a Value {
    history
        .iter()
        .find(|event| event["type"] == event_type)
        .unwrap_or_else(|| panic!("no {event_type} in {history:?}"))
}

fn output_of(description: &Value) -> Value {
    serde_json::from_str(description["output"].as_str().unwrap()).unwrap()
}

async fn executions_of(api: &Api, machine: &str) -> Vec<Value> {
    api.call("ListExecutions", json!({"stateMachineArn": machine}))
        .await
        .ok()["executions"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn request_response_answers_once_the_child_starts() {
    let api = Api::new();
    let child = api.create_machine("child", SLOW_CHILD, "STANDARD").await;
    let machine = api
        .create_machine("parent", &parent("", &child, ""), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({"value": 1})).await;
    let description = api.wait_end(&execution).await;
    assert_eq!(description["status"], "SUCCEEDED", "{description}");
    let output = output_of(&description);
    let child_arn = output["ExecutionArn"].as_str().unwrap();
    assert!(child_arn.starts_with(&format!(
        "{}:",
        machine_arn("child").replace(":stateMachine:", ":execution:")
    )));
    assert!(output["StartDate"].is_i64(), "{output}");
    let history = api.history(&execution).await;
    assert_eq!(
        event_types(&history)[1..5],
        [
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded"
        ]
    );
    assert_eq!(
        event(&history, "TaskScheduled")["taskScheduledEventDetails"]["resourceType"],
        "states"
    );
    assert_eq!(
        event(&history, "TaskSucceeded")["taskSucceededEventDetails"]["resource"],
        "startExecution"
    );
    // The child runs on by itself, with the parent's id in its input.
    let child_description = api
        .call("DescribeExecution", json!({"executionArn": child_arn}))
        .await
        .ok();
    assert_eq!(child_description["status"], "RUNNING");
    let child_input: Value =
        serde_json::from_str(child_description["input"].as_str().unwrap()).unwrap();
    assert_eq!(child_input["value"], 1);
    assert_eq!(
        child_input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"],
        execution
    );
}

#[tokio::test]
async fn sync_waits_for_the_child_and_returns_its_output_as_text() {
    let api = Api::new();
    let child = api.create_machine("child", CHILD, "STANDARD").await;
    let machine = api
        .create_machine("parent", &parent(".sync", &child, ""), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({"value": 7})).await;
    let description = api.wait_end(&execution).await;
    assert_eq!(description["status"], "SUCCEEDED", "{description}");
    let output = output_of(&description);
    assert_eq!(output["Status"], "SUCCEEDED");
    assert_eq!(output["StateMachineArn"], child);
    let child_output: Value = serde_json::from_str(output["Output"].as_str().unwrap()).unwrap();
    assert_eq!(child_output["got"]["value"], 7);
    assert!(output["Input"].is_string());
    assert_eq!(output["OutputDetails"], json!({"Included": true}));
    assert!(output["StopDate"].as_i64().unwrap() >= output["StartDate"].as_i64().unwrap());
    let history = api.history(&execution).await;
    assert_eq!(
        event_types(&history)[1..6],
        [
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded"
        ]
    );
    let submitted: Value = serde_json::from_str(
        event(&history, "TaskSubmitted")["taskSubmittedEventDetails"]["output"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(submitted["ExecutionArn"], output["ExecutionArn"]);
    assert_eq!(
        event(&history, "TaskSubmitted")["taskSubmittedEventDetails"]["resource"],
        "startExecution.sync"
    );
}

#[tokio::test]
async fn sync_2_returns_the_child_output_as_json() {
    let api = Api::new();
    let child = api.create_machine("child", CHILD, "STANDARD").await;
    let machine = api
        .create_machine("parent", &parent(".sync:2", &child, ""), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({"value": "x"})).await;
    let description = api.wait_end(&execution).await;
    assert_eq!(description["status"], "SUCCEEDED", "{description}");
    let output = output_of(&description);
    assert_eq!(output["Output"]["got"]["value"], "x");
    assert_eq!(output["Input"]["value"], "x");
}

#[tokio::test]
async fn a_failed_child_fails_the_task_with_its_description() {
    let api = Api::new();
    let child = api.create_machine("child", FAILING_CHILD, "STANDARD").await;
    let catch = r#","Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]"#;
    let definition = parent(".sync", &child, catch).replace(
        r#""End": true}}}"#,
        r#""End": true}, "Caught": {"Type": "Pass", "End": true}}}"#,
    );
    let machine = api.create_machine("parent", &definition, "STANDARD").await;
    let execution = api.start(&machine, json!({"value": 1})).await;
    let description = api.wait_end(&execution).await;
    assert_eq!(description["status"], "SUCCEEDED", "{description}");
    let output = output_of(&description);
    assert_eq!(output["Error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(output["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "Child.Broke");
    assert_eq!(cause["Cause"], "on purpose");
    let history = api.history(&execution).await;
    assert_eq!(
        event(&history, "TaskFailed")["taskFailedEventDetails"]["error"],
        "States.TaskFailed"
    );
}

#[tokio::test]
async fn a_refused_start_fails_the_task_with_the_service_error() {
    let api = Api::new();
    let missing = machine_arn("nope");
    let machine = api
        .create_machine("parent", &parent(".sync", &missing, ""), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({"value": 1})).await;
    let description = api.wait_end(&execution).await;
    assert_eq!(description["status"], "FAILED");
    assert_eq!(
        description["error"],
        "StepFunctions.StateMachineDoesNotExist"
    );
    let cause = description["cause"].as_str().unwrap();
    assert!(cause.contains(&missing), "{cause}");
    assert!(
        cause.contains("Error Code: StateMachineDoesNotExist"),
        "{cause}"
    );

    let machine = api
        .create_machine("bad_arn", &parent("", "not-an-arn", ""), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({"value": 1})).await;
    let description = api.wait_end(&execution).await;
    assert_eq!(
        description["error"], "StepFunctions.InvalidArn",
        "{description}"
    );

    // The same name twice: the second start is refused as StartExecution refuses it.
    let child = api.create_machine("child", CHILD, "STANDARD").await;
    let named =
        parent(".sync", &child, "").replace(r#""Input": {"#, r#""Name": "only-once", "Input": {"#);
    let machine = api.create_machine("named", &named, "STANDARD").await;
    let first = api.start(&machine, json!({"value": 1})).await;
    assert_eq!(api.wait_end(&first).await["status"], "SUCCEEDED");
    let second = api.start(&machine, json!({"value": 2})).await;
    let description = api.wait_end(&second).await;
    assert_eq!(
        description["error"], "StepFunctions.ExecutionAlreadyExists",
        "{description}"
    );
}

#[tokio::test]
async fn stopping_the_parent_stops_its_sync_child() {
    let api = Api::new();
    let child = api.create_machine("child", SLOW_CHILD, "STANDARD").await;
    let machine = api
        .create_machine("parent", &parent(".sync", &child, ""), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({"value": 1})).await;
    let child_arn = wait_for_child(&api, &child).await;
    api.call("StopExecution", json!({"executionArn": execution}))
        .await
        .ok();
    assert_eq!(api.wait_end(&execution).await["status"], "ABORTED");
    assert_eq!(api.wait_end(&child_arn).await["status"], "ABORTED");
}

#[tokio::test]
async fn a_task_timeout_stops_the_sync_child() {
    let api = Api::new();
    let child = api.create_machine("child", SLOW_CHILD, "STANDARD").await;
    let machine = api
        .create_machine(
            "parent",
            &parent(".sync", &child, r#","TimeoutSeconds": 1"#),
            "STANDARD",
        )
        .await;
    let execution = api.start(&machine, json!({"value": 1})).await;
    let child_arn = wait_for_child(&api, &child).await;
    let description = api.wait_end(&execution).await;
    assert_eq!(description["status"], "FAILED");
    assert_eq!(description["error"], "States.Timeout");
    assert_eq!(api.wait_end(&child_arn).await["status"], "ABORTED");
}

async fn wait_for_child(api: &Api, child_machine: &str) -> String {
    for _ in 0..500 {
        if let Some(first) = executions_of(api, child_machine).await.first() {
            return first["executionArn"].as_str().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no child started");
}

#[tokio::test]
async fn a_parent_can_pin_a_version_or_go_through_an_alias() {
    let api = Api::new();
    let child = api.create_machine("child", CHILD, "STANDARD").await;
    let version = api
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": child}),
        )
        .await
        .ok()["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let alias = api
        .call(
            "CreateStateMachineAlias",
            json!({"name": "live", "routingConfiguration": [
                {"stateMachineVersionArn": version, "weight": 100}]}),
        )
        .await
        .ok()["stateMachineAliasArn"]
        .as_str()
        .unwrap()
        .to_owned();
    // The machine changes after the version: the pinned children still run version 1.
    api.call(
        "UpdateStateMachine",
        json!({"stateMachineArn": child, "definition": FAILING_CHILD}),
    )
    .await
    .ok();
    for target in [&version, &alias] {
        let machine = api
            .create_machine(
                &format!("parent{}", target.len()),
                &parent(".sync:2", target, ""),
                "STANDARD",
            )
            .await;
        let execution = api.start(&machine, json!({"value": 3})).await;
        let description = api.wait_end(&execution).await;
        assert_eq!(description["status"], "SUCCEEDED", "{description}");
        let output = output_of(&description);
        assert_eq!(output["StateMachineVersionArn"], version);
        assert_eq!(output["Output"]["got"]["value"], 3);
        if target == &alias {
            assert_eq!(output["StateMachineAliasArn"], alias);
        }
    }
}

#[tokio::test]
async fn wait_for_task_token_passes_the_token_to_the_child() {
    let api = Api::new();
    let child = api.create_machine("child", SLOW_CHILD, "STANDARD").await;
    let definition = parent(".waitForTaskToken", &child, "")
        .replace(r#""value.$": "$.value","#, r#""token.$": "$$.Task.Token","#);
    let machine = api.create_machine("parent", &definition, "STANDARD").await;
    let execution = api.start(&machine, json!({"value": 1})).await;
    let child_arn = wait_for_child(&api, &child).await;
    let child_input: Value = serde_json::from_str(
        api.call("DescribeExecution", json!({"executionArn": child_arn}))
            .await
            .ok()["input"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let token = child_input["token"].as_str().unwrap();
    // The parent waits for the token, not for the child.
    for _ in 0..300 {
        if event_types(&api.history(&execution).await).contains(&"TaskSubmitted".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    api.call(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": r#"{"done": true}"#}),
    )
    .await
    .ok();
    let description = api.wait_end(&execution).await;
    assert_eq!(description["status"], "SUCCEEDED", "{description}");
    assert_eq!(output_of(&description), json!({"done": true}));
    assert_eq!(
        event_types(&api.history(&execution).await)[3..6],
        ["TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    );
}

#[tokio::test]
async fn an_express_child_runs_to_its_end_under_sync() {
    let api = Api::new();
    let child = api.create_machine("child", CHILD, "EXPRESS").await;
    let machine = api
        .create_machine("parent", &parent(".sync:2", &child, ""), "STANDARD")
        .await;
    let execution = api.start(&machine, json!({"value": 5})).await;
    let description = api.wait_end(&execution).await;
    assert_eq!(description["status"], "SUCCEEDED", "{description}");
    let output = output_of(&description);
    assert!(
        output["ExecutionArn"]
            .as_str()
            .unwrap()
            .contains(":express:child:")
    );
    assert_eq!(output["Output"]["got"]["value"], 5);
}

/// Runs `body` against an API whose runtime lives on its own tokio runtime, then drops that
/// runtime at once, as `kill -9` would; the store stays.
fn before_crash(store: Arc<MemStore>, body: impl AsyncFnOnce(Api) + Send + 'static) {
    std::thread::spawn(move || {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        tokio.block_on(async move {
            body(Api::over(Runtime::new(store, Config::default()))).await;
        });
        drop(tokio);
    })
    .join()
    .unwrap();
}

#[tokio::test]
async fn a_parent_resumed_after_a_crash_waits_for_the_child_it_started() {
    let store = Arc::new(MemStore::new());
    let arns = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = arns.clone();
    before_crash(store.clone(), async move |api: Api| {
        let child = api.create_machine("child", SLOW_CHILD, "STANDARD").await;
        let machine = api
            .create_machine("parent", &parent(".sync", &child, ""), "STANDARD")
            .await;
        let execution = api.start(&machine, json!({"value": 1})).await;
        wait_for_child(&api, &child).await;
        for _ in 0..300 {
            if event_types(&api.history(&execution).await).contains(&"TaskSubmitted".to_owned()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        kept.lock().unwrap().extend([child, execution]);
    });
    let (child, execution) = {
        let arns = arns.lock().unwrap();
        (arns[0].clone(), arns[1].clone())
    };
    // A new server over the same store, 1,000 times faster: the child's minute is 60 ms.
    let runtime = Runtime::new(
        store,
        Config {
            time_scale: 1000.0,
            ..Config::default()
        },
    );
    let api = Api::over(runtime.clone());
    assert_eq!(runtime.recover().await.unwrap(), 2);
    let description = api.wait_end(&execution).await;
    assert_eq!(description["status"], "SUCCEEDED", "{description}");
    assert_eq!(executions_of(&api, &child).await.len(), 1, "one child only");
    let types = event_types(&api.history(&execution).await);
    for once in ["TaskStarted", "TaskSubmitted", "TaskSucceeded"] {
        assert_eq!(types.iter().filter(|t| *t == once).count(), 1, "{types:?}");
    }
}

#[tokio::test]
async fn test_state_starts_a_child_for_real() {
    let api = Api::new();
    let child = api.create_machine("child", SLOW_CHILD, "STANDARD").await;
    let state = json!({"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                       "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}},
                       "End": true});
    let answer = api
        .call(
            "TestState",
            json!({"definition": state.to_string(), "input": r#"{"n": 4}"#}),
        )
        .await
        .ok();
    assert_eq!(answer["status"], "SUCCEEDED", "{answer}");
    let output: Value = serde_json::from_str(answer["output"].as_str().unwrap()).unwrap();
    let started = api
        .call(
            "DescribeExecution",
            json!({"executionArn": output["ExecutionArn"]}),
        )
        .await
        .ok();
    assert_eq!(started["status"], "RUNNING");
    assert_eq!(started["input"], r#"{"n":4}"#);

    let missing = json!({"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                         "Parameters": {"StateMachineArn": machine_arn("nope")}, "End": true});
    let answer = api
        .call("TestState", json!({"definition": missing.to_string()}))
        .await
        .ok();
    assert_eq!(answer["status"], "FAILED");
    assert_eq!(answer["error"], "StepFunctions.StateMachineDoesNotExist");
    let sync = json!({"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
                      "Parameters": {"StateMachineArn": child}, "End": true});
    let answer = api
        .call("TestState", json!({"definition": sync.to_string()}))
        .await;
    assert!(
        answer.err("ValidationException").contains("give a mock")
            || answer.message().contains("mock")
    );
}
