//! Fuzz target: parse → validate → build → run.
//!
//! The bytes are `definition NUL input NUL choices`. The definition goes through
//! `asl::validate::validate`; when it has no errors it is built with `StateMachine::from_value`
//! and run to the end by `engine::Execution` with a virtual clock: every task is answered from
//! the choice bytes (succeed with its input or another value, fail with or without an error name,
//! time out, or never answer; a callback task's report may come early, before its submission or
//! its call's failure), timers fire in order, and the run is stopped after a bounded number
//! of steps. Nothing may panic, and the history must stay well formed (ids 1, 2, 3, ... and each
//! event following an earlier one).
#![no_main]

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use asl::model::StateMachine;
use asl::validate::{self, Severity};
use engine::{Effect, Execution, ExecutionInfo, Input};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// Splits the definition from the input, and the input from the choices.
const SEPARATOR: u8 = 0;

/// The most inputs fed to one execution before it is stopped.
const MAX_STEPS: usize = 2_000;

/// When the execution starts (and the virtual clock with it), in epoch milliseconds.
const START_MS: i64 = 1_700_000_000_000;

fn info() -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:fuzz:run".to_owned(),
        name: "run".to_owned(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:fuzz".to_owned(),
        state_machine_name: "fuzz".to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/fuzz".to_owned(),
        region: "us-east-1".to_owned(),
        start_time_ms: START_MS,
    }
}

/// The choice bytes, read in a cycle (all zeros when there are none).
struct Choices<'a> {
    bytes: &'a [u8],
    next: usize,
}

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        if self.bytes.is_empty() {
            return 0;
        }
        let byte = self.bytes[self.next % self.bytes.len()];
        self.next += 1;
        byte
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |byte| *byte == SEPARATOR);
    let definition = parts.next().unwrap_or_default();
    let input = parts.next().unwrap_or_default();
    let mut choices = Choices {
        bytes: parts.next().unwrap_or_default(),
        next: 0,
    };
    let Ok(definition) = std::str::from_utf8(definition) else {
        return;
    };
    let diagnostics = validate::validate(definition, &validate::Options::default());
    if diagnostics
        .iter()
        .any(|diagnostic| diagnostic.severity == Severity::Error)
    {
        return;
    }
    let Ok(definition) = serde_json::from_str::<Value>(definition) else {
        return;
    };
    let Ok(machine) = StateMachine::from_value(&definition) else {
        return;
    };
    let (input, text) = match std::str::from_utf8(input)
        .ok()
        .and_then(|text| Some((serde_json::from_str::<Value>(text).ok()?, text)))
    {
        Some((value, text)) => (value, Some(text.to_owned())),
        None => (json!({}), None),
    };
    run(Arc::new(machine), input, text, &mut choices);
});

fn run(machine: Arc<StateMachine>, input: Value, text: Option<String>, choices: &mut Choices<'_>) {
    let mut entropy = asl::SeededEntropy::new(u64::from(choices.byte()));
    let mut execution = Execution::new(machine, info());
    let mut now = START_MS;
    let mut inputs = VecDeque::from([Input::Start { input, text }]);
    let mut timers: BTreeMap<(i64, u64), ()> = BTreeMap::new();
    let mut next_event_id = 1;
    let mut check = |events: &[engine::HistoryEvent]| {
        for event in events {
            assert_eq!(event.id, next_event_id, "event ids go 1, 2, 3, ...");
            assert!(
                event.previous_event_id < event.id,
                "{event:?} follows a later event"
            );
            next_event_id += 1;
            let _ = event.to_json();
        }
    };
    for _ in 0..MAX_STEPS {
        if execution.is_finished() {
            break;
        }
        let next = match inputs.pop_front() {
            Some(next) => next,
            None => match timers.pop_first() {
                Some(((at, timer), ())) => {
                    now = now.max(at);
                    Input::TimerFired { timer }
                }
                None => break,
            },
        };
        let step = execution.apply(next, now, &mut entropy);
        check(&step.events);
        for effect in step.effects {
            match effect {
                Effect::InvokeTask(request) => {
                    let task = request.id;
                    let choice = choices.byte();
                    if choice & 0x80 != 0 {
                        inputs.push_back(Input::TaskStarted {
                            task,
                            worker_name: Some("fuzz".to_owned()),
                        });
                    }
                    let report = match choice % 8 {
                        0 => Input::TaskSucceeded {
                            task,
                            output: request.input,
                        },
                        1 => Input::TaskSucceeded {
                            task,
                            output: json!({ "choice": choice, "list": [1, "two", null] }),
                        },
                        2 => Input::TaskSucceeded {
                            task,
                            output: Value::String("x".repeat(usize::from(choice))),
                        },
                        3 => Input::TaskFailed {
                            task,
                            error: Some("States.TaskFailed".to_owned()),
                            cause: Some("fuzz".to_owned()),
                        },
                        4 => Input::TaskFailed {
                            task,
                            error: None,
                            cause: None,
                        },
                        5 => Input::TaskFailed {
                            task,
                            error: Some("Custom.Error".to_owned()),
                            cause: None,
                        },
                        6 => Input::TaskHeartbeatTimedOut { task },
                        // Never answered: a task timeout, the execution timeout or the stop
                        // below ends it.
                        _ => continue,
                    };
                    // A callback task's report before its integration answered: kept, then
                    // released by the submission or outlived by the call's own failure.
                    let early = choice & 0x40 != 0
                        && request.task_token.is_some()
                        && matches!(report, Input::TaskSucceeded { .. } | Input::TaskFailed { .. });
                    if early {
                        inputs.push_back(Input::EarlyReport {
                            report: Box::new(report),
                        });
                        inputs.push_back(if choice & 0x20 != 0 {
                            Input::TaskFailed {
                                task,
                                error: Some("Lambda.ServiceException".to_owned()),
                                cause: None,
                            }
                        } else {
                            Input::TaskSubmitted {
                                task,
                                output: json!({ "StatusCode": 200 }),
                            }
                        });
                    } else {
                        inputs.push_back(report);
                    }
                }
                Effect::StartTimer { id, fire_at_ms } => {
                    timers.insert((fire_at_ms, id), ());
                }
                Effect::CancelTimer { id } => timers.retain(|(_, timer), ()| *timer != id),
                Effect::CancelTask { id } => inputs.retain(|input| {
                    !matches!(input,
                        Input::TaskStarted { task, .. }
                        | Input::TaskSucceeded { task, .. }
                        | Input::TaskFailed { task, .. }
                        | Input::TaskSubmitted { task, .. }
                        | Input::TaskHeartbeatTimedOut { task } if *task == id)
                        && !matches!(input, Input::EarlyReport { report }
                            if matches!(**report,
                                Input::TaskSucceeded { task, .. }
                                | Input::TaskFailed { task, .. } if task == id))
                }),
            }
        }
    }
    if !execution.is_finished() {
        let step = execution.apply(
            Input::Stop {
                error: Some("Fuzz.Stopped".to_owned()),
                cause: None,
            },
            now,
            &mut entropy,
        );
        check(&step.events);
        assert!(execution.is_finished(), "a stopped execution has ended");
    }
}
