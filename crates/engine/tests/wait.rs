//! Wait states: Seconds, Timestamp, SecondsPath, TimestampPath and their invalid values.

mod common;

use common::*;
use serde_json::{Value, json};

fn wait(fields: Value) -> Value {
    let mut state = json!({ "Type": "Wait", "Next": "Done" });
    if let (Some(state), Value::Object(fields)) = (state.as_object_mut(), fields) {
        state.extend(fields);
    }
    json!({ "StartAt": "Nap", "States": { "Nap": state, "Done": { "Type": "Pass", "End": true } } })
}

/// Starts the execution and returns the one timer it asks for.
fn start_waiting(env: &mut TestEnv, input: Value) -> (u64, i64) {
    let effects = env.start(input);
    assert_eq!(env.types(), ["ExecutionStarted", "WaitStateEntered"]);
    let timers = timers(&effects);
    assert_eq!(timers.len(), 1, "{effects:?}");
    timers[0]
}

#[test]
fn wait_seconds_fires_and_continues() {
    let mut env = TestEnv::new(wait(json!({ "Seconds": 10 })));
    let (timer, at) = start_waiting(&mut env, json!({ "a": 1 }));
    assert_eq!(at, T0 + 10_000);
    env.fire(timer);
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(env.event("WaitStateExited").timestamp_ms, T0 + 10_000);
    assert_eq!(env.output(), json!({ "a": 1 }));
}

#[test]
fn wait_timestamp_in_the_future_and_in_the_past() {
    let mut future = TestEnv::new(wait(json!({ "Timestamp": "2024-01-01T00:01:00Z" })));
    assert_eq!(start_waiting(&mut future, json!({})).1, T0 + 60_000);

    // A past timestamp asks for a timer that is already due.
    let mut past = TestEnv::new(wait(json!({ "Timestamp": "2016-03-14T01:59:00Z" })));
    let (timer, at) = start_waiting(&mut past, json!({}));
    assert!(at <= T0);
    past.fire(timer);
    assert_eq!(past.status().as_str(), "SUCCEEDED");
    assert_eq!(
        past.event("WaitStateExited").timestamp_ms,
        T0,
        "no time passes"
    );
}

#[test]
fn wait_seconds_path() {
    let mut env = TestEnv::new(wait(json!({ "SecondsPath": "$.s" })));
    assert_eq!(start_waiting(&mut env, json!({ "s": 3 })).1, T0 + 3_000);
}

#[test]
fn wait_timestamp_path() {
    let mut env = TestEnv::new(wait(json!({ "TimestampPath": "$.t" })));
    let (_, at) = start_waiting(&mut env, json!({ "t": "2024-01-01T00:00:05.5Z" }));
    assert_eq!(at, T0 + 5_500);
}

fn fails_at_wait(definition: Value, input: Value) -> String {
    let mut env = TestEnv::new(definition);
    let effects = env.start(input);
    assert!(timers(&effects).is_empty(), "{effects:?}");
    assert_eq!(
        env.types(),
        ["ExecutionStarted", "WaitStateEntered", "ExecutionFailed"]
    );
    let (error, cause) = env.failure();
    assert_eq!(error, "States.Runtime");
    cause
}

#[test]
fn wait_seconds_path_invalid_values() {
    for (input, shown) in [
        (json!({ "s": -1 }), "-1"),
        (json!({ "s": "ten" }), "ten"),
        (json!({ "s": 1.5 }), "1.5"),
    ] {
        let cause = fails_at_wait(wait(json!({ "SecondsPath": "$.s" })), input);
        assert!(
            cause.ends_with(&format!(
                "The SecondsPath parameter cannot be parsed as a long value: $.s == {shown}"
            )),
            "{cause}"
        );
    }
    let cause = fails_at_wait(wait(json!({ "SecondsPath": "$.s" })), json!({}));
    assert!(cause.contains("Invalid path '$.s'"), "{cause}");
}

#[test]
fn wait_timestamp_path_invalid_value() {
    let cause = fails_at_wait(
        wait(json!({ "TimestampPath": "$.t" })),
        json!({ "t": "tomorrow" }),
    );
    assert!(
        cause.ends_with(
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.t == tomorrow"
        ),
        "{cause}"
    );
}

#[test]
fn wait_output_path_applies_on_exit() {
    let mut env = TestEnv::new(wait(
        json!({ "Seconds": 1, "InputPath": "$.a", "OutputPath": "$.b" }),
    ));
    let (timer, _) = start_waiting(&mut env, json!({ "a": { "b": 7 } }));
    env.fire(timer);
    assert_eq!(env.output(), json!(7));
}
