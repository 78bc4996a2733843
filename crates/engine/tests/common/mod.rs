//! Shared test harness for the engine's integration tests: a [`TestEnv`] that drives one
//! [`Execution`] and records what it produced, a [`History`] builder for scripted input
//! sequences, named canned histories, and small matchers over events and effects.
//!
//! Each test binary uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)] // Every test file includes this module but uses only some of its helpers.

use std::sync::Arc;

use asl::SeededEntropy;
use asl::model::StateMachine;
use engine::{Effect, Execution, ExecutionInfo, HistoryEvent, Input, Status, Step, TaskRequest};
use serde_json::{Value, json};

/// The time every test execution starts at: 2024-01-01T00:00:00Z.
pub const T0: i64 = 1_704_067_200_000;

/// The execution identity every test uses.
pub fn info() -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:111111111111:execution:machine:run".to_owned(),
        name: "run".to_owned(),
        state_machine_arn: "arn:aws:states:us-east-1:111111111111:stateMachine:machine".to_owned(),
        state_machine_name: "machine".to_owned(),
        role_arn: "arn:aws:iam::111111111111:role/sfn".to_owned(),
        region: "us-east-1".to_owned(),
        start_time_ms: T0,
    }
}

/// Builds the model of a definition, panicking with the model's message if it is invalid.
pub fn machine(definition: Value) -> Arc<StateMachine> {
    Arc::new(StateMachine::from_value(&definition).expect("test definition is valid"))
}

/// The service-integration resource most tests use (`TaskScheduled`/`TaskSucceeded` events).
pub const LAMBDA: &str = "arn:aws:states:::lambda:invoke";

/// An activity resource (`Activity*` events).
pub const ACTIVITY: &str = "arn:aws:states:us-east-1:111111111111:activity:work";

/// One execution under test, with everything it has produced so far.
pub struct TestEnv {
    pub execution: Execution,
    pub now: i64,
    pub entropy: SeededEntropy,
    /// Every event so far, in order.
    pub history: Vec<HistoryEvent>,
    /// Every effect so far, in order.
    pub effects: Vec<Effect>,
    /// Every input applied, with its time, for replays.
    pub inputs: Vec<(Input, i64)>,
    /// Every step, for replays.
    pub steps: Vec<Step>,
}

impl TestEnv {
    /// A fresh execution of `definition`, at [`T0`], with entropy seeded by 7.
    pub fn new(definition: Value) -> TestEnv {
        TestEnv::with_seed(definition, 7)
    }

    /// A fresh execution whose entropy starts from `seed`.
    pub fn with_seed(definition: Value, seed: u64) -> TestEnv {
        TestEnv {
            execution: Execution::new(machine(definition), info()),
            now: T0,
            entropy: SeededEntropy::new(seed),
            history: Vec::new(),
            effects: Vec::new(),
            inputs: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// Applies one input at the current time and returns its effects.
    pub fn apply(&mut self, input: Input) -> Vec<Effect> {
        self.inputs.push((input.clone(), self.now));
        let step = self.execution.apply(input, self.now, &mut self.entropy);
        self.history.extend(step.events.iter().cloned());
        self.effects.extend(step.effects.iter().cloned());
        let effects = step.effects.clone();
        self.steps.push(step);
        effects
    }

    /// Starts the execution with `input`.
    pub fn start(&mut self, input: Value) -> Vec<Effect> {
        self.apply(Input::Start { input, text: None })
    }

    /// Moves the clock to `at` (epoch ms).
    pub fn at(&mut self, at: i64) -> &mut TestEnv {
        self.now = at;
        self
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&mut self, ms: i64) -> &mut TestEnv {
        self.now += ms;
        self
    }

    pub fn succeed(&mut self, task: u64, output: Value) -> Vec<Effect> {
        self.apply(Input::TaskSucceeded { task, output })
    }

    pub fn fail(&mut self, task: u64, error: &str, cause: &str) -> Vec<Effect> {
        self.apply(Input::TaskFailed {
            task,
            error: Some(error.to_owned()),
            cause: Some(cause.to_owned()),
        })
    }

    pub fn started(&mut self, task: u64) -> Vec<Effect> {
        self.apply(Input::TaskStarted {
            task,
            worker_name: None,
        })
    }

    /// Moves the clock to the timer's fire time and fires it.
    pub fn fire(&mut self, timer: u64) -> Vec<Effect> {
        if let Some(at) = self.timer_at(timer) {
            self.now = self.now.max(at);
        }
        self.apply(Input::TimerFired { timer })
    }

    /// When `timer` was asked to fire.
    pub fn timer_at(&self, timer: u64) -> Option<i64> {
        self.effects.iter().find_map(|effect| match effect {
            Effect::StartTimer { id, fire_at_ms } if *id == timer => Some(*fire_at_ms),
            _ => None,
        })
    }

    pub fn status(&self) -> &Status {
        self.execution.status()
    }

    /// The event types of the whole history.
    pub fn types(&self) -> Vec<&str> {
        types(&self.history)
    }

    /// The last event.
    pub fn last(&self) -> &HistoryEvent {
        self.history.last().expect("history is not empty")
    }

    /// The first event of this type.
    pub fn event(&self, event_type: &str) -> &HistoryEvent {
        self.history
            .iter()
            .find(|event| event.event_type == event_type)
            .unwrap_or_else(|| panic!("no {event_type} in {:?}", self.types()))
    }

    /// Every event of this type.
    pub fn events(&self, event_type: &str) -> Vec<&HistoryEvent> {
        self.history
            .iter()
            .filter(|event| event.event_type == event_type)
            .collect()
    }

    /// The tasks invoked so far, in order.
    pub fn invoked(&self) -> Vec<TaskRequest> {
        invoked(&self.effects)
    }

    /// The output of a succeeded execution.
    pub fn output(&self) -> Value {
        match self.status() {
            Status::Succeeded { output } => output.clone(),
            other => panic!(
                "execution did not succeed: {other:?}, history {:?}",
                self.types()
            ),
        }
    }

    /// The error and cause of a failed execution.
    pub fn failure(&self) -> (String, String) {
        match self.status() {
            Status::Failed { error, cause } => (
                error.clone().unwrap_or_default(),
                cause.clone().unwrap_or_default(),
            ),
            other => panic!(
                "execution did not fail: {other:?}, history {:?}",
                self.types()
            ),
        }
    }

    /// Replays every input applied so far into a fresh execution and requires the very same
    /// steps and status.
    pub fn assert_replays(&self, definition: Value, seed: u64) {
        let mut replay = TestEnv::with_seed(definition, seed);
        for (input, at) in &self.inputs {
            replay.now = *at;
            replay.apply(input.clone());
        }
        assert_eq!(replay.steps, self.steps, "replay produced different steps");
        assert_eq!(replay.status(), self.status());
        assert_eq!(replay.execution.map_runs(), self.execution.map_runs());
        assert_eq!(
            replay.execution.child_executions(),
            self.execution.child_executions()
        );
    }
}

/// The event types of `events`.
pub fn types(events: &[HistoryEvent]) -> Vec<&str> {
    events.iter().map(|event| event.event_type).collect()
}

/// One detail field of an event, e.g. `field(event, "error")`.
pub fn field(event: &HistoryEvent, name: &str) -> Option<Value> {
    event
        .details_json()
        .and_then(|details| details.get(name).cloned())
}

/// One detail field as a string.
pub fn text(event: &HistoryEvent, name: &str) -> String {
    field(event, name)
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("{} has no string field {name}: {event:?}", event.event_type))
}

/// A JSON document stored as text in an event (`input`, `output`), parsed.
pub fn doc(event: &HistoryEvent, name: &str) -> Value {
    serde_json::from_str(&text(event, name)).expect("event payload is JSON")
}

/// The tasks `effects` invoke.
pub fn invoked(effects: &[Effect]) -> Vec<TaskRequest> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::InvokeTask(request) => Some(request.clone()),
            _ => None,
        })
        .collect()
}

/// The ids of the tasks `effects` invoke.
pub fn task_ids(effects: &[Effect]) -> Vec<u64> {
    invoked(effects).iter().map(|request| request.id).collect()
}

/// The `(id, fire_at_ms)` of the timers `effects` start.
pub fn timers(effects: &[Effect]) -> Vec<(u64, i64)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::StartTimer { id, fire_at_ms } => Some((*id, *fire_at_ms)),
            _ => None,
        })
        .collect()
}

/// The ids of the tasks `effects` cancel.
pub fn cancelled_tasks(effects: &[Effect]) -> Vec<u64> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::CancelTask { id } => Some(*id),
            _ => None,
        })
        .collect()
}

/// The ids of the timers `effects` cancel.
pub fn cancelled_timers(effects: &[Effect]) -> Vec<u64> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::CancelTimer { id } => Some(*id),
            _ => None,
        })
        .collect()
}

/// Requires ids 1, 2, 3, ... with every `previousEventId` pointing to an earlier event.
pub fn assert_well_formed(events: &[HistoryEvent]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event.id,
            index as u64 + 1,
            "ids run 1, 2, 3, ...: {event:?}"
        );
        assert!(
            event.previous_event_id < event.id,
            "previousEventId {} must precede id {} ({})",
            event.previous_event_id,
            event.id,
            event.event_type
        );
    }
}

/// `(id, previousEventId, type)` for compact chain assertions.
pub fn chain(events: &[HistoryEvent]) -> Vec<(u64, u64, &str)> {
    events
        .iter()
        .map(|event| (event.id, event.previous_event_id, event.event_type))
        .collect()
}

/// A Task state definition fragment.
pub fn task(extra: Value) -> Value {
    let mut state = json!({ "Type": "Task", "Resource": LAMBDA });
    if let (Some(state), Value::Object(extra)) = (state.as_object_mut(), extra) {
        state.extend(extra);
    }
    state
}

/// A script of timed inputs: the start input and what happens after it.
#[derive(Clone)]
pub struct History {
    pub definition: Value,
    pub inputs: Vec<(Input, i64)>,
    now: i64,
}

impl History {
    /// A history of `definition`, started with `input` at [`T0`].
    pub fn new(definition: Value, input: Value) -> History {
        History {
            definition,
            inputs: vec![(Input::Start { input, text: None }, T0)],
            now: T0,
        }
    }

    /// Later inputs happen `ms` after the previous one.
    pub fn after(mut self, ms: i64) -> History {
        self.now += ms;
        self
    }

    pub fn started(mut self, task: u64) -> History {
        self.inputs.push((
            Input::TaskStarted {
                task,
                worker_name: None,
            },
            self.now,
        ));
        self
    }

    pub fn succeed(mut self, task: u64, output: Value) -> History {
        self.inputs
            .push((Input::TaskSucceeded { task, output }, self.now));
        self
    }

    pub fn fail(mut self, task: u64, error: &str, cause: &str) -> History {
        self.inputs.push((
            Input::TaskFailed {
                task,
                error: Some(error.to_owned()),
                cause: Some(cause.to_owned()),
            },
            self.now,
        ));
        self
    }

    pub fn fire(mut self, timer: u64) -> History {
        self.inputs.push((Input::TimerFired { timer }, self.now));
        self
    }

    pub fn stop(mut self) -> History {
        self.inputs.push((
            Input::Stop {
                error: Some("Stopped".to_owned()),
                cause: None,
            },
            self.now,
        ));
        self
    }

    /// Runs the script in a fresh [`TestEnv`].
    pub fn run(&self) -> TestEnv {
        let mut env = TestEnv::new(self.definition.clone());
        for (input, at) in &self.inputs {
            env.now = *at;
            env.apply(input.clone());
        }
        env
    }
}

/// Named canned histories, each a definition and a full input script to its end.
pub mod canned {
    use super::*;

    /// One Task that succeeds.
    pub fn single_task() -> History {
        let definition = json!({
            "StartAt": "Work",
            "States": { "Work": task(json!({ "End": true })) }
        });
        History::new(definition, json!({ "n": 1 }))
            .started(1)
            .after(500)
            .succeed(1, json!({ "done": true }))
    }

    /// A Task that fails twice under its retrier, runs out of attempts, and is caught.
    pub fn retry_then_catch() -> History {
        let definition = json!({
            "StartAt": "Work",
            "States": {
                "Work": task(json!({
                    "Retry": [{ "ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 2 }],
                    "Catch": [{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover" }],
                    "End": true
                })),
                "Recover": { "Type": "Pass", "End": true }
            }
        });
        // Task 1 fails, retry timer 2; task 3 fails, retry timer 4; task 5 fails and is caught.
        History::new(definition, json!({ "n": 1 }))
            .fail(1, "Boom", "first")
            .after(1_000)
            .fire(2)
            .fail(3, "Boom", "second")
            .after(2_000)
            .fire(4)
            .fail(5, "Boom", "third")
    }

    /// A Map over three items whose second iteration fails the whole Map.
    pub fn map_with_failure() -> History {
        let definition = json!({
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "Work",
                        "States": { "Work": task(json!({ "End": true })) }
                    },
                    "End": true
                }
            }
        });
        History::new(definition, json!([1, 2, 3]))
            .succeed(1, json!("one"))
            .fail(2, "Boom", "item two")
    }

    /// A Parallel of a Wait branch and a Task branch, both ending well.
    pub fn parallel_wait_and_task() -> History {
        let definition = json!({
            "StartAt": "Both",
            "States": {
                "Both": {
                    "Type": "Parallel",
                    "Branches": [
                        { "StartAt": "Nap", "States": { "Nap": { "Type": "Wait", "Seconds": 5, "End": true } } },
                        { "StartAt": "Work", "States": { "Work": task(json!({ "End": true })) } }
                    ],
                    "End": true
                }
            }
        });
        History::new(definition, json!({ "x": 1 }))
            .after(1_000)
            .succeed(2, json!("worked"))
            .after(4_000)
            .fire(1)
    }

    /// Every canned history with its name and the status it must end in.
    pub fn all() -> Vec<(&'static str, History, &'static str)> {
        vec![
            ("single_task", single_task(), "SUCCEEDED"),
            ("retry_then_catch", retry_then_catch(), "SUCCEEDED"),
            ("map_with_failure", map_with_failure(), "FAILED"),
            (
                "parallel_wait_and_task",
                parallel_wait_and_task(),
                "SUCCEEDED",
            ),
        ]
    }
}
