//! TestState against AWS's recordings (LocalStack's `test_state/` snapshots; the calls are in
//! the corpus's `API-SEQUENCES.md`): single states at each inspection level, a state named in a
//! whole machine, mocked tasks and Parallel states, variables; and the refusals.

mod common;

use std::path::Path;

use common::Api;
use serde_json::{Map, Value, json};

const V2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/localstack/tests/aws/services/stepfunctions"
);

fn recorded(file: &str, test: &str) -> Value {
    let path = Path::new(V2).join("v2/test_state").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path:?}: {error}"));
    let snapshots: Map<String, Value> = serde_json::from_str(&text).unwrap();
    let (_, entry) = snapshots
        .iter()
        .find(|(key, _)| key.ends_with(&format!("::{test}")))
        .unwrap_or_else(|| panic!("no {test} in {file}"));
    let mut response = entry["recorded-content"]["test_case_response"].clone();
    response.as_object_mut().unwrap().remove("ResponseMetadata");
    response
}

fn template(relative: &str) -> String {
    let path = Path::new(V2).join("templates").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path:?}: {error}"));
    let value: Value = json5::from_str(&text).unwrap();
    value.to_string()
}

/// The recordings' normalisation: a string holding a JSON object is that object.
fn normalise(value: &mut Value) {
    match value {
        Value::String(text) if text.starts_with('{') => {
            if let Ok(parsed @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
                *value = parsed;
            }
        }
        Value::Object(object) => object.values_mut().for_each(normalise),
        Value::Array(items) => items.iter_mut().for_each(normalise),
        _ => {}
    }
}

/// Arrays are JSON text in AWS's answer and in the recordings; compare their values.
fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::String(a), Value::String(b)) if a != b => {
            match (
                serde_json::from_str::<Value>(a),
                serde_json::from_str::<Value>(b),
            ) {
                (Ok(x), Ok(y)) => x == y,
                _ => false,
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, x)| b.get(key).is_some_and(|y| same(x, y)))
        }
        _ => ours == theirs,
    }
}

async fn call(api: &Api, request: Value) -> Value {
    let answer = api.call("TestState", request.clone()).await;
    assert_eq!(answer.status, 200, "{request}: {:?}", answer.body);
    let mut body = answer.body;
    normalise(&mut body);
    body
}

#[track_caller]
fn check(ours: &Value, theirs: &Value, what: &str) {
    assert!(
        same(ours, theirs),
        "{what}:\n ours {}\n aws  {}",
        serde_json::to_string_pretty(ours).unwrap(),
        serde_json::to_string_pretty(theirs).unwrap()
    );
}

const HW: &str = r#"{"Value": "HelloWorld"}"#;
const NESTED: &str = r#"{"initialData": {"fieldFromInput": "value from input", "otherField": "other"}, "unrelatedData": {"someOtherField": 1234}}"#;
const CHOICE: &str = r#"{"type": "Private", "value": 22}"#;
const PAR: &str = r#"{"parallelInput": {"data": "input_value"}}"#;
const BR2: &str = r#"[{"branch1": "result"}, {"branch2": "result"}]"#;

#[tokio::test]
async fn single_states_at_each_inspection_level() {
    let api = Api::new();
    let cases = [
        ("BASE_PASS_STATE", "base_pass_state.json5", HW),
        ("BASE_RESULT_PASS_STATE", "base_result_pass_state.json5", HW),
        ("IO_PASS_STATE", "io_pass_state.json5", NESTED),
        ("IO_RESULT_PASS_STATE", "io_result_pass_state.json5", NESTED),
        ("BASE_FAIL_STATE", "base_fail_state.json5", HW),
        ("BASE_SUCCEED_STATE", "base_succeed_state.json5", HW),
        ("BASE_CHOICE_STATE", "base_choice_state.json5", CHOICE),
    ];
    let recorded_variants = [
        (
            "info",
            "INFO",
            &[
                "BASE_PASS_STATE",
                "IO_PASS_STATE",
                "BASE_FAIL_STATE",
                "BASE_SUCCEED_STATE",
                "BASE_CHOICE_STATE",
            ][..],
        ),
        (
            "debug",
            "DEBUG",
            &[
                "BASE_RESULT_PASS_STATE",
                "IO_PASS_STATE",
                "IO_RESULT_PASS_STATE",
                "BASE_FAIL_STATE",
                "BASE_SUCCEED_STATE",
            ][..],
        ),
        (
            "trace",
            "TRACE",
            &[
                "BASE_PASS_STATE",
                "BASE_RESULT_PASS_STATE",
                "IO_PASS_STATE",
                "IO_RESULT_PASS_STATE",
                "BASE_FAIL_STATE",
                "BASE_SUCCEED_STATE",
                "BASE_CHOICE_STATE",
            ][..],
        ),
    ];
    let mut checked = 0;
    for (suffix, level, ids) in recorded_variants {
        for (id, file, input) in cases {
            if !ids.contains(&id) {
                continue;
            }
            let ours = call(
                &api,
                json!({"definition": template(&format!("test_state/statemachines/{file}")),
                       "roleArn": "arn:aws:iam::111111111111:role/r",
                       "input": input, "inspectionLevel": level}),
            )
            .await;
            let test = format!("test_base_inspection_level_{suffix}[{id}]");
            check(
                &ours,
                &recorded("test_test_state_scenarios.snapshot.json", &test),
                &test,
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 17);
}

#[tokio::test]
async fn a_state_named_in_a_whole_machine() {
    let api = Api::new();
    let machines = [
        (
            "BASE_PASS_STATE_MACHINE",
            "base_pass_state_machine.json5",
            "State0",
            &["INFO", "DEBUG", "TRACE"][..],
        ),
        (
            "BASE_FAIL_STATE_MACHINE",
            "base_fail_state_machine.json5",
            "State0",
            &["INFO", "DEBUG"][..],
        ),
        (
            "BASE_MAP_STATE_MACHINE",
            "base_map_state_machine.json5",
            "HandleItem",
            &["INFO", "DEBUG", "TRACE"][..],
        ),
    ];
    for (id, file, state, levels) in machines {
        for level in levels {
            let ours = call(
                &api,
                json!({"definition": template(&format!("test_state/statemachines/{file}")),
                       "stateName": state, "input": HW, "inspectionLevel": level}),
            )
            .await;
            let test = format!("test_base_state_name[{level}-{id}]");
            check(
                &ours,
                &recorded("test_test_state_machine_scenarios.snapshot.json", &test),
                &test,
            );
        }
    }
    for (level, state) in [
        ("INFO", "State1"),
        ("DEBUG", "State0"),
        ("DEBUG", "State1"),
        ("TRACE", "State0"),
        ("TRACE", "State1"),
    ] {
        let ours = call(
            &api,
            json!({"definition": template("test_state/statemachines/base_multi_state_machine.json5"),
                   "stateName": state, "input": HW, "inspectionLevel": level}),
        )
        .await;
        let test = format!("test_base_state_name_multi_state[{level}-{state}]");
        check(
            &ours,
            &recorded("test_test_state_machine_scenarios.snapshot.json", &test),
            &test,
        );
    }
    // A state the machine does not have.
    let answer = api
        .call(
            "TestState",
            json!({"definition": template("test_state/statemachines/base_pass_state_machine.json5"),
                   "stateName": "\"invalid\"", "input": HW}),
        )
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_type(), "ValidationException");
}

#[tokio::test]
async fn mocked_tasks_and_parallel_states() {
    let api = Api::new();
    let input = r#"{"TableName": "<table_name>", "Item": {"data": {"S": "HelloWorld"}, "id": {"S": "id1"}}}"#;
    let mock = json!({"result": r#"{"SdkHttpMetadata": {"HttpStatusCode": 200}}"#});
    let base = json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                      "Parameters": {"TableName.$": "$.TableName", "Item.$": "$.Item"}, "End": true});
    let mut io = base.clone();
    io["ResultPath"] = json!("$.putItemOutput");
    io["OutputPath"] = json!("$.putItemOutput");
    for (id, definition) in [("base", base), ("io_output_path", io)] {
        let ours = call(
            &api,
            json!({"definition": definition.to_string(), "input": input, "mock": mock,
                   "inspectionLevel": "INFO"}),
        )
        .await;
        let test = format!("test_io_dynamodb_service_task_mock_success[{id}]");
        check(
            &ours,
            &recorded("test_test_state_mock_scenarios.snapshot.json", &test),
            &test,
        );
    }
    for (test, file, input, level) in [
        (
            "test_base_parallel_state_mock_success[DEBUG]",
            "base_parallel_state.json5",
            r#"{"key": "value"}"#,
            "DEBUG",
        ),
        (
            "test_io_parallel_state_mock_success[INFO]",
            "io_parallel_state.json5",
            PAR,
            "INFO",
        ),
        (
            "test_io_parallel_state_mock_success[DEBUG]",
            "io_parallel_state.json5",
            PAR,
            "DEBUG",
        ),
        (
            "test_io_parallel_state_mock_success[TRACE]",
            "io_parallel_state.json5",
            PAR,
            "TRACE",
        ),
        (
            "test_io_jsonata_parallel_state_mock_success[DEBUG]",
            "io_jsonata_parallel_state.json5",
            PAR,
            "DEBUG",
        ),
        (
            "test_io_jsonata_parallel_state_mock_success[TRACE]",
            "io_jsonata_parallel_state.json5",
            PAR,
            "TRACE",
        ),
    ] {
        let ours = call(
            &api,
            json!({"definition": template(&format!("test_state/statemachines/{file}")),
                   "input": input, "mock": {"result": BR2}, "inspectionLevel": level}),
        )
        .await;
        check(
            &ours,
            &recorded("test_test_state_mock_scenarios.snapshot.json", test),
            test,
        );
    }
    // A mocked error: retried while the retrier has attempts left, then caught.
    let definition = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 3, "BackoffRate": 2}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover", "ResultPath": "$.error"}]});
    let error = json!({"errorOutput": {"error": "Boom", "cause": "it broke"}});
    let retried = call(
        &api,
        json!({"definition": definition.to_string(), "input": "{}", "mock": error,
               "inspectionLevel": "DEBUG", "stateConfiguration": {"retrierRetryCount": 1}}),
    )
    .await;
    assert_eq!(retried["status"], "RETRIABLE", "{retried}");
    assert_eq!(
        retried["inspectionData"]["errorDetails"],
        json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 6})
    );
    let caught = call(
        &api,
        json!({"definition": definition.to_string(), "input": "{}", "mock": error,
               "inspectionLevel": "DEBUG", "stateConfiguration": {"retrierRetryCount": 2}}),
    )
    .await;
    assert_eq!(caught["status"], "CAUGHT_ERROR", "{caught}");
    assert_eq!(caught["nextState"], "Recover");
    assert_eq!(
        caught["output"],
        json!({"error": {"Error": "Boom", "Cause": "it broke"}})
    );
}

#[tokio::test]
async fn variables_and_refusals() {
    let api = Api::new();
    let ours = call(
        &api,
        json!({"definition": template("outputdecl/statemachines/base_literals.json5"),
               "stateName": "State0", "input": r#"{"input_values": [1, 2, 3]}"#,
               "inspectionLevel": "TRACE", "variables": "{}"}),
    )
    .await;
    check(
        &ours,
        &recorded(
            "test_test_state_scenarios.snapshot.json",
            "test_state_with_variables[empty_variables]",
        ),
        "empty_variables",
    );
    let ours = call(
        &api,
        json!({"definition": json!({"QueryLanguage": "JSONata", "Type": "Pass", "End": true,
                                    "Assign": {"doubled": "{% $n * 2 %}"},
                                    "Output": "{% $n + $states.input.add %}"}).to_string(),
               "input": r#"{"add": 1}"#, "inspectionLevel": "DEBUG", "variables": r#"{"n": 20}"#}),
    )
    .await;
    assert_eq!(ours["output"], "21");
    assert_eq!(
        ours["inspectionData"]["variables"],
        json!({"n": 20, "doubled": 40})
    );

    for (definition, mock, error_type) in [
        (
            template("test_state/statemachines/base_pass_state.json5"),
            Some(json!({"result": "{}"})),
            "ValidationException",
        ),
        (
            template("test_state/statemachines/base_parallel_state.json5"),
            None,
            "InvalidDefinition",
        ),
        (
            template("test_state/statemachines/base_parallel_state.json5"),
            Some(
                json!({"result": r#"{"mock": "array is expected but object is provided instead"}"#}),
            ),
            "ValidationException",
        ),
        (
            template("test_state/statemachines/base_parallel_state.json5"),
            Some(json!({"result": r#"[{"branch1": "result"}]"#})),
            "ValidationException",
        ),
        ("{not json".to_owned(), None, "InvalidDefinition"),
    ] {
        let mut request = json!({"definition": definition, "inspectionLevel": "TRACE"});
        if let Some(mock) = mock {
            request["mock"] = mock;
        }
        let answer = api.call("TestState", request.clone()).await;
        assert_eq!(answer.status, 400, "{request}: {:?}", answer.body);
        assert_eq!(
            answer.error_type(),
            error_type,
            "{request}: {:?}",
            answer.body
        );
    }
}
