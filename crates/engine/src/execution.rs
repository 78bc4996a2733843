//! One execution: its threads of control, the inputs that drive it and the effects it asks for.
//!
//! An execution is a tree of *threads*: the top-level machine is thread 0; a Parallel state
//! starts one thread per branch and a Map state one per item. A thread runs until it blocks (on a
//! task, a timer or its children) or ends; only then does the next runnable thread go, so a
//! branch or iteration that never blocks runs from start to end before the next one starts, as
//! AWS records it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

mod jsonata;
pub(crate) use jsonata::unexpected_type;
mod variables;

pub use jsonata::unsupported;

use asl::dataflow::{self, Env};
use asl::model::{
    Catcher, Kind, MapState, Percentage, QueryLanguage, ResultPath, Retrier, Seconds, StateMachine,
    Transition, Wait,
};
use asl::{Entropy, Failure};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::history::{Details, HistoryEvent, json_text, not_truncated, state_event};

/// Who and what an execution is: the names and ARNs the Context object and history show.
#[derive(Debug, Clone)]
pub struct ExecutionInfo {
    /// The execution's ARN.
    pub execution_arn: String,
    /// The execution's name.
    pub name: String,
    /// The ARN of the state machine (or version) that runs.
    pub state_machine_arn: String,
    /// The state machine's name.
    pub state_machine_name: String,
    /// The role the execution runs as.
    pub role_arn: String,
    /// The region tasks are scheduled in.
    pub region: String,
    /// When the execution started, in epoch milliseconds.
    pub start_time_ms: i64,
}

/// What drives an execution forward.
#[derive(Debug, Clone)]
pub enum Input {
    /// The execution starts with this input.
    Start {
        /// The execution input.
        input: Value,
        /// The input as the caller sent it. AWS keeps a document's text as it came until a
        /// state changes it, so histories show the caller's own spacing.
        text: Option<String>,
    },
    /// A worker picked up a task (activities), or the integration started it.
    TaskStarted {
        /// The task's id, from [`TaskRequest::id`].
        task: u64,
        /// The worker's name, for activities.
        worker_name: Option<String>,
    },
    /// The integration accepted a `.sync` or `.waitForTaskToken` task and answered with this
    /// (the job it started, the message it sent): AWS records `TaskSubmitted` and the task
    /// waits on for its end or its token.
    TaskSubmitted {
        /// The task's id.
        task: u64,
        /// The integration's answer.
        output: Value,
    },
    /// A task finished with this output.
    TaskSucceeded {
        /// The task's id.
        task: u64,
        /// Its result.
        output: Value,
    },
    /// A task failed.
    TaskFailed {
        /// The task's id.
        task: u64,
        /// The error name, if the task gave one.
        error: Option<String>,
        /// The cause, if the task gave one.
        cause: Option<String>,
    },
    /// A worker's report on a callback task ([`Input::TaskSucceeded`] or [`Input::TaskFailed`],
    /// by its token) that came while the integration carrying the token had not answered: a
    /// Lambda function that calls `SendTaskSuccess` before it returns, or a call made again
    /// after a restart. The execution keeps it and applies it right after the task's
    /// `TaskSubmitted`, so that the history reads the submission before the end; if the call
    /// fails instead, the report still ends the task (the first report wins).
    EarlyReport {
        /// The report.
        report: Box<Input>,
    },
    /// A task missed its heartbeat.
    TaskHeartbeatTimedOut {
        /// The task's id.
        task: u64,
    },
    /// A timer the execution asked for fired.
    TimerFired {
        /// The timer's id, from [`Effect::StartTimer`].
        timer: u64,
    },
    /// `RedriveExecution`: a failed, timed-out or aborted execution goes on from where it
    /// ended (see [`Execution::redrive`]).
    Redrive,
    /// `UpdateMapRun`: a running map run's limits change.
    UpdateMapRun {
        /// The map run.
        map_run_arn: String,
        /// A new `maxConcurrency` (0: no limit).
        max_concurrency: Option<u64>,
        /// A new `toleratedFailureCount`.
        tolerated_failure_count: Option<u64>,
        /// A new `toleratedFailurePercentage`.
        tolerated_failure_percentage: Option<f64>,
    },
    /// `StopExecution`.
    Stop {
        /// The error given to StopExecution.
        error: Option<String>,
        /// The cause given to StopExecution.
        cause: Option<String>,
    },
}

/// A task the caller must perform, then report with [`Input::TaskSucceeded`] or
/// [`Input::TaskFailed`].
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequest {
    /// Unique within the execution; reports name it.
    pub id: u64,
    /// The Task state's name.
    pub state_name: String,
    /// The `Resource` URI.
    pub resource: String,
    /// The effective input (after InputPath and Parameters).
    pub input: Value,
    /// TimeoutSeconds, resolved.
    pub timeout_seconds: Option<u64>,
    /// HeartbeatSeconds, resolved.
    pub heartbeat_seconds: Option<u64>,
    /// The task token, for activities and `.waitForTaskToken` integrations: whoever completes
    /// the task presents it (`SendTaskSuccess`). It is drawn from the execution's entropy, so a
    /// replay gives the same token.
    pub task_token: Option<String>,
}

/// Something the caller must do once the events of the step are committed.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Run a task.
    InvokeTask(TaskRequest),
    /// Report [`Input::TimerFired`] at this time.
    StartTimer {
        /// The timer's id.
        id: u64,
        /// When to fire, in epoch milliseconds.
        fire_at_ms: i64,
    },
    /// A task is no longer wanted (its branch was aborted or it timed out).
    CancelTask {
        /// The task's id.
        id: u64,
    },
    /// A timer is no longer wanted.
    CancelTimer {
        /// The timer's id.
        id: u64,
    },
}

/// A Distributed Map's map run, as DescribeMapRun shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapRun {
    /// `mapRunArn`.
    pub arn: String,
    /// `startDate`, epoch milliseconds.
    pub start_ms: i64,
    /// `stopDate`, once it ended.
    pub stop_ms: Option<i64>,
    /// `RUNNING`, `SUCCEEDED`, `FAILED` or `ABORTED`.
    pub status: &'static str,
    /// `maxConcurrency` (0: no limit).
    pub max_concurrency: u64,
    /// `toleratedFailureCount`.
    pub tolerated_failure_count: u64,
    /// `toleratedFailurePercentage`.
    pub tolerated_failure_percentage: f64,
    /// `executionCounts`: one child execution per item, or per batch.
    pub counts: MapRunCounts,
    /// `itemCounts`.
    pub item_counts: MapRunCounts,
    /// How many times a redrive ran it again, and when last.
    pub redrive_count: u64,
    /// `redriveDate`.
    pub redrive_ms: Option<i64>,
    /// The thread whose Map state runs it.
    thread: usize,
}

/// A child execution of a map run: its own history, kept by its parent's engine (a replay of
/// the parent's journal rebuilds it).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildExecution {
    /// `arn:…:execution:<machine>/<label>:<name>`.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// The map run it belongs to.
    pub map_run_arn: String,
    /// `arn:…:stateMachine:<machine>/<label>`.
    pub state_machine_arn: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED` or `ABORTED`.
    pub status: &'static str,
    /// When it started, epoch milliseconds.
    pub start_ms: i64,
    /// When it ended.
    pub stop_ms: Option<i64>,
    /// Its input, as JSON text.
    pub input: String,
    /// Its output, on success.
    pub output: Option<String>,
    /// Its error and cause, on failure.
    pub error: Option<String>,
    /// See `error`.
    pub cause: Option<String>,
    /// Its history.
    pub events: Vec<HistoryEvent>,
}

/// How a map run's child executions stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapRunCounts {
    /// Not started yet.
    pub pending: u64,
    /// Running.
    pub running: u64,
    /// Succeeded.
    pub succeeded: u64,
    /// Failed.
    pub failed: u64,
    /// Aborted.
    pub aborted: u64,
    /// All of them.
    pub total: u64,
}

/// Where an execution stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Not started yet, or still running.
    Running,
    /// Ended with this output.
    Succeeded {
        /// The execution output.
        output: Value,
    },
    /// Ended with an error.
    Failed {
        /// The error name.
        error: Option<String>,
        /// The cause.
        cause: Option<String>,
    },
    /// Ran past its TimeoutSeconds.
    TimedOut {
        /// `States.Timeout`.
        error: Option<String>,
        /// The cause, if any.
        cause: Option<String>,
    },
    /// Stopped by StopExecution.
    Aborted {
        /// The error given to StopExecution.
        error: Option<String>,
        /// The cause given to StopExecution.
        cause: Option<String>,
    },
}

impl Status {
    /// AWS's name: RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded { .. } => "SUCCEEDED",
            Status::Failed { .. } => "FAILED",
            Status::TimedOut { .. } => "TIMED_OUT",
            Status::Aborted { .. } => "ABORTED",
        }
    }
}

/// What one call to [`Execution::apply`] produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    /// The history events appended, in order.
    pub events: Vec<HistoryEvent>,
    /// The effects to perform after the events are committed.
    pub effects: Vec<Effect>,
    /// How many events of Distributed Map child executions the step made (kept out of
    /// `events`): a step with none of these, no events and no effects changed nothing.
    pub child_events: usize,
    /// The input changed the execution without an event or an effect (`UpdateMapRun`).
    pub changed: bool,
}

impl Step {
    /// Whether the step changed nothing (the input was a duplicate or came too late).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.effects.is_empty() && self.child_events == 0 && !self.changed
    }
}

/// Errors that do not go to Retry or Catch, even under `States.ALL`.
///
/// AWS's documentation also calls `States.DataLimitExceeded` terminal, but AWS's recorded
/// histories show `States.ALL` catching an oversized task result
/// (`test_service_task_lambada_catch_state_all_data_limit_exceeded_on_large_utf8_response`),
/// so only `States.Runtime` is terminal here.
const TERMINAL_ERRORS: [&str; 1] = ["States.Runtime"];

/// The most a payload may weigh (256 KiB).
const MAX_PAYLOAD_BYTES: usize = 262_144;

/// The most events a history may hold: AWS fails a Standard execution whose history reaches
/// 25,000 events (`spec/aws-semantics.md` §6.9–6.10).
///
/// It is also what stops a definition that loops without ever blocking (a Choice whose Default
/// goes back to a Pass): such a thread never yields inside [`Execution::apply`], which would
/// otherwise spin forever and grow the step without bound (found while writing the fuzz target).
pub const MAX_HISTORY_EVENTS: u64 = 25_000;

/// The error of an execution that reached [`MAX_HISTORY_EVENTS`]. AWS's own error name and cause
/// for this are not recorded in the spec; these are ours.
const HISTORY_LIMIT_ERROR: &str = "States.Runtime";

/// What a timer is for.
#[derive(Debug, Clone, Copy)]
enum Timer {
    Wait(usize),
    Retry(usize),
    TaskTimeout { task: u64 },
    ExecutionTimeout,
}

/// Where a thread stands within its current state.
#[derive(Debug)]
enum Phase {
    /// A Map iteration that has not started yet.
    IterationStart,
    /// About to enter the current state.
    Enter,
    /// About to do the current state's work (after entering it, or after a retry's delay).
    Work,
    /// Waiting for a Wait state's timer.
    Waiting { timer: u64 },
    /// Waiting for a task.
    Task {
        task: u64,
        timeout_timer: Option<u64>,
        effective: Value,
    },
    /// Waiting out a retry's delay.
    RetryDelay { timer: u64 },
    /// Waiting for Parallel branches or Map iterations.
    Children(Box<Children>),
    /// Ended, one way or the other.
    Finished,
}

#[derive(Debug)]
struct Children {
    is_map: bool,
    threads: Vec<Option<usize>>,
    results: Vec<Value>,
    result_texts: Vec<Option<Arc<str>>>,
    items: Vec<Value>,
    effective: Value,
    next_slot: usize,
    running: usize,
    done: usize,
    failures: usize,
    max_concurrency: usize,
    tolerated_count: Option<u64>,
    tolerated_percentage: Option<f64>,
    /// Every child has ended; the state finishes on the parent's next run.
    complete: bool,
    /// The text of a Parallel state's branch input, when it is the state's input untouched.
    branch_text: Option<Arc<str>>,
    /// Which children succeeded.
    succeeded: Vec<bool>,
    /// A Distributed Map's map run: its children are child executions.
    distributed: bool,
    /// The children a redrive runs again, not started yet (MaxConcurrency).
    revive_queue: VecDeque<usize>,
    /// The map run in `Execution::map_runs`, for a Distributed Map.
    run: Option<usize>,
    /// Which children failed.
    failed: Vec<bool>,
    /// How many items each child has (more than one in a batch).
    weights: Vec<u64>,
}

#[derive(Debug)]
struct Thread {
    machine: Arc<StateMachine>,
    state: usize,
    /// The current state's raw input.
    input: Value,
    last_event: u64,
    entered_event: u64,
    entered_at: i64,
    parent: Option<(usize, usize)>,
    map_item: Option<(usize, Value)>,
    phase: Phase,
    retry_counts: Vec<u64>,
    /// Set until the thread first runs: its event chain starts from its parent's.
    fresh: bool,
    /// The current input's text, when it is known (see [`Input::Start`]).
    input_text: Option<Arc<str>>,
    /// The text of the output of the state just exited.
    output_text: Option<Arc<str>>,
    /// The text of a Parallel or Map result, joined from its branches' texts as AWS does.
    result_text: Option<Arc<str>>,
    /// The state's output is its result, untouched (no ResultSelector, ResultPath or OutputPath).
    output_is_result: bool,
    /// The current task's token (`$$.Task.Token`), while a task that has one runs.
    task_token: Option<String>,
    /// This thread's variable scope (`variables`).
    variables: Map<String, Value>,
    /// What the current state assigns, applied when it exits.
    staged: Option<Map<String, Value>>,
    /// The size of `variables`, as JSON text.
    variables_bytes: usize,
    /// The event before the current state's `…StateEntered` (AWS links `EvaluationFailed` to
    /// it).
    entered_after: u64,
    /// The branches or iterations of the Parallel or Map state this thread ended in, kept for a
    /// redrive (which reruns only those that did not succeed).
    stash: Option<Box<Children>>,
    /// The stash a redrive handed back, used by the state's next start.
    redrive_children: Option<Box<Children>>,
    /// A child execution of a Distributed Map (or a thread within one): its events belong to
    /// the child's history, not to this execution's.
    silent: bool,
    /// The child execution (in `Execution::child_executions`) whose history its events go to.
    child: Option<usize>,
}

/// One execution of a state machine.
#[derive(Debug)]
pub struct Execution {
    machine: Arc<StateMachine>,
    info: ExecutionInfo,
    /// The execution input's text (`$$.Execution.Input`, parsed when the Context object is
    /// built: most executions never read it, and a copy of the document would cost each one).
    input_text: Arc<str>,
    threads: Vec<Thread>,
    tasks: HashMap<u64, (usize, TaskRequest)>,
    /// The tasks of `tasks` a worker has picked up (their `*Started` event is recorded).
    started: HashSet<u64>,
    /// The started tasks whose `TaskSubmitted` is recorded, with what the integration answered.
    submitted: HashMap<u64, Value>,
    /// Reports kept for open tasks until their `TaskSubmitted` ([`Input::EarlyReport`]).
    early: HashMap<u64, Input>,
    timers: HashMap<u64, (Timer, i64)>,
    next_event_id: u64,
    next_effect_id: u64,
    status: Status,
    queue: VecDeque<usize>,
    now: i64,
    step: Step,
    /// Parallel/Map states whose children failed, with the failure to hand to Retry/Catch
    /// when the parent next runs.
    pending_failures: Vec<(usize, Failure)>,
    /// The JSONata expressions of this execution, parsed once each (by their text).
    expressions: std::cell::RefCell<HashMap<String, asl::jsonata::Expression>>,
    /// How many times the execution was redriven, and when last.
    redrive_count: u64,
    redrive_time: Option<i64>,
    /// The map runs of its Distributed Map states, in the order they started.
    map_runs: Vec<MapRun>,
    /// The child executions of its map runs, in the order they started.
    child_executions: Vec<ChildExecution>,
}

/// How a failure wrapped with AWS's "An error occurred while executing the state" prefix reads.
fn state_failure(name: &str, entered_event: u64, failure: Failure) -> Failure {
    Failure {
        error: failure.error,
        cause: format!(
            "An error occurred while executing the state '{name}' (entered at the event id #{entered_event}). {}",
            failure.cause
        ),
    }
}

/// What AWS's history says about a task resource: the resource type and the resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// An activity ARN: `Activity*` events.
    Activity,
    /// A Lambda function ARN: `LambdaFunction*` events.
    LambdaFunction,
    /// A service integration `arn:aws:states:::service:action[.pattern]`: `Task*` events.
    Service {
        /// `lambda`, `sqs`, `aws-sdk:s3`, ...
        resource_type: String,
        /// `invoke`, `sendMessage.waitForTaskToken`, ...
        resource: String,
    },
}

/// Classifies a Task state's `Resource`.
pub fn describe_resource(resource: &str) -> ResourceKind {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    match parts.as_slice() {
        [_, _, "states", _, _, rest] if rest.starts_with("activity:") => ResourceKind::Activity,
        [_, _, "lambda", _, _, rest] if rest.starts_with("function:") => {
            ResourceKind::LambdaFunction
        }
        [_, _, "states", "", "", rest] => {
            let (resource_type, action) = match rest.rsplit_once(':') {
                Some((service, action)) => (service.to_owned(), action.to_owned()),
                None => (rest.to_string(), String::new()),
            };
            ResourceKind::Service {
                resource_type,
                resource: action,
            }
        }
        _ => ResourceKind::Service {
            resource_type: String::new(),
            resource: resource.to_owned(),
        },
    }
}

fn iso_millis(epoch_ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(epoch_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn error_matches(error_equals: &[String], error: &str) -> bool {
    // A heartbeat timeout is a timeout: `States.Timeout` handles it too (it did before AWS added
    // the narrower `States.HeartbeatTimeout`), and the `States.TaskFailed` wildcard, which
    // excludes timeouts, does not.
    let is_timeout = error == "States.Timeout" || error == "States.HeartbeatTimeout";
    error_equals.iter().any(|name| {
        name == error
            || (name == "States.Timeout" && is_timeout)
            || (name == "States.ALL" && !TERMINAL_ERRORS.contains(&error))
            || (name == "States.TaskFailed"
                && !is_timeout
                && error != "States.DataLimitExceeded"
                && !TERMINAL_ERRORS.contains(&error))
    })
}

impl Execution {
    /// A new execution, not started yet: feed it [`Input::Start`].
    pub fn new(machine: Arc<StateMachine>, info: ExecutionInfo) -> Execution {
        Execution {
            machine,
            info,
            input_text: Arc::from("null"),
            // Most executions never run more than their root thread; a Vec's first growth
            // would make room for four (a Thread is several hundred bytes).
            threads: Vec::with_capacity(1),
            tasks: HashMap::new(),
            started: HashSet::new(),
            submitted: HashMap::new(),
            early: HashMap::new(),
            timers: HashMap::new(),
            next_event_id: 1,
            next_effect_id: 1,
            status: Status::Running,
            queue: VecDeque::new(),
            now: 0,
            step: Step::default(),
            pending_failures: Vec::new(),
            expressions: std::cell::RefCell::new(HashMap::new()),
            redrive_count: 0,
            redrive_time: None,
            map_runs: Vec::new(),
            child_executions: Vec::new(),
        }
    }

    /// Where the execution stands.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// What the execution is.
    pub fn info(&self) -> &ExecutionInfo {
        &self.info
    }

    /// Every task and timer the execution still waits for, as the effects that asked for them,
    /// in the order they were asked for. After rebuilding an execution from its journal, the
    /// runtime performs these again (effects are at-least-once).
    pub fn outstanding(&self) -> Vec<Effect> {
        let mut effects: Vec<(u64, Effect)> = self
            .tasks
            .values()
            .map(|(_, request)| (request.id, Effect::InvokeTask(request.clone())))
            .chain(self.timers.iter().map(|(id, (_, fire_at_ms))| {
                (
                    *id,
                    Effect::StartTimer {
                        id: *id,
                        fire_at_ms: *fire_at_ms,
                    },
                )
            }))
            .collect();
        effects.sort_by_key(|(id, _)| *id);
        effects.into_iter().map(|(_, effect)| effect).collect()
    }

    /// When the nearest timer it waits for is due (epoch milliseconds), provided it waits for
    /// timers only: `None` while a task is out or no timer is set. (The runtime parks such an
    /// execution; asked on every step, so nothing is copied.)
    pub fn nearest_timer_only(&self) -> Option<i64> {
        if !self.tasks.is_empty() {
            return None;
        }
        self.timers
            .values()
            .map(|(_, fire_at_ms)| *fire_at_ms)
            .min()
    }

    /// True while the execution waits for this task and a worker has started it (its
    /// `ActivityStarted`/`TaskStarted` event is in the history). After a restart the runtime
    /// offers outstanding activity tasks again (a worker may have lost its copy in the crash),
    /// and uses this to record a start only once and to re-arm the heartbeat of a started task.
    pub fn is_task_started(&self, task: u64) -> bool {
        self.tasks.contains_key(&task) && self.started.contains(&task)
    }

    /// True once the execution has ended.
    pub fn is_finished(&self) -> bool {
        self.status != Status::Running
    }

    /// Applies one input at time `now` (epoch milliseconds) and returns what it produced.
    ///
    /// Inputs that name a task or timer the execution no longer waits for (a late report after a
    /// timeout, a duplicate delivery) are ignored: effects are at-least-once.
    pub fn apply(&mut self, input: Input, now: i64, entropy: &mut dyn Entropy) -> Step {
        self.now = now;
        // Room for a few events at once rather than growing one by one (the step leaves with
        // them, so nothing stays allocated in the execution).
        self.step.events.reserve(8);
        if matches!(input, Input::Redrive) {
            if self.redrive() {
                self.run(entropy);
            }
            return std::mem::take(&mut self.step);
        }
        if self.is_finished() {
            return Step::default();
        }
        match input {
            Input::Start { input, text } => self.start(input, text),
            Input::TaskStarted { task, worker_name } => self.task_started(task, worker_name),
            Input::TaskSubmitted { task, output } => {
                self.task_submitted(task, output);
                self.release_early_report(task, entropy);
            }
            Input::EarlyReport { report } => self.early_report(*report, entropy),
            Input::TaskSucceeded { task, .. }
            | Input::TaskFailed { task, .. }
            | Input::TaskHeartbeatTimedOut { task }
                if self.early.contains_key(&task) =>
            {
                // The integration's own end (its call failed) after a worker's report: the
                // report came first and ends the task.
                self.release_early_report(task, entropy);
            }
            Input::TaskSucceeded { task, output } => self.task_succeeded(task, output, entropy),
            Input::TaskFailed { task, error, cause } => {
                self.task_failed(task, error, cause, entropy)
            }
            Input::TaskHeartbeatTimedOut { task } => self.task_timed_out(task, true, entropy),
            Input::TimerFired { timer } => self.timer_fired(timer, entropy),
            Input::Stop { error, cause } => self.stop(error, cause),
            Input::Redrive => unreachable!("handled before the finished check"),
            Input::UpdateMapRun {
                map_run_arn,
                max_concurrency,
                tolerated_failure_count,
                tolerated_failure_percentage,
            } => self.update_map_run(
                &map_run_arn,
                max_concurrency,
                tolerated_failure_count,
                tolerated_failure_percentage,
            ),
        }
        self.run(entropy);
        std::mem::take(&mut self.step)
    }

    // ----- events and effects -------------------------------------------------------------

    fn emit_with_prev(&mut self, previous: u64, event_type: &'static str, details: Details) -> u64 {
        let id = self.next_event_id;
        self.next_event_id += 1;
        self.step.events.push(HistoryEvent {
            id,
            previous_event_id: previous,
            timestamp_ms: self.now,
            event_type,
            details,
        });
        id
    }

    /// Records an event of `thread` after `previous`; nothing for a thread of a Distributed
    /// Map's child execution (its events are not this history's).
    fn emit_in(
        &mut self,
        thread: usize,
        previous: u64,
        event_type: &'static str,
        details: Details,
    ) -> u64 {
        if self.threads[thread].silent {
            return self.emit_child(thread, previous, event_type, details);
        }
        self.emit_with_prev(previous, event_type, details)
    }

    /// Records an event in the history of the child execution `thread` runs in.
    fn emit_child(
        &mut self,
        thread: usize,
        previous: u64,
        event_type: &'static str,
        details: Details,
    ) -> u64 {
        self.step.child_events += 1;
        let Some(child) = self.threads[thread].child else {
            return previous;
        };
        let events = &mut self.child_executions[child].events;
        let id = events.len() as u64 + 1;
        events.push(HistoryEvent {
            id,
            previous_event_id: previous,
            timestamp_ms: self.now,
            event_type,
            details,
        });
        id
    }

    /// Starts the history of the child execution a map run gives slot `slot`.
    fn new_child_execution(&mut self, run: usize, slot: usize, input: &Value) -> usize {
        let map_run_arn = self.map_runs[run].arn.clone();
        let (prefix, rest) = map_run_arn
            .split_once(":mapRun:")
            .unwrap_or((map_run_arn.as_str(), ""));
        let machine = rest.rsplit_once(':').map_or(rest, |(machine, _)| machine);
        let name = child_name(&map_run_arn, slot);
        self.child_executions.push(ChildExecution {
            arn: format!("{prefix}:execution:{machine}:{name}"),
            name: name.clone(),
            map_run_arn: map_run_arn.clone(),
            state_machine_arn: format!("{prefix}:stateMachine:{machine}"),
            status: "RUNNING",
            start_ms: self.now,
            stop_ms: None,
            input: json_text(input),
            output: None,
            error: None,
            cause: None,
            events: Vec::new(),
        });
        self.child_executions.len() - 1
    }

    /// Ends a child execution: its last event and its status.
    fn end_child(&mut self, thread: usize, status: &'static str, details: Details) {
        let Some(child) = self.threads[thread].child else {
            return;
        };
        let event_type = match status {
            "SUCCEEDED" => "ExecutionSucceeded",
            "FAILED" => "ExecutionFailed",
            _ => "ExecutionAborted",
        };
        let field = |name: &str| match &details {
            Details::Other(value) => value.get(name).and_then(Value::as_str).map(str::to_owned),
            Details::ExecutionSucceeded { output } if name == "output" => Some(output.to_string()),
            _ => None,
        };
        let (output, error, cause) = (field("output"), field("error"), field("cause"));
        let id = self.emit_child(thread, self.threads[thread].last_event, event_type, details);
        self.threads[thread].last_event = id;
        let record = &mut self.child_executions[child];
        record.status = status;
        record.stop_ms = Some(self.now);
        record.output = output;
        record.error = error;
        record.cause = cause;
    }

    /// A child execution's first event: `ExecutionStarted`, or `ExecutionRedriven` when a
    /// redrive runs it again.
    fn start_child_history(&mut self, thread: usize) {
        let Some(child) = self.threads[thread].child else {
            return;
        };
        let record = &self.child_executions[child];
        let (event_type, details, previous) = if record.events.is_empty() {
            (
                "ExecutionStarted",
                Details::ExecutionStarted {
                    input: record.input.as_str().into(),
                    role_arn: self.info.role_arn.as_str().into(),
                },
                0,
            )
        } else {
            let count = self
                .map_runs
                .iter()
                .find(|run| run.arn == record.map_run_arn)
                .map_or(1, |run| run.redrive_count);
            (
                "ExecutionRedriven",
                Details::Other(json!({ "redriveCount": count })),
                record.events.len() as u64,
            )
        };
        let id = self.emit_child(thread, previous, event_type, details);
        self.threads[thread].last_event = id;
        let record = &mut self.child_executions[child];
        record.status = "RUNNING";
        record.stop_ms = None;
    }

    /// Whether `thread` is the first thread of a child execution (not a branch within one).
    fn starts_child(&self, thread: usize) -> bool {
        let t = &self.threads[thread];
        t.child.is_some()
            && t.parent
                .is_none_or(|(parent, _)| self.threads[parent].child != t.child)
    }

    fn emit(&mut self, thread: usize, event_type: &'static str, details: Details) -> u64 {
        if self.threads[thread].silent {
            let previous = self.threads[thread].last_event;
            let id = self.emit_child(thread, previous, event_type, details);
            self.threads[thread].last_event = id;
            return id;
        }
        let previous = self.threads[thread].last_event;
        let id = self.emit_with_prev(previous, event_type, details);
        self.threads[thread].last_event = id;
        id
    }

    fn new_effect_id(&mut self) -> u64 {
        let id = self.next_effect_id;
        self.next_effect_id += 1;
        id
    }

    fn start_timer(&mut self, purpose: Timer, fire_at_ms: i64) -> u64 {
        let id = self.new_effect_id();
        self.timers.insert(id, (purpose, fire_at_ms));
        self.step
            .effects
            .push(Effect::StartTimer { id, fire_at_ms });
        id
    }

    fn cancel_timer(&mut self, id: u64) {
        if self.timers.remove(&id).is_some() {
            self.step.effects.push(Effect::CancelTimer { id });
        }
    }

    // ----- inputs ------------------------------------------------------------------------

    fn start(&mut self, input: Value, text: Option<String>) {
        if !self.threads.is_empty() {
            return;
        }
        let text: Arc<str> = text.unwrap_or_else(|| json_text(&input)).into();
        self.input_text = text.clone();
        let started = self.emit_with_prev(
            0,
            "ExecutionStarted",
            Details::ExecutionStarted {
                input: text.clone(),
                role_arn: self.info.role_arn.as_str().into(),
            },
        );
        if let Some(seconds) = self.machine.timeout_seconds {
            let fire_at = self
                .now
                .saturating_add((seconds as i64).saturating_mul(1000));
            self.start_timer(Timer::ExecutionTimeout, fire_at);
        }
        let machine = self.machine.clone();
        let start_at = machine.start_at;
        self.threads.push(Thread {
            machine,
            state: start_at,
            input,
            last_event: 0,
            entered_event: 0,
            entered_at: self.now,
            parent: None,
            map_item: None,
            phase: Phase::Enter,
            retry_counts: Vec::new(),
            fresh: false,
            input_text: Some(text),
            output_text: None,
            result_text: None,
            output_is_result: false,
            task_token: None,
            variables: Map::new(),
            staged: None,
            variables_bytes: 0,
            entered_after: 0,
            stash: None,
            redrive_children: None,
            silent: false,
            child: None,
        });
        if let Some(feature) = jsonata::unsupported(&self.machine) {
            // Run nothing rather than run part of it wrong.
            self.threads[0].last_event = started;
            self.finish_execution(Err((
                Some("States.Runtime".to_owned()),
                Some(format!(
                    "{feature} is not supported by Switchback yet: this state machine cannot run here"
                )),
            )));
            return;
        }
        self.queue.push_back(0);
    }

    fn task_thread(&self, task: u64) -> Option<usize> {
        let thread = self.tasks.get(&task)?.0;
        match &self.threads[thread].phase {
            Phase::Task { task: waiting, .. } if *waiting == task => Some(thread),
            _ => None,
        }
    }

    fn resource_of(&self, thread: usize) -> String {
        let t = &self.threads[thread];
        match &t.machine.states[t.state].kind {
            Kind::Task(task) => task.resource.clone(),
            _ => String::new(),
        }
    }

    fn task_started(&mut self, task: u64, worker_name: Option<String>) {
        let Some(thread) = self.task_thread(task) else {
            return;
        };
        self.started.insert(task);
        let resource = self.resource_of(thread);
        let (event_type, details) = match describe_resource(&resource) {
            ResourceKind::Activity => (
                "ActivityStarted",
                json!({ "workerName": worker_name.unwrap_or_default() }),
            ),
            ResourceKind::LambdaFunction => ("LambdaFunctionStarted", json!({})),
            ResourceKind::Service {
                resource_type,
                resource,
            } => (
                "TaskStarted",
                json!({ "resourceType": resource_type, "resource": resource }),
            ),
        };
        self.emit(thread, event_type, Details::Other(details));
    }

    /// Records a task's `TaskSubmitted`, once: a restarted runtime submits its open tasks again.
    fn task_submitted(&mut self, task: u64, output: Value) {
        let Some(thread) = self.task_thread(task) else {
            return;
        };
        if !self.started.contains(&task) || self.submitted.contains_key(&task) {
            return;
        }
        self.submitted.insert(task, output.clone());
        let resource = self.resource_of(thread);
        let ResourceKind::Service {
            resource_type,
            resource,
        } = describe_resource(&resource)
        else {
            return;
        };
        let details = json!({
            "output": json_text(&output),
            "outputDetails": not_truncated(),
            "resourceType": resource_type,
            "resource": resource,
        });
        self.emit(thread, "TaskSubmitted", Details::Other(details));
    }

    /// Keeps a report on an open task whose `TaskSubmitted` is not recorded yet
    /// ([`Input::EarlyReport`]); a task already submitted takes it at once. A second report on
    /// the same task changes nothing (its token was spent on the first).
    fn early_report(&mut self, report: Input, entropy: &mut dyn Entropy) {
        let task = match &report {
            Input::TaskSucceeded { task, .. } | Input::TaskFailed { task, .. } => *task,
            _ => return,
        };
        if !self.tasks.contains_key(&task) || self.early.contains_key(&task) {
            return;
        }
        if self.submitted.contains_key(&task) {
            self.apply_report(report, entropy);
            return;
        }
        self.early.insert(task, report);
        self.step.changed = true;
    }

    /// Applies the report kept for the task, if any.
    fn release_early_report(&mut self, task: u64, entropy: &mut dyn Entropy) {
        if let Some(report) = self.early.remove(&task) {
            self.apply_report(report, entropy);
        }
    }

    fn apply_report(&mut self, report: Input, entropy: &mut dyn Entropy) {
        match report {
            Input::TaskSucceeded { task, output } => self.task_succeeded(task, output, entropy),
            Input::TaskFailed { task, error, cause } => {
                self.task_failed(task, error, cause, entropy)
            }
            _ => {}
        }
    }

    /// Whether a worker's report on the task is kept until its `TaskSubmitted`.
    pub fn is_task_reported(&self, task: u64) -> bool {
        self.early.contains_key(&task)
    }

    /// Whether the execution still waits for this task.
    pub fn is_task_open(&self, task: u64) -> bool {
        self.tasks.contains_key(&task)
    }

    /// Whether the task's `TaskSubmitted` is recorded.
    pub fn is_task_submitted(&self, task: u64) -> bool {
        self.submitted.contains_key(&task)
    }

    /// What the integration answered when the task was submitted (`TaskSubmitted`'s output).
    pub fn task_submission(&self, task: u64) -> Option<&Value> {
        self.submitted.get(&task)
    }

    fn take_task(&mut self, thread: usize, task: u64) -> Value {
        self.tasks.remove(&task);
        self.started.remove(&task);
        self.submitted.remove(&task);
        self.early.remove(&task);
        let phase = std::mem::replace(&mut self.threads[thread].phase, Phase::Work);
        match phase {
            Phase::Task {
                timeout_timer,
                effective,
                ..
            } => {
                if let Some(timer) = timeout_timer {
                    self.cancel_timer(timer);
                }
                effective
            }
            _ => Value::Null,
        }
    }

    fn task_succeeded(&mut self, task: u64, output: Value, entropy: &mut dyn Entropy) {
        let Some(thread) = self.task_thread(task) else {
            return;
        };
        let effective = self.take_task(thread, task);
        let resource = self.resource_of(thread);
        let output_text = json_text(&output);
        if output_text.len() > MAX_PAYLOAD_BYTES {
            // AWS records an oversized result as the task failing (`TaskFailed`, never
            // `TaskSucceeded`), naming the resource type of a service integration or the ARN
            // of a Lambda function or activity, and Retry/Catch see it like any task failure.
            let named = match describe_resource(&resource) {
                ResourceKind::Service { resource_type, .. } => resource_type,
                _ => resource,
            };
            return self.fail_task(
                thread,
                Some("States.DataLimitExceeded".to_owned()),
                Some(format!(
                    "The state/task '{named}' returned a result with a size exceeding the maximum number of bytes service limit."
                )),
                entropy,
            );
        }
        let event_type = match describe_resource(&resource) {
            ResourceKind::Activity => "ActivitySucceeded",
            ResourceKind::LambdaFunction => "LambdaFunctionSucceeded",
            ResourceKind::Service { .. } => "TaskSucceeded",
        };
        let mut details = json!({
            "output": output_text,
            "outputDetails": not_truncated(),
        });
        if let ResourceKind::Service {
            resource_type,
            resource,
        } = describe_resource(&resource)
        {
            details["resourceType"] = json!(resource_type);
            details["resource"] = json!(resource);
        }
        self.emit(thread, event_type, Details::Other(details));
        self.queue.push_back(thread);
        let _ = effective;
        self.finish_work(thread, output, entropy);
    }

    fn task_failed(
        &mut self,
        task: u64,
        error: Option<String>,
        cause: Option<String>,
        entropy: &mut dyn Entropy,
    ) {
        let Some(thread) = self.task_thread(task) else {
            return;
        };
        self.take_task(thread, task);
        self.fail_task(thread, error, cause, entropy);
    }

    /// Records the failure of the task `thread` waited for (already taken) and sends it on to
    /// Retry/Catch.
    fn fail_task(
        &mut self,
        thread: usize,
        error: Option<String>,
        cause: Option<String>,
        entropy: &mut dyn Entropy,
    ) {
        let resource = self.resource_of(thread);
        let mut details = error_details(&error, &cause);
        let event_type = match describe_resource(&resource) {
            ResourceKind::Activity => "ActivityFailed",
            ResourceKind::LambdaFunction => "LambdaFunctionFailed",
            ResourceKind::Service {
                resource_type,
                resource,
            } => {
                details.insert("resourceType".to_owned(), json!(resource_type));
                details.insert("resource".to_owned(), json!(resource));
                "TaskFailed"
            }
        };
        self.emit(thread, event_type, Details::Other(Value::Object(details)));
        // A task that names no error is matched as States.TaskFailed... no: AWS matches it by the
        // empty name, which only States.ALL and States.TaskFailed catch.
        let failure = Failure {
            error: error.unwrap_or_default(),
            cause: cause.unwrap_or_default(),
        };
        self.handle_failure(thread, failure, entropy);
    }

    fn task_timed_out(&mut self, task: u64, heartbeat: bool, entropy: &mut dyn Entropy) {
        let Some(thread) = self.task_thread(task) else {
            return;
        };
        self.take_task(thread, task);
        self.step.effects.push(Effect::CancelTask { id: task });
        let resource = self.resource_of(thread);
        let mut details = json!({ "error": "States.Timeout" });
        let event_type = match describe_resource(&resource) {
            ResourceKind::Activity => "ActivityTimedOut",
            ResourceKind::LambdaFunction => "LambdaFunctionTimedOut",
            ResourceKind::Service {
                resource_type,
                resource,
            } => {
                details["resourceType"] = json!(resource_type);
                details["resource"] = json!(resource);
                "TaskTimedOut"
            }
        };
        self.emit(thread, event_type, Details::Other(details));
        let error = if heartbeat {
            "States.HeartbeatTimeout"
        } else {
            "States.Timeout"
        };
        self.handle_failure(thread, Failure::new(error, ""), entropy);
    }

    fn timer_fired(&mut self, timer: u64, entropy: &mut dyn Entropy) {
        let Some((purpose, _)) = self.timers.remove(&timer) else {
            return;
        };
        match purpose {
            Timer::Wait(thread) => {
                if matches!(self.threads[thread].phase, Phase::Waiting { timer: t } if t == timer) {
                    self.threads[thread].phase = Phase::Work;
                    self.finish_wait(thread, entropy);
                }
            }
            Timer::Retry(thread) => {
                if matches!(self.threads[thread].phase, Phase::RetryDelay { timer: t } if t == timer)
                {
                    self.threads[thread].phase = Phase::Work;
                    self.queue.push_back(thread);
                }
            }
            Timer::TaskTimeout { task, .. } => self.task_timed_out(task, false, entropy),
            Timer::ExecutionTimeout => {
                self.abort_all();
                let previous = self.threads.first().map_or(0, |t| t.last_event);
                self.emit_with_prev(
                    previous,
                    "ExecutionTimedOut",
                    Details::Other(json!({ "error": "States.Timeout" })),
                );
                self.status = Status::TimedOut {
                    error: Some("States.Timeout".to_owned()),
                    cause: None,
                };
            }
        }
    }

    fn stop(&mut self, error: Option<String>, cause: Option<String>) {
        self.abort_all();
        let details = error_details(&error, &cause);
        // AWS records ExecutionAborted with previousEventId 0, whatever ran before it
        // (`test_stop_execution` in the recorded corpus).
        self.emit_with_prev(
            0,
            "ExecutionAborted",
            Details::Other(Value::Object(details)),
        );
        self.status = Status::Aborted { error, cause };
    }

    /// The history is full: end every thread and fail the execution (see [`MAX_HISTORY_EVENTS`]).
    fn history_limit_reached(&mut self) {
        self.abort_all();
        let error = HISTORY_LIMIT_ERROR.to_owned();
        let cause = format!(
            "The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
        );
        let previous = self.threads.first().map_or(0, |t| t.last_event);
        self.emit_with_prev(
            previous,
            "ExecutionFailed",
            Details::Other(json!({ "error": error, "cause": cause })),
        );
        self.status = Status::Failed {
            error: Some(error),
            cause: Some(cause),
        };
    }

    /// Ends every thread and cancels every outstanding task and timer.
    fn abort_all(&mut self) {
        let mut tasks: Vec<u64> = self.tasks.keys().copied().collect();
        tasks.sort_unstable();
        for id in tasks {
            self.step.effects.push(Effect::CancelTask { id });
        }
        self.tasks.clear();
        self.started.clear();
        self.submitted.clear();
        self.early.clear();
        let mut timers: Vec<u64> = self.timers.keys().copied().collect();
        timers.sort_unstable();
        for id in timers {
            self.step.effects.push(Effect::CancelTimer { id });
        }
        self.timers.clear();
        for thread in 0..self.threads.len() {
            self.close_run(thread, "ABORTED");
        }
        for thread in &mut self.threads {
            if let Phase::Children(children) = std::mem::replace(&mut thread.phase, Phase::Finished)
            {
                thread.stash = Some(children);
            }
        }
        self.queue.clear();
    }

    // ----- running threads -----------------------------------------------------------------

    fn run(&mut self, entropy: &mut dyn Entropy) {
        while let Some(thread) = self.queue.pop_front() {
            if self.is_finished() {
                self.queue.clear();
                break;
            }
            self.run_thread(thread, entropy);
        }
    }

    /// Runs a thread until it blocks or ends.
    fn run_thread(&mut self, thread: usize, entropy: &mut dyn Entropy) {
        if self.threads[thread].fresh {
            self.threads[thread].fresh = false;
            if let Some((parent, _)) = self.threads[thread].parent {
                self.threads[thread].last_event = self.threads[parent].last_event;
            }
        }
        loop {
            if self.is_finished() {
                return;
            }
            // Room is kept for the ExecutionFailed event itself.
            if self.next_event_id >= MAX_HISTORY_EVENTS {
                return self.history_limit_reached();
            }
            match self.threads[thread].phase {
                Phase::IterationStart => {
                    let (index, parent) =
                        match (&self.threads[thread].map_item, self.threads[thread].parent) {
                            (Some((index, _)), Some((parent, _))) => (*index, parent),
                            _ => (0, 0),
                        };
                    let parent_thread = &self.threads[parent];
                    let name = parent_thread.machine.states[parent_thread.state]
                        .name
                        .clone();
                    if self.starts_child(thread) {
                        self.start_child_history(thread);
                    } else {
                        self.emit(
                            thread,
                            "MapIterationStarted",
                            Details::Other(json!({ "index": index, "name": name })),
                        );
                    }
                    self.threads[thread].phase = Phase::Enter;
                }
                Phase::Enter => self.enter_state(thread),
                Phase::Work => {
                    if let Some(position) = self
                        .pending_failures
                        .iter()
                        .position(|(waiting, _)| *waiting == thread)
                    {
                        let (_, failure) = self.pending_failures.remove(position);
                        self.handle_children_failure(thread, failure, entropy);
                    } else {
                        self.do_work(thread, entropy);
                    }
                }
                Phase::Children(ref children) if children.complete => {
                    self.children_done(thread, entropy);
                }
                _ => return,
            }
        }
    }

    fn state_name(&self, thread: usize) -> Arc<str> {
        let t = &self.threads[thread];
        t.machine.states[t.state].name.clone()
    }

    fn enter_state(&mut self, thread: usize) {
        let t = &self.threads[thread];
        let state = &t.machine.states[t.state];
        let event_type = state_event(state.kind.type_name(), "StateEntered");
        let input: Arc<str> = match &t.input_text {
            Some(text) => text.clone(),
            None => json_text(&t.input).into(),
        };
        let details = Details::StateEntered {
            name: state.name.clone(),
            input: input.clone(),
        };
        let entered_after = self.threads[thread].last_event;
        let id = self.emit(thread, event_type, details);
        let now = self.now;
        let t = &mut self.threads[thread];
        t.input_text = Some(input);
        t.entered_event = id;
        t.entered_after = entered_after;
        t.entered_at = now;
        t.retry_counts.clear();
        t.result_text = None;
        t.output_is_result = false;
        t.task_token = None;
        t.staged = None;
        t.phase = Phase::Work;
    }

    /// The Context object as a state of this thread sees it.
    fn context(&self, thread: usize) -> Value {
        self.context_with(thread, true)
    }

    /// The Context object, without its `Execution` member (which holds the whole execution
    /// input) unless `execution`.
    fn context_with(&self, thread: usize, execution: bool) -> Value {
        let t = &self.threads[thread];
        let state = &t.machine.states[t.state];
        let retry_count: u64 = t.retry_counts.iter().sum();
        let mut context = json!({
            "StateMachine": {
                "Id": self.info.state_machine_arn,
                "Name": self.info.state_machine_name,
            },
            "State": {
                "Name": state.name,
                "EnteredTime": iso_millis(t.entered_at),
            },
        });
        if execution && let Some(object) = context.as_object_mut() {
            // `Execution` comes first, as AWS orders the Context object.
            let mut ordered = Map::with_capacity(object.len() + 1);
            ordered.insert(
                "Execution".to_owned(),
                json!({
                    "Id": self.info.execution_arn,
                    "Input": serde_json::from_str::<Value>(&self.input_text).unwrap_or(Value::Null),
                    "StartTime": iso_millis(self.info.start_time_ms),
                    "Name": self.info.name,
                    "RoleArn": self.info.role_arn,
                    "RedriveCount": self.redrive_count,
                }),
            );
            if let Some(at) = self.redrive_time {
                ordered["Execution"]["RedriveTime"] = json!(iso_millis(at));
            }
            ordered.append(object);
            *object = ordered;
        }
        // AWS shows a retry count only for the states that can retry (recorded for Task states;
        // a Pass state's context has none).
        if matches!(state.kind, Kind::Task(_) | Kind::Parallel(_) | Kind::Map(_)) {
            context["State"]["RetryCount"] = json!(retry_count);
        }
        if let Some(token) = &t.task_token {
            context["Task"] = json!({ "Token": token });
        }
        if let Some((index, value)) = &t.map_item {
            context["Map"] = json!({ "Item": { "Index": index, "Value": value } });
        }
        context
    }

    /// Runs `f` with an [`Env`] over `input` for this thread.
    fn with_env<R>(
        &self,
        thread: usize,
        input: &Value,
        entropy: &mut dyn Entropy,
        f: impl FnOnce(&mut Env<'_>) -> R,
    ) -> R {
        let context = || self.context(thread);
        // Most executions have no variables: no scope list is built for them.
        let scopes;
        let variables: &[&Map<String, Value>] = if self.has_variables(thread) {
            scopes = self.scopes(thread);
            &scopes
        } else {
            &[]
        };
        let mut env = Env {
            input,
            context: &context,
            variables,
            entropy,
        };
        f(&mut env)
    }

    /// Applies OutputPath (or InputPath) to a document the caller owns and no longer needs.
    ///
    /// Without a path (`Selector::Whole`, by far the most common case) the document is handed
    /// back as it is: going through [`dataflow::apply_selector`] would clone it, and profiling the
    /// interpreter benchmarks showed these clones of every state's output among the largest
    /// costs of a run.
    fn select_owned(
        &self,
        thread: usize,
        selector: &asl::model::Selector,
        document: Value,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        match selector {
            asl::model::Selector::Whole => Ok(document),
            _ => self.with_env(thread, &document, entropy, |env| {
                dataflow::apply_selector(selector, env)
            }),
        }
    }

    /// Wraps a data-processing failure with AWS's prefix and sends it to Retry/Catch.
    fn fail_state(&mut self, thread: usize, failure: Failure, entropy: &mut dyn Entropy) {
        let t = &self.threads[thread];
        let name = t.machine.states[t.state].name.clone();
        let failure = state_failure(&name, t.entered_event, failure);
        self.handle_failure(thread, failure, entropy);
    }

    fn do_work(&mut self, thread: usize, entropy: &mut dyn Entropy) {
        let machine = self.threads[thread].machine.clone();
        let state = &machine.states[self.threads[thread].state];
        if state.query_language == QueryLanguage::Jsonata {
            return self.do_work_jsonata(thread, entropy);
        }
        // Choice and Succeed states without InputPath and OutputPath pass their input on as it
        // is: move the document rather than copy it, and keep its text for the exit event.
        let passes_through = matches!(state.kind, Kind::Choice(_) | Kind::Succeed)
            && matches!(state.input_path, asl::model::Selector::Whole)
            && matches!(state.output_path, asl::model::Selector::Whole);
        let effective = if passes_through {
            let t = &mut self.threads[thread];
            t.result_text = t.input_text.clone();
            t.output_is_result = t.result_text.is_some();
            std::mem::take(&mut t.input)
        } else {
            // InputPath reads the raw input in place; cloning it first would copy it twice.
            match self.with_env(thread, &self.threads[thread].input, entropy, |env| {
                dataflow::apply_selector(&state.input_path, env)
            }) {
                Ok(value) => value,
                Err(failure) => return self.fail_state(thread, failure, entropy),
            }
        };
        match &state.kind {
            Kind::Pass(pass) => {
                let result = match (&pass.result, &pass.parameters) {
                    (Some(result), _) => Ok(result.clone()),
                    (None, Some(parameters)) => self.with_env(thread, &effective, entropy, |env| {
                        dataflow::evaluate_template(parameters, env)
                    }),
                    (None, None) => Ok(effective),
                };
                match result {
                    Ok(result) => {
                        self.finish_with_result(thread, result, None, &pass.result_path, entropy)
                    }
                    Err(failure) => self.fail_state(thread, failure, entropy),
                }
            }
            Kind::Succeed => {
                match self.select_owned(thread, &state.output_path, effective, entropy) {
                    Ok(output) => {
                        self.exit_state(thread, "Succeed", &output);
                        self.finish_thread(thread, Ok(output));
                    }
                    Err(failure) => self.fail_state(thread, failure, entropy),
                }
            }
            Kind::Fail(fail) => {
                let mut field =
                    |fixed: &Option<String>, path: &Option<asl::model::Expression>, name: &str| {
                        self.with_env(thread, &effective, entropy, |env| {
                            dataflow::fail_field(fixed, path, name, env)
                        })
                    };
                let error = field(&fail.error, &fail.error_path, "ErrorPath");
                let cause = field(&fail.cause, &fail.cause_path, "CausePath");
                match (error, cause) {
                    (Ok(error), Ok(cause)) => {
                        self.threads[thread].phase = Phase::Finished;
                        self.finish_thread(thread, Err((error, cause)));
                    }
                    (Err(failure), _) | (_, Err(failure)) => {
                        let t = &self.threads[thread];
                        let failure = state_failure(&state.name, t.entered_event, failure);
                        self.finish_thread(thread, Err((Some(failure.error), Some(failure.cause))));
                    }
                }
            }
            Kind::Choice(choice) => {
                let mut next = None;
                let mut chosen = None;
                for rule in &choice.choices {
                    match self.with_env(thread, &effective, entropy, |env| {
                        asl::choice::evaluate(&rule.condition, env)
                    }) {
                        Ok(true) => {
                            next = Some(rule.next);
                            chosen = Some(rule);
                            break;
                        }
                        Ok(false) => {}
                        Err(failure) => return self.fail_state(thread, failure, entropy),
                    }
                }
                let Some(next) = next.or(choice.default) else {
                    let t = &self.threads[thread];
                    let failure = Failure::new(
                        "States.NoChoiceMatched",
                        format!(
                            "An error occurred while executing the state '{}' (entered at the event id #{}). No Choice Rule matched and no Default specified",
                            state.name, t.entered_event
                        ),
                    );
                    return self.handle_failure(thread, failure, entropy);
                };
                // The state's Assign, then the chosen rule's, both over the effective input.
                let rule_assign = chosen.and_then(|rule| rule.assign.as_ref());
                for assign in [state.assign.as_ref(), rule_assign].into_iter().flatten() {
                    let staged = self
                        .evaluate_assign(thread, assign, &effective, None, entropy)
                        .and_then(|assigned| self.stage_assign(thread, assigned));
                    if let Err(failure) = staged {
                        return self.fail_state(thread, failure, entropy);
                    }
                }
                match self.select_owned(thread, &state.output_path, effective, entropy) {
                    Ok(output) => {
                        self.exit_state(thread, "Choice", &output);
                        self.go_to(thread, next, output);
                    }
                    Err(failure) => self.fail_state(thread, failure, entropy),
                }
            }
            Kind::Wait(wait) => {
                let fire_at = match self.wait_until(thread, wait, &effective, entropy) {
                    Ok(fire_at) => fire_at,
                    Err(failure) => return self.fail_state(thread, failure, entropy),
                };
                let timer = self.start_timer(Timer::Wait(thread), fire_at);
                self.threads[thread].phase = Phase::Waiting { timer };
            }
            Kind::Task(task) => {
                self.draw_task_token(thread, &task.resource, entropy);
                let parameters = match &task.parameters {
                    Some(parameters) => self.with_env(thread, &effective, entropy, |env| {
                        dataflow::evaluate_template(parameters, env)
                    }),
                    None => Ok(effective),
                };
                let parameters = match parameters {
                    Ok(value) => value,
                    Err(failure) => return self.fail_state(thread, failure, entropy),
                };
                let resolve = |this: &Self, seconds: &Option<Seconds>, field: &str| match seconds {
                    None => Ok(None),
                    Some(Seconds::Fixed(value)) => Ok(Some(*value)),
                    Some(Seconds::Path(path)) => {
                        let t = &this.threads[thread];
                        let value = this
                            .with_env(thread, &t.input, &mut asl::SeededEntropy::new(0), |env| {
                                env.select(path)
                            })
                            .ok_or_else(|| missing_path(path))?;
                        value.as_u64().map(Some).ok_or_else(|| {
                            Failure::new(
                                "States.Runtime",
                                format!("The {field} field must be a positive integer"),
                            )
                        })
                    }
                };
                let timeout = match resolve(self, &task.timeout, "TimeoutSecondsPath") {
                    Ok(value) => value,
                    Err(failure) => return self.fail_state(thread, failure, entropy),
                };
                let heartbeat = match resolve(self, &task.heartbeat, "HeartbeatSecondsPath") {
                    Ok(value) => value,
                    Err(failure) => return self.fail_state(thread, failure, entropy),
                };
                self.schedule_task(thread, &task.resource, parameters, timeout, heartbeat);
            }
            Kind::Parallel(parallel) => {
                let parameters = match &parallel.parameters {
                    Some(parameters) => self.with_env(thread, &effective, entropy, |env| {
                        dataflow::evaluate_template(parameters, env)
                    }),
                    None => Ok(effective),
                };
                let branch_input = match parameters {
                    Ok(value) => value,
                    Err(failure) => return self.fail_state(thread, failure, entropy),
                };
                self.launch_parallel(thread, parallel.branches.len(), branch_input);
            }
            Kind::Map(map) => self.start_map(thread, map, effective, entropy),
        }
    }

    /// Starts a Parallel state's `count` branches, each with `branch_input`.
    fn launch_parallel(&mut self, thread: usize, count: usize, branch_input: Value) {
        let branch_text = match &self.threads[thread].input_text {
            Some(text) if branch_input == self.threads[thread].input => Some(text.clone()),
            _ => None,
        };
        self.emit(thread, "ParallelStateStarted", Details::None);
        let children = Children {
            is_map: false,
            threads: vec![None; count],
            results: vec![Value::Null; count],
            result_texts: vec![None; count],
            items: vec![branch_input; count],
            effective: Value::Null,
            next_slot: 0,
            running: 0,
            done: 0,
            failures: 0,
            max_concurrency: 0,
            tolerated_count: None,
            tolerated_percentage: None,
            complete: false,
            branch_text,
            succeeded: vec![false; count],
            distributed: false,
            revive_queue: VecDeque::new(),
            run: None,
            failed: vec![false; count],
            weights: vec![1; count],
        };
        self.install_children(thread, children);
    }

    /// Draws the task token of an activity or `.waitForTaskToken` task from the execution's
    /// entropy (so a replay draws the same one); other tasks have none.
    fn draw_task_token(&mut self, thread: usize, resource: &str, entropy: &mut dyn Entropy) {
        let needs_token = resource.ends_with(".waitForTaskToken")
            || describe_resource(resource) == ResourceKind::Activity;
        self.threads[thread].task_token = needs_token.then(|| {
            let mut bytes = [0u8; 32];
            entropy.fill_bytes(&mut bytes);
            bytes.iter().map(|byte| format!("{byte:02x}")).collect()
        });
    }

    fn wait_until(
        &self,
        thread: usize,
        wait: &Wait,
        effective: &Value,
        entropy: &mut dyn Entropy,
    ) -> Result<i64, Failure> {
        let _ = entropy;
        let seconds_from_now = |seconds: u64| {
            self.now
                .saturating_add((seconds as i64).saturating_mul(1000))
        };
        match wait {
            Wait::Seconds(seconds) => Ok(seconds_from_now(*seconds)),
            Wait::Timestamp(text) => asl::choice::parse_timestamp(text)
                .map(|at| at.timestamp_millis())
                .ok_or_else(|| {
                    Failure::new(
                        "States.Runtime",
                        format!(
                            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
                        ),
                    )
                }),
            Wait::SecondsPath(path) => {
                let value = self
                    .with_env(thread, effective, &mut asl::SeededEntropy::new(0), |env| {
                        env.select(path)
                    })
                    .ok_or_else(|| missing_path(path))?;
                match value.as_i64() {
                    Some(seconds) if seconds >= 0 => Ok(seconds_from_now(seconds as u64)),
                    _ => Err(Failure::new(
                        "States.Runtime",
                        format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                            path.source(),
                            display_value(&value)
                        ),
                    )),
                }
            }
            Wait::TimestampPath(path) => {
                let value = self
                    .with_env(thread, effective, &mut asl::SeededEntropy::new(0), |env| {
                        env.select(path)
                    })
                    .ok_or_else(|| missing_path(path))?;
                value
                    .as_str()
                    .and_then(asl::choice::parse_timestamp)
                    .map(|at| at.timestamp_millis())
                    .ok_or_else(|| {
                        Failure::new(
                            "States.Runtime",
                            format!(
                                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                                path.source(),
                                display_value(&value)
                            ),
                        )
                    })
            }
            Wait::Jsonata { .. } => Err(Failure::new(
                "States.Runtime",
                "JSONata expressions are not supported yet",
            )),
        }
    }

    fn finish_wait(&mut self, thread: usize, entropy: &mut dyn Entropy) {
        let machine = self.threads[thread].machine.clone();
        let state = &machine.states[self.threads[thread].state];
        if state.query_language == QueryLanguage::Jsonata {
            return self.finish_wait_jsonata(thread, entropy);
        }
        let result = self
            .with_env(thread, &self.threads[thread].input, entropy, |env| {
                dataflow::apply_selector(&state.input_path, env)
            })
            .and_then(|effective| {
                let assigned = match &state.assign {
                    Some(assign) => {
                        Some(self.evaluate_assign(thread, assign, &effective, None, entropy)?)
                    }
                    None => None,
                };
                let output = self.select_owned(thread, &state.output_path, effective, entropy)?;
                Ok((output, assigned))
            })
            .and_then(|(output, assigned)| match assigned {
                Some(assigned) => self.stage_assign(thread, assigned).map(|()| output),
                None => Ok(output),
            });
        match result {
            Ok(output) => {
                self.exit_state(thread, "Wait", &output);
                self.transition(thread, state.transition, output);
                self.queue.push_back(thread);
            }
            Err(failure) => self.fail_state(thread, failure, entropy),
        }
    }

    fn schedule_task(
        &mut self,
        thread: usize,
        resource: &str,
        parameters: Value,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
    ) {
        let task = self.new_effect_id();
        let (event_type, mut details) = match describe_resource(resource) {
            ResourceKind::Activity => (
                "ActivityScheduled",
                json!({
                    "resource": resource,
                    "input": json_text(&parameters),
                    "inputDetails": not_truncated(),
                }),
            ),
            ResourceKind::LambdaFunction => (
                "LambdaFunctionScheduled",
                json!({
                    "resource": resource,
                    "input": json_text(&parameters),
                    "inputDetails": not_truncated(),
                }),
            ),
            ResourceKind::Service {
                resource_type,
                resource,
            } => (
                "TaskScheduled",
                json!({
                    "resourceType": resource_type,
                    "resource": resource,
                    "region": self.info.region,
                    "parameters": json_text(&parameters),
                }),
            ),
        };
        if let Some(timeout) = timeout {
            details["timeoutInSeconds"] = json!(timeout);
        }
        if let Some(heartbeat) = heartbeat {
            details["heartbeatInSeconds"] = json!(heartbeat);
        }
        self.emit(thread, event_type, Details::Other(details));
        let timeout_timer = timeout.map(|seconds| {
            let fire_at = self
                .now
                .saturating_add((seconds as i64).saturating_mul(1000));
            self.start_timer(Timer::TaskTimeout { task }, fire_at)
        });
        let state_name = self.state_name(thread);
        let request = TaskRequest {
            id: task,
            state_name: state_name.to_string(),
            resource: resource.to_owned(),
            input: parameters.clone(),
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            task_token: self.threads[thread].task_token.clone(),
        };
        self.tasks.insert(task, (thread, request.clone()));
        self.step.effects.push(Effect::InvokeTask(request));
        self.threads[thread].phase = Phase::Task {
            task,
            timeout_timer,
            effective: parameters,
        };
    }

    /// A Task, Parallel or Map state's work produced `result`: apply ResultSelector, ResultPath
    /// and OutputPath, exit the state and go on.
    fn finish_work(&mut self, thread: usize, result: Value, entropy: &mut dyn Entropy) {
        let machine = self.threads[thread].machine.clone();
        let state = &machine.states[self.threads[thread].state];
        if state.query_language == QueryLanguage::Jsonata {
            return self.finish_work_jsonata(thread, result, entropy);
        }
        let (selector, result_path) = match &state.kind {
            Kind::Task(task) => (task.result_selector.as_ref(), &task.result_path),
            Kind::Parallel(parallel) => (parallel.result_selector.as_ref(), &parallel.result_path),
            Kind::Map(map) => (map.result_selector.as_ref(), &map.result_path),
            _ => (None, &ResultPath::Replace),
        };
        self.finish_with_result(thread, result, selector, result_path, entropy);
    }

    fn finish_with_result(
        &mut self,
        thread: usize,
        result: Value,
        result_selector: Option<&asl::model::Template>,
        result_path: &ResultPath,
        entropy: &mut dyn Entropy,
    ) {
        let machine = self.threads[thread].machine.clone();
        let state = &machine.states[self.threads[thread].state];
        self.threads[thread].output_is_result = result_selector.is_none()
            && matches!(result_path, ResultPath::Replace)
            && matches!(state.output_path, asl::model::Selector::Whole);
        let output = (|| {
            let selected = match result_selector {
                Some(template) => self.with_env(thread, &result, entropy, |env| {
                    dataflow::evaluate_template(template, env)
                })?,
                None => result,
            };
            let assigned = match &state.assign {
                Some(assign) => {
                    Some(self.evaluate_assign(thread, assign, &selected, None, entropy)?)
                }
                None => None,
            };
            // The raw input is only read (and copied only when ResultPath merges into it or
            // discards the result), and OutputPath takes the merged document by value: each
            // clone saved here is a copy of the state's whole input or output.
            let merged =
                dataflow::apply_result_path(result_path, &self.threads[thread].input, selected)?;
            let output = self.select_owned(thread, &state.output_path, merged, entropy)?;
            Ok((output, assigned))
        })();
        let output = output.and_then(|(output, assigned)| match assigned {
            Some(assigned) => self.stage_assign(thread, assigned).map(|()| output),
            None => Ok(output),
        });
        match output {
            Ok(output) => {
                let text = self.output_text(thread, &output);
                if text.len() > MAX_PAYLOAD_BYTES {
                    // A state's output is held to the same 256 KiB as task results.
                    let failure = Failure::new(
                        "States.DataLimitExceeded",
                        format!(
                            "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                            state.name
                        ),
                    );
                    return self.handle_failure(thread, failure, entropy);
                }
                self.exit_state_with_text(thread, state.kind.type_name(), text);
                self.transition(thread, state.transition, output);
            }
            Err(failure) => self.fail_state(thread, failure, entropy),
        }
    }

    /// The text of a state's output: the text it came with when it is unchanged, else compact
    /// JSON.
    fn output_text(&self, thread: usize, output: &Value) -> Arc<str> {
        let t = &self.threads[thread];
        match (&t.input_text, &t.result_text) {
            (_, Some(text)) if t.output_is_result => text.clone(),
            (Some(text), _) if *output == t.input => text.clone(),
            _ => json_text(output).into(),
        }
    }

    fn exit_state(&mut self, thread: usize, type_name: &str, output: &Value) {
        let text = self.output_text(thread, output);
        self.exit_state_with_text(thread, type_name, text);
    }

    fn exit_state_with_text(&mut self, thread: usize, type_name: &str, text: Arc<str>) {
        let t = &self.threads[thread];
        let name = t.machine.states[t.state].name.clone();
        let assigned = self.apply_staged(thread);
        self.emit(
            thread,
            state_event(type_name, "StateExited"),
            Details::StateExited {
                name,
                output: text.clone(),
                assigned,
            },
        );
        self.threads[thread].output_text = Some(text);
    }

    fn go_to(&mut self, thread: usize, next: usize, input: Value) {
        let t = &mut self.threads[thread];
        // What a Parallel or Map left for a redrive belongs to the state being left.
        t.stash = None;
        t.redrive_children = None;
        t.state = next;
        t.input = input;
        t.input_text = t.output_text.take();
        t.phase = Phase::Enter;
    }

    fn transition(&mut self, thread: usize, transition: Transition, output: Value) {
        match transition {
            Transition::Next(next) => self.go_to(thread, next, output),
            Transition::End | Transition::None => self.finish_thread(thread, Ok(output)),
        }
    }

    /// A Parallel or Map state's branch failed: retry the whole state, or record
    /// `…StateFailed` and go on to Catch.
    fn handle_children_failure(
        &mut self,
        thread: usize,
        failure: Failure,
        entropy: &mut dyn Entropy,
    ) {
        self.threads[thread].staged = None;
        if self.retry(thread, &failure, entropy) {
            return;
        }
        let type_name = {
            let t = &self.threads[thread];
            t.machine.states[t.state].kind.type_name()
        };
        self.emit(thread, state_event(type_name, "StateFailed"), Details::None);
        self.catch_or_fail(thread, failure, entropy);
    }

    /// Sends a failure to the state's Retry and Catch, or ends the thread with it.
    fn handle_failure(&mut self, thread: usize, failure: Failure, entropy: &mut dyn Entropy) {
        // What the failed state had staged to assign is not assigned (a catcher stages anew).
        self.threads[thread].staged = None;
        if self.retry(thread, &failure, entropy) {
            return;
        }
        self.catch_or_fail(thread, failure, entropy);
    }

    /// Schedules a retry when a retrier matches and has attempts left.
    fn retry(&mut self, thread: usize, failure: &Failure, entropy: &mut dyn Entropy) -> bool {
        let machine = self.threads[thread].machine.clone();
        let state = &machine.states[self.threads[thread].state];
        if let Some((index, retrier)) = state
            .retriers()
            .iter()
            .enumerate()
            .find(|(_, retrier)| error_matches(&retrier.error_equals, &failure.error))
        {
            let counts = &mut self.threads[thread].retry_counts;
            if counts.len() < state.retriers().len() {
                counts.resize(state.retriers().len(), 0);
            }
            let attempts = counts[index];
            if attempts < retrier.max_attempts {
                counts[index] += 1;
                let delay_ms = retry_delay_ms(retrier, attempts, entropy);
                let timer = self.start_timer(Timer::Retry(thread), self.now + delay_ms);
                self.threads[thread].phase = Phase::RetryDelay { timer };
                return true;
            }
        }
        false
    }

    /// Sends a failure to the first matching catcher, or ends the thread with it.
    fn catch_or_fail(&mut self, thread: usize, failure: Failure, entropy: &mut dyn Entropy) {
        let machine = self.threads[thread].machine.clone();
        let state = &machine.states[self.threads[thread].state];
        if let Some(catcher) = state
            .catchers()
            .iter()
            .find(|catcher| error_matches(&catcher.error_equals, &failure.error))
        {
            return self.catch(thread, catcher, failure, state.kind.type_name(), entropy);
        }
        // `States.HeartbeatTimeout` exists only for Retry and Catch to match on; AWS records a
        // missed heartbeat as `States.Timeout` everywhere else (aws-semantics.md §6.6).
        let error = match failure.error.as_str() {
            "" => None,
            "States.HeartbeatTimeout" => Some("States.Timeout".to_owned()),
            _ => Some(failure.error),
        };
        let cause = Some(failure.cause).filter(|cause| !cause.is_empty());
        self.finish_thread(thread, Err((error, cause)));
    }

    fn catch(
        &mut self,
        thread: usize,
        catcher: &Catcher,
        failure: Failure,
        type_name: &str,
        entropy: &mut dyn Entropy,
    ) {
        let mut error_output = Map::new();
        error_output.insert("Error".to_owned(), Value::String(failure.error));
        error_output.insert("Cause".to_owned(), Value::String(failure.cause));
        let t = &self.threads[thread];
        if t.machine.states[t.state].query_language == QueryLanguage::Jsonata {
            let error_output = Value::Object(error_output);
            return self.catch_jsonata(thread, catcher, error_output, type_name, entropy);
        }
        let error_output = Value::Object(error_output);
        if let Some(assign) = &catcher.assign {
            let staged = self
                .evaluate_assign(thread, assign, &error_output, None, entropy)
                .and_then(|assigned| self.stage_assign(thread, assigned));
            if let Err(failure) = staged {
                let t = &self.threads[thread];
                let failure =
                    state_failure(&t.machine.states[t.state].name, t.entered_event, failure);
                return self.finish_thread(thread, Err((Some(failure.error), Some(failure.cause))));
            }
        }
        match dataflow::apply_result_path(
            &catcher.result_path,
            &self.threads[thread].input,
            error_output,
        ) {
            Ok(output) => {
                self.exit_state(thread, type_name, &output);
                self.go_to(thread, catcher.next, output);
                self.queue.push_back(thread);
            }
            Err(failure) => {
                let _ = entropy;
                let error = Some(failure.error);
                let cause = Some(failure.cause);
                self.finish_thread(thread, Err((error, cause)));
            }
        }
    }

    /// Ends a thread: the execution itself, or a branch or iteration reporting to its parent.
    fn finish_thread(
        &mut self,
        thread: usize,
        outcome: Result<Value, (Option<String>, Option<String>)>,
    ) {
        self.threads[thread].phase = Phase::Finished;
        let Some((parent, slot)) = self.threads[thread].parent else {
            return self.finish_execution(outcome);
        };
        match outcome {
            Ok(output) => self.child_succeeded(parent, slot, thread, output),
            Err((error, cause)) => self.child_failed(parent, slot, thread, error, cause),
        }
    }

    fn finish_execution(&mut self, outcome: Result<Value, (Option<String>, Option<String>)>) {
        let previous = self.threads[0].last_event;
        match outcome {
            Ok(output) => {
                let text: Arc<str> = match &self.threads[0].output_text {
                    Some(text) => text.clone(),
                    None => json_text(&output).into(),
                };
                self.emit_with_prev(
                    previous,
                    "ExecutionSucceeded",
                    Details::ExecutionSucceeded { output: text },
                );
                self.status = Status::Succeeded { output };
            }
            Err((error, cause)) => {
                let details = error_details(&error, &cause);
                self.emit_with_prev(
                    previous,
                    "ExecutionFailed",
                    Details::Other(Value::Object(details)),
                );
                self.status = Status::Failed { error, cause };
            }
        }
        let mut timers: Vec<u64> = self.timers.keys().copied().collect();
        timers.sort_unstable();
        for id in timers {
            self.cancel_timer(id);
        }
    }

    // ----- Parallel and Map -------------------------------------------------------------------

    fn start_map(
        &mut self,
        thread: usize,
        map: &MapState,
        effective: Value,
        entropy: &mut dyn Entropy,
    ) {
        if map.uses_s3 {
            return self.fail_state(thread, s3_unsupported(), entropy);
        }
        let items = match self.with_env(thread, &effective, entropy, |env| {
            dataflow::apply_selector(&map.items_path, env)
        }) {
            Ok(Value::Array(items)) => items,
            Ok(other) => {
                return self.fail_state(
                    thread,
                    Failure::new(
                        "States.Runtime",
                        format!(
                            "Map state input must be an array but was: {}",
                            display_value(&other)
                        ),
                    ),
                    entropy,
                );
            }
            Err(failure) => return self.fail_state(thread, failure, entropy),
        };
        let input = self.threads[thread].input.clone();
        let number = |this: &Self, seconds: &Option<Seconds>, field: &str| match seconds {
            None => Ok(None),
            Some(Seconds::Fixed(value)) => Ok(Some(*value)),
            Some(Seconds::Path(path)) => {
                // A path may name a variable (`$maxConcurrency`) or the Context object.
                let value = this
                    .with_env(thread, &input, &mut asl::SeededEntropy::new(0), |env| {
                        env.select(path)
                    })
                    .ok_or_else(|| missing_path(path))?;
                if field == "ToleratedFailureCountPath" && value.as_i64().is_some_and(|n| n < 0) {
                    return Err(Failure::new(
                        "States.Runtime",
                        "ToleratedFailureCount cannot be negative.",
                    ));
                }
                // AWS takes an integer written as a string too (`"1"`).
                let number = value
                    .as_u64()
                    .or_else(|| value.as_str().and_then(|text| text.parse().ok()));
                number.map(Some).ok_or_else(|| {
                    Failure::new(
                        "States.Runtime",
                        format!(
                            "The {field} field refers to value \"{}\" which is not a valid integer: {}",
                            display_value(&value),
                            path.source()
                        ),
                    )
                })
            }
        };
        let max_concurrency = match number(self, &map.max_concurrency, "MaxConcurrencyPath") {
            Ok(value) => value.unwrap_or(0) as usize,
            Err(failure) => return self.fail_state(thread, failure, entropy),
        };
        // A map run starts before its tolerated failures are read: AWS records MapStateStarted
        // before failing on them.
        let tolerance_failed = |this: &mut Self, failure: Failure, entropy: &mut dyn Entropy| {
            if map.distributed {
                this.emit(
                    thread,
                    "MapStateStarted",
                    Details::Other(json!({ "length": items.len() })),
                );
            }
            this.fail_state(thread, failure, entropy)
        };
        let tolerated_count = match number(
            self,
            &map.tolerated_failure_count,
            "ToleratedFailureCountPath",
        ) {
            Ok(value) => value,
            Err(failure) => return tolerance_failed(self, failure, entropy),
        };
        let tolerated_percentage = match &map.tolerated_failure_percentage {
            None => None,
            Some(Percentage::Fixed(value)) => Some(*value),
            Some(Percentage::Path(path)) => match self
                .with_env(thread, &input, &mut asl::SeededEntropy::new(0), |env| {
                    env.select(path)
                })
                .and_then(|v| {
                    v.as_f64()
                        .or_else(|| v.as_str().and_then(|text| text.parse().ok()))
                }) {
                Some(value) if (0.0..=100.0).contains(&value) => Some(value),
                _ => {
                    let failure = Failure::new(
                        "States.Runtime",
                        "ToleratedFailurePercentage must be between 0 and 100.",
                    );
                    return tolerance_failed(self, failure, entropy);
                }
            },
        };
        // Each item's input: ItemSelector evaluated over the Map's effective input, with the
        // item in the Context object.
        let mut inputs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_input = match &map.item_selector {
                None => Ok(item.clone()),
                Some(selector) => {
                    let saved = self.threads[thread].map_item.take();
                    self.threads[thread].map_item = Some((index, item.clone()));
                    let result = self.with_env(thread, &effective, entropy, |env| {
                        dataflow::evaluate_template(selector, env)
                    });
                    self.threads[thread].map_item = saved;
                    result
                }
            };
            match item_input {
                Ok(value) => inputs.push(value),
                Err(failure) => return self.fail_state(thread, failure, entropy),
            }
        }
        let (items, inputs) = match self.batch(thread, map, &effective, items, inputs, entropy) {
            Ok(batched) => batched,
            Err(failure) => return self.fail_state(thread, failure, entropy),
        };
        let map_run = self.map_run_arn(thread, map, entropy);
        self.launch_batches(
            thread,
            items,
            inputs,
            (max_concurrency, tolerated_count, tolerated_percentage),
            map_run,
            map.item_batcher.is_some(),
        );
    }

    /// [`Execution::launch_map`] (`limits`: MaxConcurrency and the tolerated failures), each
    /// child of a `batched` map weighed by the items of its batch (`itemCounts`).
    fn launch_batches(
        &mut self,
        thread: usize,
        items: Vec<Value>,
        inputs: Vec<Value>,
        limits: (usize, Option<u64>, Option<f64>),
        map_run: Option<String>,
        batched: bool,
    ) {
        let (max_concurrency, tolerated_count, tolerated_percentage) = limits;
        let weights: Vec<u64> = inputs
            .iter()
            .map(|input| match input.get("Items") {
                Some(Value::Array(batch)) if input.as_object().is_some_and(|o| o.len() <= 2) => {
                    batch.len() as u64
                }
                _ => 1,
            })
            .collect();
        self.launch_map(
            thread,
            items,
            inputs,
            max_concurrency,
            tolerated_count,
            tolerated_percentage,
            map_run,
        );
        if batched && let Phase::Children(children) = &mut self.threads[thread].phase {
            children.weights = weights;
        }
    }

    /// The ARN of a Distributed Map's map run (`None` for an inline Map):
    /// `…:mapRun:<machine>/<label>:<id>`, the label being the Map's `Label` or its name.
    fn map_run_arn(
        &self,
        thread: usize,
        map: &MapState,
        entropy: &mut dyn Entropy,
    ) -> Option<String> {
        if !map.distributed {
            return None;
        }
        let prefix = self
            .info
            .execution_arn
            .split(":execution:")
            .next()
            .unwrap_or_default();
        let label = map
            .label
            .clone()
            .unwrap_or_else(|| self.state_name(thread).to_string());
        Some(format!(
            "{prefix}:mapRun:{}/{label}:{}",
            self.info.state_machine_name,
            entropy.uuid_v4()
        ))
    }

    /// A Distributed Map's `ItemBatcher`: the items grouped into batches, each child's input
    /// `{"BatchInput": ..., "Items": [...]}`. Without a batcher, the items as they are.
    fn batch(
        &mut self,
        thread: usize,
        map: &MapState,
        effective: &Value,
        items: Vec<Value>,
        inputs: Vec<Value>,
        entropy: &mut dyn Entropy,
    ) -> Result<(Vec<Value>, Vec<Value>), Failure> {
        let Some(batcher) = &map.item_batcher else {
            return Ok((items, inputs));
        };
        let input = self.threads[thread].input.clone();
        let limit = |this: &Self, seconds: &Option<Seconds>| -> Result<Option<u64>, Failure> {
            match seconds {
                None => Ok(None),
                Some(Seconds::Fixed(value)) => Ok(Some(*value)),
                Some(Seconds::Path(path)) => this
                    .with_env(thread, &input, &mut asl::SeededEntropy::new(0), |env| {
                        env.select(path)
                    })
                    .and_then(|value| value.as_u64())
                    .map(Some)
                    .ok_or_else(|| missing_path(path)),
            }
        };
        let max_items = limit(self, &batcher.max_items)?.filter(|max| *max > 0);
        let max_bytes = limit(self, &batcher.max_bytes)?.filter(|max| *max > 0);
        let batch_input = match &batcher.batch_input {
            None => None,
            Some(template) => Some(self.with_env(thread, effective, entropy, |env| {
                dataflow::evaluate_template(template, env)
            })?),
        };
        let mut batches: Vec<Vec<Value>> = Vec::new();
        let mut bytes = 0u64;
        for item in inputs {
            let size = json_text(&item).len() as u64;
            let full = batches.last().is_none_or(|batch| {
                max_items.is_some_and(|max| batch.len() as u64 >= max)
                    || max_bytes.is_some_and(|max| !batch.is_empty() && bytes + size > max)
            });
            if full {
                batches.push(Vec::new());
                bytes = 0;
            }
            bytes += size;
            batches.last_mut().expect("a batch was pushed").push(item);
        }
        let _ = items;
        let batched: Vec<Value> = batches
            .into_iter()
            .map(|items| {
                let mut object = Map::new();
                if let Some(batch_input) = &batch_input {
                    object.insert("BatchInput".to_owned(), batch_input.clone());
                }
                object.insert("Items".to_owned(), Value::Array(items));
                Value::Object(object)
            })
            .collect();
        Ok((batched.clone(), batched))
    }

    /// Starts a Map state's iterations over `items`, each with its input of `inputs`.
    #[allow(clippy::too_many_arguments)] // The Map's settings, each computed by the caller.
    fn launch_map(
        &mut self,
        thread: usize,
        items: Vec<Value>,
        inputs: Vec<Value>,
        max_concurrency: usize,
        tolerated_count: Option<u64>,
        tolerated_percentage: Option<f64>,
        map_run: Option<String>,
    ) {
        let count = items.len();
        self.emit(
            thread,
            "MapStateStarted",
            Details::Other(json!({ "length": count })),
        );
        // A redriven map run goes on under its own ARN.
        let redriven = self.threads[thread]
            .redrive_children
            .as_ref()
            .and_then(|children| children.run);
        let map_run = map_run.filter(|_| redriven.is_none());
        if let Some(index) = redriven {
            let run = &self.map_runs[index];
            let details = json!({ "mapRunArn": run.arn, "redriveCount": run.redrive_count + 1 });
            self.emit(thread, "MapRunRedriven", Details::Other(details));
        } else if let Some(arn) = &map_run {
            self.emit(
                thread,
                "MapRunStarted",
                Details::Other(json!({ "mapRunArn": arn })),
            );
        }
        let children = Children {
            is_map: true,
            threads: vec![None; count],
            results: vec![Value::Null; count],
            result_texts: vec![None; count],
            items: inputs,
            effective: Value::Array(items),
            next_slot: 0,
            running: 0,
            done: 0,
            failures: 0,
            max_concurrency,
            tolerated_count,
            tolerated_percentage,
            complete: false,
            branch_text: None,
            succeeded: vec![false; count],
            distributed: map_run.is_some(),
            revive_queue: VecDeque::new(),
            run: map_run.as_ref().map(|arn| {
                self.map_runs.push(MapRun {
                    arn: arn.clone(),
                    start_ms: self.now,
                    stop_ms: None,
                    status: "RUNNING",
                    max_concurrency: max_concurrency as u64,
                    tolerated_failure_count: tolerated_count.unwrap_or(0),
                    tolerated_failure_percentage: tolerated_percentage.unwrap_or(0.0),
                    counts: MapRunCounts::default(),
                    item_counts: MapRunCounts::default(),
                    redrive_count: 0,
                    redrive_ms: None,
                    thread,
                });
                self.map_runs.len() - 1
            }),
            failed: vec![false; count],
            weights: vec![1; count],
        };
        if count == 0 {
            self.threads[thread].phase = Phase::Children(Box::new(children));
            if let Phase::Children(children) = &mut self.threads[thread].phase {
                children.complete = true;
            }
            return;
        }
        self.install_children(thread, children);
    }

    /// Starts as many branches or iterations as the concurrency limit allows.
    fn start_children(&mut self, parent: usize) {
        // Children a redrive revives go first, within MaxConcurrency.
        loop {
            let Phase::Children(children) = &mut self.threads[parent].phase else {
                return;
            };
            if children.max_concurrency > 0 && children.running >= children.max_concurrency {
                return;
            }
            let Some(child) = children.revive_queue.pop_front() else {
                break;
            };
            children.running += 1;
            self.revive(child);
            self.queue.push_back(child);
        }
        loop {
            let machine = self.threads[parent].machine.clone();
            let state = &machine.states[self.threads[parent].state];
            let Phase::Children(children) = &mut self.threads[parent].phase else {
                return;
            };
            let total = children.threads.len();
            if children.next_slot >= total
                || (children.max_concurrency > 0 && children.running >= children.max_concurrency)
            {
                return;
            }
            let slot = children.next_slot;
            children.next_slot += 1;
            children.running += 1;
            let input = std::mem::take(&mut children.items[slot]);
            let parent_text = if !children.is_map {
                children.branch_text.clone()
            } else {
                None
            };
            let (sub_machine, map_item, phase) = match &state.kind {
                Kind::Parallel(parallel) => (parallel.branches[slot].clone(), None, Phase::Enter),
                Kind::Map(map) => {
                    let item = match &children.effective {
                        Value::Array(items) => items.get(slot).cloned().unwrap_or(Value::Null),
                        _ => Value::Null,
                    };
                    (
                        map.processor.clone(),
                        Some((slot, item)),
                        Phase::IterationStart,
                    )
                }
                _ => return,
            };
            let child = self.threads.len();
            let mut silent = self.threads[parent].silent;
            let mut child_execution = self.threads[parent].child;
            let mut run = None;
            if let Phase::Children(children) = &mut self.threads[parent].phase {
                children.threads[slot] = Some(child);
                silent |= children.distributed;
                if children.distributed {
                    run = children.run;
                }
            }
            if let Some(run) = run {
                child_execution = Some(self.new_child_execution(run, slot, &input));
            }
            let start_at = sub_machine.start_at;
            self.threads.push(Thread {
                machine: sub_machine,
                state: start_at,
                input,
                last_event: 0,
                entered_event: 0,
                entered_at: self.now,
                parent: Some((parent, slot)),
                map_item,
                phase,
                retry_counts: Vec::new(),
                fresh: true,
                input_text: parent_text,
                output_text: None,
                result_text: None,
                output_is_result: false,
                task_token: None,
                variables: Map::new(),
                staged: None,
                variables_bytes: 0,
                entered_after: 0,
                stash: None,
                redrive_children: None,
                silent,
                child: child_execution,
            });
            self.queue.push_back(child);
        }
    }

    fn child_succeeded(&mut self, parent: usize, slot: usize, child: usize, output: Value) {
        let child_last = self.threads[child].last_event;
        let child_text = self.threads[child].output_text.clone();
        if self.starts_child(child) {
            let text: Arc<str> = match &child_text {
                Some(text) => text.clone(),
                None => json_text(&output).into(),
            };
            self.end_child(
                child,
                "SUCCEEDED",
                Details::ExecutionSucceeded { output: text },
            );
        }
        let Phase::Children(children) = &mut self.threads[parent].phase else {
            return;
        };
        children.results[slot] = output;
        children.result_texts[slot] = child_text;
        children.succeeded[slot] = true;
        children.running -= 1;
        children.done += 1;
        let all_done = children.done == children.threads.len();
        let is_map = children.is_map;
        if children.distributed {
            // A child execution's end is not an event of this history.
        } else if is_map {
            let index = self.threads[child]
                .map_item
                .as_ref()
                .map_or(0, |item| item.0);
            let name = self.state_name(parent);
            let id = self.emit_in(
                parent,
                child_last,
                "MapIterationSucceeded",
                Details::Other(json!({ "index": index, "name": name })),
            );
            self.threads[parent].last_event = if all_done { id } else { child_last };
        } else {
            self.threads[parent].last_event = child_last;
        }
        if all_done {
            // Finish the state before anything else runs, as AWS records it.
            if let Phase::Children(children) = &mut self.threads[parent].phase {
                children.complete = true;
            }
            self.queue.push_front(parent);
        } else {
            self.start_children(parent);
        }
    }

    fn child_failed(
        &mut self,
        parent: usize,
        slot: usize,
        child: usize,
        error: Option<String>,
        cause: Option<String>,
    ) {
        if self.starts_child(child) {
            let details = error_details(&error, &cause);
            self.end_child(child, "FAILED", Details::Other(Value::Object(details)));
        }
        let child_last = self.threads[child].last_event;
        let Phase::Children(children) = &mut self.threads[parent].phase else {
            return;
        };
        children.running -= 1;
        children.done += 1;
        children.failures += 1;
        children.failed[slot] = true;
        let is_map = children.is_map;
        let total = children.threads.len();
        let failures = children.failures;
        let over_threshold = match (children.tolerated_count, children.tolerated_percentage) {
            (None, None) => true,
            (count, percentage) => {
                let over_count = count.is_some_and(|count| failures as u64 > count);
                let over_percentage = percentage.is_some_and(|percentage| {
                    (failures as f64) * 100.0 / (total.max(1) as f64) > percentage
                });
                // With only one of the two set, the other does not tolerate anything extra.
                match (count, percentage) {
                    (Some(_), Some(_)) => over_count && over_percentage,
                    (Some(_), None) => over_count,
                    _ => over_percentage,
                }
            }
        };
        let tolerated = !(over_threshold);
        let all_done = children.done == total;
        let distributed = children.distributed;
        children.results[slot] = Value::Null;
        if distributed {
            // A child execution's end is not an event of this history.
        } else if is_map {
            let index = self.threads[child]
                .map_item
                .as_ref()
                .map_or(0, |item| item.0);
            let name = self.state_name(parent);
            self.emit_in(
                parent,
                child_last,
                "MapIterationFailed",
                Details::Other(json!({ "index": index, "name": name })),
            );
        }
        if !distributed {
            self.threads[parent].last_event = child_last;
        }
        if tolerated {
            if all_done {
                if let Phase::Children(children) = &mut self.threads[parent].phase {
                    children.complete = true;
                }
                self.queue.push_front(parent);
            } else {
                self.start_children(parent);
            }
            return;
        }
        self.close_run(parent, "FAILED");
        self.abort_children(parent);
        let tolerance_set = match &self.threads[parent].phase {
            Phase::Children(children) => {
                children.tolerated_count.is_some() || children.tolerated_percentage.is_some()
            }
            _ => false,
        };
        if let Phase::Children(children) =
            std::mem::replace(&mut self.threads[parent].phase, Phase::Work)
        {
            self.threads[parent].stash = Some(children);
        }
        let failure = if tolerance_set || distributed {
            // A map run tolerates no failed child execution unless told to.
            Failure::new(
                "States.ExceedToleratedFailureThreshold",
                "The specified tolerated failure threshold was exceeded",
            )
        } else {
            Failure {
                error: error.unwrap_or_default(),
                cause: cause.unwrap_or_default(),
            }
        };
        if distributed {
            self.emit(
                parent,
                "MapRunFailed",
                Details::Other(json!({ "error": failure.error, "cause": failure.cause })),
            );
        }
        self.pending_failures.push((parent, failure));
        self.queue.push_front(parent);
    }

    /// Puts a Parallel or Map state's children in place, or, when a redrive handed back the
    /// children the state ended with, those: the ones that succeeded keep their results and the
    /// others go on from where each ended.
    fn install_children(&mut self, thread: usize, fresh: Children) {
        let Some(mut children) = self.threads[thread].redrive_children.take() else {
            self.threads[thread].phase = Phase::Children(Box::new(fresh));
            return self.start_children(thread);
        };
        if let Some(index) = children.run {
            let run = &mut self.map_runs[index];
            run.status = "RUNNING";
            run.stop_ms = None;
            run.redrive_count += 1;
            run.redrive_ms = Some(self.now);
        }
        children.running = 0;
        children.failures = 0;
        children.done = children.succeeded.iter().filter(|done| **done).count();
        children.complete = children.done == children.threads.len();
        children.revive_queue = (0..children.threads.len())
            .filter(|slot| !children.succeeded[*slot])
            .filter_map(|slot| children.threads[slot])
            .collect();
        children
            .failed
            .iter_mut()
            .for_each(|failed| *failed = false);
        let complete = children.complete;
        self.threads[thread].phase = Phase::Children(children);
        if complete {
            // Every child had succeeded: the state finishes on its thread's next run.
            self.queue.push_front(thread);
            return;
        }
        self.start_children(thread);
    }

    /// Readies a thread that ended without success to go on from the state it ended in.
    fn revive(&mut self, thread: usize) {
        let t = &mut self.threads[thread];
        t.retry_counts.clear();
        t.staged = None;
        t.task_token = None;
        t.redrive_children = t.stash.take();
        t.fresh = t.parent.is_some();
        t.phase = if t.map_item.is_some() {
            Phase::IterationStart
        } else {
            Phase::Enter
        };
    }

    /// `RedriveExecution`: a failed, timed-out or aborted execution goes on from the state it
    /// ended in, with that state's input; within a Parallel or Map state, only the branches or
    /// iterations that did not succeed run again. False when there is nothing to redrive.
    fn redrive(&mut self) -> bool {
        if !matches!(
            self.status,
            Status::Failed { .. } | Status::TimedOut { .. } | Status::Aborted { .. }
        ) || self.threads.is_empty()
            || self.redrive_refusal().is_some()
        {
            return false;
        }
        self.status = Status::Running;
        self.redrive_count += 1;
        self.redrive_time = Some(self.now);
        let previous = self.next_event_id - 1;
        let id = self.emit_with_prev(
            previous,
            "ExecutionRedriven",
            Details::Other(json!({ "redriveCount": self.redrive_count })),
        );
        self.pending_failures.clear();
        self.revive(0);
        self.threads[0].last_event = id;
        if let Some(seconds) = self.machine.timeout_seconds {
            let fire_at = self
                .now
                .saturating_add((seconds as i64).saturating_mul(1000));
            self.start_timer(Timer::ExecutionTimeout, fire_at);
        }
        self.queue.push_back(0);
        true
    }

    /// The map runs of its Distributed Map states, their counts as of now.
    pub fn map_runs(&self) -> Vec<MapRun> {
        self.map_runs
            .iter()
            .enumerate()
            .map(|(index, run)| {
                let mut run = run.clone();
                if run.status == "RUNNING"
                    && let Phase::Children(children) = &self.threads[run.thread].phase
                    && children.run == Some(index)
                {
                    run.counts = live_counts(children, false, false);
                    run.item_counts = live_counts(children, false, true);
                }
                run
            })
            .collect()
    }

    /// `UpdateMapRun`: new limits for a running map run (more children may start at once).
    fn update_map_run(
        &mut self,
        arn: &str,
        max_concurrency: Option<u64>,
        tolerated_failure_count: Option<u64>,
        tolerated_failure_percentage: Option<f64>,
    ) {
        let Some(index) = self
            .map_runs
            .iter()
            .position(|run| run.arn == arn && run.status == "RUNNING")
        else {
            return;
        };
        let thread = self.map_runs[index].thread;
        let Phase::Children(children) = &mut self.threads[thread].phase else {
            return;
        };
        if children.run != Some(index) {
            return;
        }
        let run = &mut self.map_runs[index];
        if let Some(max) = max_concurrency {
            children.max_concurrency = max as usize;
            run.max_concurrency = max;
        }
        if let Some(count) = tolerated_failure_count {
            children.tolerated_count = Some(count);
            run.tolerated_failure_count = count;
        }
        if let Some(percentage) = tolerated_failure_percentage {
            children.tolerated_percentage = Some(percentage);
            run.tolerated_failure_percentage = percentage;
        }
        self.step.changed = true;
        self.start_children(thread);
    }

    /// The child executions of its map runs, nested ones included.
    pub fn child_executions(&self) -> &[ChildExecution] {
        &self.child_executions
    }

    /// The ARNs of its map runs, nested ones included.
    pub fn map_run_arns(&self) -> impl Iterator<Item = &str> {
        self.map_runs.iter().map(|run| run.arn.as_str())
    }

    /// Ends the map run of `parent`'s Children, if it has one, keeping its counts.
    fn close_run(&mut self, parent: usize, status: &'static str) {
        let Phase::Children(children) = &self.threads[parent].phase else {
            return;
        };
        let Some(index) = children.run else {
            return;
        };
        let ending = status != "SUCCEEDED";
        let counts = live_counts(children, ending, false);
        let item_counts = live_counts(children, ending, true);
        let run = &mut self.map_runs[index];
        run.status = status;
        run.stop_ms = Some(self.now);
        run.counts = counts;
        run.item_counts = item_counts;
    }

    /// How many times the execution was redriven.
    pub fn redrive_count(&self) -> u64 {
        self.redrive_count
    }

    /// Why this ended execution cannot go on, in AWS's words; `None` when it can. (Whether
    /// it ended at all, and how, is the caller's to check.)
    pub fn redrive_refusal(&self) -> Option<&'static str> {
        if self.next_event_id >= MAX_HISTORY_EVENTS - 1 {
            return Some("Execution history event limit exceeded");
        }
        if jsonata::unsupported(&self.machine).is_some() {
            return Some("Execution uses features Switchback does not run yet");
        }
        None
    }

    /// Stops every branch or iteration of `parent` that is still running.
    fn abort_children(&mut self, parent: usize) {
        let child_ids: Vec<usize> = match &self.threads[parent].phase {
            Phase::Children(children) => children.threads.iter().flatten().copied().collect(),
            _ => return,
        };
        for child in child_ids {
            self.abort_thread(child);
        }
    }

    fn abort_thread(&mut self, thread: usize) {
        let phase = std::mem::replace(&mut self.threads[thread].phase, Phase::Finished);
        match phase {
            Phase::Finished => return,
            Phase::Task {
                task,
                timeout_timer,
                ..
            } => {
                self.tasks.remove(&task);
                self.started.remove(&task);
                self.submitted.remove(&task);
                self.early.remove(&task);
                self.step.effects.push(Effect::CancelTask { id: task });
                if let Some(timer) = timeout_timer {
                    self.cancel_timer(timer);
                }
            }
            Phase::Waiting { timer } | Phase::RetryDelay { timer } => self.cancel_timer(timer),
            Phase::Children(children) => {
                self.threads[thread].phase = Phase::Children(children);
                self.close_run(thread, "ABORTED");
                self.abort_children(thread);
                // Kept for a redrive, as the children of an aborted execution are.
                if let Phase::Children(children) =
                    std::mem::replace(&mut self.threads[thread].phase, Phase::Finished)
                {
                    self.threads[thread].stash = Some(children);
                }
            }
            Phase::IterationStart | Phase::Enter | Phase::Work => {
                // A revived child aborted before it ran keeps what it had for the next redrive.
                let t = &mut self.threads[thread];
                if t.stash.is_none() {
                    t.stash = t.redrive_children.take();
                }
                if self.starts_child(thread)
                    && let Some(child) = self.threads[thread].child
                {
                    let record = &mut self.child_executions[child];
                    record.status = "ABORTED";
                    record.stop_ms = Some(self.now);
                }
                self.queue.retain(|queued| *queued != thread);
                // Not started yet: nothing happened that needs an event.
                return;
            }
        }
        let type_name = {
            let t = &self.threads[thread];
            t.machine.states[t.state].kind.type_name()
        };
        self.emit(
            thread,
            state_event(type_name, "StateAborted"),
            Details::None,
        );
        if self.starts_child(thread) {
            return self.end_child(thread, "ABORTED", Details::Other(json!({})));
        }
        if let (Some((parent, _)), Some((index, _))) = (
            self.threads[thread].parent,
            self.threads[thread].map_item.clone(),
        ) {
            let name = self.state_name(parent);
            self.emit(
                thread,
                "MapIterationAborted",
                Details::Other(json!({ "index": index, "name": name })),
            );
        }
    }

    /// Every branch or iteration ended well (or within tolerance): finish the state.
    fn children_done(&mut self, parent: usize, entropy: &mut dyn Entropy) {
        self.close_run(parent, "SUCCEEDED");
        let phase = std::mem::replace(&mut self.threads[parent].phase, Phase::Work);
        let Phase::Children(children) = phase else {
            return;
        };
        let type_name = if children.is_map { "Map" } else { "Parallel" };
        // A map run's end follows its start; `MapStateExited` follows the start too (AWS since
        // November 2024; recordings before then show it after `MapRunSucceeded`).
        let run_started = self.threads[parent].last_event;
        if children.distributed {
            self.emit(parent, "MapRunSucceeded", Details::None);
        }
        // AWS records `…StateSucceeded` without moving the state's event chain on.
        let previous = self.threads[parent].last_event;
        self.emit_in(
            parent,
            previous,
            state_event(type_name, "StateSucceeded"),
            Details::None,
        );
        if children.distributed {
            self.threads[parent].last_event = run_started;
        }
        let mut text = String::from("[");
        for (index, (value, value_text)) in children
            .results
            .iter()
            .zip(&children.result_texts)
            .enumerate()
        {
            if index > 0 {
                text.push(',');
            }
            match value_text {
                Some(value_text) => text.push_str(value_text),
                None => text.push_str(&json_text(value)),
            }
        }
        text.push(']');
        self.threads[parent].result_text = Some(text.into());
        self.finish_work(parent, Value::Array(children.results), entropy);
    }
}

/// A map run's counts from its children; `ending` counts the running ones as aborted.
/// An error event's details: `error` and `cause`, each when given.
fn error_details(error: &Option<String>, cause: &Option<String>) -> Map<String, Value> {
    let mut details = Map::new();
    if let Some(error) = error {
        details.insert("error".to_owned(), json!(error));
    }
    if let Some(cause) = cause {
        details.insert("cause".to_owned(), json!(cause));
    }
    details
}

/// The name of a map run's child execution: a UUID that depends only on the run and the slot,
/// so that a replay names it the same.
fn child_name(map_run_arn: &str, slot: usize) -> String {
    asl::stable_uuid(map_run_arn, slot as u64)
}

/// `items` counts each child by its items (a batch counts all of its own).
fn live_counts(children: &Children, ending: bool, items: bool) -> MapRunCounts {
    let mut counts = MapRunCounts::default();
    for slot in 0..children.threads.len() {
        let weight = if items { children.weights[slot] } else { 1 };
        counts.total += weight;
        let bucket = if children.succeeded[slot] {
            &mut counts.succeeded
        } else if children.failed[slot] {
            &mut counts.failed
        } else if children.threads[slot].is_none()
            || children
                .revive_queue
                .iter()
                .any(|queued| Some(*queued) == children.threads[slot])
        {
            &mut counts.pending
        } else if ending {
            &mut counts.aborted
        } else {
            &mut counts.running
        };
        *bucket += weight;
    }
    counts
}

/// Why a Map that reads or writes S3 cannot run here.
pub(crate) fn s3_unsupported() -> Failure {
    Failure::new(
        "States.Runtime",
        "A Distributed Map with an ItemReader or a ResultWriter reads or writes S3, which Switchback does not run: give the items with Items or ItemsPath, or mock the state",
    )
}

fn missing_path(path: &asl::jsonpath::Path) -> Failure {
    Failure::new(
        "States.Runtime",
        format!(
            "Invalid path '{}' : No results for path: {}",
            path.source(),
            dataflow::bracket_form(path.source())
        ),
    )
}

/// A value as AWS prints it inside a message: strings bare, everything else as JSON.
fn display_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => json_text(other),
    }
}

/// The delay before retry number `attempts` (0-based) of this retrier, in milliseconds.
fn retry_delay_ms(retrier: &Retrier, attempts: u64, entropy: &mut dyn Entropy) -> i64 {
    let exponent = i32::try_from(attempts).unwrap_or(i32::MAX);
    let mut seconds = retrier.interval_seconds as f64 * retrier.backoff_rate.powi(exponent);
    if let Some(max) = retrier.max_delay_seconds {
        seconds = seconds.min(max as f64);
    }
    // AWS caps every delay at a year of seconds anyway; keep the arithmetic finite.
    seconds = seconds.clamp(0.0, 31_622_400.0);
    if retrier.full_jitter {
        let fraction = (entropy.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        seconds *= fraction;
    }
    (seconds * 1000.0) as i64
}
