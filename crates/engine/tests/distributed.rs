//! Distributed Map without S3 (issue 9): items from the input, child executions whose events
//! stay out of the parent's history, map-run events, ItemBatcher and tolerated failures.

mod common;

use common::*;
use engine::Status;
use serde_json::json;

const TASK: &str = "arn:aws:states:::lambda:invoke";

fn distributed(extra: serde_json::Value) -> serde_json::Value {
    let mut map = json!({
        "Type": "Map", "End": true, "ItemsPath": "$.items",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {
                              "Work": {"Type": "Task", "Resource": TASK, "End": true}}}
    });
    map.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!({"StartAt": "Each", "States": {"Each": map}})
}

#[test]
fn child_executions_run_their_tasks_outside_the_parents_history() {
    let definition = distributed(json!({}));
    let mut env = TestEnv::new(definition.clone());
    let effects = env.start(json!({"items": [1, 2]}));
    let tasks = invoked(&effects);
    assert_eq!(tasks.len(), 2);
    for task in &tasks {
        env.succeed(task.id, json!(task.input.as_i64().unwrap() * 2));
    }
    assert_eq!(env.output(), json!([2, 4]));
    assert_eq!(
        env.types(),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
    let run_started = env.event("MapRunStarted");
    let arn = text(run_started, "mapRunArn");
    assert!(arn.contains(":mapRun:"), "{arn}");
    assert!(
        arn.contains("/Each:"),
        "the label defaults to the state's name: {arn}"
    );
    assert_eq!(
        env.event("MapStateExited").previous_event_id,
        run_started.id
    );
    assert_eq!(
        env.event("MapRunSucceeded").previous_event_id,
        run_started.id
    );
    env.assert_replays(definition, 7);
}

#[test]
fn item_batcher_groups_items_into_child_inputs() {
    let definition = distributed(json!({
        "Label": "Batches",
        "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"source.$": "$.source"}}
    }));
    let mut env = TestEnv::new(definition);
    let effects = env.start(json!({"items": [1, 2, 3, 4, 5], "source": "s"}));
    let inputs: Vec<_> = invoked(&effects).iter().map(|t| t.input.clone()).collect();
    assert_eq!(
        inputs,
        [
            json!({"BatchInput": {"source": "s"}, "Items": [1, 2]}),
            json!({"BatchInput": {"source": "s"}, "Items": [3, 4]}),
            json!({"BatchInput": {"source": "s"}, "Items": [5]})
        ]
    );
    assert!(text(env.event("MapRunStarted"), "mapRunArn").contains("/Batches:"));
}

#[test]
fn a_failed_child_fails_the_map_run_unless_tolerated() {
    let mut env = TestEnv::new(distributed(json!({})));
    let effects = env.start(json!({"items": [1, 2]}));
    env.fail(invoked(&effects)[0].id, "Boom", "one child");
    assert!(matches!(env.status(), Status::Failed { .. }));
    assert_eq!(
        env.failure().0,
        "States.ExceedToleratedFailureThreshold",
        "a map run tolerates no failure by default"
    );
    assert_eq!(
        text(env.event("MapRunFailed"), "error"),
        "States.ExceedToleratedFailureThreshold"
    );
    assert!(env.types().contains(&"MapStateFailed"));
    assert!(!env.types().contains(&"MapIterationFailed"));

    let mut tolerant = TestEnv::new(distributed(json!({"ToleratedFailureCount": 1})));
    let effects = tolerant.start(json!({"items": [1, 2]}));
    let tasks = invoked(&effects);
    tolerant.fail(tasks[0].id, "Boom", "tolerated");
    tolerant.succeed(tasks[1].id, json!("ok"));
    assert_eq!(tolerant.output(), json!([null, "ok"]));
}

#[test]
fn item_readers_and_result_writers_need_s3() {
    let mut env = TestEnv::new(distributed(json!({
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "Parameters": {"Bucket": "b", "Key": "k"}}
    })));
    env.start(json!({"items": []}));
    let (error, cause) = env.failure();
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("S3"), "{cause}");
}

#[test]
fn map_runs_count_their_children_and_take_new_limits() {
    let definition = distributed(json!({"MaxConcurrency": 1}));
    let mut env = TestEnv::new(definition.clone());
    let effects = env.start(json!({"items": [1, 2, 3]}));
    assert_eq!(invoked(&effects).len(), 1, "one at a time");
    let runs = env.execution.map_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "RUNNING");
    assert_eq!(runs[0].max_concurrency, 1);
    assert_eq!(
        (
            runs[0].counts.pending,
            runs[0].counts.running,
            runs[0].counts.total
        ),
        (2, 1, 3)
    );
    let effects = env.apply(engine::Input::UpdateMapRun {
        map_run_arn: runs[0].arn.clone(),
        max_concurrency: Some(0),
        tolerated_failure_count: Some(1),
        tolerated_failure_percentage: None,
    });
    assert_eq!(
        invoked(&effects).len(),
        2,
        "no limit now: the other two start"
    );
    let run = &env.execution.map_runs()[0];
    assert_eq!((run.max_concurrency, run.tolerated_failure_count), (0, 1));
    assert_eq!(run.counts.running, 3);
    let tasks = invoked(&env.effects);
    env.fail(tasks[0].id, "Boom", "tolerated");
    env.succeed(tasks[1].id, json!(2));
    env.succeed(tasks[2].id, json!(3));
    let run = &env.execution.map_runs()[0];
    assert_eq!(run.status, "SUCCEEDED");
    assert!(run.stop_ms.is_some());
    assert_eq!(
        (run.counts.succeeded, run.counts.failed, run.counts.total),
        (2, 1, 3)
    );
    env.assert_replays(definition, 7);
}

#[test]
fn a_redriven_map_run_goes_on_under_its_arn() {
    let mut env = TestEnv::new(distributed(json!({})));
    let effects = env.start(json!({"items": [1, 2]}));
    let tasks = invoked(&effects);
    env.succeed(tasks[0].id, json!("a"));
    env.fail(tasks[1].id, "Boom", "b");
    let arn = env.execution.map_runs()[0].arn.clone();
    assert_eq!(env.execution.map_runs()[0].status, "FAILED");
    let effects = env.apply(engine::Input::Redrive);
    let again = invoked(&effects);
    assert_eq!(again.len(), 1);
    assert_eq!(text(env.event("MapRunRedriven"), "mapRunArn"), arn);
    env.succeed(again[0].id, json!("b"));
    assert_eq!(env.output(), json!(["a", "b"]));
    let runs = env.execution.map_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].status, runs[0].redrive_count), ("SUCCEEDED", 1));
}

#[test]
fn an_update_of_limits_alone_is_a_change_to_journal() {
    let definition = distributed(json!({"MaxConcurrency": 1}));
    let mut env = TestEnv::new(definition.clone());
    env.start(json!({"items": [1, 2]}));
    let arn = env.execution.map_runs()[0].arn.clone();
    let effects = env.apply(engine::Input::UpdateMapRun {
        map_run_arn: arn,
        max_concurrency: None,
        tolerated_failure_count: Some(5),
        tolerated_failure_percentage: None,
    });
    assert!(effects.is_empty());
    assert!(
        !env.steps.last().unwrap().is_empty(),
        "the step must be journaled"
    );
    let tasks = invoked(&env.effects);
    env.fail(tasks[0].id, "Boom", "tolerated now");
    assert_eq!(env.execution.map_runs()[0].status, "RUNNING");
    env.assert_replays(definition, 7);
}

#[test]
fn a_jsonata_distributed_map_batches_too() {
    let mut env = TestEnv::new(
        json!({"QueryLanguage": "JSONata", "StartAt": "Each", "States": {"Each": {
        "Type": "Map", "Items": "{% $states.input.items %}", "End": true,
        "ItemBatcher": {"MaxItemsPerBatch": 2},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {
                              "Work": {"Type": "Task", "Resource": TASK, "End": true}}}}}}),
    );
    let effects = env.start(json!({"items": [1, 2, 3]}));
    let inputs: Vec<_> = invoked(&effects).iter().map(|t| t.input.clone()).collect();
    assert_eq!(inputs, [json!({"Items": [1, 2]}), json!({"Items": [3]})]);
    let run = &env.execution.map_runs()[0];
    assert_eq!((run.counts.total, run.item_counts.total), (2, 3));
}

#[test]
fn each_child_execution_keeps_its_own_history() {
    let definition = distributed(json!({}));
    let mut env = TestEnv::new(definition.clone());
    let effects = env.start(json!({"items": [1, 2]}));
    let tasks = invoked(&effects);
    env.succeed(tasks[0].id, json!("one"));
    env.fail(tasks[1].id, "Boom", "two");
    let children = env.execution.child_executions();
    assert_eq!(children.len(), 2);
    let run = &env.execution.map_runs()[0];
    for child in children {
        assert_eq!(child.map_run_arn, run.arn);
        assert!(child.arn.contains(":execution:"), "{}", child.arn);
        assert!(child.arn.contains("/Each:"), "{}", child.arn);
        assert!(child.state_machine_arn.ends_with("/Each"));
    }
    let types = |child: &engine::ChildExecution| -> Vec<&str> {
        child.events.iter().map(|event| event.event_type).collect()
    };
    assert_eq!(
        types(&children[0]),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(children[0].status, "SUCCEEDED");
    assert_eq!(children[0].output.as_deref(), Some("\"one\""));
    assert_eq!(children[0].input, "1");
    assert_eq!(types(&children[1]).last(), Some(&"ExecutionFailed"));
    assert_eq!(children[1].status, "FAILED");
    assert_eq!(children[1].error.as_deref(), Some("Boom"));
    // Ids and links run within each child's history.
    for (index, event) in children[0].events.iter().enumerate() {
        assert_eq!(event.id, index as u64 + 1);
        assert_eq!(event.previous_event_id, index as u64);
    }
    // Redriven, the failed child goes on in the same history.
    let effects = env.apply(engine::Input::Redrive);
    env.succeed(invoked(&effects)[0].id, json!("two"));
    let child = &env.execution.child_executions()[1];
    assert_eq!(child.status, "SUCCEEDED");
    assert!(types(child).contains(&"ExecutionRedriven"));
    env.assert_replays(definition, 7);
}
