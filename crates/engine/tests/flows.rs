//! Pass, Choice, Succeed and Fail: flows that never block, run to the end in one step.

mod common;

use common::*;
use engine::Status;
use serde_json::json;

#[test]
fn pass_chain_succeeds_with_result_and_result_path() {
    let mut env = TestEnv::new(json!({
        "StartAt": "A",
        "States": {
            "A": { "Type": "Pass", "Result": { "b": 2 }, "ResultPath": "$.r", "Next": "B" },
            "B": { "Type": "Pass", "Parameters": { "sum.$": "$.r.b", "k": "v" }, "OutputPath": "$.sum", "End": true }
        }
    }));
    let effects = env.start(json!({ "a": 1 }));
    assert!(
        effects.is_empty(),
        "a pure flow asks for nothing: {effects:?}"
    );
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        doc(&env.history[2], "output"),
        json!({ "a": 1, "r": { "b": 2 } })
    );
    assert_eq!(env.output(), json!(2));
    // AWS: the first StateEntered, like ExecutionStarted, has previousEventId 0.
    assert_eq!(
        chain(&env.history),
        [
            (1, 0, "ExecutionStarted"),
            (2, 0, "PassStateEntered"),
            (3, 2, "PassStateExited"),
            (4, 3, "PassStateEntered"),
            (5, 4, "PassStateExited"),
            (6, 5, "ExecutionSucceeded")
        ]
    );
}

#[test]
fn pass_result_path_null_keeps_input() {
    let mut env = TestEnv::new(json!({
        "StartAt": "A",
        "States": { "A": { "Type": "Pass", "Result": 5, "ResultPath": null, "End": true } }
    }));
    env.start(json!({ "keep": true }));
    assert_eq!(env.output(), json!({ "keep": true }));
}

fn choice_machine() -> serde_json::Value {
    json!({
        "StartAt": "Pick",
        "States": {
            "Pick": {
                "Type": "Choice",
                "Choices": [
                    { "Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big" },
                    { "And": [
                        { "Variable": "$.s", "IsPresent": true },
                        { "Variable": "$.s", "StringMatches": "a*" }
                    ], "Next": "A" }
                ],
                "Default": "Other"
            },
            "Big": { "Type": "Succeed" },
            "A": { "Type": "Pass", "Result": "a", "End": true },
            "Other": { "Type": "Fail", "Error": "NoPick", "Cause": "nothing matched" }
        }
    })
}

#[test]
fn choice_takes_first_matching_rule_then_default() {
    let mut big = TestEnv::new(choice_machine());
    big.start(json!({ "n": 11, "s": "abc" }));
    assert_eq!(
        big.types(),
        [
            "ExecutionStarted",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(big.output(), json!({ "n": 11, "s": "abc" }));

    let mut a = TestEnv::new(choice_machine());
    a.start(json!({ "n": 1, "s": "abc" }));
    assert_eq!(a.output(), json!("a"));

    let mut other = TestEnv::new(choice_machine());
    other.start(json!({ "n": 1 }));
    assert_eq!(
        other.types(),
        [
            "ExecutionStarted",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "FailStateEntered",
            "ExecutionFailed"
        ]
    );
    assert_eq!(
        other.failure(),
        ("NoPick".to_owned(), "nothing matched".to_owned())
    );
    let failed = other.last();
    assert_eq!(
        (text(failed, "error"), text(failed, "cause")),
        ("NoPick".to_owned(), "nothing matched".to_owned())
    );
    assert_eq!(failed.previous_event_id, 4);
}

#[test]
fn choice_without_match_or_default_fails_with_no_choice_matched() {
    let mut env = TestEnv::new(json!({
        "StartAt": "Pick",
        "States": {
            "Pick": { "Type": "Choice", "Choices": [ { "Variable": "$.n", "NumericEquals": 1, "Next": "Done" } ] },
            "Done": { "Type": "Succeed" }
        }
    }));
    env.start(json!({ "n": 2 }));
    assert_eq!(
        env.types(),
        ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]
    );
    let (error, cause) = env.failure();
    assert_eq!(error, "States.NoChoiceMatched");
    assert!(
        cause.contains("'Pick' (entered at the event id #2)"),
        "{cause}"
    );
}

#[test]
fn choice_on_missing_variable_is_a_runtime_error() {
    let mut env = TestEnv::new(json!({
        "StartAt": "Pick",
        "States": {
            "Pick": { "Type": "Choice", "Choices": [ { "Variable": "$.missing", "NumericEquals": 1, "Next": "Done" } ], "Default": "Done" },
            "Done": { "Type": "Succeed" }
        }
    }));
    env.start(json!({}));
    assert_eq!(env.failure().0, "States.Runtime");
}

#[test]
fn fail_state_without_error_or_cause_records_neither() {
    let mut env = TestEnv::new(json!({
        "StartAt": "F",
        "States": { "F": { "Type": "Fail" } }
    }));
    env.start(json!({}));
    assert_eq!(
        env.types(),
        ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    );
    assert_eq!(field(env.last(), "error"), None);
    assert_eq!(field(env.last(), "cause"), None);
    assert_eq!(
        env.status(),
        &Status::Failed {
            error: None,
            cause: None
        }
    );
}

#[test]
fn fail_state_error_path_and_cause_path() {
    let mut env = TestEnv::new(json!({
        "StartAt": "F",
        "States": { "F": { "Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('n={}', $.n)" } }
    }));
    env.start(json!({ "e": "Custom", "n": 3 }));
    assert_eq!(env.failure(), ("Custom".to_owned(), "n=3".to_owned()));
}

#[test]
fn succeed_state_applies_input_and_output_path() {
    let mut env = TestEnv::new(json!({
        "StartAt": "S",
        "States": { "S": { "Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b" } }
    }));
    env.start(json!({ "a": { "b": [1, 2] } }));
    assert_eq!(env.output(), json!([1, 2]));
    assert_eq!(doc(&env.history[2], "output"), json!([1, 2]));
}

#[test]
fn started_execution_records_input_and_role() {
    let mut env = TestEnv::new(json!({
        "StartAt": "A",
        "States": { "A": { "Type": "Pass", "End": true } }
    }));
    env.apply(engine::Input::Start {
        input: json!({ "a": 1 }),
        text: Some("{ \"a\" : 1 }".to_owned()),
    });
    let started = &env.history[0];
    // AWS keeps the caller's own text of the input.
    assert_eq!(text(started, "input"), "{ \"a\" : 1 }");
    assert_eq!(text(started, "roleArn"), info().role_arn);
    assert_eq!(started.timestamp_ms, T0);
    assert_eq!(env.status().as_str(), "SUCCEEDED");
}
