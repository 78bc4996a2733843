//! The PostgreSQL storage backend: the store traits over tokio-postgres, with a deadpool pool.
//!
//! - **The schema** is the SQLite backend's (`migrations/`): BIGINT epoch milliseconds, TEXT
//!   documents, text compared byte by byte (`COLLATE "C"`), so both backends page in the same
//!   order and the SQL is mostly the same text.
//! - **Migrations** run in one transaction under a transaction-level advisory lock: the first
//!   node of a new build runs them once, the others wait and find nothing left to do. A database
//!   whose schema is newer than this build is refused, as SQLite's is.
//! - **One writer task** (`writer`) commits every write of this process: whatever is queued
//!   at once goes in one transaction (group commit, up to [`Options::max_batch`]), a savepoint
//!   per write so that a refused write undoes itself alone; answers go out after the `COMMIT`.
//!   Writes that check before they change (publishing a version, an alias's routes, a
//!   deployment step, a stack revision) see every earlier write, as on SQLite's writer thread;
//!   reads go through the pool beside it.
//! - **Errors**: a lost connection, a full disk, a read-only database, too many clients are
//!   `Unavailable` (the API answers 503 and nothing was written); anything else is `Backend`.
//!
//! - **Several nodes** (`cluster`): each node that joins holds a lease in `nodes`; the node that
//!   starts an execution drives it (`executions.owner`) and only the owner commits its steps
//!   (fenced in `write::commit_step`); a live node claims what a dead node drove.

mod cluster;
mod deployments;
mod migrate;
mod observe;
mod read;
mod stacks;
mod versions;
mod write;
mod writer;

use std::str::FromStr;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use store::{
    Activities, ActivityRecord, AlarmHistoryRecord, AlarmRecord, AlarmStateChange, Alarms,
    AliasCreated, AliasRecord, AliasUpdate, Aliases, DeploymentCommit, DeploymentFilter,
    DeploymentRecord, Deployments, Error, ExecutionFilter, ExecutionRecord, Executions,
    JournalEntry, MetricData, MetricRow, Page, PageRequest, PublishRequest, Published,
    StackEventRecord, StackPut, StackRecord, Stacks, StateMachineRecord, StateMachines, StepCommit,
    StoredEvent, Tags, VersionRecord, Versions,
};
use tokio_postgres::NoTls;
use writer::{Outcome, Write, Writer};

pub use cluster::Membership;
pub use migrate::SCHEMA_VERSION;

/// The advisory lock every checking write takes (`pg_advisory_xact_lock`): "SwBk".
const WRITE_LOCK: i64 = 0x5377_426b;

/// The advisory lock migrations run under.
const MIGRATION_LOCK: i64 = 0x5377_426c;

/// How to connect.
#[derive(Debug, Clone)]
pub struct Options {
    /// The most connections the pool opens.
    pub connections: usize,
    /// The schema to use (`search_path`); `None` keeps the server's default (`public`).
    pub schema: Option<String>,
    /// The most writes committed in one transaction.
    pub max_batch: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            connections: 16,
            schema: None,
            max_batch: 256,
        }
    }
}

/// A store in one PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    writer: Writer,
    /// The node this process is in the cluster (`cluster`); 0 until it joins, and then steps
    /// are not fenced.
    node: Arc<AtomicI64>,
    membership: Mutex<Option<cluster::Membership>>,
    /// How to open a connection of its own (the notice listener's).
    config: tokio_postgres::Config,
    /// The channel of this database's (schema's) notices, once known.
    channel: Mutex<Option<String>>,
    /// The notice listener, stopped with the store.
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(listener) = lock(&self.listener).take() {
            listener.abort();
        }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("PgStore").finish_non_exhaustive()
    }
}

/// What a failed statement means to the caller.
pub(crate) trait OrBackend<T> {
    fn or_backend(self) -> store::Result<T>;
}

impl<T> OrBackend<T> for Result<T, tokio_postgres::Error> {
    fn or_backend(self) -> store::Result<T> {
        self.map_err(|error| classify(&error))
    }
}

/// Connection loss and resource exhaustion pass (`Unavailable`: the API answers 503 and nothing
/// was written); anything else is a fault of ours or of the data. The SQLSTATE classes: 08
/// connection, 53 insufficient resources, 57P admin shutdown, 25006 read-only transaction.
pub(crate) fn classify(error: &tokio_postgres::Error) -> Error {
    let passing = match error.code() {
        // No SQLSTATE: a closed connection or an I/O error passes; a value that would not
        // convert, say, is ours.
        None => {
            error.is_closed()
                || std::error::Error::source(error)
                    .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some())
        }
        Some(code) => {
            let code = code.code();
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
                || code == "25006"
        }
    };
    let text = match error.as_db_error() {
        Some(db) => format!("postgres: {}: {}", db.code().code(), db.message()),
        None => format!("postgres: {error}"),
    };
    if passing {
        Error::Unavailable(text)
    } else {
        Error::Backend(text)
    }
}

/// The transaction the writer task runs, whose connection keeps its prepared statements.
pub(crate) type CachingTransaction<'a> = deadpool_postgres::Transaction<'a>;

/// `sql` prepared once per connection: the statements of every start and step, which would
/// otherwise cost a round trip to parse and plan each time.
pub(crate) async fn cached(
    tx: &CachingTransaction<'_>,
    sql: &str,
) -> store::Result<tokio_postgres::Statement> {
    tx.prepare_cached(sql).await.or_backend()
}

fn unexpected(outcome: &Outcome) -> Error {
    Error::Backend(format!("the postgres writer answered {outcome:?}"))
}

pub(crate) fn to_i64(value: u64) -> store::Result<i64> {
    i64::try_from(value).map_err(|_| Error::Conflict(format!("{value} is too large to store")))
}

pub(crate) use store::invalid_token;

pub(crate) fn into_page<T>(items: Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Page<T> {
    Page::of_one_more(items, limit, key)
}

pub(crate) fn limit_plus_one(page: &PageRequest) -> store::Result<i64> {
    to_i64(page.effective_limit() as u64 + 1)
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/database`), brings the schema up to date
    /// under the migration lock, and answers the store.
    pub async fn connect(url: &str) -> store::Result<PgStore> {
        PgStore::connect_with(url, Options::default()).await
    }

    /// [`PgStore::connect`] with other options.
    pub async fn connect_with(url: &str, options: Options) -> store::Result<PgStore> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|error| {
            Error::Backend(format!(
                "the database URL is not one PostgreSQL reads: {error}"
            ))
        })?;
        if let Some(schema) = &options.schema {
            config.options(format!("-c search_path={schema}"));
        }
        if config.get_application_name().is_none() {
            config.application_name("switchback");
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.connections.max(1))
            .build()
            .map_err(|error| {
                Error::Backend(format!("cannot build the connection pool: {error}"))
            })?;
        let mut client = pool.get().await.map_err(|error| {
            Error::Unavailable(format!("cannot reach the PostgreSQL database: {error}"))
        })?;
        migrate::migrate(&mut client, migrate::MIGRATIONS).await?;
        drop(client);
        let node = Arc::new(AtomicI64::new(0));
        let writer = Writer::start(pool.clone(), options.max_batch, node.clone());
        Ok(PgStore {
            pool,
            writer,
            node,
            membership: Mutex::new(None),
            config,
            channel: Mutex::new(None),
            listener: Mutex::new(None),
        })
    }

    /// A write that answers nothing but success.
    async fn done(&self, write: Write) -> store::Result<()> {
        match self.writer.write(write).await? {
            Outcome::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    pub(crate) async fn client(&self) -> store::Result<Object> {
        self.pool.get().await.map_err(|error| {
            Error::Unavailable(format!("cannot reach the PostgreSQL database: {error}"))
        })
    }
}

#[async_trait]
impl StateMachines for PgStore {
    async fn create_state_machine(&self, record: StateMachineRecord) -> store::Result<()> {
        self.done(Write::CreateStateMachine(Box::new(record))).await
    }

    async fn get_state_machine(&self, arn: &str) -> store::Result<StateMachineRecord> {
        read::get_state_machine(&self.client().await?, arn).await
    }

    async fn update_state_machine(&self, record: StateMachineRecord) -> store::Result<()> {
        self.done(Write::UpdateStateMachine(Box::new(record))).await
    }

    async fn delete_state_machine(&self, arn: &str) -> store::Result<()> {
        self.done(Write::DeleteStateMachine(arn.to_owned())).await
    }

    async fn list_state_machines(
        &self,
        page: PageRequest,
    ) -> store::Result<Page<StateMachineRecord>> {
        read::list_state_machines(&**self.client().await?, &page).await
    }
}

#[async_trait]
impl Activities for PgStore {
    async fn create_activity(&self, record: ActivityRecord) -> store::Result<()> {
        self.done(Write::CreateActivity(record)).await
    }

    async fn get_activity(&self, arn: &str) -> store::Result<ActivityRecord> {
        read::get_activity(&**self.client().await?, arn).await
    }

    async fn delete_activity(&self, arn: &str) -> store::Result<()> {
        self.done(Write::DeleteActivity(arn.to_owned())).await
    }

    async fn list_activities(&self, page: PageRequest) -> store::Result<Page<ActivityRecord>> {
        read::list_activities(&**self.client().await?, &page).await
    }
}

#[async_trait]
impl Executions for PgStore {
    async fn create_execution(
        &self,
        record: ExecutionRecord,
        first: StepCommit,
    ) -> store::Result<()> {
        self.done(Write::CreateExecution(Box::new(record), first))
            .await
    }

    async fn commit_step(&self, step: StepCommit) -> store::Result<()> {
        self.done(Write::CommitStep(step)).await
    }

    async fn get_execution(&self, arn: &str) -> store::Result<ExecutionRecord> {
        read::get_execution(&self.client().await?, arn).await
    }

    async fn list_executions(
        &self,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> store::Result<Page<ExecutionRecord>> {
        read::list_executions(&**self.client().await?, &filter, &page).await
    }

    async fn history(
        &self,
        arn: &str,
        reverse: bool,
        page: PageRequest,
    ) -> store::Result<Page<StoredEvent>> {
        read::history(&**self.client().await?, arn, reverse, &page).await
    }

    async fn journal(&self, arn: &str) -> store::Result<Vec<JournalEntry>> {
        read::journal(&**self.client().await?, arn).await
    }

    async fn open_executions(&self) -> store::Result<Vec<ExecutionRecord>> {
        read::open_executions(&**self.client().await?).await
    }
}

#[async_trait]
impl Versions for PgStore {
    async fn publish_version(&self, request: PublishRequest) -> store::Result<Published> {
        match self.writer.write(Write::Publish(request)).await? {
            Outcome::Published(published) => Ok(*published),
            other => Err(unexpected(&other)),
        }
    }

    async fn get_version(&self, arn: &str) -> store::Result<VersionRecord> {
        versions::get_version(&**self.client().await?, arn).await
    }

    async fn list_versions(
        &self,
        state_machine_arn: &str,
        page: PageRequest,
    ) -> store::Result<Page<VersionRecord>> {
        versions::list_versions(&**self.client().await?, state_machine_arn, &page).await
    }

    async fn delete_version(&self, arn: &str) -> store::Result<()> {
        self.done(Write::DeleteVersion(arn.to_owned())).await
    }
}

#[async_trait]
impl Aliases for PgStore {
    async fn create_alias(
        &self,
        record: AliasRecord,
        max_aliases: usize,
    ) -> store::Result<AliasCreated> {
        match self
            .writer
            .write(Write::CreateAlias(Box::new(record), max_aliases))
            .await?
        {
            Outcome::AliasCreated(created) => Ok(*created),
            other => Err(unexpected(&other)),
        }
    }

    async fn get_alias(&self, arn: &str) -> store::Result<AliasRecord> {
        versions::get_alias(&**self.client().await?, arn).await
    }

    async fn update_alias(&self, update: AliasUpdate) -> store::Result<AliasRecord> {
        match self.writer.write(Write::UpdateAlias(update)).await? {
            Outcome::Alias(alias) => Ok(*alias),
            other => Err(unexpected(&other)),
        }
    }

    async fn delete_alias(&self, arn: &str) -> store::Result<()> {
        self.done(Write::DeleteAlias(arn.to_owned())).await
    }

    async fn list_aliases(
        &self,
        state_machine_arn: &str,
        version_arn: Option<&str>,
        page: PageRequest,
    ) -> store::Result<Page<AliasRecord>> {
        versions::list_aliases(
            &**self.client().await?,
            state_machine_arn,
            version_arn,
            &page,
        )
        .await
    }
}

#[async_trait]
impl Deployments for PgStore {
    async fn create_deployment(&self, first: DeploymentCommit) -> store::Result<()> {
        self.done(Write::CreateDeployment(Box::new(first))).await
    }

    async fn commit_deployment(&self, step: DeploymentCommit) -> store::Result<()> {
        self.done(Write::CommitDeployment(Box::new(step))).await
    }

    async fn get_deployment(&self, id: &str) -> store::Result<DeploymentRecord> {
        deployments::get(&**self.client().await?, id).await
    }

    async fn list_deployments(
        &self,
        filter: DeploymentFilter,
        page: PageRequest,
    ) -> store::Result<Page<DeploymentRecord>> {
        deployments::list(&**self.client().await?, &filter, &page).await
    }

    async fn open_deployments(&self) -> store::Result<Vec<DeploymentRecord>> {
        deployments::open(&**self.client().await?).await
    }
}

#[async_trait]
impl Stacks for PgStore {
    async fn put_stack(&self, put: StackPut) -> store::Result<()> {
        self.done(Write::PutStack(Box::new(put))).await
    }

    async fn get_stack(&self, name: &str) -> store::Result<StackRecord> {
        stacks::get(&**self.client().await?, name).await
    }

    async fn list_stacks(&self, page: PageRequest) -> store::Result<Page<StackRecord>> {
        stacks::list(&**self.client().await?, &page).await
    }

    async fn delete_stack(&self, name: &str) -> store::Result<()> {
        self.done(Write::DeleteStack(name.to_owned())).await
    }

    async fn stack_events(
        &self,
        name: &str,
        page: PageRequest,
    ) -> store::Result<Page<StackEventRecord>> {
        stacks::events(&**self.client().await?, name, &page).await
    }
}

#[async_trait]
impl MetricData for PgStore {
    async fn put_metric_rows(
        &self,
        rows: Vec<MetricRow>,
        prune_before_ms: i64,
    ) -> store::Result<()> {
        self.done(Write::MetricRows(rows, prune_before_ms)).await
    }

    async fn metric_rows(&self, since_ms: i64) -> store::Result<Vec<MetricRow>> {
        observe::metric_rows(&**self.client().await?, since_ms).await
    }
}

#[async_trait]
impl Alarms for PgStore {
    async fn put_alarm(
        &self,
        record: AlarmRecord,
        history: AlarmHistoryRecord,
    ) -> store::Result<bool> {
        match self
            .writer
            .write(Write::PutAlarm(Box::new(record), history))
            .await?
        {
            Outcome::Existed(existed) => Ok(existed),
            other => Err(unexpected(&other)),
        }
    }

    async fn get_alarm(&self, name: &str) -> store::Result<AlarmRecord> {
        observe::get_alarm(&**self.client().await?, name).await
    }

    async fn list_alarms(&self) -> store::Result<Vec<AlarmRecord>> {
        observe::list_alarms(&**self.client().await?).await
    }

    async fn delete_alarms(&self, names: Vec<String>) -> store::Result<()> {
        self.done(Write::DeleteAlarms(names)).await
    }

    async fn set_alarm_state(&self, change: AlarmStateChange) -> store::Result<()> {
        self.done(Write::SetAlarmState(Box::new(change))).await
    }

    async fn alarm_history(&self, name: Option<&str>) -> store::Result<Vec<AlarmHistoryRecord>> {
        observe::alarm_history(&**self.client().await?, name).await
    }
}

#[async_trait]
impl Tags for PgStore {
    async fn tag(&self, arn: &str, tags: Vec<(String, String)>) -> store::Result<()> {
        self.done(Write::Tag(arn.to_owned(), tags)).await
    }

    async fn untag(&self, arn: &str, keys: Vec<String>) -> store::Result<()> {
        self.done(Write::Untag(arn.to_owned(), keys)).await
    }

    async fn tags(&self, arn: &str) -> store::Result<Vec<(String, String)>> {
        read::tags(&**self.client().await?, arn).await
    }
}
