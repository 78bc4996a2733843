//! The deterministic reducer that runs one execution of a state machine.
//!
//! [`Execution::apply`] takes an [`Input`] (the execution started, a task finished, a timer
//! fired, the execution was stopped), the current time and an [`asl::Entropy`], and returns the
//! history events it appended and the [`Effect`]s the caller must perform: invoke a task, start or
//! cancel a timer. It never performs an effect itself, never reads the clock and never draws
//! randomness of its own, so the same inputs always give the same history. The runtime commits
//! the events and pending effects before it performs the effects.
//!
//! Workflow failures (`States.TaskFailed`, a Fail state, `States.Timeout`) are data in the
//! history, never a Rust error.
//!
//! ```
//! use std::sync::Arc;
//! use asl::model::StateMachine;
//! use engine::{Effect, Execution, ExecutionInfo, Input, Status};
//! use serde_json::json;
//!
//! let definition = json!({"StartAt": "Work", "States": {
//!     "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}});
//! let machine = Arc::new(StateMachine::from_value(&definition).unwrap());
//! let info = ExecutionInfo {
//!     execution_arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".into(),
//!     name: "e".into(),
//!     state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
//!     state_machine_name: "m".into(),
//!     role_arn: "arn:aws:iam::123456789012:role/r".into(),
//!     region: "us-east-1".into(),
//!     start_time_ms: 0,
//! };
//! let mut entropy = asl::SeededEntropy::new(7);
//! let mut execution = Execution::new(machine, info);
//!
//! // Starting asks for the task; nothing has been performed yet.
//! let step = execution.apply(Input::Start { input: json!({"n": 1}), text: None }, 0, &mut entropy);
//! let Some(Effect::InvokeTask(task)) = step.effects.first() else { panic!("no task") };
//! assert_eq!(task.input, json!({"n": 1}));
//!
//! // The caller performed it and reports the result.
//! let output = json!({"ok": true});
//! execution.apply(Input::TaskSucceeded { task: task.id, output: output.clone() }, 5, &mut entropy);
//! assert_eq!(execution.status(), &Status::Succeeded { output });
//! ```

pub mod execution;
pub mod history;
pub mod journal;
pub mod test_state;

pub use execution::unsupported;
pub use execution::{
    ChildExecution, Effect, Execution, ExecutionInfo, Input, MAX_HISTORY_EVENTS, MapRun,
    MapRunCounts, Status, Step, TaskRequest, describe_resource,
};
pub use history::HistoryEvent;
