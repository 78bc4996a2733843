//! Retry and Catch: delays, backoff, jitter, attempt counting, error matching and ResultPath.

mod common;

use common::*;
use serde_json::{Value, json};

/// A Task with these retriers and catchers, a `Caught` Pass state to catch into.
fn retrying(retry: Value, catch: Value) -> Value {
    json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({ "Retry": retry, "Catch": catch, "End": true })),
            "Caught": { "Type": "Pass", "End": true }
        }
    })
}

/// Fails the task `task` with `error`, fires the retry timer it asks for, and returns the
/// delay in ms and the next task's id, or `None` when no retry comes.
fn fail_and_retry(env: &mut TestEnv, task: u64, error: &str) -> Option<(i64, u64)> {
    let failed_at = env.now;
    let effects = env.fail(task, error, "cause");
    let (timer, at) = *timers(&effects).first()?;
    let effects = env.fire(timer);
    Some((at - failed_at, task_ids(&effects)[0]))
}

#[test]
fn retry_then_catch_history() {
    let env = canned::retry_then_catch().run();
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskFailed",
            "TaskScheduled",
            "TaskFailed",
            "TaskScheduled",
            "TaskFailed",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_well_formed(&env.history);
    // A retry does not enter the state again: each TaskScheduled follows the last TaskFailed.
    assert_eq!(env.history[4].previous_event_id, 4);
    assert_eq!(env.history[4].timestamp_ms, T0 + 1_000);
    assert_eq!(
        env.output(),
        json!({ "n": 1, "error": { "Error": "Boom", "Cause": "third" } })
    );
}

#[test]
fn backoff_rate_and_max_delay_set_the_retry_timers() {
    let mut env = TestEnv::new(retrying(
        json!([{ "ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxAttempts": 4, "MaxDelaySeconds": 30 }]),
        json!([]),
    ));
    env.start(json!({}));
    let mut delays = Vec::new();
    let mut task = 1;
    while let Some((delay, next)) = fail_and_retry(&mut env, task, "Boom") {
        delays.push(delay);
        task = next;
    }
    // 2, 6, 18, then 54 capped at 30; the fifth failure is past MaxAttempts.
    assert_eq!(delays, [2_000, 6_000, 18_000, 30_000]);
    assert_eq!(env.failure().0, "Boom");
    assert_eq!(env.events("TaskScheduled").len(), 5);
}

#[test]
fn retrier_defaults_are_one_second_doubling_three_times() {
    let mut env = TestEnv::new(retrying(
        json!([{ "ErrorEquals": ["States.ALL"] }]),
        json!([]),
    ));
    env.start(json!({}));
    let mut delays = Vec::new();
    let mut task = 1;
    while let Some((delay, next)) = fail_and_retry(&mut env, task, "Boom") {
        delays.push(delay);
        task = next;
    }
    assert_eq!(delays, [1_000, 2_000, 4_000]);
}

#[test]
fn full_jitter_stays_within_the_computed_delay_and_is_seeded() {
    let definition = retrying(
        json!([{ "ErrorEquals": ["Boom"], "IntervalSeconds": 10, "BackoffRate": 2.0, "MaxAttempts": 3, "JitterStrategy": "FULL" }]),
        json!([]),
    );
    let run = |seed: u64| {
        let mut env = TestEnv::with_seed(definition.clone(), seed);
        env.start(json!({}));
        let mut delays = Vec::new();
        let mut task = 1;
        while let Some((delay, next)) = fail_and_retry(&mut env, task, "Boom") {
            delays.push(delay);
            task = next;
        }
        delays
    };
    let mut distinct = std::collections::BTreeSet::new();
    for seed in 0..20 {
        let delays = run(seed);
        assert_eq!(delays.len(), 3);
        for (attempt, delay) in delays.iter().enumerate() {
            let bound = 10_000 * 2_i64.pow(attempt as u32);
            assert!(
                (0..=bound).contains(delay),
                "seed {seed}: {delay} outside 0..={bound}"
            );
        }
        assert_eq!(run(seed), delays, "the same seed gives the same delays");
        distinct.insert(delays);
    }
    assert!(
        distinct.len() > 10,
        "jitter varies with the seed: {distinct:?}"
    );
}

#[test]
fn max_attempts_zero_never_retries() {
    let mut env = TestEnv::new(retrying(
        json!([{ "ErrorEquals": ["Boom"], "MaxAttempts": 0 }]),
        json!([]),
    ));
    env.start(json!({}));
    let effects = env.fail(1, "Boom", "no retry");
    assert!(timers(&effects).is_empty());
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskFailed",
            "ExecutionFailed"
        ]
    );
}

#[test]
fn only_the_first_matching_retrier_is_used() {
    // The first retrier matches and is exhausted after one retry; the second, which also
    // matches and has attempts left, is never tried.
    let mut env = TestEnv::new(retrying(
        json!([
            { "ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 1 },
            { "ErrorEquals": ["States.ALL"], "IntervalSeconds": 9, "MaxAttempts": 5 }
        ]),
        json!([{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "Caught" }]),
    ));
    env.start(json!({}));
    let (delay, next) = fail_and_retry(&mut env, 1, "Boom").expect("first retry");
    assert_eq!(delay, 1_000);
    assert_eq!(fail_and_retry(&mut env, next, "Boom"), None);
    assert_eq!(env.output()["e"]["Error"], json!("Boom"));
}

#[test]
fn each_retrier_counts_its_own_attempts() {
    let mut env = TestEnv::new(retrying(
        json!([
            { "ErrorEquals": ["A"], "IntervalSeconds": 1, "MaxAttempts": 1 },
            { "ErrorEquals": ["B"], "IntervalSeconds": 5, "MaxAttempts": 2, "BackoffRate": 1.0 }
        ]),
        json!([]),
    ));
    env.start(json!({}));
    let (delay, task) = fail_and_retry(&mut env, 1, "B").unwrap();
    assert_eq!(delay, 5_000);
    let (delay, task) = fail_and_retry(&mut env, task, "A").unwrap();
    assert_eq!(delay, 1_000, "A's counter is untouched by B's retries");
    let (delay, task) = fail_and_retry(&mut env, task, "B").unwrap();
    assert_eq!(delay, 5_000);
    assert_eq!(
        fail_and_retry(&mut env, task, "B"),
        None,
        "B has used its 2 attempts"
    );
    assert_eq!(env.failure().0, "B");
}

#[test]
fn retry_count_is_in_the_context_object() {
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "Parameters": { "n.$": "$$.State.RetryCount" },
                "Retry": [{ "ErrorEquals": ["States.ALL"], "MaxAttempts": 2 }],
                "End": true
            }))
        }
    });
    let mut env = TestEnv::new(definition);
    env.start(json!({}));
    fail_and_retry(&mut env, 1, "X").unwrap();
    fail_and_retry(&mut env, 3, "X").unwrap();
    let inputs: Vec<Value> = env.invoked().iter().map(|r| r.input["n"].clone()).collect();
    assert_eq!(inputs, [json!(0), json!(1), json!(2)]);
}

#[test]
fn retry_counters_start_again_when_the_state_is_entered_anew() {
    // Work fails once (one retry), succeeds, Loop goes back to Work, which may retry again.
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "Retry": [{ "ErrorEquals": ["X"], "MaxAttempts": 1 }],
                "ResultPath": null,
                "Next": "Loop"
            })),
            "Loop": {
                "Type": "Choice",
                "Choices": [{ "Variable": "$.again", "BooleanEquals": true, "Next": "Flip" }],
                "Default": "Done"
            },
            "Flip": { "Type": "Pass", "Result": false, "ResultPath": "$.again", "Next": "Work" },
            "Done": { "Type": "Succeed" }
        }
    });
    let mut env = TestEnv::new(definition);
    env.start(json!({ "again": true }));
    let (_, task) = fail_and_retry(&mut env, 1, "X").unwrap();
    let effects = env.succeed(task, json!(null));
    let second_entry = task_ids(&effects)[0];
    assert!(
        fail_and_retry(&mut env, second_entry, "X").is_some(),
        "a fresh attempt budget"
    );
}

fn catching(result_path: Option<Value>) -> Value {
    let mut catcher = json!({ "ErrorEquals": ["States.ALL"], "Next": "Caught" });
    if let Some(path) = result_path {
        catcher["ResultPath"] = path;
    }
    retrying(json!([]), json!([catcher]))
}

#[test]
fn catch_result_path_default_replaces_the_input() {
    let mut env = TestEnv::new(catching(None));
    env.start(json!({ "a": 1 }));
    env.fail(1, "Boom", "why");
    assert_eq!(env.output(), json!({ "Error": "Boom", "Cause": "why" }));
    let exited = env.event("TaskStateExited");
    assert_eq!(exited.previous_event_id, env.event("TaskFailed").id);
    assert_eq!(
        doc(exited, "output"),
        json!({ "Error": "Boom", "Cause": "why" })
    );
}

#[test]
fn catch_result_path_null_keeps_the_input() {
    let mut env = TestEnv::new(catching(Some(json!(null))));
    env.start(json!({ "a": 1 }));
    env.fail(1, "Boom", "why");
    assert_eq!(env.output(), json!({ "a": 1 }));
}

#[test]
fn catch_result_path_nests_the_error() {
    let mut env = TestEnv::new(catching(Some(json!("$.x.err"))));
    env.start(json!({ "a": 1 }));
    env.fail(1, "Boom", "why");
    assert_eq!(
        env.output(),
        json!({ "a": 1, "x": { "err": { "Error": "Boom", "Cause": "why" } } })
    );
}

#[test]
fn catchers_are_scanned_in_order() {
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "Catch": [
                    { "ErrorEquals": ["Other"], "Next": "First" },
                    { "ErrorEquals": ["Boom", "Other2"], "Next": "Second" },
                    { "ErrorEquals": ["States.ALL"], "Next": "Third" }
                ],
                "End": true
            })),
            "First": { "Type": "Pass", "Result": 1, "End": true },
            "Second": { "Type": "Pass", "Result": 2, "End": true },
            "Third": { "Type": "Pass", "Result": 3, "End": true }
        }
    });
    let mut env = TestEnv::new(definition);
    env.start(json!({}));
    env.fail(1, "Boom", "");
    assert_eq!(env.output(), json!(2));
}

#[test]
fn task_failed_catches_custom_errors_but_not_timeouts() {
    let definition = |timeout: bool| {
        json!({
            "StartAt": "Work",
            "States": {
                "Work": task(json!({
                    "TimeoutSeconds": if timeout { 1 } else { 100 },
                    "Catch": [{ "ErrorEquals": ["States.TaskFailed"], "Next": "Caught" }],
                    "End": true
                })),
                "Caught": { "Type": "Pass", "End": true }
            }
        })
    };
    let mut custom = TestEnv::new(definition(false));
    custom.start(json!({}));
    custom.fail(1, "Lambda.Unknown", "x");
    assert_eq!(custom.output()["Error"], json!("Lambda.Unknown"));

    let mut timed_out = TestEnv::new(definition(true));
    timed_out.start(json!({}));
    timed_out.fire(2);
    assert_eq!(timed_out.failure().0, "States.Timeout");
}

#[test]
fn states_runtime_is_not_caught_by_states_all() {
    // An InputPath that selects nothing is States.Runtime, which no retrier or catcher sees.
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "InputPath": "$.missing",
                "Retry": [{ "ErrorEquals": ["States.ALL"] }],
                "Catch": [{ "ErrorEquals": ["States.ALL"], "Next": "Caught" }],
                "End": true
            })),
            "Caught": { "Type": "Pass", "End": true }
        }
    });
    let mut env = TestEnv::new(definition);
    let effects = env.start(json!({}));
    assert!(effects.is_empty(), "no task, no retry timer: {effects:?}");
    assert_eq!(
        env.types(),
        ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    );
    let (error, cause) = env.failure();
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("'Work' (entered at the event id #2)"),
        "{cause}"
    );
}

#[test]
fn missing_result_selector_path_is_runtime_and_not_caught() {
    // AWS reports a path that selects nothing in a `.$` field as States.Runtime.
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "ResultSelector": { "v.$": "$.nothing" },
                "Catch": [{ "ErrorEquals": ["States.ALL"], "Next": "Caught" }],
                "End": true
            })),
            "Caught": { "Type": "Pass", "End": true }
        }
    });
    let mut env = TestEnv::new(definition);
    env.start(json!({}));
    env.succeed(1, json!({ "x": 1 }));
    assert_eq!(env.failure().0, "States.Runtime");
}

#[test]
fn result_path_match_failure_goes_to_catch() {
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "ResultPath": "$.s.inner",
                "Catch": [{ "ErrorEquals": ["States.ResultPathMatchFailure"], "ResultPath": "$.e", "Next": "Caught" }],
                "End": true
            })),
            "Caught": { "Type": "Pass", "End": true }
        }
    });
    let mut env = TestEnv::new(definition);
    env.start(json!({ "s": "a string" }));
    env.succeed(1, json!(1));
    assert_eq!(
        env.output()["e"]["Error"],
        json!("States.ResultPathMatchFailure")
    );
    assert_eq!(env.output()["s"], json!("a string"));
}
