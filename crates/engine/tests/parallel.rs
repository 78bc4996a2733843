//! Parallel states: branch order, results, a failing branch aborting the others, and Retry and
//! Catch of the whole state.

mod common;

use common::*;
use serde_json::{Value, json};

fn parallel(branches: Value, extra: Value) -> Value {
    let mut state = json!({ "Type": "Parallel", "Branches": branches, "End": true });
    if let (Some(state), Value::Object(extra)) = (state.as_object_mut(), extra) {
        state.extend(extra);
    }
    json!({
        "StartAt": "Both",
        "States": { "Both": state, "Caught": { "Type": "Pass", "End": true } }
    })
}

fn branch(name: &str, state: Value) -> Value {
    json!({ "StartAt": name, "States": { name: state } })
}

fn end_task() -> Value {
    task(json!({ "End": true }))
}

#[test]
fn results_come_in_branch_order_whatever_order_branches_end() {
    let mut env = TestEnv::new(parallel(
        json!([
            branch("T0", end_task()),
            branch("T1", end_task()),
            branch(
                "P2",
                json!({ "Type": "Pass", "Result": "two", "End": true })
            )
        ]),
        json!({}),
    ));
    let effects = env.start(json!({ "in": 1 }));
    assert_eq!(task_ids(&effects), [1, 2], "branches start in order");
    env.succeed(2, json!("one"));
    assert_eq!(env.status().as_str(), "RUNNING");
    env.succeed(1, json!("zero"));
    assert_eq!(env.output(), json!(["zero", "one", "two"]));
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "ParallelStateEntered",
            "ParallelStateStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStateEntered",
            "TaskScheduled",
            "PassStateEntered",
            "PassStateExited",
            "TaskSucceeded",
            "TaskStateExited",
            "TaskSucceeded",
            "TaskStateExited",
            "ParallelStateSucceeded",
            "ParallelStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_well_formed(&env.history);
    // Every branch's first event follows ParallelStateStarted.
    let started = env.event("ParallelStateStarted").id;
    let entered: Vec<u64> = env
        .history
        .iter()
        .filter(|event| event.event_type.ends_with("StateEntered") && event.id > started)
        .map(|event| event.previous_event_id)
        .collect();
    assert_eq!(entered, [started, started, started]);
    // Each branch gets the Parallel's input.
    assert_eq!(
        env.invoked()
            .iter()
            .map(|r| r.input.clone())
            .collect::<Vec<_>>(),
        [json!({ "in": 1 }), json!({ "in": 1 })]
    );
}

#[test]
fn failing_branch_aborts_the_others() {
    let mut env = TestEnv::new(parallel(
        json!([
            branch("T0", end_task()),
            branch("W1", json!({ "Type": "Wait", "Seconds": 100, "End": true })),
            branch(
                "F2",
                json!({ "Type": "Fail", "Error": "Bad", "Cause": "branch 2" })
            )
        ]),
        json!({}),
    ));
    let effects = env.start(json!({}));
    assert_eq!(task_ids(&effects), [1]);
    assert_eq!(timers(&effects), [(2, T0 + 100_000)]);
    assert_eq!(cancelled_tasks(&effects), [1]);
    assert_eq!(cancelled_timers(&effects), [2]);
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "ParallelStateEntered",
            "ParallelStateStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "WaitStateEntered",
            "FailStateEntered",
            "TaskStateAborted",
            "WaitStateAborted",
            "ParallelStateFailed",
            "ExecutionFailed"
        ]
    );
    assert_eq!(env.failure(), ("Bad".to_owned(), "branch 2".to_owned()));
    // AWS: ParallelStateFailed follows the failing branch's last event.
    assert_eq!(
        env.event("ParallelStateFailed").previous_event_id,
        env.event("FailStateEntered").id
    );
    // The aborted branch's task reporting late changes nothing.
    assert!(env.succeed(1, json!(1)).is_empty());
}

#[test]
fn task_failure_in_a_branch_aborts_a_waiting_task() {
    let mut env = TestEnv::new(parallel(
        json!([branch("T0", end_task()), branch("T1", end_task())]),
        json!({}),
    ));
    env.start(json!({}));
    let effects = env.fail(2, "Boom", "t1");
    assert_eq!(cancelled_tasks(&effects), [1]);
    assert_eq!(env.events("TaskStateAborted").len(), 1);
    assert_eq!(env.failure().0, "Boom");
}

#[test]
fn catch_of_the_whole_parallel() {
    let mut env = TestEnv::new(parallel(
        json!([
            branch("T0", end_task()),
            branch(
                "F1",
                json!({ "Type": "Fail", "Error": "Bad", "Cause": "c" })
            )
        ]),
        json!({ "Catch": [{ "ErrorEquals": ["Bad"], "ResultPath": "$.err", "Next": "Caught" }] }),
    ));
    let effects = env.start(json!({ "keep": true }));
    assert_eq!(cancelled_tasks(&effects), [1]);
    assert_eq!(
        env.types()[6..],
        [
            "TaskStateAborted",
            "ParallelStateFailed",
            "ParallelStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        env.output(),
        json!({ "keep": true, "err": { "Error": "Bad", "Cause": "c" } })
    );
}

#[test]
fn retry_of_the_whole_parallel_restarts_every_branch() {
    let mut env = TestEnv::new(parallel(
        json!([branch("T0", end_task()), branch("T1", end_task())]),
        json!({ "Retry": [{ "ErrorEquals": ["Boom"], "IntervalSeconds": 3, "MaxAttempts": 1 }] }),
    ));
    env.start(json!({}));
    let effects = env.fail(1, "Boom", "first try");
    assert_eq!(cancelled_tasks(&effects), [2]);
    let (timer, at) = timers(&effects)[0];
    assert_eq!(at, T0 + 3_000);
    let effects = env.fire(timer);
    // Both branches run again; the state is not entered anew, only started again.
    let tasks = task_ids(&effects);
    assert_eq!(tasks.len(), 2);
    assert_eq!(env.events("ParallelStateEntered").len(), 1);
    assert_eq!(env.events("ParallelStateStarted").len(), 2);
    env.succeed(tasks[0], json!(0));
    env.succeed(tasks[1], json!(1));
    assert_eq!(env.output(), json!([0, 1]));
    assert_well_formed(&env.history);
}

#[test]
fn retried_parallel_exhausted_fails_with_the_branch_error() {
    // AWS's test_parallel_state_retry: Started, FailEntered, Started, FailEntered, ..., Failed.
    let mut env = TestEnv::new(parallel(
        json!([branch(
            "Branch1",
            json!({ "Type": "Fail", "Error": "FailureType", "Cause": "Cause description" })
        )]),
        json!({ "Retry": [{ "ErrorEquals": ["FailureType"], "IntervalSeconds": 1, "MaxAttempts": 2 }] }),
    ));
    env.start(json!({}));
    env.fire(1);
    env.fire(2);
    assert_eq!(
        chain(&env.history),
        [
            (1, 0, "ExecutionStarted"),
            (2, 0, "ParallelStateEntered"),
            (3, 2, "ParallelStateStarted"),
            (4, 3, "FailStateEntered"),
            (5, 4, "ParallelStateStarted"),
            (6, 5, "FailStateEntered"),
            (7, 6, "ParallelStateStarted"),
            (8, 7, "FailStateEntered"),
            (9, 8, "ParallelStateFailed"),
            (10, 9, "ExecutionFailed")
        ]
    );
    assert_eq!(
        env.failure(),
        ("FailureType".to_owned(), "Cause description".to_owned())
    );
}

#[test]
fn nested_parallel_aborts_its_inner_branches() {
    let inner = json!({
        "Type": "Parallel",
        "Branches": [branch("Deep", end_task())],
        "End": true
    });
    let mut env = TestEnv::new(parallel(
        json!([branch("Inner", inner), branch("T1", end_task())]),
        json!({}),
    ));
    // The inner Parallel's branch starts after the outer's second branch: T1 is task 1.
    let effects = env.start(json!({}));
    let states: Vec<String> = invoked(&effects)
        .into_iter()
        .map(|r| r.state_name)
        .collect();
    assert_eq!(states, ["T1", "Deep"]);
    let effects = env.fail(1, "Boom", "");
    assert_eq!(cancelled_tasks(&effects), [2]);
    let aborted: Vec<&str> = env
        .types()
        .into_iter()
        .filter(|kind| kind.ends_with("StateAborted"))
        .collect();
    assert_eq!(aborted, ["TaskStateAborted", "ParallelStateAborted"]);
}

#[test]
fn parallel_parameters_and_result_selector() {
    let mut env = TestEnv::new(parallel(
        json!([
            branch("A", json!({ "Type": "Pass", "End": true })),
            branch("B", json!({ "Type": "Pass", "Result": "b", "End": true }))
        ]),
        json!({
            "Parameters": { "x.$": "$.x" },
            "ResultSelector": { "first.$": "$[0]", "second.$": "$[1]" },
            "ResultPath": "$.out"
        }),
    ));
    env.start(json!({ "x": 5 }));
    assert_eq!(
        env.output(),
        json!({ "x": 5, "out": { "first": { "x": 5 }, "second": "b" } })
    );
}
