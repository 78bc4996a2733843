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

pub mod execution;
pub mod history;

pub use execution::{
    Effect, Execution, ExecutionInfo, Input, Status, Step, TaskRequest, describe_resource,
};
pub use history::HistoryEvent;
