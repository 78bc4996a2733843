//! One test per reducer bug, named after the bug, with the smallest definition that showed it.

use std::sync::Arc;

use asl::model::StateMachine;
use engine::{Execution, ExecutionInfo, Input, MAX_HISTORY_EVENTS, Status};
use serde_json::json;

fn info() -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".to_owned(),
        name: "e".to_owned(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".to_owned(),
        state_machine_name: "m".to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        region: "us-east-1".to_owned(),
        start_time_ms: 0,
    }
}

/// A Pass/Choice loop that never blocks (the Choice's Default goes back to the Pass) validates
/// clean, and used to spin inside one `apply` forever, growing the history without bound. It now
/// fails the execution when the history reaches AWS's 25,000-event limit.
#[test]
fn choice_loop_that_never_blocks_hung_apply() {
    let definition = json!({
        "StartAt": "Again",
        "States": {
            "Again": { "Type": "Pass", "Next": "Done?" },
            "Done?": {
                "Type": "Choice",
                "Choices": [{ "Variable": "$.done", "IsPresent": true, "Next": "End" }],
                "Default": "Again"
            },
            "End": { "Type": "Succeed" }
        }
    });
    let text = definition.to_string();
    assert!(
        asl::validate::validate(&text, &asl::validate::Options::default()).is_empty(),
        "the definition is valid"
    );
    let machine = Arc::new(StateMachine::from_value(&definition).unwrap());
    let mut execution = Execution::new(machine, info());
    let step = execution.apply(
        Input::Start {
            input: json!({}),
            text: None,
        },
        0,
        &mut asl::SeededEntropy::new(7),
    );
    assert_eq!(step.events.len() as u64, MAX_HISTORY_EVENTS);
    let last = step.events.last().unwrap();
    assert_eq!(last.event_type, "ExecutionFailed");
    assert_eq!(last.id, MAX_HISTORY_EVENTS);
    assert!(matches!(
        execution.status(),
        Status::Failed { error: Some(error), .. } if error == "States.Runtime"
    ));
}

/// A state's output over 256 KiB fails the state with `States.DataLimitExceeded`, as task results
/// do, instead of flowing on.
#[test]
fn an_oversized_state_output_is_a_data_limit_failure() {
    let definition = serde_json::json!({
        "StartAt": "Big",
        "States": {
            "Big": {"Type": "Pass", "Result": "x".repeat(300_000), "End": true}
        }
    });
    let machine = std::sync::Arc::new(asl::model::StateMachine::from_value(&definition).unwrap());
    let info = engine::ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".into(),
        name: "e".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
        state_machine_name: "m".into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        region: "us-east-1".into(),
        start_time_ms: 0,
    };
    let mut execution = engine::Execution::new(machine, info);
    let mut entropy = asl::SeededEntropy::new(1);
    execution.apply(
        engine::Input::Start {
            input: serde_json::json!({}),
            text: None,
        },
        0,
        &mut entropy,
    );
    match execution.status() {
        engine::Status::Failed { error, cause } => {
            assert_eq!(error.as_deref(), Some("States.DataLimitExceeded"));
            assert!(cause.as_deref().unwrap_or_default().contains("'Big'"));
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
