//! Ports of LocalStack's `api-responses` entries, recorded against AWS
//! (`shared/conformance/localstack`, sequences in its `API-SEQUENCES.md`): each test makes the
//! recorded calls and compares our responses, normalised as the recordings were (README of the
//! corpus), with AWS's.

mod common;

use std::path::Path;

use common::{Answer, Api, PASS_RESULT, ROLE};
use serde_json::{Map, Value, json};

const V2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/localstack/tests/aws/services/stepfunctions"
);

/// The recorded content of one test in a snapshot file.
fn recorded(file: &str, test: &str) -> Map<String, Value> {
    let path = Path::new(V2).join("v2").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path:?}: {error}"));
    let snapshots: Map<String, Value> = serde_json::from_str(&text).unwrap();
    let (_, entry) = snapshots
        .iter()
        .find(|(key, _)| key.ends_with(&format!("::{test}")))
        .unwrap_or_else(|| panic!("no {test} in {file}"));
    entry["recorded-content"].as_object().unwrap().clone()
}

/// A template of the corpus as the LocalStack tests send it (JSON text from JSON5).
fn template(relative: &str) -> String {
    let path = Path::new(V2).join("templates").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path:?}: {error}"));
    let value: Value = json5::from_str(&text).unwrap();
    value.to_string()
}

/// Applies the recordings' normalisation to our answers.
#[derive(Default)]
struct Normalise {
    /// Exact substrings to replace, longest first.
    masks: Vec<(String, String)>,
    /// UUIDs in order of first appearance (`<uuid:N>`).
    uuids: Vec<String>,
}

const DATE_KEYS: &[&str] = &[
    "creationDate",
    "startDate",
    "stopDate",
    "updateDate",
    "redriveDate",
];

impl Normalise {
    fn new() -> Normalise {
        let mut normalise = Normalise::default();
        normalise.mask(ROLE, "snf_role_arn");
        normalise
    }

    fn mask(&mut self, actual: &str, placeholder: &str) {
        self.masks.push((actual.to_owned(), placeholder.to_owned()));
        self.masks
            .sort_by_key(|(actual, _)| std::cmp::Reverse(actual.len()));
    }

    fn text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (actual, placeholder) in &self.masks {
            text = text.replace(actual, placeholder);
        }
        text.replace("arn:aws:", "arn:<partition>:")
            .replace(":us-east-1:", ":<region>:")
            .replace("123456789012", "111111111111")
    }

    fn value(&mut self, key: &str, value: &Value) -> Value {
        if key.contains("timestamp") {
            return json!("timestamp");
        }
        if DATE_KEYS.contains(&key) {
            return json!("datetime");
        }
        match value {
            Value::String(text) if key == "revisionId" => {
                let index = match self.uuids.iter().position(|uuid| uuid == text) {
                    Some(index) => index,
                    None => {
                        self.uuids.push(text.clone());
                        self.uuids.len() - 1
                    }
                };
                json!(format!("<uuid:{}>", index + 1))
            }
            Value::String(text) if text.starts_with('{') => {
                match serde_json::from_str::<Value>(text) {
                    Ok(parsed) => self.value(key, &parsed),
                    Err(_) => json!(self.text(text)),
                }
            }
            Value::String(text) => json!(self.text(text)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|item| self.value("", item)).collect())
            }
            Value::Object(object) => Value::Object(
                object
                    .iter()
                    .map(|(key, value)| (key.clone(), self.value(key, value)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A success, as boto3 records it.
    fn resp(&mut self, answer: Answer) -> Value {
        let status = answer.status.as_u16();
        let mut body = match answer.body {
            Value::Object(object) => object,
            other => panic!("not a success: {other}"),
        };
        assert_eq!(status, 200, "{body:?}");
        body.insert(
            "ResponseMetadata".to_owned(),
            json!({"HTTPHeaders": {}, "HTTPStatusCode": status}),
        );
        self.value("", &Value::Object(body))
    }

    /// An error, as a ClientError's `.response`.
    fn err(&mut self, answer: Answer) -> Value {
        let message = self.text(answer.message());
        json!({
            "Error": {"Code": answer.error_type(), "Message": message},
            "message": message,
            "ResponseMetadata": {"HTTPHeaders": {}, "HTTPStatusCode": answer.status.as_u16()},
        })
    }

    /// An error as `{exception_typename, exception_value}`.
    fn pair(&mut self, answer: Answer, operation: &str) -> Value {
        json!({
            "exception_typename": answer.error_type(),
            "exception_value": self.str(answer, operation),
        })
    }

    /// An error as its string form.
    fn str(&mut self, answer: Answer, operation: &str) -> String {
        format!(
            "An error occurred ({}) when calling the {operation} operation: {}",
            answer.error_type(),
            self.text(answer.message())
        )
    }
}

/// Compares one recorded match.
#[track_caller]
fn check(recording: &Map<String, Value>, key: &str, ours: Value) {
    let expected = recording
        .get(key)
        .unwrap_or_else(|| panic!("no recorded {key}"));
    assert_eq!(
        &ours,
        expected,
        "{key}:\n ours {}\n aws  {}",
        serde_json::to_string_pretty(&ours).unwrap(),
        serde_json::to_string_pretty(expected).unwrap()
    );
}

async fn create(api: &Api, name: &str, definition: &str) -> Answer {
    api.call(
        "CreateStateMachine",
        json!({"name": name, "definition": definition, "roleArn": ROLE}),
    )
    .await
}

const API: &str = "test_sfn_api.snapshot.json";

#[tokio::test]
async fn test_create_delete_invalid_sm() {
    let recording = recorded(API, "test_create_delete_invalid_sm");
    let api = Api::new();
    let mut normalise = Normalise::new();
    let answer = create(&api, "m", &template("base/statemachines/invalid_der.json5")).await;
    check(&recording, "invalid_definition_1", normalise.err(answer));
}

#[tokio::test]
async fn test_create_delete_valid_sm_and_delete_nonexistent() {
    let recording = recorded(API, "test_create_delete_valid_sm");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_1", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_1", PASS_RESULT).await;
    let arn = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(created));
    let deleted = api
        .call("DeleteStateMachine", json!({"stateMachineArn": arn}))
        .await;
    check(&recording, "deletion_resp_1", normalise.resp(deleted));

    let recording = recorded(API, "test_delete_nonexistent_sm");
    let other = arn.replace("statemachine_1", "statemachine_2");
    let deleted = api
        .call("DeleteStateMachine", json!({"stateMachineArn": other}))
        .await;
    check(&recording, "deletion_resp_1", normalise.resp(deleted));
}

#[tokio::test]
async fn test_create_exact_duplicate_sm() {
    let recording = recorded(API, "test_create_exact_duplicate_sm");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let first = create(&api, "statemachine_x", PASS_RESULT).await;
    let arn = first.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(first));
    let describe = || api.call("DescribeStateMachine", json!({"stateMachineArn": arn}));
    check(
        &recording,
        "describe_resp_1",
        normalise.resp(describe().await),
    );
    let second = create(&api, "statemachine_x", PASS_RESULT).await;
    check(&recording, "creation_resp_2", normalise.resp(second));
    check(
        &recording,
        "describe_resp_2",
        normalise.resp(describe().await),
    );
    check(
        &recording,
        "describe_resp_1_2",
        normalise.resp(describe().await),
    );
}

#[tokio::test]
async fn test_create_duplicate_definition_format_sm() {
    let recording = recorded(API, "test_create_duplicate_definition_format_sm");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let first = create(&api, "statemachine_x", PASS_RESULT).await;
    let arn = first.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(first));
    let described = api
        .call("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await;
    check(&recording, "describe_resp_1", normalise.resp(described));
    let indented =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(PASS_RESULT).unwrap()).unwrap();
    let again = create(&api, "statemachine_x", &indented).await;
    check(&recording, "already_exists_1", normalise.err(again));
}

#[tokio::test]
async fn test_describe_errors() {
    let api = Api::new();
    let mut normalise = Normalise::new();

    let recording = recorded(API, "test_describe_invalid_arn_sm");
    let answer = api
        .call(
            "DescribeStateMachine",
            json!({"stateMachineArn": "not_a_valid_arn"}),
        )
        .await;
    check(
        &recording,
        "exception",
        normalise.pair(answer, "DescribeStateMachine"),
    );

    let recording = recorded(API, "test_describe_nonexistent_sm");
    create(&api, "statemachine_x", PASS_RESULT).await.ok();
    let missing = common::machine_arn("statemachine_y");
    normalise.mask(&missing, "sm_nonexistent_arn");
    let answer = api
        .call("DescribeStateMachine", json!({"stateMachineArn": missing}))
        .await;
    assert_eq!(
        json!(normalise.str(answer, "DescribeStateMachine")),
        recording["describe_nonexistent_sm"]
    );

    let recording = recorded(API, "test_list_execution_invalid_arn");
    let answer = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": "invalid_state_machine_arn"}),
        )
        .await;
    check(
        &recording,
        "exception",
        normalise.pair(answer, "ListExecutions"),
    );

    let recording = recorded(API, "test_get_execution_history_invalid_arn");
    let answer = api
        .call(
            "GetExecutionHistory",
            json!({"executionArn": "invalid_state_machine_arn"}),
        )
        .await;
    check(
        &recording,
        "exception",
        normalise.pair(answer, "GetExecutionHistory"),
    );

    let recording = recorded(API, "test_list_execution_no_such_state_machine");
    let missing = common::machine_arn("statemachine_z");
    normalise.mask(&missing, "ssm_nonexistent_arn");
    let answer = api
        .call("ListExecutions", json!({"stateMachineArn": missing}))
        .await;
    check(
        &recording,
        "exception",
        normalise.pair(answer, "ListExecutions"),
    );
}

#[tokio::test]
async fn test_describe_execution_and_missing_executions() {
    let recording = recorded(API, "test_describe_execution");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_x", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp", normalise.resp(created));
    let started = api
        .call("StartExecution", json!({"stateMachineArn": machine}))
        .await;
    let execution = started.body["executionArn"].as_str().unwrap().to_owned();
    let name = execution.rsplit(':').next().unwrap().to_owned();
    normalise.mask(&format!(":{name}"), ":<ExecArnPart_0idx>");
    normalise.mask(&name, "<ExecArnPart_0idx>");
    check(&recording, "exec_resp", normalise.resp(started));
    api.wait_end(&execution).await;
    let described = api
        .call("DescribeExecution", json!({"executionArn": execution}))
        .await;
    check(&recording, "describe_execution", normalise.resp(described));

    let missing = format!("{}0000", &execution[..execution.len() - 4]);
    normalise.mask(&missing, "invalid_execution_arn");
    let recording = recorded(API, "test_describe_execution_no_such_state_machine");
    let answer = api
        .call("DescribeExecution", json!({"executionArn": missing}))
        .await;
    check(
        &recording,
        "exception",
        normalise.pair(answer, "DescribeExecution"),
    );
    let recording = recorded(API, "test_get_execution_history_no_such_execution");
    let answer = api
        .call("GetExecutionHistory", json!({"executionArn": missing}))
        .await;
    check(
        &recording,
        "exception",
        normalise.pair(answer, "GetExecutionHistory"),
    );
}

#[tokio::test]
async fn test_state_machine_status_filter() {
    let recording = recorded(API, "test_state_machine_status_filter");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_x", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp", normalise.resp(created));
    let list = |status: &str| {
        api.call(
            "ListExecutions",
            json!({"stateMachineArn": machine, "statusFilter": status}),
        )
    };
    check(
        &recording,
        "list_before_execution",
        normalise.resp(list("SUCCEEDED").await),
    );
    let started = api
        .call("StartExecution", json!({"stateMachineArn": machine}))
        .await;
    let execution = started.body["executionArn"].as_str().unwrap().to_owned();
    let name = execution.rsplit(':').next().unwrap().to_owned();
    normalise.mask(&name, "<ExecArnPart_0idx>");
    check(&recording, "exec_resp", normalise.resp(started));
    api.wait_end(&execution).await;
    check(
        &recording,
        "list_succeeded_when_complete",
        normalise.resp(list("SUCCEEDED").await),
    );
    check(
        &recording,
        "list_running_when_complete",
        normalise.resp(list("RUNNING").await),
    );
    check(
        &recording,
        "list_executions_filter_exc",
        normalise.err(list("succeeded").await),
    );
}

#[tokio::test]
async fn test_stop_execution() {
    let recording = recorded(API, "test_stop_execution");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let created = create(
        &api,
        "statemachine_x",
        &template("base/statemachines/wait_1_min.json5"),
    )
    .await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp", normalise.resp(created));
    let started = api
        .call("StartExecution", json!({"stateMachineArn": machine}))
        .await;
    let execution = started.body["executionArn"].as_str().unwrap().to_owned();
    let name = execution.rsplit(':').next().unwrap().to_owned();
    normalise.mask(&name, "<ExecArnPart_0idx>");
    check(&recording, "exec_resp", normalise.resp(started));
    // Stop once the Wait state is entered, as the recording did.
    for _ in 0..500 {
        if api.history(&execution).await.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let stopped = api
        .call("StopExecution", json!({"executionArn": execution}))
        .await;
    check(&recording, "stop_res", normalise.resp(stopped));
    let history = api
        .call("GetExecutionHistory", json!({"executionArn": execution}))
        .await;
    check(&recording, "exec_hist_resp", normalise.resp(history));
}

#[tokio::test]
async fn test_invalid_start_execution_arn() {
    let recording = recorded(API, "test_invalid_start_execution_arn");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_x", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp", normalise.resp(created));
    api.call("DeleteStateMachine", json!({"stateMachineArn": machine}))
        .await
        .ok();
    let invalid = machine.replace("statemachine_x", "statemachine_invalid_statemachine_x");
    let answer = api
        .call("StartExecution", json!({"stateMachineArn": invalid}))
        .await;
    check(&recording, "start_exec_of_deleted", normalise.err(answer));
}

#[tokio::test]
async fn test_create_update_state_machine_base_definition() {
    let recording = recorded(API, "test_create_update_state_machine_base_definition");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_x", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_t0", normalise.resp(created));
    let describe = || api.call("DescribeStateMachine", json!({"stateMachineArn": machine}));
    check(
        &recording,
        "describe_resp_t0",
        normalise.resp(describe().await),
    );
    for (step, key, describe_key) in [
        (
            "AfterUpdate1",
            "update_state_machine_res",
            "describe_resp_t1",
        ),
        (
            "AfterUpdate2",
            "update_state_machine_res_t2",
            "describe_resp_t2",
        ),
    ] {
        let definition = PASS_RESULT.replace("argument1", step);
        let updated = api
            .call(
                "UpdateStateMachine",
                json!({"stateMachineArn": machine, "definition": definition}),
            )
            .await;
        check(&recording, key, normalise.resp(updated));
        check(&recording, describe_key, normalise.resp(describe().await));
    }
}

#[tokio::test]
async fn test_create_update_state_machine_same_parameters() {
    let recording = recorded(API, "test_create_update_state_machine_same_parameters");
    let api = Api::new();
    let mut normalise = Normalise::new();
    let role_t0 = "arn:aws:iam::111111111111:role/t0";
    let role_t1 = "arn:aws:iam::111111111111:role/t1";
    normalise.mask(role_t0, "snf_role_arn_t0");
    normalise.mask(role_t1, "snf_role_arn_t1");
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let created = api
        .call(
            "CreateStateMachine",
            json!({"name": "statemachine_x", "definition": PASS_RESULT, "roleArn": role_t0}),
        )
        .await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_t0", normalise.resp(created));
    let describe = || api.call("DescribeStateMachine", json!({"stateMachineArn": machine}));
    check(
        &recording,
        "describe_resp_t0",
        normalise.resp(describe().await),
    );
    let updated = api
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": machine, "roleArn": role_t1}),
        )
        .await;
    check(
        &recording,
        "update_state_machine_res_t1",
        normalise.resp(updated),
    );
    check(
        &recording,
        "describe_resp_t1",
        normalise.resp(describe().await),
    );
    let same = api
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": machine, "definition": PASS_RESULT, "roleArn": role_t1}),
        )
        .await;
    check(
        &recording,
        "update_state_machine_res_t2",
        normalise.resp(same),
    );
    check(
        &recording,
        "describe_resp_t2",
        normalise.resp(describe().await),
    );
}

#[tokio::test]
async fn test_create_update_state_machine_base_update_none() {
    let recording = recorded(API, "test_create_update_state_machine_base_update_none");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_x", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_t0", normalise.resp(created));
    let described = api
        .call("DescribeStateMachine", json!({"stateMachineArn": machine}))
        .await;
    check(&recording, "describe_resp_t0", normalise.resp(described));
    let answer = api
        .call("UpdateStateMachine", json!({"stateMachineArn": machine}))
        .await;
    check(
        &recording,
        "missing_required_parameter",
        normalise.err(answer),
    );
}

#[tokio::test]
async fn test_list_sms_pagination_errors() {
    let recording = recorded(API, "test_list_sms_pagination");
    let api = Api::new();
    let mut normalise = Normalise::new();
    let answer = api
        .call("ListStateMachines", json!({"maxResults": 1001}))
        .await;
    check(
        &recording,
        "list-state-machines-invalid-param-too-large",
        normalise.err(answer),
    );
    let token = "x".repeat(1025);
    normalise.mask(&token, "<invalid_token_1025_chars>");
    let answer = api
        .call("ListStateMachines", json!({"nextToken": token}))
        .await;
    check(
        &recording,
        "list-state-machines-invalid-param-long-nextToken",
        normalise.err(answer),
    );

    let recording = recorded(API, "test_list_executions_pagination");
    let machine = api.create_machine("m", PASS_RESULT, "STANDARD").await;
    let answer = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine, "maxResults": 1001}),
        )
        .await;
    check(
        &recording,
        "list-executions-invalid-param-too-large",
        normalise.err(answer),
    );
    let token = "x".repeat(3097);
    normalise.mask(&token, "<invalid_token_3097_chars>");
    let answer = api
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine, "nextToken": token}),
        )
        .await;
    check(
        &recording,
        "list-executions-invalid-param-long-nextToken",
        normalise.err(answer),
    );
}

const TAGGING: &str = "test_sfn_api_tagging.snapshot.json";

#[tokio::test]
async fn test_tag_state_machine() {
    for (variant, tags) in [
        ("tag_list0", json!([])),
        ("tag_list2", json!([{"key": "key1", "value": ""}])),
        (
            "tag_list3",
            json!([{"key": "key1", "value": "value1"}, {"key": "key1", "value": "value1"}]),
        ),
        (
            "tag_list4",
            json!([{"key": "key1", "value": "value1"}, {"key": "key2", "value": "value2"}]),
        ),
    ] {
        let recording = recorded(TAGGING, &format!("test_tag_state_machine[{variant}]"));
        let api = Api::new();
        let mut normalise = Normalise::new();
        normalise.mask("statemachine_x", "<ArnPart_0idx>");
        let created = create(&api, "statemachine_x", PASS_RESULT).await;
        let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
        check(&recording, "creation_resp_1", normalise.resp(created));
        let tagged = api
            .call("TagResource", json!({"resourceArn": machine, "tags": tags}))
            .await;
        check(&recording, "tag_resource_resp", normalise.resp(tagged));
        let listed = api
            .call("ListTagsForResource", json!({"resourceArn": machine}))
            .await;
        check(&recording, "list_resources_res", normalise.resp(listed));
    }
}

#[tokio::test]
async fn test_untag_state_machine() {
    for (test, keys) in [
        ("test_untag_state_machine[tag_keys1]", json!(["key1"])),
        (
            "test_untag_state_machine[tag_keys2]",
            json!(["key1", "key1"]),
        ),
        ("test_tag_state_machine[tag_keys0]", json!([])),
        ("test_tag_state_machine[tag_keys3]", json!(["key1", "key2"])),
    ] {
        let recording = recorded(TAGGING, test);
        let api = Api::new();
        let mut normalise = Normalise::new();
        normalise.mask("statemachine_x", "<ArnPart_0idx>");
        let created = create(&api, "statemachine_x", PASS_RESULT).await;
        let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
        check(&recording, "creation_resp_1", normalise.resp(created));
        let tagged = api
            .call(
                "TagResource",
                json!({"resourceArn": machine, "tags": [{"key": "key1", "value": "value1"}]}),
            )
            .await;
        check(&recording, "tag_resource_resp", normalise.resp(tagged));
        let untagged = api
            .call(
                "UntagResource",
                json!({"resourceArn": machine, "tagKeys": keys}),
            )
            .await;
        check(&recording, "untag_resource_resp", normalise.resp(untagged));
        let listed = api
            .call("ListTagsForResource", json!({"resourceArn": machine}))
            .await;
        check(&recording, "list_resources_res", normalise.resp(listed));
    }
}

#[tokio::test]
async fn test_create_state_machine_with_tags() {
    let recording = recorded(TAGGING, "test_create_state_machine");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let created = api
        .call(
            "CreateStateMachine",
            json!({"name": "statemachine_x", "definition": PASS_RESULT, "roleArn": ROLE,
                   "tags": [{"key": "key1", "value": "value1"}, {"key": "key2", "value": "value2"}]}),
        )
        .await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(created));
    let listed = api
        .call("ListTagsForResource", json!({"resourceArn": machine}))
        .await;
    check(&recording, "list_resources_res", normalise.resp(listed));
}

#[tokio::test]
async fn test_tag_state_machine_version() {
    let recording = recorded(TAGGING, "test_tag_state_machine_version");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_x", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_x", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    api.call(
        "PublishStateMachineVersion",
        json!({"stateMachineArn": machine}),
    )
    .await
    .ok();
    let answer = api
        .call(
            "TagResource",
            json!({"resourceArn": format!("{machine}:1"), "tags": [{"key": "key1", "value": "value1"}]}),
        )
        .await;
    assert_eq!(
        json!(normalise.str(answer, "TagResource")),
        recording["error"]
    );
}

const VALIDATION: &str = "test_sfn_api_validation.snapshot.json";

#[tokio::test]
async fn test_validate_state_machine_definition() {
    let api = Api::new();
    let mut normalise = Normalise::new();
    let cases = [
        (
            "test_validate_state_machine_definition_not_a_definition[EMPTY_STRING]",
            " ".to_owned(),
            "STANDARD",
        ),
        (
            "test_validate_state_machine_definition_not_a_definition[NOT_A_DEF]",
            "not a definition".to_owned(),
            "STANDARD",
        ),
        (
            "test_validate_state_machine_definition_not_a_definition[EMPTY_DICT]",
            "{}".to_owned(),
            "STANDARD",
        ),
        (
            "test_validate_state_machine_definition_type_standard[VALID_BASE_PASS]",
            template("validation/statemachines/valid_base_pass.json5"),
            "STANDARD",
        ),
        (
            "test_validate_state_machine_definition_type_standard[INVALID_BASE_NO_STARTAT]",
            template("validation/statemachines/invalid_base_no_startat.json5"),
            "STANDARD",
        ),
        (
            "test_validate_state_machine_definition_type_standard[VALID_QUERY_LANGUAGE_PASS]",
            template("validation/statemachines/valid_query_language_pass.json5"),
            "STANDARD",
        ),
        (
            "test_validate_state_machine_definition_type_express[VALID_BASE_PASS]",
            template("validation/statemachines/valid_base_pass.json5"),
            "EXPRESS",
        ),
        (
            "test_validate_state_machine_definition_type_express[INVALID_DOWNGRADE_QUERY_LANGUAGE]",
            template("validation/statemachines/invalid_downgrade_query_language.json5"),
            "EXPRESS",
        ),
        (
            "test_validate_state_machine_definition_type_express[VALID_QUERY_LANGUAGE_PASS]",
            template("validation/statemachines/valid_query_language_pass.json5"),
            "EXPRESS",
        ),
    ];
    for (test, definition, machine_type) in cases {
        let recording = recorded(VALIDATION, test);
        let answer = api
            .call(
                "ValidateStateMachineDefinition",
                json!({"definition": definition, "type": machine_type}),
            )
            .await;
        check(&recording, "validation_response", normalise.resp(answer));
    }
}

const ACTIVITIES: &str = "test_sfn_api_activities.snapshot.json";

#[tokio::test]
async fn test_activities_invalid_arns_and_names() {
    let api = Api::new();
    let mut normalise = Normalise::new();
    for (test, operation) in [
        ("test_describe_activity_invalid_arn", "DescribeActivity"),
        ("test_get_activity_task_invalid_arn", "GetActivityTask"),
    ] {
        let recording = recorded(ACTIVITIES, test);
        let answer = api
            .call(operation, json!({"activityArn": "no_an_activity_arn"}))
            .await;
        check(&recording, "exception", normalise.pair(answer, operation));
    }
    for name in [
        "activity name",
        "activity<name",
        "activity>name",
        "activity{name",
        "activity}name",
        "activity[name",
        "activity]name",
        "activity?name",
        "activity*name",
        "activity\"name",
        "activity%name",
        "activity\\name",
        "activity^name",
        "activity$name",
        "activity,name",
        "activity;name",
        "activity:name",
        "activity/name",
        "\u{0}activity",
        "activity\u{7f}",
    ] {
        let id = name
            .replace('\u{0}', "\\x00")
            .replace('\u{7f}', "\\x7f")
            .replace('\\', "\\\\");
        let id = id.replace("\\\\x00", "\\x00").replace("\\\\x7f", "\\x7f");
        let recording = recorded(
            ACTIVITIES,
            &format!("test_create_activity_invalid_name[{id}]"),
        );
        let answer = api.call("CreateActivity", json!({"name": name})).await;
        check(&recording, "invalid_name", normalise.err(answer));
    }
}

#[tokio::test]
async fn test_create_describe_delete_activity() {
    for name in [
        "activity-name_123",
        "activity.name",
        "activityName.with.dots",
        "activity_123.name",
    ] {
        let recording = recorded(
            ACTIVITIES,
            &format!("test_create_describe_delete_activity[{name}]"),
        );
        let api = Api::new();
        let mut normalise = Normalise::new();
        let created = api.call("CreateActivity", json!({"name": name})).await;
        let arn = created.body["activityArn"].as_str().unwrap().to_owned();
        normalise.mask(&arn, "activity_arn");
        normalise.mask(name, "activity_name");
        let mut ours = normalise.resp(created);
        ours["creationDate"] = json!("creation-date");
        check(&recording, "create_activity_response", ours);
        let again = api.call("CreateActivity", json!({"name": name})).await;
        let mut ours = normalise.resp(again);
        ours["creationDate"] = json!("creation-date");
        check(&recording, "create_activity_response_duplicate", ours);
        let described = api
            .call("DescribeActivity", json!({"activityArn": arn}))
            .await;
        let mut ours = normalise.resp(described);
        ours["creationDate"] = json!("creation-date");
        check(&recording, "describe_activity_response", ours);
        for key in ["delete_activity_response", "delete_activity_response_2"] {
            let deleted = api
                .call("DeleteActivity", json!({"activityArn": arn}))
                .await;
            check(&recording, key, normalise.resp(deleted));
        }
    }
}

#[tokio::test]
async fn test_start_sync_execution() {
    let recording = recorded(
        "test_sfn_api_express.snapshot.json",
        "test_start_sync_execution",
    );
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("express_statemachine_x", "<ArnPart_0idx>");
    let created = api
        .call(
            "CreateStateMachine",
            json!({"name": "express_statemachine_x", "definition": PASS_RESULT, "roleArn": ROLE, "type": "EXPRESS"}),
        )
        .await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_response", normalise.resp(created));
    let answer = api
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": machine, "input": "{}"}),
        )
        .await;
    let arn = answer.body["executionArn"].as_str().unwrap().to_owned();
    let mut parts = arn.rsplit(':');
    let part2 = parts.next().unwrap().to_owned();
    let part1 = parts.next().unwrap().to_owned();
    normalise.mask(&part2, "<SyncExecArn_Part2_0idx>");
    normalise.mask(&part1, "<SyncExecArn_Part1_0idx>");
    check(
        &recording,
        "start_execution_sync_response",
        normalise.resp(answer),
    );
}

const VERSIONING: &str = "test_sfn_api_versioning.snapshot.json";

/// `pass_result` with its Comment changed, as the versioning tests revise it.
fn pass_result_comment(comment: &str) -> String {
    PASS_RESULT.replace("\"BASE_PASS_RESULT\"", &format!("{comment:?}"))
}

/// `nextToken` masked as the recordings mask it.
fn mask_token(mut body: Value) -> Value {
    if body.get("nextToken").is_some() {
        body["nextToken"] = json!("<next-token:1>");
    }
    body
}

/// A success whose `nextToken` is masked.
fn resp_masked(normalise: &mut Normalise, answer: Answer) -> Value {
    mask_token(normalise.resp(answer))
}

/// Drops `redriveCount` from execution list items: the versioning recordings predate redrive.
fn without_redrive_count(mut answer: Answer) -> Answer {
    if let Some(items) = answer.body["executions"].as_array_mut() {
        for item in items {
            if let Some(item) = item.as_object_mut() {
                item.remove("redriveCount");
            }
        }
    }
    answer
}

async fn create_publishing(api: &Api, name: &str, definition: &str, extra: Value) -> Answer {
    let mut body =
        json!({"name": name, "definition": definition, "roleArn": ROLE, "publish": true});
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    api.call("CreateStateMachine", body).await
}

async fn update_definition(api: &Api, machine: &str, definition: &str, publish: bool) -> Answer {
    api.call(
        "UpdateStateMachine",
        json!({"stateMachineArn": machine, "definition": definition, "publish": publish}),
    )
    .await
}

async fn list_versions(api: &Api, machine: &str) -> Answer {
    api.call(
        "ListStateMachineVersions",
        json!({"stateMachineArn": machine}),
    )
    .await
}

#[tokio::test]
async fn test_create_publish_describe_with_and_without_version_description() {
    for (test, extra) in [
        (
            "test_create_publish_describe_no_version_description",
            json!({}),
        ),
        (
            "test_create_publish_describe_with_version_description",
            json!({"versionDescription": "HelloWorld!"}),
        ),
    ] {
        let recording = recorded(VERSIONING, test);
        let api = Api::new();
        let mut normalise = Normalise::new();
        normalise.mask("statemachine_v", "<ArnPart_0idx>");
        let created = create_publishing(&api, "statemachine_v", PASS_RESULT, extra).await;
        let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
        let version = created.body["stateMachineVersionArn"]
            .as_str()
            .unwrap()
            .to_owned();
        check(&recording, "creation_resp_1", normalise.resp(created));
        let described = api
            .call("DescribeStateMachine", json!({"stateMachineArn": version}))
            .await;
        check(
            &recording,
            "describe_resp_version",
            normalise.resp(described),
        );
        let described = api
            .call("DescribeStateMachine", json!({"stateMachineArn": machine}))
            .await;
        check(&recording, "describe_resp", normalise.resp(described));
    }
}

#[tokio::test]
async fn test_list_state_machine_versions_pagination() {
    let recording = recorded(VERSIONING, "test_list_state_machine_versions_pagination");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_v", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_v", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(created));
    let mut comment = "BASE_PASS_RESULT".to_owned();
    for n in 1..=13 {
        comment.push_str(&format!("-R{n}"));
        let updated = update_definition(&api, &machine, &pass_result_comment(&comment), true)
            .await
            .ok();
        assert_eq!(updated["stateMachineVersionArn"], format!("{machine}:{n}"));
    }
    let page_1 = api
        .call(
            "ListStateMachineVersions",
            json!({"stateMachineArn": machine, "maxResults": 10}),
        )
        .await;
    let token = page_1.body["nextToken"].as_str().unwrap().to_owned();
    check(
        &recording,
        "list-state-machine-versions-page-1",
        resp_masked(&mut normalise, page_1),
    );
    let page_2 = api
        .call(
            "ListStateMachineVersions",
            json!({"stateMachineArn": machine, "maxResults": 3, "nextToken": token}),
        )
        .await;
    check(
        &recording,
        "list-state-machine-versions-page-2",
        normalise.resp(page_2),
    );
    let too_large = api
        .call(
            "ListStateMachineVersions",
            json!({"stateMachineArn": machine, "maxResults": 1001}),
        )
        .await;
    check(
        &recording,
        "list-state-machine-versions-invalid-param-too-large",
        normalise.err(too_large),
    );
    let long_token = "x".repeat(1025);
    normalise.mask(&long_token, "<invalid_token_1025_chars>");
    let long = api
        .call(
            "ListStateMachineVersions",
            json!({"stateMachineArn": machine, "nextToken": long_token}),
        )
        .await;
    check(
        &recording,
        "list-state-machine-versions-invalid-param-long-nextToken",
        normalise.err(long),
    );
    // Unrecorded: maxResults 0 lists all 13; deleting them all empties the list.
    let all = api
        .call(
            "ListStateMachineVersions",
            json!({"stateMachineArn": machine, "maxResults": 0}),
        )
        .await
        .ok();
    assert_eq!(all["stateMachineVersions"].as_array().unwrap().len(), 13);
    assert!(all.get("nextToken").is_none());
    for n in 1..=13 {
        api.call(
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": format!("{machine}:{n}")}),
        )
        .await
        .ok();
    }
    let none = list_versions(&api, &machine).await.ok();
    assert_eq!(none["stateMachineVersions"], json!([]));
}

#[tokio::test]
async fn test_list_delete_version() {
    let recording = recorded(VERSIONING, "test_list_delete_version");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_v", "<ArnPart_0idx>");
    let created = create_publishing(&api, "statemachine_v", PASS_RESULT, json!({})).await;
    let version = created.body["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(created));
    let described = api
        .call("DescribeStateMachine", json!({"stateMachineArn": version}))
        .await;
    check(
        &recording,
        "describe_resp_version",
        normalise.resp(described),
    );
    let listed = list_versions(&api, &machine).await;
    check(&recording, "list_versions_resp_1", normalise.resp(listed));
    let delete = || {
        api.call(
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": version}),
        )
    };
    check(
        &recording,
        "delete_version_resp",
        normalise.resp(delete().await),
    );
    let listed = list_versions(&api, &machine).await;
    check(&recording, "list_versions_resp_2", normalise.resp(listed));
    check(
        &recording,
        "delete_version_resp_after_del",
        normalise.resp(delete().await),
    );
}

#[tokio::test]
async fn test_update_state_machine_with_publish() {
    let recording = recorded(VERSIONING, "test_update_state_machine");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_v", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_v", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(created));
    let updated = update_definition(
        &api,
        &machine,
        &pass_result_comment("BASE_PASS_RESULT-R1"),
        true,
    )
    .await;
    check(&recording, "update_resp_1", normalise.resp(updated));
    let listed = list_versions(&api, &machine).await;
    check(&recording, "list_versions_resp_1", normalise.resp(listed));
    let updated = update_definition(
        &api,
        &machine,
        &pass_result_comment("BASE_PASS_RESULT-R2"),
        true,
    )
    .await;
    let version_2 = updated.body["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    check(&recording, "update_resp_2", normalise.resp(updated));
    let listed = list_versions(&api, &machine).await;
    check(&recording, "list_versions_resp_2", normalise.resp(listed));
    let r3 = pass_result_comment("BASE_PASS_RESULT-R3");
    let answer = update_definition(&api, &version_2, &r3, false).await;
    check(&recording, "invalid_arn_1", normalise.err(answer));
    let answer = update_definition(&api, &version_2, &r3, true).await;
    check(&recording, "invalid_arn_2", normalise.err(answer));
}

#[tokio::test]
async fn test_publish_state_machine_version() {
    let recording = recorded(VERSIONING, "test_publish_state_machine_version");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_v", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_v", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(created));
    let updated = update_definition(
        &api,
        &machine,
        &pass_result_comment("BASE_PASS_RESULT-R1"),
        false,
    )
    .await;
    check(&recording, "update_resp_1", normalise.resp(updated));
    let published = api
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": machine}),
        )
        .await;
    let v1 = published.body["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    check(&recording, "publish_v1", normalise.resp(published));
    let listed = list_versions(&api, &machine).await;
    check(&recording, "list_versions_resp_1", normalise.resp(listed));
    let described = api
        .call("DescribeStateMachine", json!({"stateMachineArn": v1}))
        .await;
    check(&recording, "describe_v1", normalise.resp(described));
    let updated = update_definition(
        &api,
        &machine,
        &pass_result_comment("BASE_PASS_RESULT-R2"),
        false,
    )
    .await;
    let revision_2 = updated.body["revisionId"].as_str().unwrap().to_owned();
    check(&recording, "update_resp_2", normalise.resp(updated));
    let published = api
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": machine, "description": "PublishedV2Description"}),
        )
        .await;
    let v2 = published.body["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    check(&recording, "publish_v2", normalise.resp(published));
    let listed = list_versions(&api, &machine).await;
    check(&recording, "list_versions_resp_2", normalise.resp(listed));
    let described = api
        .call("DescribeStateMachine", json!({"stateMachineArn": v2}))
        .await;
    check(&recording, "describe_v2", normalise.resp(described));
    let updated = update_definition(
        &api,
        &machine,
        &pass_result_comment("BASE_PASS_RESULT-R3"),
        false,
    )
    .await;
    check(&recording, "update_resp_3", normalise.resp(updated));
    let stale = api
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": machine, "revisionId": revision_2}),
        )
        .await;
    assert_eq!(stale.status.as_u16(), 409);
    // The revision ids in the message are masked as the responses' were.
    let mut message = normalise.str(stale, "PublishStateMachineVersion");
    for (index, uuid) in normalise.uuids.iter().enumerate() {
        message = message.replace(uuid, &format!("<uuid:{}>", index + 1));
    }
    assert_eq!(json!(message), recording["conflict_exception"]);
}

#[tokio::test]
async fn test_start_version_execution() {
    let recording = recorded(VERSIONING, "test_start_version_execution");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_v", "<ArnPart_0idx>");
    let created = create_publishing(&api, "statemachine_v", PASS_RESULT, json!({})).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    let version = created.body["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    check(&recording, "creation_resp_1", normalise.resp(created));
    for (index, (arn, start_key, list_key)) in [
        (&machine, "execution_resp", "exec_list_resp"),
        (&version, "execution_version_resp", "exec_version_list_resp"),
    ]
    .into_iter()
    .enumerate()
    {
        let started = api
            .call("StartExecution", json!({"stateMachineArn": arn}))
            .await;
        let execution = started.body["executionArn"].as_str().unwrap().to_owned();
        let name = execution.rsplit(':').next().unwrap().to_owned();
        normalise.mask(&name, &format!("<ExecArnPart_{index}idx>"));
        check(&recording, start_key, normalise.resp(started));
        api.wait_end(&execution).await;
        let listed = api
            .call("ListExecutions", json!({"stateMachineArn": arn}))
            .await;
        check(
            &recording,
            list_key,
            normalise.resp(without_redrive_count(listed)),
        );
        if index == 0 {
            continue;
        }
        // The unqualified ARN lists both; the version's execution says which version it ran.
        let all = api
            .call("ListExecutions", json!({"stateMachineArn": machine}))
            .await
            .ok();
        assert_eq!(all["executions"].as_array().unwrap().len(), 2);
        let described = api
            .call("DescribeExecution", json!({"executionArn": execution}))
            .await
            .ok();
        assert_eq!(described["stateMachineArn"], json!(machine));
        assert_eq!(described["stateMachineVersionArn"], json!(version));
        assert!(described.get("stateMachineAliasArn").is_none());
        let started = &api.history(&execution).await[0];
        assert_eq!(
            started["executionStartedEventDetails"]["stateMachineVersionArn"],
            json!(version)
        );
    }
}

#[tokio::test]
async fn test_version_ids_between_deletions() {
    let recording = recorded(VERSIONING, "test_version_ids_between_deletions");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_v", "<ArnPart_0idx>");
    let created = create_publishing(&api, "statemachine_v", PASS_RESULT, json!({})).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(created));
    let updated = update_definition(
        &api,
        &machine,
        &pass_result_comment("BASE_PASS_RESULT-R2"),
        true,
    )
    .await
    .ok();
    api.call(
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": updated["stateMachineVersionArn"]}),
    )
    .await
    .ok();
    let published = api
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": machine}),
        )
        .await;
    check(&recording, "publish_res_v2_2", normalise.resp(published));
}

#[tokio::test]
async fn test_idempotent_publish() {
    let recording = recorded(VERSIONING, "test_idempotent_publish");
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_v", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_v", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(created));
    let publish = || {
        api.call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": machine}),
        )
    };
    check(&recording, "publish_v1_1", normalise.resp(publish().await));
    check(&recording, "publish_v1_2", normalise.resp(publish().await));
    let listed = list_versions(&api, &machine).await;
    check(&recording, "list_versions_resp", normalise.resp(listed));
}

#[tokio::test]
async fn test_publish_state_machine_version_no_such_machine() {
    let recording = recorded(
        VERSIONING,
        "test_publish_state_machine_version_no_such_machine",
    );
    let api = Api::new();
    let mut normalise = Normalise::new();
    create(&api, "statemachine_v", PASS_RESULT).await.ok();
    let missing = common::machine_arn("statemachine_none");
    normalise.mask(&missing, "ssm_nonexistent_arn");
    let answer = api
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": missing}),
        )
        .await;
    check(
        &recording,
        "exception",
        normalise.pair(answer, "PublishStateMachineVersion"),
    );
}

#[tokio::test]
async fn test_empty_revision_with_publish() {
    for (test, publish_on_creation) in [
        (
            "test_empty_revision_with_publish_and_publish_on_creation",
            true,
        ),
        (
            "test_empty_revision_with_publish_and_no_publish_on_creation",
            false,
        ),
    ] {
        let recording = recorded(VERSIONING, test);
        let api = Api::new();
        let mut normalise = Normalise::new();
        normalise.mask("statemachine_v", "<ArnPart_0idx>");
        let created = if publish_on_creation {
            create_publishing(&api, "statemachine_v", PASS_RESULT, json!({})).await
        } else {
            create(&api, "statemachine_v", PASS_RESULT).await
        };
        let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
        check(&recording, "creation_resp_1", normalise.resp(created));
        for key in ["update_resp_1", "update_resp_2"] {
            let updated = update_definition(&api, &machine, PASS_RESULT, true).await;
            check(&recording, key, normalise.resp(updated));
        }
    }
}

#[tokio::test]
async fn test_describe_state_machine_for_execution_of_version_with_revision() {
    let recording = recorded(
        VERSIONING,
        "test_describe_state_machine_for_execution_of_version_with_revision",
    );
    let api = Api::new();
    let mut normalise = Normalise::new();
    normalise.mask("statemachine_v", "<ArnPart_0idx>");
    let created = create(&api, "statemachine_v", PASS_RESULT).await;
    let machine = created.body["stateMachineArn"].as_str().unwrap().to_owned();
    check(&recording, "creation_resp_1", normalise.resp(created));
    let updated = update_definition(
        &api,
        &machine,
        &pass_result_comment("BASE_PASS_RESULT-R2"),
        true,
    )
    .await;
    check(&recording, "update_resp", normalise.resp(updated));
    let started = api
        .call(
            "StartExecution",
            json!({"stateMachineArn": format!("{machine}:1")}),
        )
        .await;
    let execution = started.body["executionArn"].as_str().unwrap().to_owned();
    normalise.mask(execution.rsplit(':').next().unwrap(), "<ExecArnPart_0idx>");
    check(&recording, "execution_resp", normalise.resp(started));
    api.wait_end(&execution).await;
    // A later revision does not change what the execution ran.
    update_definition(
        &api,
        &machine,
        &pass_result_comment("BASE_PASS_RESULT-R3"),
        false,
    )
    .await
    .ok();
    let described = api
        .call(
            "DescribeStateMachineForExecution",
            json!({"executionArn": execution}),
        )
        .await;
    check(&recording, "describe_resp", normalise.resp(described));
}

const ALIASING: &str = "test_sfn_api_aliasing.snapshot.json";

const ALIAS_DESCRIPTION: &str = "create state machine alias description";

/// The aliasing tests' setup: a machine published as version 1, with the role masked as they
/// mask it.
async fn aliasing_setup(name: &str) -> (Api, Normalise, String, String) {
    let api = Api::new();
    let mut normalise = Normalise::default();
    normalise.mask(ROLE, "sfn_role_arn");
    normalise.mask(name, "<ArnPart_0idx>");
    let created = create_publishing(&api, name, PASS_RESULT, json!({}))
        .await
        .ok();
    let machine = created["stateMachineArn"].as_str().unwrap().to_owned();
    let version = created["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    (api, normalise, machine, version)
}

fn routes(entries: &[(&str, i64)]) -> Value {
    Value::Array(
        entries
            .iter()
            .map(|(arn, weight)| json!({"stateMachineVersionArn": arn, "weight": weight}))
            .collect(),
    )
}

async fn create_alias(api: &Api, name: &str, description: Option<&str>, routing: Value) -> Answer {
    let mut body = json!({"name": name, "routingConfiguration": routing});
    if let Some(description) = description {
        body["description"] = json!(description);
    }
    api.call("CreateStateMachineAlias", body).await
}

async fn list_aliases(api: &Api, body: Value) -> Answer {
    api.call("ListStateMachineAliases", body).await
}

/// Publishes a new version with this Comment; answers its ARN.
async fn publish_comment(api: &Api, machine: &str, comment: &str) -> String {
    let updated = update_definition(api, machine, &pass_result_comment(comment), true)
        .await
        .ok();
    updated["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn test_base_create_alias_single_router_config() {
    let recording = recorded(ALIASING, "test_base_create_alias_single_router_config");
    let (api, mut normalise, _, v0) = aliasing_setup("state_machine_a").await;
    normalise.mask("AliasName-a", "state_machine_alias_name");
    let created = create_alias(
        &api,
        "AliasName-a",
        Some(ALIAS_DESCRIPTION),
        routes(&[(&v0, 100)]),
    )
    .await;
    check(
        &recording,
        "create_state_machine_alias_response",
        normalise.resp(created),
    );
}

#[tokio::test]
async fn test_error_create_alias_not_idempotent() {
    let recording = recorded(ALIASING, "test_error_create_alias_not_idempotent");
    let (api, mut normalise, machine, v0) = aliasing_setup("state_machine_a").await;
    normalise.mask("AliasName-a", "state_machine_alias_name");
    let v1 = publish_comment(&api, &machine, "Definition v1").await;
    let created = create_alias(
        &api,
        "AliasName-a",
        Some(ALIAS_DESCRIPTION),
        routes(&[(&v0, 100)]),
    )
    .await;
    check(
        &recording,
        "create_state_machine_alias_response",
        normalise.resp(created),
    );
    let answer = create_alias(
        &api,
        "AliasName-a",
        Some("This is a different description"),
        routes(&[(&v0, 100)]),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 409);
    check(
        &recording,
        "not_idempotent_description",
        normalise.pair(answer, "CreateStateMachineAlias"),
    );
    let answer = create_alias(
        &api,
        "AliasName-a",
        Some(ALIAS_DESCRIPTION),
        routes(&[(&v0, 50), (&v1, 50)]),
    )
    .await;
    check(
        &recording,
        "not_idempotent_routing_configuration",
        normalise.pair(answer, "CreateStateMachineAlias"),
    );
}

#[tokio::test]
async fn test_idempotent_create_alias() {
    let recording = recorded(ALIASING, "test_idempotent_create_alias");
    let (api, mut normalise, machine, v0) = aliasing_setup("state_machine_a").await;
    normalise.mask("AliasName-a", "state_machine_alias_name");
    for key in [
        "create_state_machine_alias_response_attempt_0",
        "create_state_machine_alias_response_attempt_1",
    ] {
        let created = create_alias(
            &api,
            "AliasName-a",
            Some(ALIAS_DESCRIPTION),
            routes(&[(&v0, 100)]),
        )
        .await;
        check(&recording, key, normalise.resp(created));
    }
    let created = create_alias(
        &api,
        "AliasName-a-second",
        Some(ALIAS_DESCRIPTION),
        routes(&[(&v0, 100)]),
    )
    .await;
    check(
        &recording,
        "create_state_machine_alias_response_different_name",
        normalise.resp(created),
    );
    let listed = list_aliases(&api, json!({"stateMachineArn": machine})).await;
    check(
        &recording,
        "list_state_machine_aliases_response",
        normalise.resp(listed),
    );
}

#[tokio::test]
async fn test_error_create_alias_invalid_router_configs() {
    let recording = recorded(ALIASING, "test_error_create_alias_invalid_router_configs");
    let (api, mut normalise, machine, v0) = aliasing_setup("state_machine_a").await;
    let v1 = publish_comment(&api, &machine, "Definition for version 0").await;
    let v2 = publish_comment(&api, &machine, "Definition for version 1").await;
    let cases = [
        (
            "too_many_routing",
            routes(&[(&v0, 50), (&v1, 30), (&v2, 20)]),
        ),
        ("duplicate_routing", routes(&[(&v0, 50), (&v0, 50)])),
        ("invalid_arn", routes(&[(&machine, 70), (&v1, 30)])),
        ("weight_too_large", routes(&[(&v0, 101)])),
        ("sum_weights_less_than_100", routes(&[(&v0, 70), (&v1, 29)])),
        ("sum_weights_more_than_100", routes(&[(&v0, 70), (&v1, 31)])),
    ];
    for (index, (key, routing)) in cases.into_iter().enumerate() {
        let answer = create_alias(&api, &format!("AliasName-{index}"), None, routing).await;
        check(
            &recording,
            key,
            normalise.pair(answer, "CreateStateMachineAlias"),
        );
    }
    // Versions of two machines, and versions that do not exist, are refused too.
    let other = create_publishing(&api, "state_machine_b", PASS_RESULT, json!({}))
        .await
        .ok();
    let other_version = other["stateMachineVersionArn"].as_str().unwrap().to_owned();
    create_alias(
        &api,
        "mixed",
        None,
        routes(&[(&v0, 50), (&other_version, 50)]),
    )
    .await
    .err("ValidationException");
    create_alias(
        &api,
        "ghost",
        None,
        routes(&[(&format!("{machine}:99"), 100)]),
    )
    .await
    .err("ResourceNotFound");
    let listed = list_aliases(&api, json!({"stateMachineArn": machine}))
        .await
        .ok();
    assert_eq!(listed["stateMachineAliases"], json!([]));
}

#[tokio::test]
async fn test_error_create_alias_invalid_name() {
    let recording = recorded(ALIASING, "test_error_create_alias_invalid_name");
    let (api, mut normalise, _, v0) = aliasing_setup("state_machine_a").await;
    let long = "A".repeat(81);
    for name in ["123", long.as_str(), "INVALID ALIAS", "!INVALID", "ALIAS@"] {
        let answer = create_alias(&api, name, Some(ALIAS_DESCRIPTION), routes(&[(&v0, 100)])).await;
        check(
            &recording,
            &format!("exception_for_name{name}"),
            normalise.pair(answer, "CreateStateMachineAlias"),
        );
    }
}

#[tokio::test]
async fn test_base_lifecycle_create_delete_list() {
    let recording = recorded(ALIASING, "test_base_lifecycle_create_delete_list");
    let (api, mut normalise, machine, v0) = aliasing_setup("state_machine_a").await;
    normalise.mask("AliasName-a", "state_machine_alias_base_name");
    let list = || list_aliases(&api, json!({"stateMachineArn": machine}));
    check(
        &recording,
        "list_state_machine_aliases_response_empty",
        normalise.resp(list().await),
    );
    let mut arns = Vec::new();
    for num in 0..3 {
        let created = create_alias(
            &api,
            &format!("AliasName-a-{num}"),
            Some(ALIAS_DESCRIPTION),
            routes(&[(&v0, 100)]),
        )
        .await;
        arns.push(
            created.body["stateMachineAliasArn"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        check(
            &recording,
            &format!("create_state_machine_alias_response_num_{num}"),
            normalise.resp(created),
        );
        check(
            &recording,
            &format!("list_state_machine_aliases_response_after_creation_{num}"),
            normalise.resp(list().await),
        );
    }
    for (num, arn) in arns.iter().enumerate() {
        let deleted = api
            .call(
                "DeleteStateMachineAlias",
                json!({"stateMachineAliasArn": arn}),
            )
            .await;
        check(
            &recording,
            &format!("delete_state_machine_alias_response_{num}"),
            normalise.resp(deleted),
        );
        check(
            &recording,
            &format!("list_state_machine_aliases_response_after_deletion_{num}"),
            normalise.resp(list().await),
        );
    }
}

#[tokio::test]
async fn test_base_lifecycle_create_update_describe() {
    let recording = recorded(ALIASING, "test_base_lifecycle_create_update_describe");
    let (api, mut normalise, machine, v0) = aliasing_setup("state_machine_a").await;
    normalise.mask("AliasName-a", "state_machine_alias_name");
    let v1 = publish_comment(&api, &machine, "Definition for version 0").await;
    publish_comment(&api, &machine, "Definition for version 1").await;
    let created = create_alias(
        &api,
        "AliasName-a",
        Some(ALIAS_DESCRIPTION),
        routes(&[(&v0, 100)]),
    )
    .await;
    let alias = created.body["stateMachineAliasArn"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        &recording,
        "create_state_machine_alias_response",
        normalise.resp(created),
    );
    let describe = || {
        api.call(
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": alias}),
        )
    };
    let updated = api
        .call(
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": alias, "description": "new description"}),
        )
        .await;
    check(
        &recording,
        "update_state_machine_alias_description_response",
        normalise.resp(updated),
    );
    check(
        &recording,
        "describe_state_machine_alias_update_description_response",
        normalise.resp(describe().await),
    );
    let updated = api
        .call(
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": alias, "routingConfiguration": routes(&[(&v0, 50), (&v1, 50)])}),
        )
        .await;
    check(
        &recording,
        "update_state_machine_alias_routing_configuration_response",
        normalise.resp(updated),
    );
    check(
        &recording,
        "describe_state_machine_alias_update_routing_configuration_response",
        normalise.resp(describe().await),
    );
    // An update with nothing to change, and one of an alias that does not exist.
    api.call(
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    )
    .await
    .err("ValidationException");
    let missing = api
        .call(
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": format!("{machine}:nobody"), "description": "d"}),
        )
        .await;
    assert_eq!(
        missing.err("ResourceNotFound"),
        "Request references a resource that does not exist."
    );
}

#[tokio::test]
async fn test_delete_version_with_alias() {
    let recording = recorded(ALIASING, "test_delete_version_with_alias");
    let (api, mut normalise, machine, v0) = aliasing_setup("state_machine_a").await;
    normalise.mask("AliasName-a", "state_machine_alias_name");
    let created = create_alias(
        &api,
        "AliasName-a",
        Some(ALIAS_DESCRIPTION),
        routes(&[(&v0, 100)]),
    )
    .await;
    let alias = created.body["stateMachineAliasArn"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        &recording,
        "create_state_machine_alias_response",
        normalise.resp(created),
    );
    let delete = || {
        api.call(
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": v0}),
        )
    };
    check(
        &recording,
        "exception_delete_version_with_alias_reference",
        normalise.pair(delete().await, "DeleteStateMachineVersion"),
    );
    let v1 = publish_comment(&api, &machine, "Definition v1").await;
    api.call(
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias, "routingConfiguration": routes(&[(&v1, 100)])}),
    )
    .await
    .ok();
    let described = api
        .call(
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": alias}),
        )
        .await;
    check(
        &recording,
        "describe_state_machine_alias_response",
        normalise.resp(described),
    );
    check(
        &recording,
        "delete_version_response",
        normalise.resp(delete().await),
    );
}

#[tokio::test]
async fn test_delete_revision_with_alias() {
    let recording = recorded(ALIASING, "test_delete_revision_with_alias");
    let (api, mut normalise, machine, v0) = aliasing_setup("state_machine_a").await;
    normalise.mask("AliasName-a", "state_machine_alias_name");
    let created = create_alias(
        &api,
        "AliasName-a",
        Some(ALIAS_DESCRIPTION),
        routes(&[(&v0, 100)]),
    )
    .await;
    let alias = created.body["stateMachineAliasArn"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        &recording,
        "create_state_machine_alias_response",
        normalise.resp(created),
    );
    let deleted = api
        .call("DeleteStateMachine", json!({"stateMachineArn": machine}))
        .await;
    check(
        &recording,
        "delete_state_machine_response",
        normalise.resp(deleted),
    );
    // The versions and aliases went with it.
    api.call(
        "DescribeStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    )
    .await
    .err("ResourceNotFound");
    api.call("DescribeStateMachine", json!({"stateMachineArn": v0}))
        .await
        .err("StateMachineDoesNotExist");
}

#[tokio::test]
async fn test_delete_no_such_alias_arn() {
    let recording = recorded(ALIASING, "test_delete_no_such_alias_arn");
    let (api, mut normalise, _, v0) = aliasing_setup("state_machine_a").await;
    normalise.mask("AliasName-a", "state_machine_alias_name");
    let created = create_alias(
        &api,
        "AliasName-a",
        Some(ALIAS_DESCRIPTION),
        routes(&[(&v0, 100)]),
    )
    .await;
    let alias = created.body["stateMachineAliasArn"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        &recording,
        "create_state_machine_alias_response",
        normalise.resp(created),
    );
    let delete = || {
        api.call(
            "DeleteStateMachineAlias",
            json!({"stateMachineAliasArn": alias}),
        )
    };
    delete().await.ok();
    check(
        &recording,
        "delete_state_machine_alias_response",
        normalise.resp(delete().await),
    );
}

#[tokio::test]
async fn test_list_state_machine_aliases_pagination_invalid_next_token() {
    let recording = recorded(
        ALIASING,
        "test_list_state_machine_aliases_pagination_invalid_next_token",
    );
    let (api, mut normalise, machine, v0) = aliasing_setup("state_machine_a").await;
    normalise.mask("AliasName-a", "state_machine_alias_name");
    let created = create_alias(
        &api,
        "AliasName-a",
        Some(ALIAS_DESCRIPTION),
        routes(&[(&v0, 100)]),
    )
    .await;
    check(
        &recording,
        "create_state_machine_alias_response",
        normalise.resp(created),
    );
    let answer = list_aliases(
        &api,
        json!({"stateMachineArn": machine, "nextToken": "InvalidToken"}),
    )
    .await;
    check(
        &recording,
        "invalidTokenException",
        normalise.pair(answer, "ListStateMachineAliases"),
    );
}

#[tokio::test]
async fn test_list_state_machine_aliases_pagination_max_results() {
    for variant in ["0", "1"] {
        let recording = recorded(
            ALIASING,
            &format!("test_list_state_machine_aliases_pagination_max_results[{variant}]"),
        );
        let (api, mut normalise, machine, v0) = aliasing_setup("state_machine_test-a").await;
        for i in 1..=3 {
            let created = create_alias(
                &api,
                &format!("AliasName-{i}"),
                Some(&format!("Description {i} - create state machine alias")),
                routes(&[(&v0, 100)]),
            )
            .await;
            check(
                &recording,
                &format!("create_state_machine_alias_response-{i}"),
                normalise.resp(created),
            );
            update_definition(
                &api,
                &machine,
                &pass_result_comment(&format!("Comment {i}")),
                false,
            )
            .await
            .ok();
        }
        let too_large = list_aliases(
            &api,
            json!({"stateMachineArn": machine, "maxResults": 1001}),
        )
        .await;
        check(
            &recording,
            "list_state_machine_aliases_max_results_1001_response",
            normalise.err(too_large),
        );
        if variant == "0" {
            let listed =
                list_aliases(&api, json!({"stateMachineArn": machine, "maxResults": 0})).await;
            check(
                &recording,
                "list_state_machine_aliases_max_results_0_response",
                normalise.resp(listed),
            );
            continue;
        }
        let first = list_aliases(&api, json!({"stateMachineArn": machine, "maxResults": 1})).await;
        let token = first.body["nextToken"].as_str().unwrap().to_owned();
        check(
            &recording,
            "list_state_machine_aliases_max_results_1_response",
            resp_masked(&mut normalise, first),
        );
        let rest = list_aliases(
            &api,
            json!({"stateMachineArn": machine, "nextToken": token}),
        )
        .await;
        check(
            &recording,
            "list_state_machine_aliases_next_token_response",
            resp_masked(&mut normalise, rest),
        );
    }
}

/// `variableReferences` of `DescribeStateMachine` for every template the recordings describe
/// (test_sfn_api_variable_references), and of `DescribeStateMachineForExecution`.
#[tokio::test]
async fn test_base_variable_references_in_assign_templates() {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(V2).join("../../../../manifest.json")).unwrap(),
    )
    .unwrap();
    let snapshot = "test_sfn_api_variable_references.snapshot.json";
    let mut checked = 0;
    for entry in manifest["entries"].as_array().unwrap() {
        let key = entry["key"].as_str().unwrap();
        if !key.contains("test_sfn_api_variable_references.py") {
            continue;
        }
        let test = key.rsplit("::").next().unwrap();
        let recording = recorded(snapshot, test);
        let relative = entry["templates"][0]
            .as_str()
            .unwrap()
            .strip_prefix("tests/aws/services/stepfunctions/templates/")
            .unwrap();
        let api = Api::new();
        let created = create(&api, "refs", &template(relative)).await;
        let arn = created.body["stateMachineArn"]
            .as_str()
            .unwrap_or_else(|| panic!("{test}: {:?}", created.body))
            .to_owned();
        let described = api
            .call("DescribeStateMachine", json!({"stateMachineArn": arn}))
            .await;
        let ours = described.body.get("variableReferences").cloned();
        let theirs = recording["describe_response"]
            .get("variableReferences")
            .cloned();
        assert_eq!(ours, theirs, "{test}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} recordings");
}
