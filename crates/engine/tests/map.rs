//! Map states: items, ItemSelector, MaxConcurrency, tolerated failures, empty and non-array
//! input.

mod common;

use common::*;
use engine::Effect;
use serde_json::{Value, json};

fn map(extra: Value, processor: Value) -> Value {
    let mut state = json!({
        "Type": "Map",
        "ItemProcessor": { "StartAt": "Work", "States": { "Work": processor } },
        "End": true
    });
    if let (Some(state), Value::Object(extra)) = (state.as_object_mut(), extra) {
        state.extend(extra);
    }
    json!({ "StartAt": "Each", "States": { "Each": state } })
}

fn map_of_tasks(extra: Value) -> Value {
    map(extra, task(json!({ "End": true })))
}

#[test]
fn map_with_failure_history() {
    let env = canned::map_with_failure().run();
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapIterationStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "MapIterationStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "MapIterationStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskSucceeded",
            "TaskStateExited",
            "MapIterationSucceeded",
            "TaskFailed",
            "MapIterationFailed",
            "TaskStateAborted",
            "MapIterationAborted",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
    assert_eq!(
        field(env.event("MapStateStarted"), "length"),
        Some(json!(3))
    );
    let failed = env.event("MapIterationFailed");
    assert_eq!(
        (field(failed, "index"), text(failed, "name")),
        (Some(json!(1)), "Each".to_owned())
    );
    assert_eq!(
        field(env.event("MapIterationAborted"), "index"),
        Some(json!(2))
    );
    assert_eq!(env.failure(), ("Boom".to_owned(), "item two".to_owned()));
}

#[test]
fn map_runs_every_item_and_collects_results_in_item_order() {
    let mut env = TestEnv::new(map(
        json!({ "ItemsPath": "$.items" }),
        json!({ "Type": "Pass", "Parameters": { "doubled.$": "States.MathAdd($.n, $.n)" }, "End": true }),
    ));
    env.start(json!({ "items": [{ "n": 1 }, { "n": 2 }] }));
    assert_eq!(env.output(), json!([{ "doubled": 2 }, { "doubled": 4 }]));
    // AWS (test_map_state_break_condition): iterations that never block run one after another,
    // each MapIterationStarted following the previous iteration's last state event.
    assert_eq!(
        chain(&env.history),
        [
            (1, 0, "ExecutionStarted"),
            (2, 0, "MapStateEntered"),
            (3, 2, "MapStateStarted"),
            (4, 3, "MapIterationStarted"),
            (5, 4, "PassStateEntered"),
            (6, 5, "PassStateExited"),
            (7, 6, "MapIterationSucceeded"),
            (8, 6, "MapIterationStarted"),
            (9, 8, "PassStateEntered"),
            (10, 9, "PassStateExited"),
            (11, 10, "MapIterationSucceeded"),
            (12, 11, "MapStateSucceeded"),
            (13, 11, "MapStateExited"),
            (14, 13, "ExecutionSucceeded")
        ]
    );
}

#[test]
fn item_selector_sees_index_and_value_in_the_context() {
    let mut env = TestEnv::new(map_of_tasks(json!({
        "ItemSelector": {
            "index.$": "$$.Map.Item.Index",
            "value.$": "$$.Map.Item.Value",
            "shared.$": "$.shared"
        },
        "ItemsPath": "$.items"
    })));
    let effects = env.start(json!({ "items": ["a", "b"], "shared": 9 }));
    let inputs: Vec<Value> = invoked(&effects).into_iter().map(|r| r.input).collect();
    assert_eq!(
        inputs,
        [
            json!({ "index": 0, "value": "a", "shared": 9 }),
            json!({ "index": 1, "value": "b", "shared": 9 })
        ]
    );
    env.succeed(2, json!("B"));
    env.succeed(1, json!("A"));
    assert_eq!(env.output(), json!(["A", "B"]));
}

#[test]
fn max_concurrency_one_runs_items_one_at_a_time() {
    let mut env = TestEnv::new(map_of_tasks(json!({ "MaxConcurrency": 1 })));
    let effects = env.start(json!([10, 20, 30]));
    assert_eq!(task_ids(&effects), [1]);
    assert_eq!(env.events("MapIterationStarted").len(), 1);
    let effects = env.succeed(1, json!("a"));
    assert_eq!(
        invoked(&effects)
            .iter()
            .map(|r| r.input.clone())
            .collect::<Vec<_>>(),
        [json!(20)]
    );
    let effects = env.succeed(2, json!("b"));
    assert_eq!(task_ids(&effects), [3]);
    assert!(env.succeed(3, json!("c")).is_empty());
    assert_eq!(env.output(), json!(["a", "b", "c"]));
    assert_well_formed(&env.history);
}

#[test]
fn max_concurrency_two_starts_an_iteration_as_each_one_ends() {
    let mut env = TestEnv::new(map_of_tasks(json!({ "MaxConcurrency": 2 })));
    let effects = env.start(json!([0, 1, 2, 3]));
    assert_eq!(task_ids(&effects), [1, 2]);
    // The second iteration ends first: the third starts, still two at a time.
    let effects = env.succeed(2, json!(1));
    assert_eq!(task_ids(&effects), [3]);
    assert_eq!(invoked(&effects)[0].input, json!(2));
    let effects = env.fail(3, "Boom", "third");
    // Iteration 2 fails: the Map fails, aborting the first iteration, never starting the last.
    assert_eq!(cancelled_tasks(&effects), [1]);
    assert!(task_ids(&effects).is_empty());
    assert_eq!(env.events("MapIterationStarted").len(), 3);
    assert_eq!(env.failure().0, "Boom");
}

#[test]
fn tolerated_failure_count_lets_the_map_succeed_with_nulls() {
    let mut env = TestEnv::new(map_of_tasks(json!({ "ToleratedFailureCount": 1 })));
    env.start(json!([0, 1, 2]));
    env.fail(2, "Boom", "");
    env.succeed(1, json!("a"));
    env.succeed(3, json!("c"));
    assert_eq!(env.output(), json!(["a", null, "c"]));
}

#[test]
fn exceeding_tolerated_failure_count_fails_with_exceed_threshold() {
    let mut env = TestEnv::new(map_of_tasks(json!({ "ToleratedFailureCount": 1 })));
    env.start(json!([0, 1, 2]));
    env.fail(1, "Boom", "");
    let effects = env.fail(2, "Boom", "");
    assert_eq!(cancelled_tasks(&effects), [3]);
    let (error, cause) = env.failure();
    assert_eq!(error, "States.ExceedToleratedFailureThreshold");
    assert_eq!(
        cause,
        "The specified tolerated failure threshold was exceeded"
    );
}

#[test]
fn tolerated_failure_percentage() {
    // 1 of 4 is 25% (tolerated at 30%); 2 of 4 is 50% (not tolerated).
    let mut env = TestEnv::new(map_of_tasks(json!({ "ToleratedFailurePercentage": 30 })));
    env.start(json!([0, 1, 2, 3]));
    env.fail(1, "Boom", "");
    assert_eq!(env.status().as_str(), "RUNNING");
    env.fail(2, "Boom", "");
    assert_eq!(env.failure().0, "States.ExceedToleratedFailureThreshold");
}

#[test]
fn map_failure_is_caught_with_exceed_threshold() {
    let definition = json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ToleratedFailureCount": 0,
                "ItemProcessor": { "StartAt": "Work", "States": { "Work": task(json!({ "End": true })) } },
                "Catch": [{ "ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Caught" }],
                "End": true
            },
            "Caught": { "Type": "Pass", "End": true }
        }
    });
    let mut env = TestEnv::new(definition);
    env.start(json!([1]));
    env.fail(1, "Boom", "");
    assert_eq!(
        env.output()["Error"],
        json!("States.ExceedToleratedFailureThreshold")
    );
}

#[test]
fn empty_array_succeeds_at_once() {
    let mut env = TestEnv::new(map_of_tasks(json!({})));
    let effects = env.start(json!([]));
    assert!(effects.is_empty());
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        field(env.event("MapStateStarted"), "length"),
        Some(json!(0))
    );
    assert_eq!(env.output(), json!([]));
}

#[test]
fn non_array_input_is_a_runtime_error() {
    for (input, shown) in [(json!({ "a": 1 }), "{\"a\":1}"), (json!("text"), "text")] {
        let mut env = TestEnv::new(map_of_tasks(json!({})));
        env.start(input);
        let (error, cause) = env.failure();
        assert_eq!(error, "States.Runtime");
        assert_eq!(
            cause,
            format!(
                "An error occurred while executing the state 'Each' (entered at the event id #2). Map state input must be an array but was: {shown}"
            )
        );
        assert_eq!(
            env.types(),
            ["ExecutionStarted", "MapStateEntered", "ExecutionFailed"]
        );
    }
}

#[test]
fn retry_of_the_whole_map() {
    let definition = json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": { "StartAt": "Work", "States": { "Work": task(json!({ "End": true })) } },
                "Retry": [{ "ErrorEquals": ["Boom"], "IntervalSeconds": 2, "MaxAttempts": 1 }],
                "End": true
            }
        }
    });
    let mut env = TestEnv::new(definition);
    env.start(json!([1, 2]));
    let effects = env.fail(1, "Boom", "");
    assert_eq!(cancelled_tasks(&effects), [2]);
    let (timer, at) = timers(&effects)[0];
    assert_eq!(at, T0 + 2_000);
    let effects = env.fire(timer);
    let tasks = task_ids(&effects);
    assert_eq!(tasks.len(), 2);
    assert_eq!(env.events("MapStateStarted").len(), 2);
    env.succeed(tasks[1], json!("b"));
    env.succeed(tasks[0], json!("a"));
    assert_eq!(env.output(), json!(["a", "b"]));
    assert!(
        !env.effects
            .iter()
            .any(|effect| matches!(effect, Effect::CancelTimer { .. })),
        "no timer was left to cancel"
    );
}
