//! Storage for Switchback: narrow traits, an in-memory backend, and one conformance suite that
//! every backend passes (`suite`).
//!
//! The runtime persists an execution as an *input journal*: each input the engine applied (with
//! the time it was applied at) is appended together with the history events it produced and the
//! execution's new status, in one transaction ([`Executions::commit_step`]). The engine is
//! deterministic and its entropy is seeded per execution ([`ExecutionRecord::seed`]), so replaying
//! the journal rebuilds the execution exactly where it stood: that is how open executions resume
//! after a crash. Effects are never stored: after a replay the engine says which tasks and timers
//! it still waits for.
//!
//! Times are epoch milliseconds; documents are JSON text, as AWS returns them. Backends differ in
//! how they store things, never in what they answer: `suite::run_all` checks that.

pub mod cluster;
pub mod deployments;
pub mod mem;
pub mod observe;
pub mod stacks;
pub mod suite;

pub use cluster::{Cluster, NodeRecord, Notice, NoticeHandler};
pub use deployments::{
    DeploymentCommit, DeploymentFilter, DeploymentRecord, Deployments, RoutingChange,
};

use async_trait::async_trait;

pub use stacks::{StackEventRecord, StackPut, StackRecord, Stacks};

pub use crate::observe::{
    AlarmHistoryRecord, AlarmRecord, AlarmStateChange, Alarms, MetricData, MetricRow,
};

/// What a backend can fail with. Not-found and already-exists are answers the API turns into
/// AWS errors; `Backend` means the store itself failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No record with this key.
    #[error("not found: {0}")]
    NotFound(String),
    /// A record with this key exists already.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The record changed since it was read (optimistic concurrency), or a step was committed
    /// out of order.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backend failed (corruption, a migration that cannot run, a bug).
    #[error("storage failed: {0}")]
    Backend(String),
    /// The backend cannot take the request now but may later: the disk is full, the data
    /// directory turned read-only, an I/O error, the database is locked by another process.
    /// Nothing of the request was written; the API answers `ServiceUnavailable`.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Another node drives the execution (it claimed it: this node's lease had expired, or a
    /// command for it arrived there). Nothing was written; this node must let it go.
    #[error("driven by another node: {0}")]
    NotOwner(String),
}

/// A shorthand for storage results.
pub type Result<T> = std::result::Result<T, Error>;

/// A page of results and the token for the next page, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_token: Option<String>,
}

impl<T> Page<T> {
    /// Cuts a list read with one item more than `limit` into a page: the extra item, when there
    /// is one, says another page follows, whose token `key` makes from this page's last item.
    pub fn of_one_more(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Page<T> {
        let more = items.len() > limit;
        items.truncate(limit);
        let next_token = if more { items.last().map(key) } else { None };
        Page { items, next_token }
    }
}

/// The error of a page token the backend did not make.
pub fn invalid_token(token: &str) -> Error {
    Error::Conflict(format!("invalid page token {token:?}"))
}

/// The page token of lists in order of name: the name and the ARN, which breaks ties.
pub fn name_token(name: &str, arn: &str) -> String {
    format!("{name}\u{0}{arn}")
}

/// The name and ARN of a [`name_token`].
pub fn parse_name_token(token: &str) -> (String, String) {
    match token.split_once('\u{0}') {
        Some((name, arn)) => (name.to_owned(), arn.to_owned()),
        None => (token.to_owned(), String::new()),
    }
}

/// What page to read: at most `limit` items, after `token` (from an earlier [`Page`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// The most items to return; 0 means the backend's default (100).
    pub limit: usize,
    /// Where the previous page ended.
    pub token: Option<String>,
}

impl PageRequest {
    /// The limit, with 0 read as 100 and anything above 1,000 capped.
    pub fn effective_limit(&self) -> usize {
        match self.limit {
            0 => 100,
            limit => limit.min(1000),
        }
    }
}

/// A state machine: its current revision (versions are [`VersionRecord`]s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachineRecord {
    /// `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`.
    pub arn: String,
    /// The name.
    pub name: String,
    /// `STANDARD` or `EXPRESS`.
    pub machine_type: String,
    /// The current definition's text.
    pub definition: String,
    /// The role executions run as.
    pub role_arn: String,
    /// When it was created.
    pub created_ms: i64,
    /// When it was last updated (equals `created_ms` until then).
    pub updated_ms: i64,
    /// Changes with every update of the definition or role.
    pub revision_id: String,
    /// `Description`, if given.
    pub description: Option<String>,
    /// `loggingConfiguration` as JSON text, if given.
    pub logging_configuration: Option<String>,
    /// `tracingConfiguration` as JSON text, if given.
    pub tracing_configuration: Option<String>,
}

/// An activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    /// `arn:aws:states:REGION:ACCOUNT:activity:NAME`.
    pub arn: String,
    /// The name.
    pub name: String,
    /// When it was created.
    pub created_ms: i64,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionEnd {
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    /// The output (JSON text), on success.
    pub output: Option<String>,
    /// The error name, on failure.
    pub error: Option<String>,
    /// The cause, on failure.
    pub cause: Option<String>,
    /// When it ended.
    pub stop_ms: i64,
}

/// One execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionRecord {
    /// `arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME`.
    pub arn: String,
    /// The state machine it belongs to (unqualified ARN).
    pub state_machine_arn: String,
    /// The execution's name.
    pub name: String,
    /// `RUNNING` until it ends, then the status of [`ExecutionEnd`].
    pub status: String,
    /// The input, as the caller sent it.
    pub input: String,
    /// The definition it runs (a copy: updating the machine does not change running executions).
    pub definition: String,
    /// The role it runs as.
    pub role_arn: String,
    /// When it started.
    pub start_ms: i64,
    /// The seed of the execution's entropy, so a replay draws the same values.
    pub seed: u64,
    /// How it ended; `None` while it runs.
    pub end: Option<ExecutionEnd>,
    /// The version it runs, when started through a version or an alias ARN.
    pub state_machine_version_arn: Option<String>,
    /// The alias it was started through, if any.
    pub state_machine_alias_arn: Option<String>,
    /// The test case of the server's mock configuration it runs (`Name#TestCase`), if any.
    pub test_case: Option<String>,
    /// How many times it was redriven (`RedriveExecution`).
    pub redrive_count: u64,
    /// When it was last redriven, epoch milliseconds.
    pub redrive_ms: Option<i64>,
}

/// One input the engine applied, as the engine serialised it, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// 1, 2, 3, ... per execution.
    pub seq: u64,
    /// The time the engine was given, epoch milliseconds.
    pub at_ms: i64,
    /// The engine input, as JSON text (the engine's versioned format).
    pub input: String,
}

/// One history event, as JSON text in AWS's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event id (1, 2, 3, ... per execution).
    pub id: u64,
    /// The event as `GetExecutionHistory` returns it.
    pub json: String,
}

/// Everything one engine step changes, committed in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCommit {
    /// The execution.
    pub execution_arn: String,
    /// The input applied; its `seq` must follow the last one stored.
    pub journal: JournalEntry,
    /// The events appended.
    pub events: Vec<StoredEvent>,
    /// Set when the step ended the execution.
    pub end: Option<ExecutionEnd>,
    /// Set when the step redrives the execution, which must have ended: at this time
    /// (epoch milliseconds) it runs again, its end cleared and its redrive count raised.
    pub redrive: Option<i64>,
    /// The task tokens the step hands out (activity and callback tasks), so that a backend
    /// shared by several nodes can say which execution a token belongs to
    /// ([`Cluster::token_execution`]) and offer activity tasks to every node's workers
    /// ([`Cluster::take_activity_task`]); a single-node backend may ignore them.
    pub task_tokens: Vec<TaskToken>,
}

/// A task token a step hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskToken {
    /// The token.
    pub token: String,
    /// The activity, for an activity task; `None` for a callback.
    pub activity_arn: Option<String>,
}

/// Where an execution's journal and history stand, as a backend stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepPosition {
    /// The last journal entry's `seq` (0 before the first).
    pub last_seq: u64,
    /// The last history event's id (0 before the first).
    pub last_event_id: u64,
    /// Whether the execution has ended.
    pub ended: bool,
}

impl StepCommit {
    /// Checks this step against where its execution `arn` stands: the next journal entry, on a
    /// running execution (or on an ended one for a redrive), events in increasing order after
    /// the last. Answers the id of its last event (the last stored when it has none).
    pub fn check(&self, arn: &str, position: StepPosition) -> Result<u64> {
        if self.journal.seq != position.last_seq + 1 {
            return Err(Error::Conflict(format!(
                "journal entry {} where {} was expected",
                self.journal.seq,
                position.last_seq + 1
            )));
        }
        if position.ended != self.redrive.is_some() {
            return Err(Error::Conflict(if self.redrive.is_some() {
                format!("execution {arn} has not ended: it cannot be redriven")
            } else {
                format!("execution {arn} has already ended")
            }));
        }
        let mut last_event_id = position.last_event_id;
        for event in &self.events {
            if event.id <= last_event_id {
                return Err(Error::Conflict(format!(
                    "history event {} does not follow event {last_event_id}",
                    event.id
                )));
            }
            last_event_id = event.id;
        }
        Ok(last_event_id)
    }
}

/// Which executions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionFilter {
    /// Only this state machine's.
    pub state_machine_arn: Option<String>,
    /// Only with this status.
    pub status: Option<String>,
    /// Only those that ran this version (started through it or through an alias).
    pub version_arn: Option<String>,
    /// Only those started through this alias.
    pub alias_arn: Option<String>,
}

/// A published version: an immutable copy of one revision of a state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    /// `<state machine ARN>:<number>`.
    pub arn: String,
    /// The state machine (unqualified ARN).
    pub state_machine_arn: String,
    /// 1, 2, 3, ... per state machine, never reused.
    pub number: u64,
    /// The revision it copies (empty for the initial revision).
    pub revision_id: String,
    /// The definition's text.
    pub definition: String,
    /// The role executions run as.
    pub role_arn: String,
    /// `loggingConfiguration` as JSON text, if set.
    pub logging_configuration: Option<String>,
    /// `tracingConfiguration` as JSON text, if set.
    pub tracing_configuration: Option<String>,
    /// The version's description, if given.
    pub description: Option<String>,
    /// When it was published.
    pub created_ms: i64,
}

/// What to publish: the current revision of a state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRequest {
    /// The state machine (unqualified ARN).
    pub state_machine_arn: String,
    /// When set, the revision the caller expects to be current (`""` for the initial one).
    pub expected_revision_id: Option<String>,
    /// The new version's description.
    pub description: Option<String>,
    /// The publication time.
    pub created_ms: i64,
    /// The most versions a state machine may have.
    pub max_versions: usize,
}

/// How a publication went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// A new version, numbered after every version the machine ever had.
    Created(VersionRecord),
    /// The current revision already had this version.
    Existing(VersionRecord),
    /// The expected revision is not the current one, which is given.
    RevisionMismatch(String),
    /// The machine has `max_versions` versions already.
    QuotaExceeded,
}

/// One entry of an alias's routing: a version and its weight (0–100).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The version ARN.
    pub version_arn: String,
    /// Percent of the executions started through the alias.
    pub weight: u32,
}

/// An alias: a name routing to one or two versions of a state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasRecord {
    /// `<state machine ARN>:<name>`.
    pub arn: String,
    /// The state machine (unqualified ARN).
    pub state_machine_arn: String,
    /// The alias name.
    pub name: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// Its routing, in the order given.
    pub routing: Vec<Route>,
    /// When it was created.
    pub created_ms: i64,
    /// When it was last updated (equals `created_ms` until then).
    pub updated_ms: i64,
}

/// How creating an alias went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasCreated {
    /// A new alias.
    Created(AliasRecord),
    /// The same alias (same description and routing) existed already.
    Existing(AliasRecord),
    /// An alias of that name exists with another description or routing.
    Different(AliasRecord),
    /// The machine has `max_aliases` aliases already.
    QuotaExceeded,
}

/// A change to an alias; `None` members stay as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasUpdate {
    /// The alias.
    pub arn: String,
    /// A new description.
    pub description: Option<String>,
    /// A new routing.
    pub routing: Option<Vec<Route>>,
    /// The update time.
    pub updated_ms: i64,
}

/// State machines.
#[async_trait]
pub trait StateMachines: Send + Sync {
    /// Stores a new state machine; `AlreadyExists` if the ARN is taken.
    async fn create_state_machine(&self, record: StateMachineRecord) -> Result<()>;
    /// The state machine with this ARN.
    async fn get_state_machine(&self, arn: &str) -> Result<StateMachineRecord>;
    /// Replaces a state machine's record; `NotFound` if it does not exist.
    async fn update_state_machine(&self, record: StateMachineRecord) -> Result<()>;
    /// Deletes a state machine with its versions and aliases (its executions stay readable);
    /// `NotFound` if it does not exist.
    async fn delete_state_machine(&self, arn: &str) -> Result<()>;
    /// State machines in order of name.
    async fn list_state_machines(&self, page: PageRequest) -> Result<Page<StateMachineRecord>>;
}

/// Activities.
#[async_trait]
pub trait Activities: Send + Sync {
    /// Stores a new activity; `AlreadyExists` if the ARN is taken.
    async fn create_activity(&self, record: ActivityRecord) -> Result<()>;
    /// The activity with this ARN.
    async fn get_activity(&self, arn: &str) -> Result<ActivityRecord>;
    /// Deletes an activity; `NotFound` if it does not exist.
    async fn delete_activity(&self, arn: &str) -> Result<()>;
    /// Activities in order of name.
    async fn list_activities(&self, page: PageRequest) -> Result<Page<ActivityRecord>>;
}

/// Executions, their journals and their histories.
#[async_trait]
pub trait Executions: Send + Sync {
    /// Stores a new execution together with its first step; `AlreadyExists` if the ARN is taken.
    async fn create_execution(&self, record: ExecutionRecord, first: StepCommit) -> Result<()>;
    /// Appends a step. `Conflict` if its journal `seq` does not follow the last one, `NotFound`
    /// if the execution does not exist.
    async fn commit_step(&self, step: StepCommit) -> Result<()>;
    /// The execution with this ARN.
    async fn get_execution(&self, arn: &str) -> Result<ExecutionRecord>;
    /// Executions, newest first (by start time, then ARN).
    async fn list_executions(
        &self,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<ExecutionRecord>>;
    /// History events in id order (or reversed).
    async fn history(
        &self,
        arn: &str,
        reverse: bool,
        page: PageRequest,
    ) -> Result<Page<StoredEvent>>;
    /// The whole journal of an execution, in order.
    async fn journal(&self, arn: &str) -> Result<Vec<JournalEntry>>;
    /// Every execution still `RUNNING` (to resume after a restart).
    async fn open_executions(&self) -> Result<Vec<ExecutionRecord>>;
}

/// Published versions of state machines.
#[async_trait]
pub trait Versions: Send + Sync {
    /// Publishes the machine's current revision in one transaction: the existing version of that
    /// revision if it has one, else a new one numbered after every number the machine ever
    /// used. `NotFound` if the machine does not exist.
    async fn publish_version(&self, request: PublishRequest) -> Result<Published>;
    /// The version with this ARN.
    async fn get_version(&self, arn: &str) -> Result<VersionRecord>;
    /// A machine's versions, newest (highest number) first.
    async fn list_versions(
        &self,
        state_machine_arn: &str,
        page: PageRequest,
    ) -> Result<Page<VersionRecord>>;
    /// Deletes a version; `NotFound` if it does not exist, `Conflict` with the names of the
    /// aliases routing to it (joined by `", "`, in order of name) if there are any.
    async fn delete_version(&self, arn: &str) -> Result<()>;
}

/// Aliases of state machines.
#[async_trait]
pub trait Aliases: Send + Sync {
    /// Creates an alias unless one with its ARN exists; `NotFound` (with the ARN) if the machine
    /// or a version it routes to does not exist.
    async fn create_alias(&self, record: AliasRecord, max_aliases: usize) -> Result<AliasCreated>;
    /// The alias with this ARN.
    async fn get_alias(&self, arn: &str) -> Result<AliasRecord>;
    /// Changes an alias and answers it as it is now; `NotFound` (with the ARN) if it or a version
    /// it would route to does not exist.
    async fn update_alias(&self, update: AliasUpdate) -> Result<AliasRecord>;
    /// Deletes an alias; `NotFound` if it does not exist.
    async fn delete_alias(&self, arn: &str) -> Result<()>;
    /// A machine's aliases in order of creation (then name); with `version_arn`, only those
    /// routing to it.
    async fn list_aliases(
        &self,
        state_machine_arn: &str,
        version_arn: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<AliasRecord>>;
}

/// Tags on any resource ARN.
#[async_trait]
pub trait Tags: Send + Sync {
    /// Adds or replaces tags.
    async fn tag(&self, arn: &str, tags: Vec<(String, String)>) -> Result<()>;
    /// Removes tags by key (absent keys are ignored).
    async fn untag(&self, arn: &str, keys: Vec<String>) -> Result<()>;
    /// The tags of a resource, in order of key.
    async fn tags(&self, arn: &str) -> Result<Vec<(String, String)>>;
}

/// Everything a backend provides.
pub trait Store:
    StateMachines
    + Versions
    + Aliases
    + Activities
    + Executions
    + Tags
    + MetricData
    + Alarms
    + Deployments
    + Stacks
{
}

impl<
    T: StateMachines
        + Versions
        + Aliases
        + Activities
        + Executions
        + Tags
        + MetricData
        + Alarms
        + Deployments
        + Stacks,
> Store for T
{
}
