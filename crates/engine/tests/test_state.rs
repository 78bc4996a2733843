//! TestState's handling of variables and JSONata, past what the recorded corpus covers.

use engine::test_state::{Mock, TestStateOutcome, TestStatus, test_state};
use serde_json::{Map, Value, json};

fn run(definition: Value, variables: Value, mock: Option<Mock>) -> TestStateOutcome {
    let Value::Object(variables) = variables else {
        panic!("variables must be an object");
    };
    let request = engine::test_state::TestStateRequest {
        definition: &definition,
        state_name: None,
        input: json!({"n": 1}),
        variables,
        mock,
        retrier_retry_count: 0,
        context: json!({}),
        now_ms: 1_700_000_000_000,
    };
    let mut entropy = asl::SeededEntropy::new(3);
    test_state(&request, &mut entropy).expect("the state runs")
}

fn variables(outcome: &TestStateOutcome) -> Map<String, Value> {
    outcome
        .inspection
        .variables
        .clone()
        .expect("variables are inspected")
}

#[test]
fn a_choice_states_and_rules_assign_both_read_the_variables_from_before_the_state() {
    for language in ["JSONPath", "JSONata"] {
        let definition = if language == "JSONPath" {
            json!({
                "Type": "Choice",
                "Assign": {"x": 99},
                "Choices": [{
                    "Variable": "$.n", "NumericEquals": 1, "Next": "Done",
                    "Assign": {"seen.$": "$x"}
                }],
                "Default": "Done"
            })
        } else {
            json!({
                "Type": "Choice",
                "QueryLanguage": "JSONata",
                "Assign": {"x": "{% $x + 1 %}"},
                "Choices": [{
                    "Condition": "{% $states.input.n = 1 %}", "Next": "Done",
                    "Assign": {"seen": "{% $x %}"}
                }],
                "Default": "Done"
            })
        };
        let outcome = run(definition, json!({"x": 10}), None);
        assert_eq!(outcome.status, TestStatus::Succeeded, "{language}");
        let after = variables(&outcome);
        assert_eq!(
            after["seen"],
            json!(10),
            "{language}: the rule read $x before the state"
        );
    }
}

#[test]
fn a_jsonata_catchers_assign_reads_the_error_output() {
    let definition = json!({
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "f"},
        "Catch": [{
            "ErrorEquals": ["States.ALL"],
            "Assign": {"why": "{% $states.errorOutput.Error %}", "before": "{% $x %}"},
            "Output": {"caught": "{% $states.errorOutput.Cause %}"},
            "Next": "Handler"
        }],
        "End": true
    });
    let outcome = run(
        definition,
        json!({"x": "old"}),
        Some(Mock::Error {
            error: "Boom".to_owned(),
            cause: "it broke".to_owned(),
        }),
    );
    assert_eq!(outcome.status, TestStatus::CaughtError);
    assert_eq!(outcome.output, Some(json!({"caught": "it broke"})));
    let after = variables(&outcome);
    assert_eq!(after["why"], json!("Boom"));
    assert_eq!(after["before"], json!("old"));
}

#[test]
fn a_jsonata_condition_that_is_not_a_boolean_is_a_query_evaluation_error() {
    let definition = json!({
        "Type": "Choice",
        "QueryLanguage": "JSONata",
        "Choices": [{"Condition": "{% $states.input.n %}", "Next": "Done"}],
        "Default": "Done"
    });
    let outcome = run(definition, json!({}), None);
    assert_eq!(outcome.status, TestStatus::Failed);
    assert_eq!(
        outcome.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    let cause = outcome.cause.expect("a cause");
    assert!(
        cause.contains("Expected 'boolean', but was 'number'"),
        "{cause}"
    );
}

#[test]
fn without_a_mock_a_task_stops_at_its_call_and_other_states_run() {
    let capture = |definition: Value| {
        let request = engine::test_state::TestStateRequest {
            definition: &definition,
            state_name: None,
            input: json!({"n": 1}),
            variables: Map::new(),
            mock: Some(Mock::Capture),
            retrier_retry_count: 0,
            context: json!({}),
            now_ms: 1_700_000_000_000,
        };
        test_state(&request, &mut asl::SeededEntropy::new(3))
    };
    let jsonpath = capture(
        json!({"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                                  "Parameters": {"ApiEndpoint": "http://h/", "n.$": "$.n"},
                                  "End": true}),
    );
    let Err(engine::test_state::TestStateError::Call(call)) = jsonpath else {
        panic!("no call: {jsonpath:?}");
    };
    assert_eq!(call.resource, "arn:aws:states:::http:invoke");
    assert_eq!(call.parameters, json!({"ApiEndpoint": "http://h/", "n": 1}));
    let jsonata = capture(json!({"Type": "Task", "QueryLanguage": "JSONata",
                                 "Resource": "arn:aws:states:::lambda:invoke",
                                 "Arguments": {"Payload": "{% $states.input.n + 1 %}"},
                                 "End": true}));
    let Err(engine::test_state::TestStateError::Call(call)) = jsonata else {
        panic!("no call: {jsonata:?}");
    };
    assert_eq!(call.parameters, json!({"Payload": 2}));
    // A Pass state has nothing to call.
    let pass = capture(json!({"Type": "Pass", "End": true})).unwrap();
    assert_eq!(pass.status, TestStatus::Succeeded);
    // A Parallel state still needs a mock.
    let parallel = capture(json!({"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}]}));
    assert!(parallel.is_err());
}
