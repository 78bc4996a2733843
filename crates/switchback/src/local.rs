//! Runs one execution in this process, start to end: the driver behind `switchback run` and the
//! conformance runner.
//!
//! It performs the engine's effects itself: timers wait on a [`Clock`] (real and scaled, or
//! virtual, which jumps straight to the next timer), and tasks go to a [`TaskHandler`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asl::Entropy;
use asl::model::StateMachine;
use engine::{Effect, Execution, ExecutionInfo, HistoryEvent, Input, Status, TaskRequest};
use serde_json::Value;

/// Where time comes from.
pub trait Clock {
    /// The current time, in epoch milliseconds.
    fn now(&mut self) -> i64;
    /// Returns once `at` (epoch milliseconds) has come.
    fn sleep_until(&mut self, at: i64);
}

/// A clock that never waits: it jumps to each timer as it is asked for.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    now: i64,
}

impl VirtualClock {
    /// A clock that reads `start` until a timer moves it on.
    pub fn new(start: i64) -> VirtualClock {
        VirtualClock { now: start }
    }
}

impl Clock for VirtualClock {
    fn now(&mut self) -> i64 {
        self.now
    }

    fn sleep_until(&mut self, at: i64) {
        self.now = self.now.max(at);
    }
}

/// The wall clock, with waits shortened by a time scale (`--time-scale 10` makes a 10-second
/// Wait take one second). The time the execution sees moves `scale` times faster than real time.
#[derive(Debug, Clone)]
pub struct ScaledClock {
    started: Instant,
    start_ms: i64,
    scale: f64,
}

impl ScaledClock {
    /// A clock starting now, running `scale` times faster than real time.
    pub fn new(scale: f64) -> ScaledClock {
        ScaledClock {
            started: Instant::now(),
            start_ms: wall_clock_ms(),
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                1.0
            },
        }
    }
}

impl Clock for ScaledClock {
    fn now(&mut self) -> i64 {
        let elapsed = self.started.elapsed().as_secs_f64() * 1000.0 * self.scale;
        self.start_ms + elapsed as i64
    }

    fn sleep_until(&mut self, at: i64) {
        let now = self.now();
        if at > now {
            let real_ms = (at - now) as f64 / self.scale;
            std::thread::sleep(Duration::from_secs_f64(real_ms / 1000.0));
        }
    }
}

/// The current wall-clock time in epoch milliseconds.
pub fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// Entropy for a run in this process: seeded from the clock and the process id.
pub fn process_entropy() -> asl::SeededEntropy {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or(0);
    asl::SeededEntropy::new(nanos ^ (u64::from(std::process::id()) << 32))
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    /// It returned this output.
    Succeeded(Value),
    /// It failed.
    Failed {
        /// The error name.
        error: Option<String>,
        /// The cause.
        cause: Option<String>,
    },
}

/// Performs tasks for a local run.
pub trait TaskHandler {
    /// Runs one task to its end.
    fn invoke(&mut self, request: &TaskRequest) -> TaskOutcome;
}

/// The handler used until task integrations exist: every task fails, saying why.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoIntegrations;

impl TaskHandler for NoIntegrations {
    fn invoke(&mut self, request: &TaskRequest) -> TaskOutcome {
        TaskOutcome::Failed {
            error: Some("States.TaskFailed".to_owned()),
            cause: Some(format!(
                "switchback run cannot call the resource '{}' of the state '{}': task integrations are not built yet",
                request.resource, request.state_name
            )),
        }
    }
}

/// Tasks answered by a mock configuration's test case (`--mock-config`, `--test-case`): a state
/// the test case mocks gets its mocked answer for each invocation; any other task goes to
/// `fallback`.
#[derive(Debug)]
pub struct Mocked<F> {
    config: std::sync::Arc<runtime::mocks::MockConfig>,
    machine: String,
    case: String,
    invocations: std::collections::HashMap<String, u64>,
    fallback: F,
}

impl<F> Mocked<F> {
    /// Answers from `config`'s test case `case` of state machine `machine`.
    pub fn new(
        config: std::sync::Arc<runtime::mocks::MockConfig>,
        machine: String,
        case: String,
        fallback: F,
    ) -> Mocked<F> {
        Mocked {
            config,
            machine,
            case,
            invocations: Default::default(),
            fallback,
        }
    }
}

impl<F: TaskHandler> TaskHandler for Mocked<F> {
    fn invoke(&mut self, request: &TaskRequest) -> TaskOutcome {
        let count = self
            .invocations
            .entry(request.state_name.clone())
            .or_insert(0);
        let invocation = *count;
        *count += 1;
        match self
            .config
            .answer(&self.machine, &self.case, &request.state_name, invocation)
        {
            Some(runtime::mocks::MockedAnswer::Return(value)) => {
                TaskOutcome::Succeeded(value.clone())
            }
            Some(runtime::mocks::MockedAnswer::Throw { error, cause }) => TaskOutcome::Failed {
                error: Some(error.clone()),
                cause: Some(cause.clone()),
            },
            None => self.fallback.invoke(request),
        }
    }
}

/// The end of a local run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How the execution ended.
    pub status: Status,
    /// Its whole history.
    pub history: Vec<HistoryEvent>,
}

/// The longest a local run may go on, in engine steps, before it is stopped: a bound so that a
/// definition that loops forever (a Choice that always goes back) cannot hang the command.
pub const MAX_STEPS: usize = 1_000_000;

/// Runs an execution from start to end.
pub fn run(
    machine: Arc<StateMachine>,
    info: ExecutionInfo,
    input: Value,
    input_text: Option<String>,
    clock: &mut dyn Clock,
    tasks: &mut dyn TaskHandler,
    entropy: &mut dyn Entropy,
) -> Outcome {
    let mut execution = Execution::new(machine, info);
    let mut history = Vec::new();
    let mut inputs = VecDeque::from([Input::Start {
        input,
        text: input_text,
    }]);
    // Timers by (fire time, id), so the earliest fires first and ties go in creation order.
    let mut timers: BTreeMap<(i64, u64), ()> = BTreeMap::new();
    let mut timer_at: BTreeMap<u64, i64> = BTreeMap::new();
    let mut steps = 0usize;
    while !execution.is_finished() {
        steps += 1;
        if steps > MAX_STEPS {
            let now = clock.now();
            let step = execution.apply(
                Input::Stop {
                    error: Some("Switchback.StepLimitExceeded".to_owned()),
                    cause: Some(format!("the local run was stopped after {MAX_STEPS} steps")),
                },
                now,
                entropy,
            );
            history.extend(step.events);
            break;
        }
        let next = match inputs.pop_front() {
            Some(input) => input,
            None => match timers.pop_first() {
                Some(((at, id), ())) => {
                    timer_at.remove(&id);
                    clock.sleep_until(at);
                    Input::TimerFired { timer: id }
                }
                // Nothing can happen any more: the engine is waiting on something that will
                // never come. Stop rather than hang.
                None => Input::Stop {
                    error: Some("Switchback.Stalled".to_owned()),
                    cause: Some("the execution waits for an event that cannot come".to_owned()),
                },
            },
        };
        let now = clock.now();
        let step = execution.apply(next, now, entropy);
        history.extend(step.events);
        for effect in step.effects {
            match effect {
                Effect::InvokeTask(request) => {
                    inputs.push_back(Input::TaskStarted {
                        task: request.id,
                        worker_name: None,
                    });
                    inputs.push_back(match tasks.invoke(&request) {
                        TaskOutcome::Succeeded(output) => Input::TaskSucceeded {
                            task: request.id,
                            output,
                        },
                        TaskOutcome::Failed { error, cause } => Input::TaskFailed {
                            task: request.id,
                            error,
                            cause,
                        },
                    });
                }
                Effect::StartTimer { id, fire_at_ms } => {
                    timers.insert((fire_at_ms, id), ());
                    timer_at.insert(id, fire_at_ms);
                }
                Effect::CancelTimer { id } => {
                    if let Some(at) = timer_at.remove(&id) {
                        timers.remove(&(at, id));
                    }
                }
                Effect::CancelTask { id } => {
                    inputs.retain(|input| {
                        !matches!(input,
                            Input::TaskStarted { task, .. }
                            | Input::TaskSucceeded { task, .. }
                            | Input::TaskFailed { task, .. } if *task == id)
                    });
                }
            }
        }
    }
    Outcome {
        status: execution.status().clone(),
        history,
    }
}
