//! States written in JSONata (issue 8, first part): Output, Arguments, Condition, Seconds and
//! Timestamp, Error and Cause, Catch Output, over `$states`; failures as
//! `States.QueryEvaluationError` with AWS's causes and an `EvaluationFailed` event; what is not
//! run yet fails the execution at once.

mod common;

use common::*;
use engine::{Effect, Status};
use serde_json::{Value, json};

fn task_of(effects: &[Effect]) -> (u64, Value) {
    effects
        .iter()
        .find_map(|effect| match effect {
            Effect::InvokeTask(request) => Some((request.id, request.input.clone())),
            _ => None,
        })
        .expect("a task")
}

fn timer_of(effects: &[Effect]) -> (u64, i64) {
    effects
        .iter()
        .find_map(|effect| match effect {
            Effect::StartTimer { id, fire_at_ms } => Some((*id, *fire_at_ms)),
            _ => None,
        })
        .expect("a timer")
}

fn succeeded(env: &TestEnv) -> Value {
    match env.status() {
        Status::Succeeded { output } => output.clone(),
        other => panic!("{other:?}: {:?}", env.types()),
    }
}

fn failed(env: &TestEnv) -> (String, String) {
    match env.status() {
        Status::Failed { error, cause } => (
            error.clone().unwrap_or_default(),
            cause.clone().unwrap_or_default(),
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pass_choice_wait_and_succeed_compute_with_states() {
    let mut env = TestEnv::new(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Sum",
        "States": {
            "Sum": {"Type": "Pass", "Next": "Big?",
                    "Output": {"total": "{% $sum($states.input.items) %}",
                               "run": "{% $states.context.Execution.Name %}",
                               "literal": "$not.an.expression", "nested": ["{% 1 + 1 %}", 3]}},
            "Big?": {"Type": "Choice", "Default": "Small",
                     "Choices": [{"Condition": "{% $states.input.total > 10 %}", "Next": "Pause"}]},
            "Pause": {"Type": "Wait", "Seconds": "{% $states.input.total %}", "Next": "Done",
                      "Output": "{% $merge([$states.input, {'waited': true}]) %}"},
            "Small": {"Type": "Succeed", "Output": "small"},
            "Done": {"Type": "Succeed"}
        }
    }));
    let effects = env.start(json!({"items": [5, 6, 7]}));
    let (timer, fire_at) = timer_of(&effects);
    assert_eq!(fire_at, T0 + 18_000);
    env.fire(timer);
    assert_eq!(
        succeeded(&env),
        json!({"total": 18, "run": "run", "literal": "$not.an.expression", "nested": [2, 3],
               "waited": true})
    );
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "WaitStateEntered",
            "WaitStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );

    let mut small = TestEnv::new(json!({
        "QueryLanguage": "JSONata", "StartAt": "Big?",
        "States": {
            "Big?": {"Type": "Choice", "Default": "Small",
                     "Choices": [{"Condition": "{% $states.input.total > 10 %}", "Next": "Small"}]},
            "Small": {"Type": "Succeed", "Output": "small"}}
    }));
    small.start(json!({"total": 1}));
    assert_eq!(succeeded(&small), json!("small"));
}

#[test]
fn a_task_gets_its_arguments_and_its_output_sees_the_result() {
    let mut env = TestEnv::new(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                     "TimeoutSeconds": "{% $states.input.n * 3 %}", "HeartbeatSeconds": 7,
                     "Arguments": {"FunctionName": "f", "Payload": {"n": "{% $states.input.n * 2 %}"}},
                     "Output": {"answer": "{% $states.result.Payload.value %}",
                                "asked": "{% $states.input.n %}"}}
        }
    }));
    let (task, arguments) = task_of(&env.start(json!({"n": 21})));
    assert_eq!(
        arguments,
        json!({"FunctionName": "f", "Payload": {"n": 42}})
    );
    env.succeed(task, json!({"Payload": {"value": "forty-two"}}));
    assert_eq!(succeeded(&env), json!({"answer": "forty-two", "asked": 21}));

    // Without Output, the state's output is the result.
    let mut plain = TestEnv::new(json!({
        "QueryLanguage": "JSONata", "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                            "End": true}}
    }));
    let (task, arguments) = task_of(&plain.start(json!({"in": 1})));
    assert_eq!(arguments, json!({"in": 1}));
    plain.succeed(task, json!({"out": 2}));
    assert_eq!(succeeded(&plain), json!({"out": 2}));
}

#[test]
fn an_undefined_result_fails_the_state_with_aws_cause() {
    let mut env = TestEnv::new(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "State0",
        "States": {
            "State0": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                       "Arguments": {"FunctionName": "{% $doesNotExist %}"}}
        }
    }));
    assert!(env.start(json!({})).is_empty());
    let (error, cause) = failed(&env);
    assert_eq!(error, "States.QueryEvaluationError");
    assert_eq!(
        cause,
        "An error occurred while executing the state 'State0' (entered at the event id #2). The \
         JSONata expression '$doesNotExist' specified for the field 'Arguments/FunctionName' \
         returned nothing (undefined)."
    );
    let evaluation = env.event("EvaluationFailed").details_json().unwrap();
    assert_eq!(evaluation["location"], "Arguments/FunctionName");
    assert_eq!(evaluation["state"], "State0");
    assert_eq!(evaluation["error"], "States.QueryEvaluationError");
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "EvaluationFailed",
            "ExecutionFailed"
        ]
    );

    // A throwing expression names JSONata's code and message.
    let mut threw = TestEnv::new(json!({
        "QueryLanguage": "JSONata", "StartAt": "State_0",
        "States": {"State_0": {"Type": "Pass", "End": true,
                               "Output": {"FunctionResult": "{% $nothing($states.input) %}"}}}
    }));
    threw.start(json!({}));
    assert_eq!(
        failed(&threw).1,
        "An error occurred while executing the state 'State_0' (entered at the event id #2). The \
         JSONata expression '$nothing($states.input)' specified for the field \
         'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a \
         non-function"
    );

    // A Choice condition must be a boolean.
    let mut choice = TestEnv::new(json!({
        "QueryLanguage": "JSONata", "StartAt": "C",
        "States": {"C": {"Type": "Choice", "Default": "D",
                         "Choices": [{"Condition": "{% 'yes' %}", "Next": "D"}]},
                   "D": {"Type": "Succeed"}}
    }));
    choice.start(json!({}));
    let (error, cause) = failed(&choice);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(
        cause.ends_with(
            "returned an unexpected result type. Expected 'boolean', but was 'string' for value: \"yes\""
        ),
        "{cause}"
    );
}

#[test]
fn catch_output_sees_the_error_output_and_fail_computes_error_and_cause() {
    let mut env = TestEnv::new(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Broke",
                                "Output": {"why": "{% $states.errorOutput.Cause %}",
                                           "input": "{% $states.input.id %}"}}]},
            "Broke": {"Type": "Fail", "Error": "{% 'Order.' & $states.input.why %}",
                      "Cause": "{% 'order ' & $string($states.input.input) %}"}
        }
    }));
    let (task, _) = task_of(&env.start(json!({"id": 7})));
    env.fail(task, "Lambda.Unknown", "Exploded");
    assert_eq!(
        failed(&env),
        ("Order.Exploded".to_owned(), "order 7".to_owned())
    );
}

#[test]
fn a_string_timeout_in_a_jsonpath_state_fails_at_once_and_says_so() {
    let mut env = TestEnv::new(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "TimeoutSeconds": "{% 5 %}", "End": true}}}));
    assert!(env.start(json!({})).is_empty());
    let (error, cause) = failed(&env);
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.starts_with("TimeoutSeconds and HeartbeatSeconds as strings in JSONPath states"),
        "{cause}"
    );
}

#[test]
fn a_jsonata_state_inside_a_jsonpath_machine() {
    let mut env = TestEnv::new(json!({
        "StartAt": "Path",
        "States": {
            "Path": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "Ata"},
            "Ata": {"Type": "Pass", "QueryLanguage": "JSONata",
                    "Output": {"double": "{% $states.input.n * 2 %}"}, "End": true}
        }
    }));
    env.start(json!({"n": 4, "other": true}));
    assert_eq!(succeeded(&env), json!({"double": 8}));
}

#[test]
fn map_and_parallel_in_jsonata() {
    let mut env = TestEnv::new(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {
            "Each": {"Type": "Map", "Items": "{% $states.input.orders %}",
                     "MaxConcurrency": "{% 1 %}", "Next": "Both",
                     "ItemSelector": {"id": "{% $states.context.Map.Item.Value.id %}",
                                      "index": "{% $states.context.Map.Item.Index %}",
                                      "shop": "{% $states.input.shop %}"},
                     "ItemProcessor": {"StartAt": "Tag", "States": {
                         "Tag": {"Type": "Pass", "End": true,
                                 "Output": "{% $states.input.shop & '-' & $states.input.id %}"}}},
                     "Output": {"tags": "{% $states.result %}"}},
            "Both": {"Type": "Parallel", "End": true,
                     "Arguments": {"count": "{% $count($states.input.tags) %}"},
                     "Branches": [
                         {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true,
                             "Output": "{% $states.input.count * 10 %}"}}},
                         {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}],
                     "Output": "{% $states.result %}"}
        }
    }));
    env.start(json!({"shop": "s1", "orders": [{"id": "a"}, {"id": "b"}]}));
    assert_eq!(succeeded(&env), json!([20, {"count": 2}]));

    // Items that are not an array fail the Map state as AWS words it.
    let mut bad = TestEnv::new(json!({
        "QueryLanguage": "JSONata", "StartAt": "M",
        "States": {"M": {"Type": "Map", "Items": "{% 1 %}", "End": true,
                         "ItemProcessor": {"StartAt": "P", "States": {
                             "P": {"Type": "Pass", "End": true}}}}}
    }));
    bad.start(json!({}));
    let (error, cause) = failed(&bad);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(
        cause.ends_with(
            "The JSONata expression '1' specified for the field 'Items' returned an unexpected \
             result type. Expected 'array', but was 'number' for value: 1"
        ),
        "{cause}"
    );
    assert_eq!(
        bad.types(),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "EvaluationFailed",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
}
