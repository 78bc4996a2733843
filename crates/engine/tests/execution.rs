//! Whole-execution behaviour: TimeoutSeconds, Stop, late inputs, determinism, replay of the
//! canned histories, and the shape of the event chain.

mod common;

use common::*;
use engine::{Input, Status};
use serde_json::json;

fn timed_parallel() -> serde_json::Value {
    json!({
        "StartAt": "Both",
        "TimeoutSeconds": 60,
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    { "StartAt": "Work", "States": { "Work": task(json!({ "TimeoutSeconds": 100, "End": true })) } },
                    { "StartAt": "Nap", "States": { "Nap": { "Type": "Wait", "Seconds": 300, "End": true } } }
                ],
                "End": true
            }
        }
    })
}

#[test]
fn execution_timeout_times_out_and_cancels_everything() {
    let mut env = TestEnv::new(timed_parallel());
    let effects = env.start(json!({}));
    // Timer 1 is the execution's; task 2 with its timeout timer 3; the Wait's timer 4.
    assert_eq!(
        timers(&effects),
        [(1, T0 + 60_000), (3, T0 + 100_000), (4, T0 + 300_000)]
    );
    assert_eq!(task_ids(&effects), [2]);
    let effects = env.fire(1);
    assert_eq!(cancelled_tasks(&effects), [2]);
    assert_eq!(cancelled_timers(&effects), [3, 4]);
    assert_eq!(env.last().event_type, "ExecutionTimedOut");
    assert_eq!(env.last().timestamp_ms, T0 + 60_000);
    assert_eq!(text(env.last(), "error"), "States.Timeout");
    assert!(matches!(env.status(), Status::TimedOut { .. }));
    // Everything after the end is ignored.
    let before = env.history.len();
    assert!(env.succeed(2, json!(1)).is_empty());
    assert!(env.fire(4).is_empty());
    assert_eq!(env.history.len(), before);
}

#[test]
fn execution_ending_in_time_cancels_the_execution_timer() {
    let mut env = TestEnv::new(json!({
        "StartAt": "Work",
        "TimeoutSeconds": 60,
        "States": { "Work": task(json!({ "End": true })) }
    }));
    env.start(json!({}));
    let effects = env.succeed(2, json!("ok"));
    assert_eq!(cancelled_timers(&effects), [1]);
    assert!(env.fire(1).is_empty());
    assert_eq!(env.output(), json!("ok"));
}

#[test]
fn stop_aborts_and_cancels_outstanding_effects() {
    let mut env = TestEnv::new(timed_parallel());
    env.start(json!({}));
    let effects = env.apply(Input::Stop {
        error: Some("Halt".to_owned()),
        cause: Some("by hand".to_owned()),
    });
    assert_eq!(cancelled_tasks(&effects), [2]);
    assert_eq!(cancelled_timers(&effects), [1, 3, 4]);
    let aborted = env.last();
    assert_eq!(aborted.event_type, "ExecutionAborted");
    assert_eq!(
        (text(aborted, "error"), text(aborted, "cause")),
        ("Halt".to_owned(), "by hand".to_owned())
    );
    assert_eq!(
        env.status(),
        &Status::Aborted {
            error: Some("Halt".to_owned()),
            cause: Some("by hand".to_owned())
        }
    );
    assert!(
        env.apply(Input::Stop {
            error: None,
            cause: None
        })
        .is_empty()
    );
}

/// AWS records `ExecutionAborted` with previousEventId 0 (`test_stop_execution`: a Wait state
/// stopped gives ExecutionStarted 1←0, WaitStateEntered 2←0, ExecutionAborted 3←0).
#[test]
fn regression_execution_aborted_has_previous_event_id_zero() {
    let mut env = TestEnv::new(json!({
        "StartAt": "State_1",
        "States": { "State_1": { "Type": "Wait", "Seconds": 10, "End": true } }
    }));
    env.start(json!({}));
    let effects = env.apply(Input::Stop {
        error: None,
        cause: None,
    });
    assert_eq!(cancelled_timers(&effects), [1]);
    assert_eq!(
        chain(&env.history),
        [
            (1, 0, "ExecutionStarted"),
            (2, 0, "WaitStateEntered"),
            (3, 0, "ExecutionAborted")
        ]
    );
    assert_eq!(field(env.last(), "error"), None);
}

#[test]
fn second_start_is_ignored() {
    let mut env = canned::single_task().run();
    let before = env.history.len();
    assert!(env.start(json!({ "again": true })).is_empty());
    assert_eq!(env.history.len(), before);
}

#[test]
fn canned_histories_end_as_expected_and_are_well_formed() {
    for (name, history, status) in canned::all() {
        let env = history.run();
        assert_eq!(env.status().as_str(), status, "{name}: {:?}", env.types());
        assert_well_formed(&env.history);
        assert_eq!(env.history[0].event_type, "ExecutionStarted", "{name}");
        assert!(
            env.last().event_type.starts_with("Execution"),
            "{name} ends with an Execution event"
        );
        let timestamps: Vec<i64> = env.history.iter().map(|event| event.timestamp_ms).collect();
        assert!(
            timestamps.windows(2).all(|pair| pair[0] <= pair[1]),
            "{name}: time runs forward"
        );
    }
}

#[test]
fn canned_histories_replay_identically() {
    for (name, history, _) in canned::all() {
        let first = history.run();
        let second = history.run();
        assert_eq!(
            first.steps, second.steps,
            "{name}: replay gave different steps"
        );
        assert_eq!(first.status(), second.status(), "{name}");
        first.assert_replays(history.definition.clone(), 7);
    }
}

#[test]
fn jittered_retries_replay_identically_with_the_same_seed() {
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "Parameters": { "id.$": "States.UUID()", "r.$": "States.MathRandom(0, 1000)" },
                "Retry": [{ "ErrorEquals": ["States.ALL"], "IntervalSeconds": 5, "JitterStrategy": "FULL" }],
                "End": true
            }))
        }
    });
    let mut env = TestEnv::with_seed(definition.clone(), 99);
    env.start(json!({}));
    let mut task = 1;
    for _ in 0..3 {
        let effects = env.fail(task, "X", "");
        let (timer, _) = timers(&effects)[0];
        task = task_ids(&env.fire(timer))[0];
    }
    env.succeed(task, json!("done"));
    assert_eq!(env.output(), json!("done"));
    env.assert_replays(definition.clone(), 99);

    // Another seed draws other numbers, so the replay differs: the comparison can fail.
    let mut other = TestEnv::with_seed(definition, 100);
    for (input, at) in &env.inputs {
        other.now = *at;
        other.apply(input.clone());
    }
    assert_ne!(other.steps, env.steps);
}

#[test]
fn one_input_at_a_time_equals_the_same_inputs_in_a_fresh_execution() {
    // Drive map_with_failure step by step, asserting each step, then replay it whole.
    let history = canned::map_with_failure();
    let mut env = TestEnv::new(history.definition.clone());
    let effects = env.start(json!([1, 2, 3]));
    assert_eq!(task_ids(&effects), [1, 2, 3]);
    let effects = env.succeed(1, json!("one"));
    assert!(effects.is_empty());
    let effects = env.fail(2, "Boom", "item two");
    assert_eq!(cancelled_tasks(&effects), [3]);
    let replay = history.run();
    assert_eq!(replay.steps, env.steps);
}
