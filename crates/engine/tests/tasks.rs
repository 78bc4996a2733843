//! Task states: scheduling, success, failure, TaskStarted, TimeoutSeconds and heartbeats.

mod common;

use common::*;
use engine::{Effect, Input, Status};
use serde_json::{Value, json};

fn one_task(extra: serde_json::Value) -> serde_json::Value {
    let mut state = task(extra);
    state["End"] = json!(true);
    json!({ "StartAt": "Work", "States": { "Work": state } })
}

#[test]
fn single_task_succeeds() {
    let mut env = canned::single_task().run();
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        chain(&env.history)[1..5],
        [
            (2, 0, "TaskStateEntered"),
            (3, 2, "TaskScheduled"),
            (4, 3, "TaskStarted"),
            (5, 4, "TaskSucceeded")
        ]
    );
    let scheduled = env.event("TaskScheduled");
    assert_eq!(
        (
            text(scheduled, "resourceType"),
            text(scheduled, "resource"),
            text(scheduled, "region")
        ),
        (
            "lambda".to_owned(),
            "invoke".to_owned(),
            "us-east-1".to_owned()
        )
    );
    assert_eq!(env.event("TaskSucceeded").timestamp_ms, T0 + 500);
    assert_eq!(env.output(), json!({ "done": true }));
    // Nothing more happens once the execution has ended.
    assert!(env.succeed(1, json!(2)).is_empty());
    assert_eq!(env.history.len(), 7);
}

#[test]
fn task_invocation_carries_effective_input() {
    let mut env = TestEnv::new(one_task(json!({
        "InputPath": "$.in",
        "Parameters": { "x.$": "$.a", "name.$": "$$.State.Name" },
        "TimeoutSeconds": 30,
        "HeartbeatSeconds": 10
    })));
    let effects = env.start(json!({ "in": { "a": 5 } }));
    let requests = invoked(&effects);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.state_name, "Work");
    assert_eq!(request.resource, LAMBDA);
    assert_eq!(request.input, json!({ "x": 5, "name": "Work" }));
    assert_eq!(
        (request.timeout_seconds, request.heartbeat_seconds),
        (Some(30), Some(10))
    );
    // The timeout timer fires TimeoutSeconds after scheduling.
    assert_eq!(timers(&effects), [(request.id + 1, T0 + 30_000)]);
    let scheduled = env.event("TaskScheduled");
    assert_eq!(field(scheduled, "timeoutInSeconds"), Some(json!(30)));
    assert_eq!(field(scheduled, "heartbeatInSeconds"), Some(json!(10)));
    assert_eq!(
        doc(scheduled, "parameters"),
        json!({ "x": 5, "name": "Work" })
    );
}

#[test]
fn result_selector_result_path_and_output_path_shape_the_output() {
    let mut env = TestEnv::new(one_task(json!({
        "ResultSelector": { "v.$": "$.Payload.value" },
        "ResultPath": "$.result",
        "OutputPath": "$.result"
    })));
    env.start(json!({ "keep": 1 }));
    env.succeed(1, json!({ "Payload": { "value": 42 } }));
    assert_eq!(env.output(), json!({ "v": 42 }));
}

#[test]
fn task_failure_fails_execution_with_its_error() {
    let mut env = TestEnv::new(one_task(json!({})));
    env.start(json!({}));
    env.fail(1, "Boom", "it broke");
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
    let failed = env.event("TaskFailed");
    assert_eq!(
        (text(failed, "error"), text(failed, "cause")),
        ("Boom".to_owned(), "it broke".to_owned())
    );
    assert_eq!(env.failure(), ("Boom".to_owned(), "it broke".to_owned()));
    assert_eq!(env.last().previous_event_id, failed.id);
}

#[test]
fn task_failure_without_error_name_records_no_error_and_is_caught_by_task_failed() {
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "Catch": [{ "ErrorEquals": ["States.TaskFailed"], "Next": "Caught" }],
                "End": true
            })),
            "Caught": { "Type": "Pass", "End": true }
        }
    });
    let mut env = TestEnv::new(definition.clone());
    env.start(json!({}));
    env.apply(Input::TaskFailed {
        task: 1,
        error: None,
        cause: None,
    });
    let failed = env.event("TaskFailed");
    assert_eq!(
        (field(failed, "error"), field(failed, "cause")),
        (None, None)
    );
    assert_eq!(env.output(), json!({ "Error": "", "Cause": "" }));

    // Uncaught, the execution fails with neither an error nor a cause.
    let mut uncaught = TestEnv::new(one_task(json!({})));
    uncaught.start(json!({}));
    uncaught.apply(Input::TaskFailed {
        task: 1,
        error: None,
        cause: None,
    });
    assert_eq!(uncaught.failure(), (String::new(), String::new()));
    assert_eq!(field(uncaught.last(), "error"), None);
}

#[test]
fn activity_events_are_named_for_activities() {
    let mut env = TestEnv::new(json!({
        "StartAt": "Work",
        "States": { "Work": { "Type": "Task", "Resource": ACTIVITY, "End": true } }
    }));
    env.start(json!({}));
    env.apply(Input::TaskStarted {
        task: 1,
        worker_name: Some("w1".to_owned()),
    });
    env.succeed(1, json!("ok"));
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(text(env.event("ActivityStarted"), "workerName"), "w1");
}

#[test]
fn a_submitted_task_records_task_submitted_once_and_waits_on() {
    let sync = "arn:aws:states:::states:startExecution.sync";
    let mut env = TestEnv::new(json!({
        "StartAt": "Call",
        "States": { "Call": { "Type": "Task", "Resource": sync, "End": true } }
    }));
    env.start(json!({}));
    // Before its start, a task cannot be submitted.
    env.apply(Input::TaskSubmitted {
        task: 1,
        output: json!({}),
    });
    assert_eq!(env.history.len(), 3);
    env.started(1);
    let answer = json!({"ExecutionArn": "arn:child", "StartDate": 1});
    env.apply(Input::TaskSubmitted {
        task: 1,
        output: answer.clone(),
    });
    // A resumed runtime submits its open tasks again: recorded once.
    env.apply(Input::TaskSubmitted {
        task: 1,
        output: answer.clone(),
    });
    assert_eq!(doc(env.event("TaskSubmitted"), "output"), answer);
    assert_eq!(
        text(env.event("TaskSubmitted"), "resource"),
        "startExecution.sync"
    );
    assert_eq!(env.status(), &Status::Running);
    env.succeed(1, json!({"Status": "SUCCEEDED"}));
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    env.assert_replays(
        json!({
            "StartAt": "Call",
            "States": { "Call": { "Type": "Task", "Resource": sync, "End": true } }
        }),
        7,
    );
}

fn callback_task() -> Value {
    json!({
        "StartAt": "Call",
        "States": { "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": { "FunctionName": "f", "Payload": { "token.$": "$$.Task.Token" } },
            "HeartbeatSeconds": 60,
            "End": true
        } }
    })
}

fn early(report: Input) -> Input {
    Input::EarlyReport {
        report: Box::new(report),
    }
}

#[test]
fn a_report_before_the_submission_is_kept_until_task_submitted() {
    let mut env = TestEnv::new(callback_task());
    env.start(json!({}));
    env.started(1);
    // A Lambda function that calls SendTaskSuccess before its own invocation returns.
    let kept = env.apply(early(Input::TaskSucceeded {
        task: 1,
        output: json!({"done": 1}),
    }));
    assert!(kept.is_empty());
    assert!(
        env.steps.last().unwrap().changed,
        "the report must be committed"
    );
    assert!(!env.steps.last().unwrap().is_empty());
    assert!(env.execution.is_task_reported(1));
    assert_eq!(env.status(), &Status::Running);
    // A second report on the same token changes nothing.
    env.apply(early(Input::TaskFailed {
        task: 1,
        error: Some("Late".to_owned()),
        cause: None,
    }));
    assert!(env.steps.last().unwrap().is_empty());
    env.apply(Input::TaskSubmitted {
        task: 1,
        output: json!({"StatusCode": 200}),
    });
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(env.output(), json!({"done": 1}));
    assert!(!env.execution.is_task_reported(1));
    env.assert_replays(callback_task(), 7);
}

#[test]
fn a_kept_report_ends_the_task_when_the_call_fails_after_it() {
    let mut env = TestEnv::new(callback_task());
    env.start(json!({}));
    env.started(1);
    env.apply(early(Input::TaskSucceeded {
        task: 1,
        output: json!("first"),
    }));
    // The invocation itself fails afterwards: the worker's report came first and wins.
    env.fail(1, "Lambda.ServiceException", "the call failed");
    assert!(matches!(env.status(), Status::Succeeded { .. }));
    assert_eq!(env.output(), json!("first"));
    assert!(env.events("TaskFailed").is_empty());
    assert!(env.events("TaskSubmitted").is_empty());
    env.assert_replays(callback_task(), 7);
}

#[test]
fn a_report_after_the_submission_or_after_the_end_is_not_kept() {
    let mut env = TestEnv::new(callback_task());
    env.start(json!({}));
    env.started(1);
    env.apply(Input::TaskSubmitted {
        task: 1,
        output: json!({}),
    });
    // Submitted already: an early report is just the report.
    env.apply(early(Input::TaskFailed {
        task: 1,
        error: Some("Boom".to_owned()),
        cause: Some("c".to_owned()),
    }));
    assert!(matches!(env.status(), Status::Failed { .. }));
    assert_eq!(env.failure(), ("Boom".to_owned(), "c".to_owned()));
    // On a task that is closed, nothing.
    let mut env = TestEnv::new(callback_task());
    env.start(json!({}));
    env.apply(Input::Stop {
        error: None,
        cause: None,
    });
    let before = env.history.len();
    env.apply(early(Input::TaskSucceeded {
        task: 1,
        output: json!(1),
    }));
    assert_eq!(env.history.len(), before);
    assert!(env.steps.last().unwrap().is_empty());
}

#[test]
fn task_started_for_unknown_task_is_ignored() {
    let mut env = TestEnv::new(one_task(json!({})));
    env.start(json!({}));
    assert!(env.started(99).is_empty());
    assert_eq!(env.history.len(), 3);
}

#[test]
fn timeout_seconds_timer_times_the_task_out() {
    let mut env = TestEnv::new(one_task(json!({ "TimeoutSeconds": 5 })));
    let effects = env.start(json!({}));
    assert_eq!(timers(&effects), [(2, T0 + 5_000)]);
    env.started(1);
    let effects = env.fire(2);
    assert_eq!(
        cancelled_tasks(&effects),
        [1],
        "the timed-out task is no longer wanted"
    );
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskTimedOut",
            "ExecutionFailed"
        ]
    );
    assert_eq!(text(env.event("TaskTimedOut"), "error"), "States.Timeout");
    assert_eq!(env.event("TaskTimedOut").timestamp_ms, T0 + 5_000);
    assert_eq!(env.failure().0, "States.Timeout");
    // The late result is ignored.
    assert!(env.succeed(1, json!(1)).is_empty());
}

#[test]
fn task_finishing_in_time_cancels_its_timeout_timer() {
    let mut env = TestEnv::new(one_task(json!({ "TimeoutSeconds": 5 })));
    env.start(json!({}));
    let effects = env.succeed(1, json!(1));
    assert_eq!(cancelled_timers(&effects), [2]);
    // The timer firing late changes nothing.
    assert!(env.fire(2).is_empty());
    assert_eq!(env.output(), json!(1));
}

#[test]
fn timeout_seconds_path_is_read_from_the_input() {
    let mut env = TestEnv::new(one_task(json!({ "TimeoutSecondsPath": "$.t" })));
    let effects = env.start(json!({ "t": 7 }));
    assert_eq!(invoked(&effects)[0].timeout_seconds, Some(7));
    assert_eq!(timers(&effects), [(2, T0 + 7_000)]);
}

#[test]
fn task_timeout_is_not_task_failed() {
    // AWS: States.TaskFailed matches every error except States.Timeout.
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "TimeoutSeconds": 1,
                "Catch": [
                    { "ErrorEquals": ["States.TaskFailed"], "Next": "Failed" },
                    { "ErrorEquals": ["States.Timeout"], "Next": "TimedOut" }
                ],
                "End": true
            })),
            "Failed": { "Type": "Pass", "Result": "failed", "End": true },
            "TimedOut": { "Type": "Pass", "Result": "timed out", "End": true }
        }
    });
    let mut env = TestEnv::new(definition);
    env.start(json!({}));
    env.fire(2);
    assert_eq!(env.output(), json!("timed out"));
}

fn heartbeat_machine(error_equals: &str) -> serde_json::Value {
    json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "HeartbeatSeconds": 5,
                "Retry": [{ "ErrorEquals": [error_equals], "IntervalSeconds": 2, "MaxAttempts": 1 }],
                "End": true
            }))
        }
    })
}

#[test]
fn heartbeat_timeout_is_recorded_as_states_timeout_and_retried_as_heartbeat_timeout() {
    let mut env = TestEnv::new(heartbeat_machine("States.HeartbeatTimeout"));
    env.start(json!({}));
    let effects = env.apply(Input::TaskHeartbeatTimedOut { task: 1 });
    assert_eq!(cancelled_tasks(&effects), [1]);
    assert_eq!(
        timers(&effects),
        [(2, T0 + 2_000)],
        "the retry waits IntervalSeconds"
    );
    assert_eq!(text(env.event("TaskTimedOut"), "error"), "States.Timeout");
    let effects = env.fire(2);
    assert_eq!(task_ids(&effects), [3]);
    env.succeed(3, json!("second time"));
    assert_eq!(env.output(), json!("second time"));
}

/// AWS: a retrier or catcher on `States.Timeout` also handles heartbeat timeouts; the
/// narrower `States.HeartbeatTimeout` was added later for those alone.
#[test]
fn regression_heartbeat_timeout_matches_states_timeout() {
    let mut env = TestEnv::new(heartbeat_machine("States.Timeout"));
    env.start(json!({}));
    let effects = env.apply(Input::TaskHeartbeatTimedOut { task: 1 });
    assert_eq!(
        timers(&effects),
        [(2, T0 + 2_000)],
        "States.Timeout retries a heartbeat timeout"
    );
}

/// A heartbeat timeout is a timeout, so `States.TaskFailed` does not match it.
#[test]
fn regression_heartbeat_timeout_is_not_task_failed() {
    let mut env = TestEnv::new(heartbeat_machine("States.TaskFailed"));
    env.start(json!({}));
    let effects = env.apply(Input::TaskHeartbeatTimedOut { task: 1 });
    assert!(timers(&effects).is_empty(), "no retry: {effects:?}");
    assert_eq!(env.status().as_str(), "FAILED");
}

/// `States.HeartbeatTimeout` is only a name to match on: an execution that a missed heartbeat
/// ends fails with `States.Timeout`, as AWS records it.
#[test]
fn regression_uncaught_heartbeat_timeout_fails_with_states_timeout() {
    let mut env = TestEnv::new(heartbeat_machine("SomethingElse"));
    env.start(json!({}));
    env.apply(Input::TaskHeartbeatTimedOut { task: 1 });
    assert_eq!(
        env.status(),
        &engine::Status::Failed {
            error: Some("States.Timeout".to_owned()),
            cause: None
        }
    );
}

/// AWS records an oversized task result as a `TaskFailed` with `States.DataLimitExceeded`
/// (never a `TaskSucceeded`), and `States.ALL` catches it
/// (`test_service_task_lambada_catch_state_all_data_limit_exceeded_on_large_utf8_response`).
#[test]
fn regression_oversized_task_result_is_a_catchable_task_failure() {
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": task(json!({
                "Catch": [{ "ErrorEquals": ["States.ALL"], "Next": "Handle" }],
                "Next": "Done"
            })),
            "Done": { "Type": "Pass", "End": true },
            "Handle": { "Type": "Pass", "End": true }
        }
    });
    let mut env = TestEnv::new(definition);
    env.start(json!({}));
    env.started(1);
    env.succeed(1, json!("x".repeat(300_000)));
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let failed = env.event("TaskFailed");
    assert_eq!(text(failed, "error"), "States.DataLimitExceeded");
    assert_eq!(
        text(failed, "cause"),
        "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit."
    );
    assert_eq!(env.output()["Error"], json!("States.DataLimitExceeded"));
}

#[test]
fn duplicate_task_result_is_ignored() {
    let definition = json!({
        "StartAt": "A",
        "States": {
            "A": task(json!({ "Next": "B" })),
            "B": task(json!({ "End": true }))
        }
    });
    let mut env = TestEnv::new(definition);
    env.start(json!({}));
    let effects = env.succeed(1, json!("a"));
    assert_eq!(task_ids(&effects), [2]);
    let before = env.history.len();
    for input in [
        Input::TaskSucceeded {
            task: 1,
            output: json!("again"),
        },
        Input::TaskFailed {
            task: 1,
            error: Some("Late".to_owned()),
            cause: None,
        },
        Input::TaskHeartbeatTimedOut { task: 1 },
        Input::TaskSucceeded {
            task: 77,
            output: json!("unknown"),
        },
        Input::TimerFired { timer: 55 },
    ] {
        assert!(env.apply(input).is_empty());
    }
    assert_eq!(env.history.len(), before);
    env.succeed(2, json!("b"));
    assert_eq!(env.output(), json!("b"));
    assert!(
        !env.effects
            .iter()
            .any(|effect| matches!(effect, Effect::CancelTask { .. }))
    );
}
