//! Workflow variables (issue 8): `Assign` in both query languages, what `$` and `$states` are
//! in it, the order of evaluation, the scopes of Map iterations and Parallel branches, and the
//! `assignedVariables` of exit events.

mod common;

use common::*;
use engine::{Effect, Status};
use serde_json::{Value, json};

fn succeeded(env: &TestEnv) -> Value {
    match env.status() {
        Status::Succeeded { output } => output.clone(),
        other => panic!("{other:?}: {:?}", env.types()),
    }
}

/// The `assignedVariables` of each exit event, in order.
fn assigned(env: &TestEnv) -> Vec<Value> {
    env.history
        .iter()
        .filter(|event| event.event_type.ends_with("StateExited"))
        .filter_map(|event| event.details_json()?.get("assignedVariables").cloned())
        .collect()
}

#[test]
fn jsonpath_assign_reads_the_result_and_later_states_read_the_variables() {
    let mut env = TestEnv::new(json!({
        "StartAt": "State0",
        "States": {
            "State0": {"Type": "Pass", "Result": {"theQuestion": "Why?"}, "Next": "State1",
                       "Assign": {"question.$": "$.theQuestion", "answer": 42,
                                  "id.$": "$$.Execution.Name", "empty": {}}},
            "State1": {"Type": "Pass", "InputPath": "$answer", "ResultPath": "$.theAnswer",
                       "OutputPath": "$answer", "Assign": {"answer": "<omitted>"},
                       "Next": "State2"},
            "State2": {"Type": "Pass", "End": true,
                       "Parameters": {"q.$": "$question", "a.$": "$answer",
                                      "f.$": "States.Format('{} {}', $question, $id)"}}
        }
    }));
    env.start(json!({"in": true}));
    // State1's paths see `answer` as it was before State1 assigned it.
    assert_eq!(
        succeeded(&env),
        json!({"q": "Why?", "a": "<omitted>", "f": "Why? run"})
    );
    assert_eq!(
        assigned(&env),
        [
            json!({"answer": "42", "empty": "{}", "id": "\"run\"", "question": "\"Why?\""}),
            json!({"answer": "\"<omitted>\""})
        ]
    );
    let exit = env.event("PassStateExited").details_json().unwrap();
    assert_eq!(
        exit["assignedVariablesDetails"],
        json!({"truncated": false})
    );
}

#[test]
fn an_empty_assign_records_nothing_and_choice_and_wait_assign_over_their_input() {
    let mut env = TestEnv::new(json!({
        "StartAt": "Empty",
        "States": {
            "Empty": {"Type": "Pass", "Assign": {}, "Next": "Pick"},
            "Pick": {"Type": "Choice", "Assign": {"seen.$": "$.n"}, "Default": "Done",
                     "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Nap",
                                  "Assign": {"rule": "big"}}]},
            "Nap": {"Type": "Wait", "Seconds": 1, "Assign": {"napped.$": "$.n"}, "Next": "Done"},
            "Done": {"Type": "Pass", "End": true,
                     "Parameters": {"seen.$": "$seen", "rule.$": "$rule", "napped.$": "$napped"}}
        }
    }));
    let effects = env.start(json!({"n": 5}));
    let timer = effects
        .iter()
        .find_map(|effect| match effect {
            Effect::StartTimer { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap();
    env.fire(timer);
    assert_eq!(
        succeeded(&env),
        json!({"seen": 5, "rule": "big", "napped": 5})
    );
    let exits: Vec<Option<Value>> = env
        .history
        .iter()
        .filter(|event| event.event_type.ends_with("StateExited"))
        .map(|event| {
            event
                .details_json()
                .unwrap()
                .get("assignedVariables")
                .cloned()
        })
        .collect();
    assert_eq!(exits[0], None, "an empty Assign records nothing");
    assert_eq!(exits[1], Some(json!({"rule": "\"big\"", "seen": "5"})));
    assert_eq!(exits[2], Some(json!({"napped": "5"})));
}

#[test]
fn a_map_iteration_reads_outer_variables_and_keeps_its_own() {
    let mut env = TestEnv::new(json!({
        "StartAt": "State0",
        "States": {
            "State0": {"Type": "Pass", "Assign": {"x": 42, "items": [1, 2, 3]}, "Next": "State1"},
            "State1": {"Type": "Map", "ItemsPath": "$items", "MaxConcurrency": 1,
                       "ItemProcessor": {"StartAt": "Inner", "States": {
                           "Inner": {"Type": "Pass", "Assign": {"innerX.$": "$x"},
                                     "Parameters": {"item.$": "$", "x.$": "$x"}, "End": true}}},
                       "Next": "State2"},
            "State2": {"Type": "Pass", "Assign": {"final.$": "$x"}, "End": true}
        }
    }));
    env.start(json!({}));
    assert_eq!(
        succeeded(&env),
        json!([{"item": 1, "x": 42}, {"item": 2, "x": 42}, {"item": 3, "x": 42}])
    );
    assert_eq!(assigned(&env)[1], json!({"innerX": "42"}));

    // Outside the Map, an iteration's variable does not exist.
    let mut leak = TestEnv::new(json!({
        "StartAt": "M",
        "States": {
            "M": {"Type": "Map", "ItemsPath": "$.items", "Next": "After",
                  "ItemProcessor": {"StartAt": "Inner", "States": {
                      "Inner": {"Type": "Pass", "Assign": {"inner": 1}, "End": true}}}},
            "After": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": true}
        }
    }));
    leak.start(json!({"items": [1]}));
    assert!(
        matches!(leak.status(), Status::Failed { .. }),
        "{:?}",
        leak.status()
    );

    // An iteration may not assign a variable of an outer scope.
    let mut write = TestEnv::new(json!({
        "StartAt": "Outer",
        "States": {
            "Outer": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
            "M": {"Type": "Map", "ItemsPath": "$.items", "End": true,
                  "ItemProcessor": {"StartAt": "Inner", "States": {
                      "Inner": {"Type": "Pass", "Assign": {"x": 2}, "End": true}}}}
        }
    }));
    write.start(json!({"items": [1]}));
    match write.status() {
        Status::Failed { error, cause } => {
            assert_eq!(error.as_deref(), Some("States.Runtime"));
            assert!(
                cause
                    .as_deref()
                    .unwrap()
                    .contains("The variable 'x' belongs to an outer scope"),
                "{cause:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn jsonata_assign_sees_states_and_variables_before_the_state() {
    let mut env = TestEnv::new(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Check",
                     "Assign": {"total": "{% $states.result.Payload.total %}",
                                "asked": "{% $states.input.n %}"},
                     "Output": "{% $states.result.Payload %}",
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Check",
                                "Assign": {"why": "{% $states.errorOutput.Error %}"}}]},
            "Check": {"Type": "Choice", "Default": "Done",
                      "Choices": [{"Condition": "{% $total > 10 %}", "Next": "Done",
                                   "Assign": {"total": "{% $total * 2 %}", "before": "{% $total %}"}}]},
            "Done": {"Type": "Pass", "End": true,
                     "Output": {"total": "{% $total %}", "before": "{% $before %}",
                                "asked": "{% $asked %}"}}
        }
    }));
    let effects = env.start(json!({"n": 3}));
    let task = effects
        .iter()
        .find_map(|effect| match effect {
            Effect::InvokeTask(request) => Some(request.id),
            _ => None,
        })
        .unwrap();
    env.succeed(task, json!({"Payload": {"total": 20}}));
    // The rule's two assignments both read `$total` as it was before the Choice state.
    assert_eq!(
        succeeded(&env),
        json!({"total": 40, "before": 20, "asked": 3})
    );

    // A catcher's Assign reads `$states.errorOutput`.
    let mut caught = TestEnv::new(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done",
                                "Assign": {"why": "{% $states.errorOutput.Error %}"}}]},
            "Done": {"Type": "Succeed", "Output": "{% $why %}"}
        }
    }));
    let effects = caught.start(json!({}));
    let task = effects
        .iter()
        .find_map(|effect| match effect {
            Effect::InvokeTask(request) => Some(request.id),
            _ => None,
        })
        .unwrap();
    caught.fail(task, "Oops", "it broke");
    assert_eq!(succeeded(&caught), json!("Oops"));

    // A failing Assign expression is a query evaluation error at `Assign/<name>`.
    let mut bad = TestEnv::new(json!({
        "QueryLanguage": "JSONata", "StartAt": "P",
        "States": {"P": {"Type": "Pass", "End": true, "Assign": {"result": "{% $nothing %}"}}}
    }));
    bad.start(json!({}));
    assert_eq!(
        bad.event("EvaluationFailed").details_json().unwrap()["location"],
        "Assign/result"
    );
}

#[test]
fn a_variable_holds_at_most_256_kib() {
    let big = "x".repeat(262_144);
    let mut env = TestEnv::new(json!({
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Assign": {"big.$": "$.big"}, "End": true}}
    }));
    env.start(json!({"big": big}));
    match env.status() {
        Status::Failed { error, cause } => {
            assert_eq!(error.as_deref(), Some("States.DataLimitExceeded"));
            assert!(
                cause
                    .as_deref()
                    .unwrap()
                    .contains("the variable 'big' is 262146 bytes"),
                "{cause:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Under the limit is fine (the state's own output stays under its 256 KiB too).
    let mut fits = TestEnv::new(json!({
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Assign": {"big.$": "$.big"}, "End": true}}
    }));
    fits.start(json!({"big": "x".repeat(200_000)}));
    assert!(matches!(fits.status(), Status::Succeeded { .. }));
}

#[test]
fn an_expression_that_rebinds_a_variable_reads_the_outer_one_first() {
    let mut env = TestEnv::new(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"count": 1}, "Next": "Bump"},
            "Bump": {"Type": "Pass", "End": true,
                     "Output": {"next": "{% ($count := $count + 1; $count) %}"}}
        }
    }));
    env.start(json!({}));
    assert_eq!(succeeded(&env), json!({"next": 2}));
}

#[test]
fn a_failed_states_assign_is_not_kept_when_a_catcher_takes_over() {
    let mut env = TestEnv::new(json!({
        "StartAt": "Big",
        "States": {
            "Big": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "ResultPath": "$.r", "Next": "Done", "Assign": {"kept": 1},
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done",
                               "ResultPath": null, "Assign": {"caught": true}}]},
            "Done": {"Type": "Pass", "End": true, "Parameters": {"caught.$": "$caught"}}
        }
    }));
    // The task's result is small, but merged into the 200 KB input by ResultPath the state's
    // output is over 256 KiB: the state fails after it staged its Assign.
    let effects = env.start(json!({"big": "x".repeat(200_000)}));
    let task = effects
        .iter()
        .find_map(|effect| match effect {
            Effect::InvokeTask(request) => Some(request.id),
            _ => None,
        })
        .unwrap();
    env.succeed(task, json!({"more": "y".repeat(100_000)}));
    assert!(
        matches!(env.status(), Status::Succeeded { .. }),
        "{:?}",
        env.types()
    );
    let names: Vec<Vec<String>> = env
        .history
        .iter()
        .filter(|event| event.event_type.ends_with("StateExited"))
        .filter_map(|event| event.details_json()?.get("assignedVariables").cloned())
        .map(|assigned| assigned.as_object().unwrap().keys().cloned().collect())
        .collect();
    assert_eq!(names, [vec!["caught".to_owned()]]);
}
