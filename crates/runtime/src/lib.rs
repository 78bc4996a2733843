//! The runtime: the only place that runs things.
//!
//! Each execution is an actor (a tokio task) that owns its [`engine::Execution`]. For every input
//! it applies the engine, commits the step (journal entry, history events, new status) to the
//! store in one transaction, and only then performs the effects the step asked for: timers sleep
//! on tokio (shortened by the time scale), activity tasks wait in per-activity queues for
//! `GetActivityTask`, callback tasks wait for `SendTaskSuccess`/`SendTaskFailure`. Many
//! executions run at once; one slow task never blocks another.
//!
//! STANDARD executions are durable: on start-up [`Runtime::recover`] replays the journal of every
//! open execution, which rebuilds it exactly where it stood (the engine is deterministic and its
//! entropy is seeded per execution), and performs again whatever it still waits for: timers,
//! callback tokens, activity tasks (offered again even when a worker took them before the crash:
//! that worker's token still works, the first report wins, the start is recorded once, and the
//! heartbeat clock restarts). A worker hears of its task (`GetActivityTask`) and of its report
//! (`SendTaskSuccess`, ...) only once the step is committed, so what it was told survives a
//! crash. EXPRESS executions go through the same engine in memory and are not kept after they
//! end, as on AWS.

pub mod cluster;
pub mod deployments;
pub mod invoke;
pub mod logs;
pub mod mocks;
pub mod nested;
pub mod observe;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use asl::model::StateMachine;
use asl::{Entropy, SeededEntropy};
use engine::{Effect, Execution, ExecutionInfo, HistoryEvent, Input, Status, describe_resource};
use serde_json::Value;
use store::{ExecutionEnd, ExecutionRecord, JournalEntry, StepCommit, Store, StoredEvent};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::observe::{ExecutionMeta, Observer, TaskTracker};

/// What the runtime can fail with. The API maps each to AWS's error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such execution.
    #[error("Execution Does Not Exist: '{0}'")]
    ExecutionDoesNotExist(String),
    /// An execution with this name exists already with another input, or has ended.
    #[error("Execution Already Exists: '{0}'")]
    ExecutionAlreadyExists(String),
    /// No map run with this ARN.
    #[error("Resource not found: '{0}'")]
    MapRunDoesNotExist(String),
    /// `UpdateMapRun` of a map run that has ended.
    #[error("Map Run {0} is not running")]
    MapRunNotRunning(String),
    /// `RedriveExecution` of an execution that cannot be redriven; the reason.
    #[error("{0}")]
    ExecutionNotRedrivable(String),
    /// No such activity.
    #[error("Activity Does Not Exist: '{0}'")]
    ActivityDoesNotExist(String),
    /// A task token that is not one of ours.
    #[error("Invalid Token: '{0}'")]
    InvalidToken(String),
    /// A task token whose task has ended (completed, timed out or aborted).
    #[error("Task Timed Out: 'Provided task does not exist anymore'")]
    TaskTimedOut,
    /// `SendTaskSuccess` output that is not JSON.
    #[error("Invalid Output: '{0}'")]
    InvalidOutput(String),
    /// The definition stored for an execution cannot be run.
    #[error("the definition cannot be run: {0}")]
    InvalidDefinition(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Runtime settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The account in ARNs.
    pub account_id: String,
    /// The region in ARNs and task events.
    pub region: String,
    /// Every timer runs this many times faster (Wait states, timeouts, heartbeats, retries).
    pub time_scale: f64,
    /// Mocked integrations (`--mock-config`): executions started with a test case get their
    /// tasks' answers from it.
    pub mocks: Option<Arc<mocks::MockConfig>>,
    /// A durable execution that waits only for timers, the nearest at least this far off (in
    /// real time), is parked: its actor is dropped, and it is rebuilt from the store when the
    /// timer is due or a command (a stop) reaches it. `None`: never park.
    pub park_after: Option<Duration>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            account_id: "123456789012".to_owned(),
            region: "us-east-1".to_owned(),
            time_scale: 1.0,
            mocks: None,
            park_after: Some(Duration::from_secs(2)),
        }
    }
}

/// What a state machine execution starts from.
#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    /// The state machine's ARN (unqualified).
    pub state_machine_arn: String,
    /// Its name.
    pub state_machine_name: String,
    /// The definition to run.
    pub definition: String,
    /// The role to run as.
    pub role_arn: String,
    /// The execution's name (a UUID when the caller gave none).
    pub name: Option<String>,
    /// The input, as the caller sent it (already checked to be JSON).
    pub input: String,
    /// The version it runs, when started through a version or an alias ARN.
    pub state_machine_version_arn: Option<String>,
    /// The alias it was started through, if any.
    pub state_machine_alias_arn: Option<String>,
    /// The execution log of the machine (or version) it runs, if it has one.
    pub logging: Option<Arc<logs::Logging>>,
    /// The mock configuration's test case to run (`Name#TestCase`; [`Config::mocks`]).
    pub test_case: Option<String>,
}

/// A started execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// Its ARN.
    pub execution_arn: String,
    /// When it started.
    pub start_ms: i64,
}

/// How an execution run synchronously ended (`StartSyncExecution`).
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    /// Its ARN (an `express` ARN).
    pub execution_arn: String,
    /// Its name.
    pub name: String,
    /// When it started.
    pub start_ms: i64,
    /// When it ended.
    pub stop_ms: i64,
    /// How it ended.
    pub status: Status,
    /// The output's text, on success.
    pub output: Option<String>,
}

/// An activity task handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTask {
    /// The token the worker completes the task with.
    pub task_token: String,
    /// The task's input, as JSON text.
    pub input: String,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// A seed from the operating system's clock and address-space randomness: the seeds of
/// executions are recorded, so they need only differ, not be secret.
fn fresh_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or(0);
    let address = &nanos as *const u64 as u64;
    let mut state = nanos ^ address.rotate_left(32) ^ u64::from(std::process::id());
    asl::splitmix64(&mut state)
}

type Channel = (CommandSender, CommandReceiver);

/// The answer to [`Command::Acked`]: `Ok(true)` once the execution took the input (its step is
/// committed, or it is the start of a task whose start is recorded already), `Ok(false)` when the
/// execution no longer waits for it, the store's error when the step could not be committed.
type Ack = oneshot::Sender<Result<bool, store::Error>>;

/// An execution's mailbox. Commands travel boxed: tokio's unbounded channel allocates its first
/// block of 32 slots when it is made, and every execution in flight holds one, so slots the
/// size of a pointer rather than of a `Command` (104 bytes) save about 3 KB per execution
/// (measured with massif on 3,000 executions parked in a Wait).
#[derive(Clone)]
pub(crate) struct CommandSender(mpsc::UnboundedSender<Box<Command>>);

impl CommandSender {
    pub(crate) fn send(
        &self,
        command: Command,
    ) -> Result<(), mpsc::error::SendError<Box<Command>>> {
        self.0.send(Box::new(command))
    }

    /// Hands back a command taken from the receiver, behind whatever came after it.
    fn resend(&self, command: Box<Command>) {
        let _ = self.0.send(command);
    }
}

type CommandReceiver = mpsc::UnboundedReceiver<Box<Command>>;

fn command_channel() -> (CommandSender, CommandReceiver) {
    let (sender, receiver) = mpsc::unbounded_channel();
    (CommandSender(sender), receiver)
}

enum Command {
    Input(Input),
    /// An input whose sender waits until it is committed before answering its own caller:
    /// a worker must not hear that its report (`SendTaskSuccess`, ...) or its task
    /// (`GetActivityTask`) is recorded before it is, or a crash in between would lose a
    /// transition the client was told about (issue 3's crash test found this).
    Acked(Input, Ack),
    /// Stop the execution and say when it is committed.
    Stop {
        error: Option<String>,
        cause: Option<String>,
        done: oneshot::Sender<()>,
    },
    /// Another node took the execution over (`cluster`): forget it here, committing nothing.
    LetGo,
}

struct TokenEntry {
    execution_arn: String,
    task: u64,
    heartbeat_seconds: Option<u64>,
    heartbeat: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct ActivityQueue {
    pending: Mutex<VecDeque<ActivityTask>>,
    notify: Notify,
}

struct Shared {
    store: Arc<dyn Store>,
    config: Config,
    running: Mutex<HashMap<String, CommandSender>>,
    /// How many of `running` are parked (see [`Config::park_after`]).
    parked: std::sync::atomic::AtomicUsize,
    /// Rebuilds of parked executions in progress at once: when a crowd parked until the same
    /// moment wakes, each rebuild holds a whole execution and its journal, and all at once
    /// would hold them all.
    unparking: tokio::sync::Semaphore,
    tokens: Mutex<HashMap<String, TokenEntry>>,
    activities: Mutex<HashMap<String, Arc<ActivityQueue>>>,
    seeds: Mutex<SeededEntropy>,
    observer: Observer,
    logs: logs::Logs,
    /// Built definitions by their text: a start needs the model, not another parse.
    machines: Mutex<HashMap<String, Arc<StateMachine>>>,
    /// The drivers of open deployments.
    deployments: Mutex<deployments::Drivers>,
    /// Where deployments read alarm states; `None` until the server wires one in.
    alarm_source: Mutex<Option<Arc<dyn deployments::AlarmStates>>>,
    /// Where nested starts are resolved (`states:startExecution`); `None` until the API wires
    /// itself in.
    starter: Mutex<Option<Arc<dyn nested::Starter>>>,
    /// Who performs the tasks that call out (HTTP, Lambda); `None` until the server wires one in.
    invoker: Mutex<Option<Arc<dyn invoke::Invoker>>>,
    /// The `.sync` tasks waiting for each child execution, by the child's ARN.
    watchers: Mutex<HashMap<String, Vec<Watcher>>>,
    /// The children of open `.sync` tasks, by parent ARN and task id: stopping the parent or
    /// abandoning the task stops the child.
    children: Mutex<HashMap<(String, u64), Arc<ChildSlot>>>,
    /// The execution of each map run seen since start-up, by map run ARN.
    map_run_index: Mutex<HashMap<String, String>>,
    /// The parent of each map-run child execution seen since start-up, by the child's ARN,
    /// and how many children of each parent are indexed.
    child_index: Mutex<(HashMap<String, String>, HashMap<String, usize>)>,
    /// The client tokens of recent redrives: (execution, token) → (redrive time, when seen).
    redrive_tokens: Mutex<HashMap<(String, String), (i64, i64)>>,
    /// The other nodes sharing the database, when this node is one of several (`cluster`).
    cluster: Mutex<Option<Arc<dyn store::Cluster>>>,
    /// Raised when this node gives up every execution it drives (its lease ran out): each actor
    /// and parked execution of an earlier epoch ends without committing anything.
    epoch: watch::Sender<u64>,
    /// Held while an execution is taken over from another node, so that two commands for it
    /// do not rebuild it twice.
    claiming: tokio::sync::Mutex<()>,
    /// Whether this node evaluates the alarms: always alone, the cluster's leader among several.
    leading: std::sync::atomic::AtomicBool,
}

/// How long a redrive's client token is remembered (AWS: 15 minutes).
const REDRIVE_TOKEN_MS: i64 = 15 * 60 * 1000;

/// The longest an execution may have been closed and still be redriven (AWS: 14 days).
const REDRIVE_WINDOW_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// Why an execution cannot be redriven now, in AWS's words; `None` when it can.
pub fn redrive_refusal(record: &ExecutionRecord, now_ms: i64) -> Option<String> {
    let Some(end) = &record.end else {
        return Some(format!(
            "Execution is {} and cannot be redriven",
            record.status
        ));
    };
    if end.status == "SUCCEEDED" {
        return Some("Execution is SUCCEEDED and cannot be redriven".to_owned());
    }
    if now_ms - end.stop_ms > REDRIVE_WINDOW_MS {
        return Some("Execution redrivable period exceeded".to_owned());
    }
    None
}

/// A `.sync` task waiting for a child execution to end.
struct Watcher {
    parent: String,
    task: u64,
    /// `.sync:2`: the child's input and output as JSON.
    json: bool,
}

/// The child of a `.sync` task: whether the task was abandoned, and the child once started.
#[derive(Default)]
struct ChildSlot {
    state: Mutex<(bool, Option<String>)>,
}

impl ChildSlot {
    /// Marks the task abandoned; the child to stop, if it has started.
    fn cancel(&self) -> Option<String> {
        let mut state = lock(&self.state);
        state.0 = true;
        state.1.clone()
    }

    fn is_cancelled(&self) -> bool {
        lock(&self.state).0
    }

    /// Records the started child; true when the task was abandoned meanwhile (stop it).
    fn attach(&self, child: &str) -> bool {
        let mut state = lock(&self.state);
        state.1 = Some(child.to_owned());
        state.0
    }
}

/// The most built definitions kept; the cache starts over when full.
const MACHINE_CACHE_CAPACITY: usize = 256;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The maps hold plain data; a panic elsewhere must not stop the service.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An EXPRESS execution after its first step (see `Runtime::begin_express`).
struct ExpressStart {
    arn: String,
    name: String,
    start_ms: i64,
    execution: Execution,
    entropy: SeededEntropy,
    step: engine::Step,
    meta: ExecutionMeta,
    tasks: TaskTracker,
}

/// The runtime. Cheap to clone: clones share everything.
#[derive(Clone)]
pub struct Runtime {
    shared: Arc<Shared>,
}

/// A runtime held without keeping it alive (what the runtime's own helpers hold of it).
#[derive(Clone)]
pub struct WeakRuntime(Weak<Shared>);

impl WeakRuntime {
    /// The runtime, while it lives.
    pub fn upgrade(&self) -> Option<Runtime> {
        self.0.upgrade().map(|shared| Runtime { shared })
    }
}

fn end_of(status: &Status, history: &[HistoryEvent], now: i64) -> Option<ExecutionEnd> {
    let (error, cause) = match status {
        Status::Running => return None,
        Status::Succeeded { .. } => (None, None),
        Status::Failed { error, cause }
        | Status::TimedOut { error, cause }
        | Status::Aborted { error, cause } => (error.clone(), cause.clone()),
    };
    let output = match status {
        Status::Succeeded { output } => Some(
            history
                .iter()
                .rev()
                .find(|event| event.event_type == "ExecutionSucceeded")
                .and_then(|event| event.detail("output"))
                .unwrap_or_else(|| output.to_string()),
        ),
        _ => None,
    };
    Some(ExecutionEnd {
        status: status.as_str().to_owned(),
        output,
        error,
        cause,
        stop_ms: now,
    })
}

/// The task tokens a step's effects hand out, with the activity of each activity task.
fn tokens_of(effects: &[Effect]) -> Vec<store::TaskToken> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::InvokeTask(request) => {
                request.task_token.clone().map(|token| store::TaskToken {
                    token,
                    activity_arn: (describe_resource(&request.resource)
                        == engine::execution::ResourceKind::Activity)
                        .then(|| request.resource.clone()),
                })
            }
            _ => None,
        })
        .collect()
}

fn stored(events: &[HistoryEvent]) -> Vec<StoredEvent> {
    events
        .iter()
        .map(|event| StoredEvent {
            id: event.id,
            json: event.to_json().to_string(),
        })
        .collect()
}

/// Adds the version and alias an execution was started through to its `ExecutionStarted`
/// event, as AWS shows them.
fn with_qualifiers(mut events: Vec<StoredEvent>, request: &StartRequest) -> Vec<StoredEvent> {
    let qualifiers = [
        ("stateMachineAliasArn", &request.state_machine_alias_arn),
        ("stateMachineVersionArn", &request.state_machine_version_arn),
    ];
    if qualifiers.iter().all(|(_, arn)| arn.is_none()) {
        return events;
    }
    for event in &mut events {
        let Ok(mut value) = serde_json::from_str::<Value>(&event.json) else {
            continue;
        };
        let Some(details) = value
            .get_mut("executionStartedEventDetails")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for (key, arn) in qualifiers {
            if let Some(arn) = arn {
                details.insert(key.to_owned(), Value::String(arn.clone()));
            }
        }
        event.json = value.to_string();
    }
    events
}

fn build_machine(definition: &str) -> Result<Arc<StateMachine>, Error> {
    let value: Value = serde_json::from_str(definition)
        .map_err(|error| Error::InvalidDefinition(error.to_string()))?;
    StateMachine::from_value(&value)
        .map(Arc::new)
        .map_err(|error| Error::InvalidDefinition(error.to_string()))
}

impl Runtime {
    /// A runtime over this store.
    pub fn new(store: Arc<dyn Store>, config: Config) -> Runtime {
        Runtime {
            shared: Arc::new(Shared {
                store,
                running: Mutex::new(HashMap::new()),
                parked: std::sync::atomic::AtomicUsize::new(0),
                unparking: tokio::sync::Semaphore::new(UNPARKING_AT_ONCE),
                tokens: Mutex::new(HashMap::new()),
                activities: Mutex::new(HashMap::new()),
                seeds: Mutex::new(SeededEntropy::new(fresh_seed())),
                machines: Mutex::new(HashMap::new()),
                deployments: Mutex::new(deployments::Drivers::default()),
                alarm_source: Mutex::new(None),
                starter: Mutex::new(None),
                invoker: Mutex::new(None),
                watchers: Mutex::new(HashMap::new()),
                children: Mutex::new(HashMap::new()),
                redrive_tokens: Mutex::new(HashMap::new()),
                map_run_index: Mutex::new(HashMap::new()),
                child_index: Mutex::new((HashMap::new(), HashMap::new())),
                cluster: Mutex::new(None),
                epoch: watch::Sender::new(0),
                claiming: tokio::sync::Mutex::new(()),
                leading: std::sync::atomic::AtomicBool::new(true),
                observer: Observer::new(metrics::SeriesOptions::default(), config.time_scale),
                logs: logs::Logs::default(),
                config,
            }),
        }
    }

    /// A handle that does not keep the runtime alive.
    pub fn downgrade(&self) -> WeakRuntime {
        WeakRuntime(Arc::downgrade(&self.shared))
    }

    /// Where `states:startExecution` tasks resolve their starts (the API's StartExecution
    /// rules). Without one, such tasks fail with a message that says so.
    pub fn set_starter(&self, starter: Arc<dyn nested::Starter>) {
        *lock(&self.shared.starter) = Some(starter);
    }

    /// Who performs the tasks that call out over HTTP (the HTTP Task, Lambda functions).
    pub fn set_invoker(&self, invoker: Arc<dyn invoke::Invoker>) {
        *lock(&self.shared.invoker) = Some(invoker);
    }

    /// The invoker that performs tasks of this resource, if any.
    pub fn invoker_for(&self, resource: &str) -> Option<Arc<dyn invoke::Invoker>> {
        lock(&self.shared.invoker)
            .clone()
            .filter(|invoker| invoker.performs(resource))
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.shared.store
    }

    /// The metrics of the executions it runs (issue 5).
    pub fn observer(&self) -> &Observer {
        &self.shared.observer
    }

    /// Writes execution logs under this data directory (`logs/<group>.log`); without it,
    /// nothing is logged. Only the first call counts.
    pub fn write_logs_to(&self, data_dir: std::path::PathBuf) {
        self.shared.logs.set_data_dir(data_dir);
    }

    fn log(&self, meta: &ExecutionMeta, execution_arn: &str, events: &[HistoryEvent]) {
        if let Some(logging) = &meta.logging {
            let mut qualifiers = Vec::new();
            let starts = events
                .iter()
                .any(|event| event.event_type == "ExecutionStarted");
            if let Some(alias) = meta.alias.as_ref().filter(|_| starts) {
                qualifiers.push((
                    "stateMachineAliasArn",
                    format!("{}:{alias}", meta.state_machine_arn),
                ));
            }
            if let Some(version) = meta.version.as_ref().filter(|_| starts) {
                qualifiers.push((
                    "stateMachineVersionArn",
                    format!("{}:{version}", meta.state_machine_arn),
                ));
            }
            self.shared
                .logs
                .write(logging, execution_arn, events, &qualifiers);
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// How many executions are running in this process (parked ones included).
    pub fn running(&self) -> usize {
        lock(&self.shared.running).len()
    }

    /// How many running executions are parked: waiting for a timer with nothing in memory but
    /// their mailbox (see [`Config::park_after`]).
    pub fn parked(&self) -> usize {
        self.shared
            .parked
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The model of a definition, built once per distinct text (the model is immutable and
    /// shared by every execution of it).
    fn machine(&self, definition: &str) -> Result<Arc<StateMachine>, Error> {
        if let Some(machine) = lock(&self.shared.machines).get(definition) {
            return Ok(Arc::clone(machine));
        }
        let machine = build_machine(definition)?;
        let mut machines = lock(&self.shared.machines);
        if machines.len() >= MACHINE_CACHE_CAPACITY {
            machines.clear();
        }
        machines.insert(definition.to_owned(), Arc::clone(&machine));
        Ok(machine)
    }

    fn next_seed(&self) -> u64 {
        lock(&self.shared.seeds).next_u64()
    }

    /// A new execution name (a UUID).
    pub fn new_name(&self) -> String {
        let mut bytes = [0u8; 16];
        // Only the draw holds the lock; the text is written after.
        lock(&self.shared.seeds).fill_bytes(&mut bytes);
        asl::uuid_v4_text(bytes)
    }

    /// A number in `0..100` from the runtime's seeded entropy: how an alias start picks a
    /// version by weight (the version drawn is recorded with the execution).
    pub fn draw_percent(&self) -> u32 {
        (lock(&self.shared.seeds).next_u64() % 100) as u32
    }

    fn meta(request: &StartRequest, express: bool, start_ms: i64) -> ExecutionMeta {
        let mut meta = ExecutionMeta::new(
            &request.state_machine_arn,
            request.state_machine_version_arn.as_deref(),
            request.state_machine_alias_arn.as_deref(),
            express,
            start_ms,
        );
        meta.logging = request.logging.clone();
        meta.test_case = request.test_case.clone();
        meta
    }

    fn info(&self, request: &StartRequest, arn: &str, name: &str, start_ms: i64) -> ExecutionInfo {
        ExecutionInfo {
            execution_arn: arn.to_owned(),
            name: name.to_owned(),
            state_machine_arn: request.state_machine_arn.clone(),
            state_machine_name: request.state_machine_name.clone(),
            role_arn: request.role_arn.clone(),
            region: self.shared.config.region.clone(),
            start_time_ms: start_ms,
        }
    }

    /// Starts a STANDARD execution: durable, asynchronous.
    ///
    /// Starting again with the name and input of an execution that is still running returns it
    /// again; any other reuse of a name is `ExecutionAlreadyExists`.
    pub async fn start_execution(&self, request: StartRequest) -> Result<Started, Error> {
        let machine = self.machine(&request.definition)?;
        let name = request.name.clone().unwrap_or_else(|| self.new_name());
        let arn = format!(
            "arn:aws:states:{}:{}:execution:{}:{name}",
            self.shared.config.region, self.shared.config.account_id, request.state_machine_name
        );
        let start_ms = now_ms();
        let seed = self.next_seed();
        let mut entropy = SeededEntropy::new(seed);
        let mut execution = Execution::new(machine, self.info(&request, &arn, &name, start_ms));
        let input_value: Value = serde_json::from_str(&request.input)
            .map_err(|error| Error::InvalidOutput(error.to_string()))?;
        let start = Input::Start {
            input: input_value,
            text: Some(request.input.clone()),
        };
        let journal = start.to_json().to_string();
        let step = execution.apply(start, start_ms, &mut entropy);
        // An execution that goes on registers itself (`prepare`) before its create is
        // committed, which must not displace one already running under this name: look first.
        // One that ends in its first step registers nothing, so its create alone decides
        // (`AlreadyExists` below), and the start costs one store write and no read.
        if !execution.is_finished() {
            match self.shared.store.get_execution(&arn).await {
                Ok(existing) if existing.end.is_none() && existing.input == request.input => {
                    return Ok(Started {
                        execution_arn: arn,
                        start_ms: existing.start_ms,
                    });
                }
                Ok(_) => return Err(Error::ExecutionAlreadyExists(arn)),
                Err(store::Error::NotFound(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let record = ExecutionRecord {
            arn: arn.clone(),
            state_machine_arn: request.state_machine_arn.clone(),
            name,
            status: "RUNNING".to_owned(),
            input: request.input.clone(),
            definition: request.definition.clone(),
            role_arn: request.role_arn.clone(),
            start_ms,
            seed,
            end: None,
            state_machine_version_arn: request.state_machine_version_arn.clone(),
            state_machine_alias_arn: request.state_machine_alias_arn.clone(),
            test_case: request.test_case.clone(),
            redrive_count: 0,
            redrive_ms: None,
        };
        let first = StepCommit {
            execution_arn: arn.clone(),
            journal: JournalEntry {
                seq: 1,
                at_ms: start_ms,
                input: journal,
            },
            events: with_qualifiers(stored(&step.events), &request),
            end: end_of(execution.status(), &step.events, start_ms),
            redrive: None,
            task_tokens: tokens_of(&step.effects),
        };
        let prepared = (!execution.is_finished()).then(|| self.prepare_start(&arn, &step.effects));
        let commit_started = std::time::Instant::now();
        let created = self.shared.store.create_execution(record, first).await;
        self.shared
            .observer
            .store_commit(commit_started.elapsed().as_secs_f64());
        if created.is_err()
            && let Some(((sender, _), _)) = &prepared
        {
            self.forget(&arn, sender, &step.effects);
        }
        let channel = match prepared {
            Some((channel, fresh)) => {
                if !fresh && created.is_ok() {
                    // The other start of the same name lost (its commit failed): the mailbox
                    // is this one's now.
                    lock(&self.shared.running).insert(arn.clone(), channel.0.clone());
                }
                Some(channel)
            }
            None => None,
        };
        match created {
            Ok(()) => {}
            // Two starts with the same name raced; the first one won.
            Err(store::Error::AlreadyExists(_)) => {
                return match self.shared.store.get_execution(&arn).await {
                    Ok(existing) if existing.end.is_none() && existing.input == request.input => {
                        Ok(Started {
                            execution_arn: arn,
                            start_ms: existing.start_ms,
                        })
                    }
                    _ => Err(Error::ExecutionAlreadyExists(arn)),
                };
            }
            Err(error) => return Err(error.into()),
        }
        self.index_map_runs(&arn, &execution, &step);
        let meta = Self::meta(&request, false, start_ms);
        self.shared.observer.execution_started(&meta);
        self.log(&meta, &arn, &step.events);
        let mut tasks = TaskTracker::default();
        self.shared.observer.task_events(&mut tasks, &step.events);
        if let Some(channel) = channel {
            self.spawn_actor(
                arn.clone(),
                execution,
                entropy,
                1,
                true,
                step.effects,
                None,
                Some(channel),
                Some(meta),
                tasks,
            );
        } else {
            self.shared
                .observer
                .execution_closed(&meta, execution.status().as_str(), start_ms);
        }
        Ok(Started {
            execution_arn: arn,
            start_ms,
        })
    }

    /// Starts an EXPRESS execution in memory: names it, applies its first step and records its
    /// start (metrics, logs). Both ways of starting one go through here.
    fn begin_express(&self, request: &StartRequest) -> Result<ExpressStart, Error> {
        let machine = self.machine(&request.definition)?;
        let name = request.name.clone().unwrap_or_else(|| self.new_name());
        let arn = format!(
            "arn:aws:states:{}:{}:express:{}:{name}:{}",
            self.shared.config.region,
            self.shared.config.account_id,
            request.state_machine_name,
            self.new_name()
        );
        let start_ms = now_ms();
        let mut entropy = SeededEntropy::new(self.next_seed());
        let mut execution = Execution::new(machine, self.info(request, &arn, &name, start_ms));
        let input_value: Value = serde_json::from_str(&request.input)
            .map_err(|error| Error::InvalidOutput(error.to_string()))?;
        let step = execution.apply(
            Input::Start {
                input: input_value,
                text: Some(request.input.clone()),
            },
            start_ms,
            &mut entropy,
        );
        let meta = Self::meta(request, true, start_ms);
        self.shared.observer.execution_started(&meta);
        self.log(&meta, &arn, &step.events);
        let mut tasks = TaskTracker::default();
        self.shared.observer.task_events(&mut tasks, &step.events);
        Ok(ExpressStart {
            arn,
            name,
            start_ms,
            execution,
            entropy,
            step,
            meta,
            tasks,
        })
    }

    /// Runs an EXPRESS execution to its end and returns how it ended (`StartSyncExecution`).
    pub async fn start_sync_execution(&self, request: StartRequest) -> Result<SyncOutcome, Error> {
        let ExpressStart {
            arn,
            name,
            start_ms,
            execution,
            entropy,
            step,
            meta,
            tasks,
        } = self.begin_express(&request)?;
        // Most express workflows end within their first step: answer without a task switch.
        let (status, output, stop_ms) = if execution.is_finished() {
            self.shared
                .observer
                .execution_closed(&meta, execution.status().as_str(), start_ms);
            let end = end_of(execution.status(), &step.events, start_ms);
            (
                execution.status().clone(),
                end.and_then(|end| end.output),
                start_ms,
            )
        } else {
            let (done_tx, done_rx) = oneshot::channel();
            self.spawn_actor(
                arn.clone(),
                execution,
                entropy,
                1,
                false,
                step.effects,
                Some(done_tx),
                None,
                Some(meta),
                tasks,
            );
            let (status, output) = done_rx.await.unwrap_or((
                Status::Failed {
                    error: Some("States.Runtime".to_owned()),
                    cause: Some("the execution was lost".to_owned()),
                },
                None,
            ));
            (status, output, now_ms())
        };
        Ok(SyncOutcome {
            execution_arn: arn,
            name,
            start_ms,
            stop_ms,
            status,
            output,
        })
    }

    /// Starts an EXPRESS execution asynchronously (`StartExecution` on an EXPRESS machine).
    pub async fn start_express_execution(&self, request: StartRequest) -> Result<Started, Error> {
        let ExpressStart {
            arn,
            start_ms,
            execution,
            entropy,
            step,
            meta,
            tasks,
            ..
        } = self.begin_express(&request)?;
        if execution.is_finished() {
            self.shared
                .observer
                .execution_closed(&meta, execution.status().as_str(), start_ms);
        } else {
            self.spawn_actor(
                arn.clone(),
                execution,
                entropy,
                1,
                false,
                step.effects,
                None,
                None,
                Some(meta),
                tasks,
            );
        }
        Ok(Started {
            execution_arn: arn,
            start_ms,
        })
    }

    /// Stops a running execution (`StopExecution`) and returns when it stopped.
    pub async fn stop_execution(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<i64, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(sender) = self.mailbox(arn).await? {
                let (done_tx, done_rx) = oneshot::channel();
                if sender
                    .send(Command::Stop {
                        error: error.clone(),
                        cause: cause.clone(),
                        done: done_tx,
                    })
                    .is_ok()
                {
                    let _ = done_rx.await;
                }
            }
            let record = match self.shared.store.get_execution(arn).await {
                Ok(record) => record,
                Err(store::Error::NotFound(_)) => {
                    return Err(Error::ExecutionDoesNotExist(arn.to_owned()));
                }
                Err(error) => return Err(error.into()),
            };
            // In a cluster the execution may have moved to another node while the stop
            // waited (its step was fenced): take it over again and stop it there.
            if record.end.is_none() && self.cluster().is_some() && attempt < 3 {
                continue;
            }
            return Ok(record.end.map_or_else(now_ms, |end| end.stop_ms));
        }
    }

    /// Waits up to `wait` for a task of this activity (`GetActivityTask`).
    pub async fn get_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<String>,
        wait: Duration,
    ) -> Result<Option<ActivityTask>, Error> {
        match self.shared.store.get_activity(activity_arn).await {
            Ok(_) => {}
            Err(store::Error::NotFound(_)) => {
                return Err(Error::ActivityDoesNotExist(activity_arn.to_owned()));
            }
            Err(error) => return Err(error.into()),
        }
        let queue = self.activity_queue(activity_arn);
        let deadline = tokio::time::Instant::now() + wait;
        let cluster = self.cluster();
        loop {
            let notified = queue.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let next = lock(&queue.pending).pop_front();
            if let Some(cluster) = &cluster {
                match next {
                    Some(task) => {
                        if let Some(task) = self
                            .start_shared_task(cluster.as_ref(), task, &worker_name, true)
                            .await?
                        {
                            return Ok(Some(task));
                        }
                        continue;
                    }
                    None => {
                        if let Some(task) = self
                            .take_remote_task(cluster.as_ref(), &queue, activity_arn, &worker_name)
                            .await?
                        {
                            return Ok(Some(task));
                        }
                    }
                }
                tokio::select! {
                    _ = &mut notified => {}
                    _ = tokio::time::sleep_until(deadline) => return Ok(None),
                }
                continue;
            }
            if let Some(task) = next {
                // The task goes out once its start is committed: a crash before then offers it
                // again, a crash after it finds the start in the journal.
                if let Some(answer) = self.task_started(&task.task_token, worker_name.clone()) {
                    match answer.await {
                        Ok(Ok(true)) => return Ok(Some(task)),
                        // Another node drives the execution now: the task is its to offer.
                        Ok(Err(store::Error::NotOwner(_))) => {}
                        Ok(Err(error)) => return Err(error.into()),
                        Ok(Ok(false)) | Err(_) => {}
                    }
                }
                // The task ended while it waited (timed out, its execution stopped).
                continue;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(deadline) => return Ok(None),
            }
        }
    }

    /// Queues an activity task for the workers polling this node, and tells the other nodes.
    fn offer(&self, activity_arn: &str, task: ActivityTask) {
        let queue = self.activity_queue(activity_arn);
        lock(&queue.pending).push_back(task);
        queue.notify.notify_one();
        self.announce_activity_task(activity_arn);
    }

    fn activity_queue(&self, activity_arn: &str) -> Arc<ActivityQueue> {
        lock(&self.shared.activities)
            .entry(activity_arn.to_owned())
            .or_default()
            .clone()
    }

    /// Marks a token's task as started by a worker; the answer says when that is committed
    /// (see [`Ack`]). `None` when the task is gone.
    fn task_started(
        &self,
        token: &str,
        worker_name: Option<String>,
    ) -> Option<oneshot::Receiver<Result<bool, store::Error>>> {
        let mut tokens = lock(&self.shared.tokens);
        let entry = tokens.get_mut(token)?;
        let sender = lock(&self.shared.running)
            .get(&entry.execution_arn)
            .cloned()?;
        let (ack, answer) = oneshot::channel();
        sender
            .send(Command::Acked(
                Input::TaskStarted {
                    task: entry.task,
                    worker_name,
                },
                ack,
            ))
            .ok()?;
        if let Some(seconds) = entry.heartbeat_seconds {
            let timer = self.heartbeat_timer(sender, entry.task, seconds);
            // A task offered again after a restart may be picked up twice: the clock restarts,
            // and the old timer must not fire as well.
            if let Some(old) = entry.heartbeat.replace(timer) {
                old.abort();
            }
        }
        Some(answer)
    }

    fn heartbeat_timer(&self, sender: CommandSender, task: u64, seconds: u64) -> JoinHandle<()> {
        let delay = scaled(seconds as f64 * 1000.0, self.shared.config.time_scale);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = sender.send(Command::Input(Input::TaskHeartbeatTimedOut { task }));
        })
    }

    fn check_token(token: &str) -> Result<(), Error> {
        if token.is_empty() || token.len() > 2048 {
            return Err(Error::InvalidToken("Invalid token".to_owned()));
        }
        Ok(())
    }

    /// Completes a task (`SendTaskSuccess`).
    pub async fn send_task_success(&self, token: &str, output: &str) -> Result<(), Error> {
        Self::check_token(token)?;
        let output: Value = serde_json::from_str(output)
            .map_err(|_| Error::InvalidOutput("Invalid JSON output".to_owned()))?;
        self.complete(token, |task| Input::TaskSucceeded {
            task,
            output: output.clone(),
        })
        .await
    }

    /// Fails a task (`SendTaskFailure`).
    pub async fn send_task_failure(
        &self,
        token: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<(), Error> {
        Self::check_token(token)?;
        self.complete(token, |task| Input::TaskFailed {
            task,
            error: error.clone(),
            cause: cause.clone(),
        })
        .await
    }

    /// Resets a task's heartbeat clock (`SendTaskHeartbeat`).
    pub async fn send_task_heartbeat(&self, token: &str) -> Result<(), Error> {
        Self::check_token(token)?;
        self.reach_token(token).await?;
        let mut tokens = lock(&self.shared.tokens);
        let entry = tokens.get_mut(token).ok_or(Error::TaskTimedOut)?;
        if let (Some(seconds), Some(handle)) = (entry.heartbeat_seconds, entry.heartbeat.take()) {
            handle.abort();
            if let Some(sender) = lock(&self.shared.running)
                .get(&entry.execution_arn)
                .cloned()
            {
                entry.heartbeat = Some(self.heartbeat_timer(sender, entry.task, seconds));
            }
        }
        Ok(())
    }

    /// Reports a task's end and answers once the report is committed: an `Ok` the worker
    /// receives survives a crash, so the task is never offered again after it.
    async fn complete(&self, token: &str, input: impl Fn(u64) -> Input) -> Result<(), Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.complete_here(token, &input).await {
                // The execution moved to another node meanwhile: take it over and report there.
                Err(Error::Store(store::Error::NotOwner(_))) if attempt < 3 => {}
                answer => return answer,
            }
        }
    }

    async fn complete_here(&self, token: &str, input: &impl Fn(u64) -> Input) -> Result<(), Error> {
        self.reach_token(token).await?;
        let mut entry = lock(&self.shared.tokens)
            .remove(token)
            .ok_or(Error::TaskTimedOut)?;
        if let Some(handle) = entry.heartbeat.take() {
            handle.abort();
        }
        let sender = lock(&self.shared.running)
            .get(&entry.execution_arn)
            .cloned()
            .ok_or(Error::TaskTimedOut)?;
        let (ack, answer) = oneshot::channel();
        sender
            .send(Command::Acked(input(entry.task), ack))
            .map_err(|_| Error::TaskTimedOut)?;
        match answer.await {
            Ok(Ok(true)) => Ok(()),
            // Not committed, because another node drives the execution now; the actor let go
            // of it and of its tokens.
            Ok(Err(error @ store::Error::NotOwner(_))) => Err(error.into()),
            Ok(Err(error)) => {
                // Not committed (the store refused it): the task is still open, and the same
                // report, sent again, must reach it. The rebuilt execution restarts its
                // heartbeat clock.
                lock(&self.shared.tokens)
                    .entry(token.to_owned())
                    .or_insert(entry);
                Err(error.into())
            }
            // The execution stopped waiting for the task (it timed out, the execution ended).
            Ok(Ok(false)) | Err(_) => Err(Error::TaskTimedOut),
        }
    }

    /// Resumes every open STANDARD execution from its journal. Returns how many resumed.
    pub async fn recover(&self) -> Result<usize, Error> {
        let open = self.shared.store.open_executions().await?;
        let mut resumed = 0;
        for record in open {
            match self.resume(&record).await {
                Ok(()) => resumed += 1,
                Err(error) => tracing::error!(
                    execution = %record.arn,
                    %error,
                    "cannot resume the execution"
                ),
            }
        }
        Ok(resumed)
    }

    /// Rebuilds an execution from its journal: the execution, its entropy, the last journal
    /// entry's `seq`, and how many tasks each state asked for.
    async fn rebuild(
        &self,
        record: &ExecutionRecord,
    ) -> Result<(Execution, SeededEntropy, u64, HashMap<String, u64>), Error> {
        let machine = self.machine(&record.definition)?;
        let state_machine_name = record
            .state_machine_arn
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        let info = ExecutionInfo {
            execution_arn: record.arn.clone(),
            name: record.name.clone(),
            state_machine_arn: record.state_machine_arn.clone(),
            state_machine_name,
            role_arn: record.role_arn.clone(),
            region: self.shared.config.region.clone(),
            start_time_ms: record.start_ms,
        };
        let mut execution = Execution::new(machine, info);
        let mut entropy = SeededEntropy::new(record.seed);
        let journal = self.shared.store.journal(&record.arn).await?;
        let mut seq = 0;
        // The tasks asked for so far, per state: a mocked execution goes on with the next
        // mocked answer of each.
        let mut invocations: HashMap<String, u64> = HashMap::new();
        for entry in &journal {
            let value: Value = serde_json::from_str(&entry.input)
                .map_err(|error| Error::InvalidDefinition(error.to_string()))?;
            let input = Input::from_json(&value)
                .map_err(|error| Error::InvalidDefinition(error.to_string()))?;
            let step = execution.apply(input, entry.at_ms, &mut entropy);
            self.index_map_runs(&record.arn, &execution, &step);
            for effect in &step.effects {
                if let Effect::InvokeTask(request) = effect {
                    *invocations.entry(request.state_name.clone()).or_default() += 1;
                }
            }
            seq = entry.seq;
        }
        Ok((execution, entropy, seq, invocations))
    }

    async fn resume(&self, record: &ExecutionRecord) -> Result<(), Error> {
        let (execution, entropy, seq, mut invocations) = self.rebuild(record).await?;
        if execution.is_finished() {
            // A step's journal entry and the end it computes are committed in one transaction,
            // so a lost commit loses both and the replay stops short of the end. An open
            // execution whose journal replays to an end means the replay diverged from the
            // original run (an engine change, say): not a resumed execution, but an error for
            // an operator, and `recover` does not count it.
            return Err(Error::InvalidDefinition(format!(
                "the journal of {} (entry {seq}) replays to an end that is not recorded",
                record.arn
            )));
        }
        let effects = execution.outstanding();
        // The outstanding tasks are asked for again below, and counted then.
        for effect in &effects {
            if let Effect::InvokeTask(request) = effect
                && let Some(count) = invocations.get_mut(&request.state_name)
            {
                *count = count.saturating_sub(1);
            }
        }
        self.spawn_resumed(record, execution, entropy, seq, effects, invocations, None)
            .await;
        Ok(())
    }

    /// Starts the actor of an execution rebuilt from the store (after a restart, or out of its
    /// parking), on `channel` when it has one already.
    #[allow(clippy::too_many_arguments)] // The parts of a rebuild, as `rebuild` hands them.
    async fn spawn_resumed(
        &self,
        record: &ExecutionRecord,
        execution: Execution,
        entropy: SeededEntropy,
        seq: u64,
        effects: Vec<Effect>,
        invocations: HashMap<String, u64>,
        channel: Option<Channel>,
    ) {
        let mut meta = self.stored_meta(record, invocations).await;
        meta.redriven = record.redrive_count > 0;
        self.spawn_actor(
            record.arn.clone(),
            execution,
            entropy,
            seq,
            true,
            effects,
            None,
            channel,
            Some(meta),
            TaskTracker::default(),
        );
    }

    /// `RedriveExecution`: a FAILED, TIMED_OUT or ABORTED STANDARD execution goes on from where
    /// it ended (the engine's `Input::Redrive`), under the same ARN, with the definition it ran.
    /// Answers the redrive time. The same `client_token` within 15 minutes answers the same
    /// redrive again instead of redriving twice.
    pub async fn redrive_execution(
        &self,
        arn: &str,
        client_token: Option<&str>,
    ) -> Result<i64, Error> {
        let now = now_ms();
        if let Some(token) = client_token {
            let mut tokens = lock(&self.shared.redrive_tokens);
            tokens.retain(|_, (_, at)| now - *at < REDRIVE_TOKEN_MS);
            if let Some((redrive_ms, _)) = tokens.get(&(arn.to_owned(), token.to_owned())) {
                return Ok(*redrive_ms);
            }
        }
        let record = match self.shared.store.get_execution(arn).await {
            Ok(record) => record,
            Err(store::Error::NotFound(_)) => {
                return Err(Error::ExecutionDoesNotExist(arn.to_owned()));
            }
            Err(error) => return Err(error.into()),
        };
        if let Some(reason) = redrive_refusal(&record, now) {
            return Err(Error::ExecutionNotRedrivable(reason));
        }
        let (mut execution, mut entropy, seq, invocations) = self.rebuild(&record).await?;
        if !execution.is_finished() {
            // Written by an earlier Switchback that ran this execution differently (one that
            // refused a feature this one runs, say).
            return Err(Error::ExecutionNotRedrivable(format!(
                "Execution ran on an earlier version of Switchback: its journal (entry {seq}) no longer replays to its end"
            )));
        }
        if let Some(reason) = execution.redrive_refusal() {
            return Err(Error::ExecutionNotRedrivable(reason.to_owned()));
        }
        let mut step = execution.apply(Input::Redrive, now, &mut entropy);
        if step.events.is_empty() {
            return Err(Error::ExecutionNotRedrivable(format!(
                "Execution is {} and cannot be redriven",
                record.status
            )));
        }
        let end = end_of(execution.status(), &step.events, now);
        let channel = if execution.is_finished() {
            None
        } else {
            // One redrive at a time: a second one finds the first registered.
            let mut running = lock(&self.shared.running);
            if running.contains_key(arn) {
                return Err(Error::ExecutionNotRedrivable(
                    "Execution is RUNNING and cannot be redriven".to_owned(),
                ));
            }
            let (sender, receiver) = command_channel();
            running.insert(arn.to_owned(), sender.clone());
            Some((sender, receiver))
        };
        let commit = StepCommit {
            execution_arn: arn.to_owned(),
            journal: JournalEntry {
                seq: seq + 1,
                at_ms: now,
                input: Input::Redrive.to_json().to_string(),
            },
            events: stored(&step.events),
            end,
            redrive: Some(now),
            task_tokens: tokens_of(&step.effects),
        };
        if channel.is_some() {
            self.register_tokens_of(arn, &step.effects);
        }
        if let Err(error) = self.shared.store.commit_step(commit).await {
            if let Some((sender, _)) = &channel {
                self.forget(arn, sender, &step.effects);
            }
            return Err(match error {
                store::Error::Conflict(_) => Error::ExecutionNotRedrivable(
                    "Execution is RUNNING and cannot be redriven".to_owned(),
                ),
                other => other.into(),
            });
        }
        if let Some(token) = client_token {
            lock(&self.shared.redrive_tokens)
                .insert((arn.to_owned(), token.to_owned()), (now, now));
        }
        let mut meta = self.stored_meta(&record, invocations).await;
        meta.redriven = true;
        self.shared.observer.execution_redriven(&meta);
        self.log(&meta, arn, &step.events);
        let mut tasks = TaskTracker::default();
        self.shared.observer.task_events(&mut tasks, &step.events);
        match channel {
            Some(channel) => self.spawn_actor(
                arn.to_owned(),
                execution,
                entropy,
                seq + 1,
                true,
                std::mem::take(&mut step.effects),
                None,
                Some(channel),
                Some(meta),
                tasks,
            ),
            None => self
                .shared
                .observer
                .execution_closed(&meta, execution.status().as_str(), now),
        }
        Ok(now)
    }

    /// Remembers which execution each of its map runs belongs to (nested ones, whose
    /// `MapRunStarted` is in no history, included), when the step may have started one.
    fn index_map_runs(&self, execution_arn: &str, execution: &Execution, step: &engine::Step) {
        let started = step.child_events > 0
            || step
                .events
                .iter()
                .any(|event| event.event_type == "MapRunStarted");
        if !started {
            return;
        }
        {
            let mut index = lock(&self.shared.map_run_index);
            for arn in execution.map_run_arns() {
                if !index.contains_key(arn) {
                    index.insert(arn.to_owned(), execution_arn.to_owned());
                }
            }
        }
        // Children only ever get added: index the new ones.
        let children = execution.child_executions();
        let mut guard = lock(&self.shared.child_index);
        let (by_child, counts) = &mut *guard;
        let known = counts.entry(execution_arn.to_owned()).or_insert(0);
        for child in children.iter().skip(*known) {
            by_child.insert(child.arn.clone(), execution_arn.to_owned());
        }
        *known = children.len();
    }

    /// A map run's child execution (`…:execution:<machine>/<label>:<name>`) and its parent's
    /// ARN: from the children seen since start-up, else by replaying the executions of its
    /// state machine that ran map runs.
    pub async fn child_execution(
        &self,
        child_arn: &str,
    ) -> Result<(String, engine::ChildExecution), Error> {
        let missing = || Error::ExecutionDoesNotExist(child_arn.to_owned());
        let known = lock(&self.shared.child_index).0.get(child_arn).cloned();
        let find = |execution: &Execution| {
            execution
                .child_executions()
                .iter()
                .find(|child| child.arn == child_arn)
                .cloned()
        };
        if let Some(parent) = known {
            let record = self.shared.store.get_execution(&parent).await?;
            let (execution, ..) = self.rebuild(&record).await?;
            return find(&execution)
                .map(|child| (parent, child))
                .ok_or_else(missing);
        }
        // arn:aws:states:REGION:ACCOUNT:execution:MACHINE/LABEL:NAME
        let (prefix, rest) = child_arn.split_once(":execution:").ok_or_else(missing)?;
        let machine = rest.split_once('/').ok_or_else(missing)?.0;
        for record in self.executions_of(prefix, machine).await? {
            if !self.history_contains(&record, "\"MapRunStarted\"").await? {
                continue;
            }
            let (execution, ..) = self.rebuild(&record).await?;
            if let Some(child) = find(&execution) {
                return Ok((record.arn, child));
            }
        }
        Err(missing())
    }

    /// The child executions of one map run of an execution.
    pub async fn children_of(
        &self,
        execution_arn: &str,
        map_run_arn: &str,
    ) -> Result<Vec<engine::ChildExecution>, Error> {
        let record = match self.shared.store.get_execution(execution_arn).await {
            Ok(record) => record,
            Err(store::Error::NotFound(_)) => {
                return Err(Error::ExecutionDoesNotExist(execution_arn.to_owned()));
            }
            Err(error) => return Err(error.into()),
        };
        let (execution, ..) = self.rebuild(&record).await?;
        Ok(execution
            .child_executions()
            .iter()
            .filter(|child| child.map_run_arn == map_run_arn)
            .cloned()
            .collect())
    }

    /// The executions of `machine` (under the ARN `prefix`), newest first: at most 1,000, for
    /// the searches that find a map run or a child execution after a restart.
    async fn executions_of(
        &self,
        prefix: &str,
        machine: &str,
    ) -> Result<Vec<ExecutionRecord>, Error> {
        let filter = store::ExecutionFilter {
            state_machine_arn: Some(format!("{prefix}:stateMachine:{machine}")),
            ..Default::default()
        };
        let mut records = Vec::new();
        let mut token = None;
        for _ in 0..10 {
            let page = self
                .shared
                .store
                .list_executions(
                    filter.clone(),
                    store::PageRequest {
                        limit: 100,
                        token: token.clone(),
                    },
                )
                .await?;
            records.extend(page.items);
            match page.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        Ok(records)
    }

    /// Whether any event of an execution's history holds `text`.
    async fn history_contains(&self, record: &ExecutionRecord, text: &str) -> Result<bool, Error> {
        let mut token = None;
        loop {
            let page = self
                .shared
                .store
                .history(
                    &record.arn,
                    false,
                    store::PageRequest {
                        limit: 1000,
                        token: token.clone(),
                    },
                )
                .await?;
            if page.items.iter().any(|event| event.json.contains(text)) {
                return Ok(true);
            }
            match page.next_token {
                Some(next) => token = Some(next),
                None => return Ok(false),
            }
        }
    }

    /// The map runs of a STANDARD execution, as of its last committed step (replayed from its
    /// journal), with its record.
    pub async fn map_runs(
        &self,
        execution_arn: &str,
    ) -> Result<(ExecutionRecord, Vec<engine::MapRun>), Error> {
        let record = match self.shared.store.get_execution(execution_arn).await {
            Ok(record) => record,
            Err(store::Error::NotFound(_)) => {
                return Err(Error::ExecutionDoesNotExist(execution_arn.to_owned()));
            }
            Err(error) => return Err(error.into()),
        };
        let (execution, ..) = self.rebuild(&record).await?;
        Ok((record, execution.map_runs()))
    }

    /// The execution a map run belongs to: from the runs seen since start-up, else by reading
    /// the histories of its state machine's executions (newest first).
    pub async fn map_run_execution(&self, map_run_arn: &str) -> Result<String, Error> {
        if let Some(arn) = lock(&self.shared.map_run_index).get(map_run_arn) {
            return Ok(arn.clone());
        }
        let missing = || Error::MapRunDoesNotExist(map_run_arn.to_owned());
        // arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:ID
        let (prefix, rest) = map_run_arn.split_once(":mapRun:").ok_or_else(missing)?;
        let machine = rest.split('/').next().ok_or_else(missing)?;
        for record in self.executions_of(prefix, machine).await? {
            if self.has_map_run(&record, map_run_arn).await? {
                lock(&self.shared.map_run_index).insert(map_run_arn.to_owned(), record.arn.clone());
                return Ok(record.arn);
            }
        }
        Err(missing())
    }

    /// Whether the execution ran this map run: its history names it, or (for one nested in a
    /// child execution, whose events are in no history) its replay has it.
    async fn has_map_run(
        &self,
        record: &ExecutionRecord,
        map_run_arn: &str,
    ) -> Result<bool, Error> {
        if self.history_contains(record, map_run_arn).await? {
            return Ok(true);
        }
        if !self.history_contains(record, "\"MapRunStarted\"").await? {
            return Ok(false);
        }
        let (execution, ..) = self.rebuild(record).await?;
        Ok(execution.map_run_arns().any(|arn| arn == map_run_arn))
    }

    /// `UpdateMapRun`: new limits for a running map run, answered once committed.
    pub async fn update_map_run(
        &self,
        map_run_arn: &str,
        max_concurrency: Option<u64>,
        tolerated_failure_count: Option<u64>,
        tolerated_failure_percentage: Option<f64>,
    ) -> Result<(), Error> {
        let execution_arn = self.map_run_execution(map_run_arn).await?;
        let (_, runs) = self.map_runs(&execution_arn).await?;
        let run = runs
            .iter()
            .find(|run| run.arn == map_run_arn)
            .ok_or_else(|| Error::MapRunDoesNotExist(map_run_arn.to_owned()))?;
        if run.status != "RUNNING" {
            return Err(Error::MapRunNotRunning(map_run_arn.to_owned()));
        }
        let sender = lock(&self.shared.running).get(&execution_arn).cloned();
        let sender = sender.ok_or_else(|| Error::MapRunNotRunning(map_run_arn.to_owned()))?;
        let (ack, answer) = oneshot::channel();
        sender
            .send(Command::Acked(
                Input::UpdateMapRun {
                    map_run_arn: map_run_arn.to_owned(),
                    max_concurrency,
                    tolerated_failure_count,
                    tolerated_failure_percentage,
                },
                ack,
            ))
            .map_err(|_| Error::MapRunNotRunning(map_run_arn.to_owned()))?;
        match answer.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error.into()),
            Err(_) => Err(Error::MapRunNotRunning(map_run_arn.to_owned())),
        }
    }

    /// What the metrics, logs and mocks of a stored STANDARD execution go by.
    async fn stored_meta(
        &self,
        record: &ExecutionRecord,
        invocations: HashMap<String, u64>,
    ) -> ExecutionMeta {
        let mut meta = ExecutionMeta::new(
            &record.state_machine_arn,
            record.state_machine_version_arn.as_deref(),
            record.state_machine_alias_arn.as_deref(),
            false,
            record.start_ms,
        );
        meta.logging = self.stored_logging(record).await;
        meta.test_case = record.test_case.clone();
        meta.mock_invocations = invocations;
        meta
    }

    /// The logging configuration of what a resumed execution runs: its version's, else its
    /// state machine's. Nothing when that is gone (the machine was deleted while it ran).
    async fn stored_logging(&self, record: &ExecutionRecord) -> Option<Arc<logs::Logging>> {
        let configuration = match &record.state_machine_version_arn {
            Some(version) => {
                self.shared
                    .store
                    .get_version(version)
                    .await
                    .ok()?
                    .logging_configuration
            }
            None => {
                self.shared
                    .store
                    .get_state_machine(&record.state_machine_arn)
                    .await
                    .ok()?
                    .logging_configuration
            }
        };
        logs::Logging::from_configuration(&configuration?).map(Arc::new)
    }

    /// Makes an execution reachable (its channel and its task tokens) before its first step is
    /// visible in the store, so that a client who reads the step can act on it at once.
    fn prepare(&self, arn: &str, effects: &[Effect]) -> Channel {
        let (sender, receiver) = command_channel();
        lock(&self.shared.running).insert(arn.to_owned(), sender.clone());
        self.register_tokens_of(arn, effects);
        (sender, receiver)
    }

    /// Registers the task tokens the effects hand out, for the execution `arn`.
    fn register_tokens_of(&self, arn: &str, effects: &[Effect]) {
        let mut tokens = lock(&self.shared.tokens);
        for effect in effects {
            if let Effect::InvokeTask(request) = effect
                && let Some(token) = &request.task_token
            {
                tokens.entry(token.clone()).or_insert_with(|| TokenEntry {
                    execution_arn: arn.to_owned(),
                    task: request.id,
                    heartbeat_seconds: request.heartbeat_seconds,
                    heartbeat: None,
                });
            }
        }
    }

    /// Counts one parked execution out. Saturating: giving up every execution (`cluster`)
    /// counts the parked ones out at once.
    fn count_unparked(&self) {
        let _ = self.shared.parked.fetch_update(
            std::sync::atomic::Ordering::Relaxed,
            std::sync::atomic::Ordering::Relaxed,
            |parked| Some(parked.saturating_sub(1)),
        );
    }

    /// Forgets the task tokens of an execution, stopping their heartbeat clocks.
    fn forget_tokens_of(&self, arn: &str) {
        lock(&self.shared.tokens).retain(|_, entry| {
            let mine = entry.execution_arn == arn;
            if mine && let Some(handle) = entry.heartbeat.take() {
                handle.abort();
            }
            !mine
        });
    }

    /// A start's [`Runtime::prepare`]: the same, except that a mailbox already registered for
    /// the ARN stays (another start of the same name is under way, and the store decides which
    /// one wins). Answers whether this start's mailbox was registered.
    fn prepare_start(&self, arn: &str, effects: &[Effect]) -> (Channel, bool) {
        let (sender, receiver) = command_channel();
        let fresh = match lock(&self.shared.running).entry(arn.to_owned()) {
            std::collections::hash_map::Entry::Vacant(vacant) => {
                vacant.insert(sender.clone());
                true
            }
            std::collections::hash_map::Entry::Occupied(_) => false,
        };
        self.register_tokens_of(arn, effects);
        ((sender, receiver), fresh)
    }

    /// Drops what [`Runtime::prepare`] registered for an execution that did not start: its
    /// mailbox, when it is still this one, and the tokens its effects handed out — not what a
    /// concurrent start of the same name registered.
    fn forget(&self, arn: &str, sender: &CommandSender, effects: &[Effect]) {
        {
            let mut running = lock(&self.shared.running);
            if running
                .get(arn)
                .is_some_and(|current| current.0.same_channel(&sender.0))
            {
                running.remove(arn);
            }
        }
        let mut tokens = lock(&self.shared.tokens);
        for effect in effects {
            if let Effect::InvokeTask(request) = effect
                && let Some(token) = &request.task_token
                && tokens
                    .get(token)
                    .is_some_and(|entry| entry.execution_arn == arn)
            {
                tokens.remove(token);
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // One call site per way of starting; a struct adds nothing.
    fn spawn_actor(
        &self,
        arn: String,
        execution: Execution,
        entropy: SeededEntropy,
        seq: u64,
        durable: bool,
        effects: Vec<Effect>,
        done: Option<oneshot::Sender<(Status, Option<String>)>>,
        prepared: Option<Channel>,
        meta: Option<ExecutionMeta>,
        tasks: TaskTracker,
    ) {
        // Only a resumed execution comes durable and without a prepared channel.
        let resumed = if durable && prepared.is_none() {
            effects
                .iter()
                .filter_map(|effect| match effect {
                    Effect::InvokeTask(request) => Some(request.id),
                    _ => None,
                })
                .collect()
        } else {
            HashSet::new()
        };
        let (sender, receiver) = match prepared {
            Some(channel) => channel,
            None => self.prepare(&arn, &effects),
        };
        let mut abandoned = self.shared.epoch.subscribe();
        let epoch = *abandoned.borrow_and_update();
        let mut actor = Actor {
            epoch,
            abandoned,
            runtime: self.clone(),
            arn,
            execution,
            entropy,
            seq,
            durable,
            sender,
            timers: HashMap::new(),
            done,
            last_output: None,
            meta,
            tasks,
            resumed,
            calls: HashMap::new(),
        };
        tokio::spawn(async move {
            actor.perform(effects);
            if let Some((receiver, parked)) = actor.run(receiver).await {
                let runtime = actor.runtime.clone();
                let arn = std::mem::take(&mut actor.arn);
                drop(actor);
                // A task of its own, so that the actor's (larger) task is freed.
                tokio::spawn(runtime.parked_until(arn, receiver, parked));
            }
        });
    }

    /// A parked execution: waits until its nearest timer is due or a command arrives, then
    /// rebuilds it from the store and hands it the command.
    async fn parked_until(self, arn: String, mut receiver: CommandReceiver, parked: Parked) {
        let sender = parked.sender;
        let mut abandoned = self.shared.epoch.subscribe();
        if *abandoned.borrow_and_update() != parked.epoch {
            return;
        }
        let (mut first, due) = tokio::select! {
            command = receiver.recv() => {
                if command.as_deref().is_some_and(|command| matches!(command, Command::LetGo)) {
                    self.forget_parked(&arn, &sender);
                    return;
                }
                (command, None)
            }
            () = tokio::time::sleep(parked.delay) => (None, Some(parked.due_ms)),
            // This node gave up its executions (see `Shared::epoch`).
            _ = abandoned.changed() => return,
        };
        let mut attempt = 0;
        loop {
            if *abandoned.borrow() != parked.epoch {
                return;
            }
            let permit = self.shared.unparking.acquire().await;
            // Boxed: the rebuild's future is large, and a parked execution holds this one.
            let unparked = Box::pin(self.unpark(&arn, &sender, receiver, first, due)).await;
            drop(permit);
            let error = match unparked {
                Ok(()) => return,
                Err((error, back, command)) => {
                    receiver = back;
                    first = command;
                    error
                }
            };
            // Nothing else drives a durable execution: never give up on it (a stop waiting in
            // its mailbox is answered once it runs again), but back off up to 5 s.
            attempt += 1;
            tracing::error!(execution = %arn, %error, attempt, "cannot resume a parked execution yet");
            tokio::time::sleep(Duration::from_millis((200 * attempt).min(5_000))).await;
        }
    }

    /// Rebuilds a parked execution and starts its actor on the same mailbox, `first` (the
    /// command that woke it) queued again behind whatever came after it. Woken by its timer
    /// (`due`: when that was due), the timers due by then fire at once: under a time scale, the
    /// engine's clock (the wall clock) has not reached them yet, and arming them again would
    /// wait their remaining time over. On failure hands the mailbox and command back.
    #[allow(clippy::type_complexity)] // The failure hands back what the retry needs.
    async fn unpark(
        &self,
        arn: &str,
        sender: &CommandSender,
        receiver: CommandReceiver,
        first: Option<Box<Command>>,
        due: Option<i64>,
    ) -> Result<(), (Error, CommandReceiver, Option<Box<Command>>)> {
        let record = match self.shared.store.get_execution(arn).await {
            Ok(record) => record,
            Err(error) => return Err((error.into(), receiver, first)),
        };
        if record.end.is_some() && self.cluster().is_some() {
            // Another node took it over and ended it meanwhile: nothing is left to drive here.
            // The command that woke it goes unanswered, which its sender reads as "gone".
            self.forget_parked(arn, sender);
            return Ok(());
        }
        let (execution, entropy, seq, invocations) = match self.rebuild(&record).await {
            Ok(rebuilt) => rebuilt,
            Err(error) => return Err((error, receiver, first)),
        };
        let sender = sender.clone();
        if execution.is_finished() {
            // As in `resume`: a replay that ends where the store says it runs diverged.
            return Err((
                Error::InvalidDefinition(format!(
                    "the journal of {arn} (entry {seq}) replays to an end that is not recorded"
                )),
                receiver,
                first,
            ));
        }
        self.count_unparked();
        if let Some(command) = first {
            sender.resend(command);
        }
        let mut effects = execution.outstanding();
        if let Some(due_ms) = due {
            effects.retain(|effect| match effect {
                Effect::StartTimer { id, fire_at_ms } if *fire_at_ms <= due_ms => {
                    let _ = sender.send(Command::Input(Input::TimerFired { timer: *id }));
                    false
                }
                _ => true,
            });
        }
        self.spawn_resumed(
            &record,
            execution,
            entropy,
            seq,
            effects,
            invocations,
            Some((sender, receiver)),
        )
        .await;
        Ok(())
    }
}

/// How long an execution whose step the store refused waits before it is rebuilt and tries
/// again (see `Actor::after_failed_commit`).
const RETRY_FAILED_COMMIT_AFTER: Duration = Duration::from_secs(1);

/// How many parked executions are rebuilt at once (see `Shared::unparking`).
const UNPARKING_AT_ONCE: usize = 64;

/// A parked execution's wake-up: how long from parking, and when (epoch milliseconds, the
/// engine's clock) its nearest timer is due.
struct Parked {
    delay: Duration,
    due_ms: i64,
    /// The epoch of the actor that parked (see `Shared::epoch`).
    epoch: u64,
    /// Its own mailbox's sender: the rebuilt actor takes it, whatever `running` holds by then.
    sender: CommandSender,
}

fn scaled(milliseconds: f64, time_scale: f64) -> Duration {
    let scale = if time_scale.is_finite() && time_scale > 0.0 {
        time_scale
    } else {
        1.0
    };
    Duration::from_secs_f64((milliseconds / scale).max(0.0) / 1000.0)
}

struct Actor {
    /// The epoch the actor belongs to, and where a newer one is announced (`Shared::epoch`).
    epoch: u64,
    abandoned: watch::Receiver<u64>,
    runtime: Runtime,
    arn: String,
    execution: Execution,
    entropy: SeededEntropy,
    seq: u64,
    durable: bool,
    sender: CommandSender,
    timers: HashMap<u64, JoinHandle<()>>,
    done: Option<oneshot::Sender<(Status, Option<String>)>>,
    last_output: Option<String>,
    /// What its metrics are recorded under.
    meta: Option<ExecutionMeta>,
    /// Its open tasks, for the task metrics.
    tasks: TaskTracker,
    /// The tasks a resumed execution asks for again: they may have been performed already.
    resumed: HashSet<u64>,
    /// The calls in flight, by task: a task no longer wanted stops its call.
    calls: HashMap<u64, JoinHandle<()>>,
}

impl Actor {
    /// Runs until the execution ends, or until it parks: then answers its mailbox and how long
    /// until its nearest timer.
    async fn run(&mut self, mut receiver: CommandReceiver) -> Option<(CommandReceiver, Parked)> {
        // A stop that ended the execution is answered once the execution is out of `running`
        // (`finish`), so that the stopper's next call (a redrive) finds it ended.
        let mut stopped: Option<oneshot::Sender<()>> = None;
        while !self.execution.is_finished() {
            if receiver.is_empty()
                && let Some(parked) = self.parkable()
            {
                for (_, handle) in self.timers.drain() {
                    handle.abort();
                }
                self.runtime
                    .shared
                    .parked
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return Some((receiver, parked));
            }
            let command = tokio::select! {
                command = receiver.recv() => command,
                // This node gave up its executions: end without a trace (the maps are cleared).
                _ = self.abandoned.changed() => {
                    self.drop_effects();
                    return None;
                }
            };
            let Some(command) = command else {
                break;
            };
            let (input, done, ack) = match *command {
                Command::LetGo => {
                    self.let_go();
                    return None;
                }
                Command::Input(input) => (input, None, None),
                Command::Acked(input, ack) => (self.early_if_calling(input), None, Some(ack)),
                Command::Stop { error, cause, done } => {
                    (Input::Stop { error, cause }, Some(done), None)
                }
            };
            // Boxed, so that the actor's own future stays small while it waits (a parked
            // execution holds it).
            match Box::pin(self.step(input)).await {
                Ok(taken) => {
                    if let Some(ack) = ack {
                        let _ = ack.send(Ok(taken));
                    }
                }
                Err(error) if self.is_abandoned() => {
                    self.drop_effects();
                    if let Some(ack) = ack {
                        let _ = ack.send(Err(error));
                    }
                    return None;
                }
                Err(error @ store::Error::NotOwner(_)) => {
                    // Another node claimed the execution (this node's lease ran out, or a
                    // command for it arrived there): it drives it from its journal now.
                    tracing::info!(execution = %self.arn, %error, "another node took the execution over");
                    self.let_go();
                    if let Some(ack) = ack {
                        let _ = ack.send(Err(error));
                    }
                    return None;
                }
                Err(error) => {
                    // The step is not committed, and the execution in memory is ahead of its
                    // journal. A durable one is dropped and rebuilt from the journal (see
                    // `after_failed_commit`); any other stops here.
                    tracing::error!(execution = %self.arn, %error, "cannot commit a step");
                    if let Some(ack) = ack {
                        let _ = ack.send(Err(error));
                    }
                    if self.durable {
                        return Some((receiver, self.after_failed_commit()));
                    }
                    break;
                }
            }
            if let Some(done) = done {
                if self.execution.is_finished() {
                    stopped = Some(done);
                } else {
                    let _ = done.send(());
                }
            }
        }
        self.finish();
        if let Some(done) = stopped {
            let _ = done.send(());
        }
        // Anything still queued (a late task report, a stop racing the end) has nothing to do.
        receiver.close();
        while let Ok(command) = receiver.try_recv() {
            if let Command::Stop { done, .. } = *command {
                let _ = done.send(());
            }
        }
        None
    }

    /// A worker's report on a callback task whose integration call has not answered yet (a
    /// Lambda function that calls `SendTaskSuccess` before it returns, or a call made again
    /// after a restart) is kept by the execution until the call answers
    /// ([`Input::EarlyReport`]): the history records `TaskSubmitted` before the task's end, and
    /// the worker hears back as soon as the report is committed, without waiting for the call
    /// (which may itself wait for that answer).
    fn early_if_calling(&self, input: Input) -> Input {
        let task = match &input {
            Input::TaskSucceeded { task, .. } | Input::TaskFailed { task, .. } => *task,
            _ => return input,
        };
        if self.calls.contains_key(&task)
            && self.execution.is_task_open(task)
            && !self.execution.is_task_submitted(task)
        {
            Input::EarlyReport {
                report: Box::new(input),
            }
        } else {
            input
        }
    }

    /// Whether this node gave up its executions since the actor started (`Shared::epoch`).
    fn is_abandoned(&self) -> bool {
        *self.abandoned.borrow() != self.epoch
    }

    /// Stops the timers and calls in flight, and nothing else.
    fn drop_effects(&mut self) {
        for (_, handle) in self.timers.drain() {
            handle.abort();
        }
        for (_, call) in self.calls.drain() {
            call.abort();
        }
    }

    /// Forgets an execution another node drives now: its effects, tokens and mailbox here.
    fn let_go(&mut self) {
        self.drop_effects();
        let shared = &self.runtime.shared;
        self.runtime.forget_tokens_of(&self.arn);
        let mut running = lock(&shared.running);
        if running
            .get(&self.arn)
            .is_some_and(|sender| sender.0.same_channel(&self.sender.0))
        {
            running.remove(&self.arn);
        }
    }

    /// After a step the store refused (a full disk, a read-only data directory): parks the
    /// execution as it was at its last committed step. It is rebuilt from its journal a second
    /// later, or as soon as a command arrives (a task report, a stop), which is then tried
    /// again; until the store takes writes again each such try fails and parks it once more.
    /// Its timers, calls and heartbeat clocks go with the dropped state: the rebuild arms and
    /// performs them again, and its task tokens stay registered, so that a worker's report
    /// reaches it.
    fn after_failed_commit(&mut self) -> Parked {
        for (_, handle) in self.timers.drain() {
            handle.abort();
        }
        for (_, call) in self.calls.drain() {
            call.abort();
        }
        for entry in lock(&self.runtime.shared.tokens).values_mut() {
            if entry.execution_arn == self.arn
                && let Some(handle) = entry.heartbeat.take()
            {
                handle.abort();
            }
        }
        self.runtime
            .shared
            .parked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Parked {
            delay: RETRY_FAILED_COMMIT_AFTER,
            due_ms: now_ms(),
            epoch: self.epoch,
            sender: self.sender.clone(),
        }
    }

    /// How long until the nearest timer, when the execution may park: it is durable (its
    /// journal rebuilds it), nobody waits on it in memory, it waits for timers and nothing
    /// else (no task, call or child), and the nearest timer is at least `park_after` off.
    fn parkable(&self) -> Option<Parked> {
        let park_after = self.runtime.shared.config.park_after?;
        if !self.durable || self.done.is_some() || self.timers.is_empty() || !self.calls.is_empty()
        {
            return None;
        }
        let due_ms = self.execution.nearest_timer_only()?;
        let delay = scaled(
            (due_ms - now_ms()) as f64,
            self.runtime.shared.config.time_scale,
        );
        (delay >= park_after).then(|| Parked {
            delay,
            due_ms,
            epoch: self.epoch,
            sender: self.sender.clone(),
        })
    }

    /// Applies an input and commits the step; true when the execution took the input (see
    /// [`Ack`]).
    async fn step(&mut self, input: Input) -> Result<bool, store::Error> {
        if let Input::TimerFired { timer } = &input {
            self.timers.remove(timer);
        }
        if let Input::TaskStarted { task, .. } = &input
            && self.execution.is_task_started(*task)
        {
            // After a restart, outstanding tasks are offered again and callback tasks started
            // again: a task started before the crash starts once in the history. (Filtered here
            // rather than in the engine, so that journals written before keep replaying to the
            // same history.)
            return Ok(true);
        }
        let closes = match &input {
            Input::TaskSucceeded { task, .. }
            | Input::TaskFailed { task, .. }
            | Input::TaskHeartbeatTimedOut { task } => Some(*task),
            _ => None,
        };
        let now = now_ms();
        let journal = self.durable.then(|| input.to_json().to_string());
        self.tasks.heartbeat_timeout = matches!(input, Input::TaskHeartbeatTimedOut { .. });
        let step = self.execution.apply(input, now, &mut self.entropy);
        if step.is_empty() {
            // The input changed nothing (a duplicate or late report): nothing to keep.
            return Ok(false);
        }
        if let Some(task) = closes {
            self.runtime.release_child(&self.arn, task);
        }
        let end = end_of(self.execution.status(), &step.events, now);
        if let Some(end) = &end {
            self.last_output = end.output.clone();
        }
        self.runtime
            .index_map_runs(&self.arn, &self.execution, &step);
        // Tokens are known before the step is visible in the store, so a client that reads a
        // token from the history can use it at once.
        self.register_tokens(&step.effects);
        let closed = end.as_ref().map(|end| (end.status.clone(), end.stop_ms));
        if let Some(journal) = journal {
            if self.is_abandoned() {
                return Err(store::Error::NotOwner(format!(
                    "this node gave up {} with every execution it drove",
                    self.arn
                )));
            }
            self.seq += 1;
            let commit_started = std::time::Instant::now();
            self.runtime
                .shared
                .store
                .commit_step(StepCommit {
                    execution_arn: self.arn.clone(),
                    journal: JournalEntry {
                        seq: self.seq,
                        at_ms: now,
                        input: journal,
                    },
                    events: stored(&step.events),
                    end,
                    redrive: None,
                    task_tokens: tokens_of(&step.effects),
                })
                .await?;
            self.runtime
                .shared
                .observer
                .store_commit(commit_started.elapsed().as_secs_f64());
        }
        if let Some(meta) = &self.meta {
            self.runtime.log(meta, &self.arn, &step.events);
        }
        self.runtime
            .shared
            .observer
            .task_events(&mut self.tasks, &step.events);
        if let (Some(meta), Some((status, stop_ms))) = (&self.meta, closed) {
            self.runtime
                .shared
                .observer
                .execution_closed(meta, &status, stop_ms);
        }
        self.perform(step.effects);
        Ok(true)
    }

    fn register_tokens(&self, effects: &[Effect]) {
        let mut tokens = lock(&self.runtime.shared.tokens);
        for effect in effects {
            if let Effect::InvokeTask(request) = effect
                && let Some(token) = &request.task_token
            {
                tokens.entry(token.clone()).or_insert_with(|| TokenEntry {
                    execution_arn: self.arn.clone(),
                    task: request.id,
                    heartbeat_seconds: request.heartbeat_seconds,
                    heartbeat: None,
                });
            }
        }
    }

    /// The mocked answer of a task, when the execution runs a test case that mocks its state.
    fn mocked(&mut self, request: &engine::TaskRequest) -> Option<Input> {
        let mocks = self.runtime.shared.config.mocks.clone()?;
        let meta = self.meta.as_mut()?;
        let (machine, case) = meta.test_case.as_deref()?.split_once('#')?;
        let count = meta
            .mock_invocations
            .entry(request.state_name.clone())
            .or_insert(0);
        let answer = mocks.answer(machine, case, &request.state_name, *count)?;
        *count += 1;
        Some(match answer {
            mocks::MockedAnswer::Return(output) => Input::TaskSucceeded {
                task: request.id,
                output: output.clone(),
            },
            mocks::MockedAnswer::Throw { error, cause } => Input::TaskFailed {
                task: request.id,
                error: Some(error.clone()),
                cause: Some(cause.clone()),
            },
        })
    }

    fn perform(&mut self, effects: Vec<Effect>) {
        self.register_tokens(&effects);
        let runtime = self.runtime.clone();
        let shared = &runtime.shared;
        for effect in effects {
            match effect {
                Effect::StartTimer { id, fire_at_ms } => {
                    let delay = scaled((fire_at_ms - now_ms()) as f64, shared.config.time_scale);
                    let sender = self.sender.clone();
                    let handle = tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let _ = sender.send(Command::Input(Input::TimerFired { timer: id }));
                    });
                    self.timers.insert(id, handle);
                }
                Effect::CancelTimer { id } => {
                    if let Some(handle) = self.timers.remove(&id) {
                        handle.abort();
                    }
                }
                Effect::InvokeTask(request) => {
                    if let Some(input) = self.mocked(&request) {
                        let _ = self.sender.send(Command::Input(input));
                        continue;
                    }
                    if let Some(pattern) = nested::pattern(&request.resource) {
                        if let Some(token) = &request.task_token {
                            self.callback_heartbeat(request.id, request.heartbeat_seconds, token);
                        }
                        let slot = pattern
                            .waits_for_child()
                            .then(|| runtime.child_slot(&self.arn, request.id));
                        let resumed = self.resumed.remove(&request.id);
                        let child = nested::ChildTask {
                            parent: self.arn.clone(),
                            resumed,
                            submitted: resumed
                                .then(|| self.execution.task_submission(request.id).cloned())
                                .flatten(),
                            request,
                            pattern,
                            slot,
                            sender: self.sender.clone(),
                        };
                        tokio::spawn(runtime.clone().run_child(child));
                        continue;
                    }
                    if let Some(invoker) = runtime.invoker_for(&request.resource) {
                        self.call(invoker, request);
                        continue;
                    }
                    let Some(token) = request.task_token.clone() else {
                        let _ = self.sender.send(Command::Input(Input::TaskFailed {
                            task: request.id,
                            error: Some("States.Runtime".to_owned()),
                            cause: Some(format!(
                                "An error occurred while executing the state '{}'. The resource '{}' is not supported by Switchback yet: activities, nested executions (states:startExecution) and '.waitForTaskToken' callbacks run, and any task can be mocked (--mock-config)",
                                request.state_name, request.resource
                            )),
                        }));
                        continue;
                    };
                    let is_activity = describe_resource(&request.resource)
                        == engine::execution::ResourceKind::Activity;
                    if is_activity {
                        // Only a rebuilt execution asks for a task that has started: a worker
                        // took it before the restart and may still complete it with its token
                        // (tokens are drawn from the seeded entropy, so the replay gave the same
                        // one). Its heartbeat clock restarts now; the task is offered again as
                        // well, in case that worker is gone, and the first report wins.
                        if self.execution.is_task_started(request.id)
                            && let Some(seconds) = request.heartbeat_seconds
                        {
                            let handle = self.runtime.heartbeat_timer(
                                self.sender.clone(),
                                request.id,
                                seconds,
                            );
                            if let Some(entry) = lock(&shared.tokens).get_mut(&token)
                                && let Some(old) = entry.heartbeat.replace(handle)
                            {
                                old.abort();
                            }
                        }
                        let task = ActivityTask {
                            task_token: token,
                            input: request.input.to_string(),
                        };
                        match self.runtime.cluster() {
                            Some(cluster) if self.execution.is_task_started(request.id) => {
                                self.runtime.reoffer(cluster, request.resource, task);
                            }
                            _ => self.runtime.offer(&request.resource, task),
                        }
                    } else {
                        // A callback task: the service call that would carry the token is not
                        // made (integrations come later); the token is in the history for
                        // whoever completes the task.
                        let _ = self.sender.send(Command::Input(Input::TaskStarted {
                            task: request.id,
                            worker_name: None,
                        }));
                        self.callback_heartbeat(request.id, request.heartbeat_seconds, &token);
                    }
                }
                Effect::CancelTask { id } => {
                    self.runtime.abandon_child(&self.arn, id);
                    if let Some(call) = self.calls.remove(&id) {
                        call.abort();
                    }
                    lock(&shared.tokens).retain(|_, entry| {
                        let cancel = entry.execution_arn == self.arn && entry.task == id;
                        if cancel && let Some(handle) = entry.heartbeat.take() {
                            handle.abort();
                        }
                        !cancel
                    });
                }
            }
        }
    }

    /// Performs a task through the invoker, reporting its start and its end.
    fn call(&mut self, invoker: Arc<dyn invoke::Invoker>, request: engine::TaskRequest) {
        let resumed = self.resumed.remove(&request.id);
        if let Some(token) = &request.task_token {
            // A task whose report is kept (it came before the call answered, then the server
            // restarted) has no worker left to heartbeat: its clock stays stopped.
            if !self.execution.is_task_reported(request.id) {
                self.callback_heartbeat(request.id, request.heartbeat_seconds, token);
            }
            // Its call was made before the restart: the token is out, and the task waits for it.
            if resumed && self.execution.is_task_submitted(request.id) {
                return;
            }
        }
        let sender = self.sender.clone();
        let task = request.id;
        let invocation = invoke::Invocation {
            resource: request.resource,
            state_name: request.state_name,
            input: request.input,
            task_token: request.task_token,
            timeout_seconds: request.timeout_seconds,
        };
        let handle = tokio::spawn(async move {
            let _ = sender.send(Command::Input(Input::TaskStarted {
                task,
                worker_name: None,
            }));
            let input = match invoker.invoke(invocation).await {
                invoke::Outcome::Succeeded(output) => Input::TaskSucceeded { task, output },
                invoke::Outcome::Submitted(output) => Input::TaskSubmitted { task, output },
                invoke::Outcome::Failed { error, cause } => Input::TaskFailed {
                    task,
                    error: Some(error),
                    cause: Some(cause),
                },
            };
            let _ = sender.send(Command::Input(input));
        });
        self.calls.retain(|_, call| !call.is_finished());
        self.calls.insert(task, handle);
    }

    /// Starts the heartbeat clock of a callback task.
    fn callback_heartbeat(&self, task: u64, heartbeat_seconds: Option<u64>, token: &str) {
        if let Some(seconds) = heartbeat_seconds {
            let handle = self
                .runtime
                .heartbeat_timer(self.sender.clone(), task, seconds);
            if let Some(entry) = lock(&self.runtime.shared.tokens).get_mut(token)
                && let Some(old) = entry.heartbeat.replace(handle)
            {
                old.abort();
            }
        }
    }

    fn finish(&mut self) {
        for (_, handle) in self.timers.drain() {
            handle.abort();
        }
        for (_, call) in self.calls.drain() {
            call.abort();
        }
        self.runtime.release_children(&self.arn);
        if self.durable && self.runtime.is_watched(&self.arn) {
            let runtime = self.runtime.clone();
            let arn = self.arn.clone();
            tokio::spawn(async move { runtime.deliver_child(&arn).await });
        }
        let shared = &self.runtime.shared;
        // Tokens go first: a redrive registers the new run's tokens only once the execution is
        // out of `running`, and they must not be purged with this run's.
        self.runtime.forget_tokens_of(&self.arn);
        lock(&shared.running).remove(&self.arn);
        if let Some(done) = self.done.take() {
            let _ = done.send((self.execution.status().clone(), self.last_output.take()));
        }
    }
}
