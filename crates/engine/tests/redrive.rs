//! RedriveExecution (issue 9): a failed, timed-out or aborted execution goes on from the state it
//! ended in; within a Parallel or Map state only what did not succeed runs again.

mod common;

use common::*;
use engine::{Input, Status};
use serde_json::{Value, json};

const TASK: &str = "arn:aws:states:::lambda:invoke";

fn redrive(env: &mut TestEnv) -> Vec<engine::Effect> {
    env.apply(Input::Redrive)
}

#[test]
fn a_failed_task_runs_again_with_its_input_and_the_execution_can_succeed() {
    let definition = json!({
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Result": {"n": 1}, "Next": "Call"},
            "Call": {"Type": "Task", "Resource": TASK,
                     "Parameters": {"n.$": "$.n", "count.$": "$$.Execution.RedriveCount"},
                     "End": true}
        }
    });
    let mut env = TestEnv::new(definition.clone());
    env.start(json!({}));
    env.fail(1, "Boom", "first try");
    assert!(matches!(env.status(), Status::Failed { .. }));
    let before = env.history.len();

    let effects = redrive(&mut env);
    assert_eq!(env.status(), &Status::Running);
    let again = invoked(&effects);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].input, json!({"n": 1, "count": 1}));
    assert_eq!(
        types(&env.history[before..]),
        ["ExecutionRedriven", "TaskStateEntered", "TaskScheduled"]
    );
    assert_eq!(
        doc_field(env.event("ExecutionRedriven"), "redriveCount"),
        json!(1)
    );
    // Prepare is not run again.
    assert_eq!(env.events("PassStateEntered").len(), 1);

    env.succeed(again[0].id, json!({"ok": true}));
    assert_eq!(env.output(), json!({"ok": true}));
    env.assert_replays(definition, 7);
}

fn doc_field(event: &engine::HistoryEvent, name: &str) -> Value {
    field(event, name).unwrap_or(Value::Null)
}

#[test]
fn only_the_failed_branch_of_a_parallel_runs_again() {
    let definition = json!({
        "StartAt": "Both",
        "States": {
            "Both": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "Good", "States": {"Good": {"Type": "Task", "Resource": TASK, "End": true}}},
                {"StartAt": "Bad", "States": {"Bad": {"Type": "Task", "Resource": TASK, "End": true}}}
            ]}
        }
    });
    let mut env = TestEnv::new(definition.clone());
    let effects = env.start(json!({"x": 1}));
    let tasks = invoked(&effects);
    assert_eq!(tasks.len(), 2);
    env.succeed(tasks[0].id, json!("good"));
    env.fail(tasks[1].id, "Boom", "bad branch");
    assert!(matches!(env.status(), Status::Failed { .. }));

    let effects = redrive(&mut env);
    let again = invoked(&effects);
    assert_eq!(again.len(), 1, "only the failed branch: {again:?}");
    assert_eq!(again[0].state_name, "Bad");
    assert_eq!(again[0].input, json!({"x": 1}));
    env.succeed(again[0].id, json!("fixed"));
    assert_eq!(env.output(), json!(["good", "fixed"]));
    env.assert_replays(definition, 7);
}

#[test]
fn only_the_failed_iterations_of_a_map_run_again() {
    let definition = json!({
        "StartAt": "Each",
        "States": {
            "Each": {"Type": "Map", "End": true, "ItemsPath": "$.items",
                     "ItemProcessor": {"StartAt": "Work", "States": {
                         "Work": {"Type": "Task", "Resource": TASK, "End": true}}}}
        }
    });
    let mut env = TestEnv::new(definition.clone());
    let effects = env.start(json!({"items": [1, 2, 3]}));
    let tasks = invoked(&effects);
    assert_eq!(tasks.len(), 3);
    env.succeed(tasks[0].id, json!(10));
    env.fail(tasks[1].id, "Boom", "item 2");
    assert!(matches!(env.status(), Status::Failed { .. }));

    let effects = redrive(&mut env);
    let mut again: Vec<Value> = invoked(&effects).iter().map(|t| t.input.clone()).collect();
    again.sort_by_key(|value| value.as_i64());
    // The failed iteration and the one aborted with it; not the one that succeeded.
    assert_eq!(again, [json!(2), json!(3)]);
    for task in invoked(&effects) {
        env.succeed(task.id, json!(task.input.as_i64().unwrap() * 10));
    }
    assert_eq!(env.output(), json!([10, 20, 30]));
    assert_eq!(env.events("MapIterationSucceeded").len(), 3);
    env.assert_replays(definition, 7);
}

#[test]
fn an_aborted_execution_goes_on_from_its_wait() {
    let definition = json!({
        "StartAt": "Pause",
        "States": {"Pause": {"Type": "Wait", "Seconds": 5, "Next": "Done"},
                   "Done": {"Type": "Succeed"}}
    });
    let mut env = TestEnv::new(definition.clone());
    env.start(json!({"k": "v"}));
    env.apply(Input::Stop {
        error: Some("Halt".to_owned()),
        cause: None,
    });
    assert!(matches!(env.status(), Status::Aborted { .. }));
    let effects = redrive(&mut env);
    let timers = timers(&effects);
    assert_eq!(timers.len(), 1);
    env.fire(timers[0].0);
    assert_eq!(env.output(), json!({"k": "v"}));
    assert_eq!(env.events("WaitStateEntered").len(), 2);
    env.assert_replays(definition, 7);
}

#[test]
fn running_or_succeeded_executions_are_not_redriven() {
    let mut env = TestEnv::new(json!({
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": TASK, "End": true}}
    }));
    env.start(json!({}));
    assert!(redrive(&mut env).is_empty());
    let events = env.history.len();
    env.succeed(1, json!(1));
    assert!(redrive(&mut env).is_empty());
    assert_eq!(env.history.len(), events + 3);
    assert_eq!(env.execution.redrive_count(), 0);
}

#[test]
fn a_parallel_that_failed_and_was_caught_leaves_nothing_for_a_later_map() {
    let definition = json!({
        "StartAt": "Both",
        "States": {
            "Both": {"Type": "Parallel", "Next": "Call", "ResultPath": null,
                     "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": null, "Next": "Call"}],
                     "Branches": [
                {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": TASK, "End": true}}}
            ]},
            "Call": {"Type": "Task", "Resource": TASK, "ResultPath": null, "Next": "Each"},
            "Each": {"Type": "Map", "End": true, "ItemsPath": "$.items",
                     "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}
        }
    });
    let mut env = TestEnv::new(definition.clone());
    let effects = env.start(json!({"items": [7, 8]}));
    env.fail(invoked(&effects)[0].id, "Boom", "caught");
    let call = invoked(&env.effects).last().unwrap().clone();
    assert_eq!(call.state_name, "Call");
    env.fail(call.id, "Boom", "not caught");
    let effects = redrive(&mut env);
    let again = invoked(&effects);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].state_name, "Call");
    env.succeed(again[0].id, json!({}));
    assert_eq!(env.output(), json!([7, 8]));
    env.assert_replays(definition, 7);
}

#[test]
fn revived_iterations_keep_to_max_concurrency() {
    let definition = json!({
        "StartAt": "Each",
        "States": {
            "Each": {"Type": "Map", "End": true, "ItemsPath": "$.items", "MaxConcurrency": 2,
                     "ToleratedFailureCount": 3,
                     "ItemProcessor": {"StartAt": "Work", "States": {
                         "Work": {"Type": "Task", "Resource": TASK, "End": true}}}}
        }
    });
    let mut env = TestEnv::new(definition.clone());
    env.start(json!({"items": [1, 2, 3, 4]}));
    // Four iterations, two at a time; all fail but within tolerance... except the threshold
    // counts three: the fourth failure fails the Map.
    for _ in 0..4 {
        let open: Vec<u64> = invoked(&env.effects)
            .iter()
            .map(|task| task.id)
            .filter(|id| env.execution.is_task_open(*id))
            .collect();
        let Some(id) = open.first() else { break };
        env.fail(*id, "Boom", "each");
    }
    assert!(
        matches!(env.status(), Status::Failed { .. }),
        "{:?}",
        env.status()
    );
    let effects = redrive(&mut env);
    assert_eq!(
        invoked(&effects).len(),
        2,
        "two at a time, as MaxConcurrency says"
    );
    env.assert_replays(definition, 7);
}
