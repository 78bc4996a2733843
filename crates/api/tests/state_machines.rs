//! State machine operations: create (names, definitions, idempotency, tags), describe, update,
//! delete, list with paging, and ValidateStateMachineDefinition.

mod common;

use common::{Api, PASS_RESULT, ROLE, machine_arn};
use serde_json::{Value, json};

#[tokio::test]
async fn create_then_describe() {
    let api = Api::new();
    let created = api
        .call(
            "CreateStateMachine",
            json!({"name": "state.machine_1", "definition": PASS_RESULT, "roleArn": ROLE}),
        )
        .await
        .ok();
    let arn = machine_arn("state.machine_1");
    assert_eq!(created["stateMachineArn"], arn.as_str());
    assert!(created["creationDate"].is_f64());
    let described = api
        .call("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await
        .ok();
    assert_eq!(
        described,
        json!({
            "stateMachineArn": arn,
            "name": "state.machine_1",
            "status": "ACTIVE",
            "definition": PASS_RESULT,
            "roleArn": ROLE,
            "type": "STANDARD",
            "creationDate": created["creationDate"],
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
            "tracingConfiguration": {"enabled": false},
        })
    );
}

#[tokio::test]
async fn create_is_idempotent_for_the_same_configuration_only() {
    let api = Api::new();
    let request = json!({"name": "m", "definition": PASS_RESULT, "roleArn": ROLE});
    let first = api.call("CreateStateMachine", request.clone()).await.ok();
    let second = api.call("CreateStateMachine", request).await.ok();
    assert_eq!(first, second);

    // Whitespace alone makes another definition (recorded).
    let reformatted =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(PASS_RESULT).unwrap()).unwrap();
    let answer = api
        .call(
            "CreateStateMachine",
            json!({"name": "m", "definition": reformatted, "roleArn": ROLE}),
        )
        .await;
    assert_eq!(
        answer.err("StateMachineAlreadyExists"),
        format!("State Machine Already Exists: '{}'", machine_arn("m"))
    );
}

#[tokio::test]
async fn create_refuses_bad_names() {
    let api = Api::new();
    for name in ["a b", "a<b", "a:b", "a/b", "a*b", "\u{0}a", "a\u{7f}"] {
        let answer = api
            .call(
                "CreateStateMachine",
                json!({"name": name, "definition": PASS_RESULT, "roleArn": ROLE}),
            )
            .await;
        assert_eq!(answer.err("InvalidName"), format!("Invalid Name: '{name}'"));
    }
}

#[tokio::test]
async fn create_refuses_bad_definitions_in_aws_words() {
    let api = Api::new();
    // `base/statemachines/invalid_der.json5` of the corpus: no States.
    let answer = api
        .call(
            "CreateStateMachine",
            json!({"name": "m", "definition": r#"{"StartAt": "State_1"}"#, "roleArn": ROLE}),
        )
        .await;
    assert_eq!(
        answer.err("InvalidDefinition"),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'"
    );
    // EXPRESS-only rules apply to EXPRESS machines.
    let callback = r#"{"StartAt": "Publish", "States": {"Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken", "Parameters": {"Message.$": "$$.Task.Token", "TopicArn": "arn:aws:sns:us-east-1:111111111111:t"}, "End": true}}}"#;
    let answer = api
        .call(
            "CreateStateMachine",
            json!({"name": "m", "definition": callback, "roleArn": ROLE, "type": "EXPRESS"}),
        )
        .await;
    assert_eq!(
        answer.err("InvalidDefinition"),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/Publish/Resource'"
    );
    api.create_machine("m", callback, "STANDARD").await;
}

#[tokio::test]
async fn create_refuses_bad_role_arns_and_publish() {
    let api = Api::new();
    let answer = api
        .call(
            "CreateStateMachine",
            json!({"name": "m", "definition": PASS_RESULT, "roleArn": "role"}),
        )
        .await;
    assert_eq!(
        answer.err("InvalidArn"),
        "Invalid Arn: 'Invalid ARN prefix: role'"
    );
    let answer = api
        .call(
            "CreateStateMachine",
            json!({"name": "m", "definition": PASS_RESULT, "roleArn": ROLE, "versionDescription": "d"}),
        )
        .await;
    assert_eq!(
        answer.err("ValidationException"),
        "Version description can only be set when publish is true"
    );
}

#[tokio::test]
async fn describe_errors() {
    let api = Api::new();
    let arn = machine_arn("nope");
    let answer = api
        .call("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(
        answer.err("StateMachineDoesNotExist"),
        format!("State Machine Does Not Exist: '{arn}'")
    );
    let answer = api
        .call(
            "DescribeStateMachine",
            json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:activity:a"}),
        )
        .await;
    assert_eq!(
        answer.err("InvalidArn"),
        "Invalid Arn: 'Resource type not valid in this context: activity'"
    );
}

#[tokio::test]
async fn update_changes_the_revision_only_when_something_changed() {
    let api = Api::new();
    let arn = api.create_machine("m", PASS_RESULT, "STANDARD").await;
    let updated_definition = PASS_RESULT.replace("argument1", "AfterUpdate1");
    let first = api
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": updated_definition}),
        )
        .await
        .ok();
    let revision = first["revisionId"].as_str().unwrap().to_owned();
    assert!(first["updateDate"].is_f64());
    let described = api
        .call("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await
        .ok();
    assert_eq!(described["definition"], updated_definition.as_str());
    assert_eq!(described["revisionId"], revision.as_str());

    // The same definition again: same revision (recorded).
    let same = api
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": updated_definition}),
        )
        .await
        .ok();
    assert_eq!(same["revisionId"], revision.as_str());

    let role = "arn:aws:iam::111111111111:role/other";
    let second = api
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "roleArn": role}),
        )
        .await
        .ok();
    assert_ne!(second["revisionId"], revision.as_str());
    let described = api
        .call("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await
        .ok();
    assert_eq!(described["roleArn"], role);
}

#[tokio::test]
async fn update_errors() {
    let api = Api::new();
    let arn = api.create_machine("m", PASS_RESULT, "STANDARD").await;
    let answer = api
        .call("UpdateStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(
        answer.err("MissingRequiredParameter"),
        "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified"
    );
    let answer = api
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": "{}"}),
        )
        .await;
    assert_eq!(
        answer.err("InvalidDefinition"),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /'"
    );
    let version = format!("{arn}:2");
    let answer = api
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": version, "definition": PASS_RESULT}),
        )
        .await;
    answer.err("StateMachineDoesNotExist");
}

#[tokio::test]
async fn delete_is_idempotent() {
    let api = Api::new();
    let arn = api.create_machine("m", PASS_RESULT, "STANDARD").await;
    api.call("DeleteStateMachine", json!({"stateMachineArn": arn}))
        .await
        .ok();
    assert_eq!(
        api.call("DeleteStateMachine", json!({"stateMachineArn": arn}))
            .await
            .ok(),
        json!({})
    );
    api.call("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await
        .err("StateMachineDoesNotExist");
}

#[tokio::test]
async fn list_pages_in_order_of_name() {
    let api = Api::new();
    for index in 0..13 {
        api.create_machine(&format!("statemachine_{index}_x"), PASS_RESULT, "STANDARD")
            .await;
    }
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = json!({"maxResults": 5});
        if let Some(token) = &token {
            request["nextToken"] = json!(token);
        }
        let page = api.call("ListStateMachines", request).await.ok();
        pages += 1;
        for item in page["stateMachines"].as_array().unwrap() {
            assert_eq!(item["type"], "STANDARD");
            assert!(item["creationDate"].is_f64());
            names.push(item["name"].as_str().unwrap().to_owned());
        }
        match page.get("nextToken") {
            Some(next) => token = Some(next.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    // AWS's order (recorded): by name, as bytes.
    let mut expected: Vec<String> = (0..13).map(|i| format!("statemachine_{i}_x")).collect();
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(
        names[..5],
        [
            "statemachine_0_x",
            "statemachine_10_x",
            "statemachine_11_x",
            "statemachine_12_x",
            "statemachine_1_x"
        ]
    );

    let all = api
        .call("ListStateMachines", json!({"maxResults": 0}))
        .await
        .ok();
    assert_eq!(all["stateMachines"].as_array().unwrap().len(), 13);
    assert!(all.get("nextToken").is_none());
}

#[tokio::test]
async fn validate_definition() {
    let api = Api::new();
    let ok = api
        .call(
            "ValidateStateMachineDefinition",
            json!({"definition": PASS_RESULT}),
        )
        .await
        .ok();
    assert_eq!(
        ok,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );

    let empty = api
        .call(
            "ValidateStateMachineDefinition",
            json!({"definition": "{}", "type": "STANDARD"}),
        )
        .await
        .ok();
    assert_eq!(
        empty,
        json!({"result": "FAIL", "diagnostics": [{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": "These fields are required: [States, StartAt]", "location": "/"}], "truncated": false})
    );

    // Warnings only with severity WARNING; they never make the result FAIL.
    let warns = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"id": "$.id"}, "End": true}}}"#;
    let errors_only = api
        .call(
            "ValidateStateMachineDefinition",
            json!({"definition": warns}),
        )
        .await
        .ok();
    assert_eq!(errors_only["result"], "OK");
    assert_eq!(errors_only["diagnostics"], json!([]));
    let with_warnings = api
        .call(
            "ValidateStateMachineDefinition",
            json!({"definition": warns, "severity": "WARNING"}),
        )
        .await
        .ok();
    assert_eq!(with_warnings["result"], "OK");
    assert_eq!(with_warnings["diagnostics"][0]["severity"], "WARNING");
    assert_eq!(with_warnings["diagnostics"][0]["code"], "NO_DOLLAR");

    // maxResults truncates.
    let two_errors = r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "C": {"Type": "Nope", "End": true}}}"#;
    let all = api
        .call(
            "ValidateStateMachineDefinition",
            json!({"definition": two_errors}),
        )
        .await
        .ok();
    assert!(all["diagnostics"].as_array().unwrap().len() >= 2, "{all}");
    let one = api
        .call(
            "ValidateStateMachineDefinition",
            json!({"definition": two_errors, "maxResults": 1}),
        )
        .await
        .ok();
    assert_eq!(one["diagnostics"].as_array().unwrap().len(), 1);
    assert_eq!(one["truncated"], true);
    assert_eq!(one["result"], "FAIL");

    let answer = api
        .call(
            "ValidateStateMachineDefinition",
            json!({"definition": PASS_RESULT, "severity": "INFO"}),
        )
        .await;
    answer.err("ValidationException");
}
