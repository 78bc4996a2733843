//! The embedded storage backend: one SQLite file in WAL mode.
//!
//! Design, measured in `/work/shared/DEPENDENCIES.md` §2 and in `benches/commit.rs`:
//!
//! - **One writer thread** owns the only write connection. Async callers send it a request and
//!   wait on a oneshot for the answer. The thread takes everything queued (up to
//!   [`Options::max_batch`], 256 by default) and commits it in one transaction: with
//!   `synchronous=FULL` the fsync is what a commit costs, so sharing it among many small steps
//!   (group commit) multiplies throughput.
//! - **A savepoint per request**, so that one request's failure (a `Conflict`, say) undoes that
//!   request alone. Answers go out only after the batch's `COMMIT`.
//! - **Read-only connections** ([`Options::readers`], 4 by default) serve queries on tokio's
//!   blocking threads; WAL lets them read while the writer writes.
//! - **State machines are cached** after their first read ([`MachineCache`]): every execution
//!   start reads its state machine, and a point query on a blocking thread costs more than the
//!   rest of an express start. Updates and deletes go through this store's writer thread, which
//!   drops the entry right after its commit (before it answers, and whether or not the caller
//!   still waits); so the cache is exact as long as this process is the only writer, which the
//!   single writer thread assumes anyway.
//! - **Versioned migrations**: `migrations/NNNN_*.sql`, the version in a `schema_version` table.
//!   Times are BIGINT epoch milliseconds and documents TEXT, and the SQL uses `$1` placeholders,
//!   so that a PostgreSQL backend can share much of it.

mod deployments;
mod migrate;
mod observe;
mod read;
mod stacks;
mod versions;
mod writer;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use store::{
    Activities, ActivityRecord, AliasCreated, AliasRecord, AliasUpdate, Aliases, DeploymentCommit,
    DeploymentFilter, DeploymentRecord, Deployments, Error, ExecutionFilter, ExecutionRecord,
    Executions, JournalEntry, Page, PageRequest, PublishRequest, Published, StateMachineRecord,
    StateMachines, StepCommit, StoredEvent, Tags, VersionRecord, Versions,
};

pub use migrate::SCHEMA_VERSION;

use observe::ObserveWrite;
use read::Pool;
use store::{AlarmHistoryRecord, AlarmRecord, AlarmStateChange, Alarms, MetricData, MetricRow};
use store::{StackEventRecord, StackPut, StackRecord, Stacks};
use versions::VersionWrite;
use writer::{Write, Writer};

/// The database file inside the data directory.
pub const FILE_NAME: &str = "switchback.db";

/// The SQLite header's application id of a Switchback database ("SwBk"), so that a file of
/// another program is recognised and left alone.
pub const APPLICATION_ID: i32 = 0x5377_426b;

/// Creates the data directory readable by its owner only (it holds every execution's input
/// and output); one that exists keeps its permissions.
fn create_private_dir(dir: &Path) -> store::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|error| Error::Unavailable(format!("cannot create {}: {error}", dir.display())))
}

/// Makes a new database file readable by its owner only; SQLite gives its `-wal` and `-shm`
/// files the same permissions.
fn restrict_to_owner(path: &Path) -> store::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
            |error| Error::Unavailable(format!("cannot restrict {}: {error}", path.display())),
        )?;
    }
    Ok(())
}

/// What opening the database file failed with, in words that say what to do.
fn opening(path: &Path, error: &rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    match error.sqlite_error_code() {
        Some(ErrorCode::ReadOnly) => Error::Unavailable(format!(
            "{} is read-only: switchback needs to write to its data directory ({error})",
            path.display()
        )),
        Some(ErrorCode::CannotOpen) => Error::Unavailable(format!(
            "cannot open {}: {error} (is the data directory writable, and on a file system \
             that supports locking?)",
            path.display()
        )),
        Some(ErrorCode::DiskFull) => Error::Unavailable(format!(
            "the disk holding {} is full ({error})",
            path.display()
        )),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Error::Backend(format!(
            "{} is not a usable SQLite database (corrupted, or another kind of file): {error}. \
             Restore it from a backup, or move it away to start afresh",
            path.display()
        )),
        _ => Error::Backend(format!("cannot open {}: {error}", path.display())),
    }
}

/// Refuses a file that is not a Switchback database (another program's SQLite file, a
/// corrupted one) before anything is written to it. A database of an older build has no
/// application id yet but its `schema_version` table; it gets the id once migrated.
fn check_identity(connection: &Connection, path: &Path) -> store::Result<()> {
    let id: i32 = connection
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(|error| opening(path, &error))?;
    if id == APPLICATION_ID {
        return check_integrity(connection, path);
    }
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .map_err(|error| opening(path, &error))?;
    let ours = tables.iter().any(|table| table == "schema_version");
    if id != 0 || (!tables.is_empty() && !ours) {
        return Err(Error::Backend(format!(
            "{} is an SQLite database of another program (application id {id:#x}, tables {}), \
             not Switchback's: it was left unchanged. Give --data-dir a directory of its own",
            path.display(),
            if tables.is_empty() {
                "none".to_owned()
            } else {
                tables.join(", ")
            }
        )));
    }
    if ours {
        check_integrity(connection, path)?;
    }
    Ok(())
}

/// `PRAGMA quick_check`: a database damaged on disk is refused at start rather than found
/// half-way through a request. It reads every page once (about a second per gigabyte here).
fn check_integrity(connection: &Connection, path: &Path) -> store::Result<()> {
    let problems: Vec<String> = connection
        .prepare("PRAGMA quick_check(5)")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .map_err(|error| opening(path, &error))?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(Error::Backend(format!(
        "{} is corrupted ({}). Restore it from a backup, or move it away to start afresh",
        path.display(),
        problems.join("; ")
    )))
}

/// How hard a commit tries to survive a crash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: every commit is fsynced before it is acknowledged, so a committed
    /// step survives power loss.
    #[default]
    Full,
    /// `synchronous=NORMAL`: commits survive the process crashing, but the last ones may be
    /// lost if the machine loses power.
    Normal,
}

/// How to open a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// See [`Durability`].
    pub durability: Durability,
    /// The number of read-only connections.
    pub readers: usize,
    /// The most write requests committed in one transaction.
    pub max_batch: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            durability: Durability::Full,
            readers: 4,
            max_batch: 256,
        }
    }
}

/// A store in one SQLite database. Dropping it finishes the writes already queued.
pub struct SqliteStore {
    writer: Writer,
    readers: Arc<Pool>,
    caches: Arc<Caches>,
}

/// The records every start reads, kept after the first read: the state machine, and for a
/// start through an alias or version, the alias and the version. Without them each start
/// waits for two or three reads on the reader pool's threads.
#[derive(Default)]
pub(crate) struct Caches {
    pub(crate) machines: RecordCache<StateMachineRecord>,
    pub(crate) versions: RecordCache<VersionRecord>,
    pub(crate) aliases: RecordCache<AliasRecord>,
}

impl Caches {
    /// Called by the writer thread after it commits `write`, before anyone is answered.
    pub(crate) fn committed(&self, write: &writer::Write) {
        match write {
            writer::Write::UpdateStateMachine(record) => self.machines.forget(&record.arn),
            writer::Write::DeleteStateMachine(arn) => {
                self.machines.forget(arn);
                // Its versions and aliases go with it.
                self.versions.clear();
                self.aliases.clear();
            }
            // Publishing, deleting versions, alias changes, and deployments (which move an
            // alias's routing): rare next to starts, so everything is read again after them.
            writer::Write::Versioned(_) | writer::Write::Deployment(_) => {
                self.versions.clear();
                self.aliases.clear();
            }
            _ => {}
        }
    }
}

/// Records read before, by ARN.
///
/// A read that misses notes the generation, queries, and keeps what it read only if no change
/// finished meanwhile (the generation is unchanged); a change, once committed, bumps the
/// generation and drops the entry (or all of them). So an entry is never older than the last
/// acknowledged write.
pub(crate) struct RecordCache<T> {
    inner: Mutex<CacheInner<T>>,
}

impl<T> Default for RecordCache<T> {
    fn default() -> Self {
        RecordCache {
            inner: Mutex::new(CacheInner {
                generation: 0,
                entries: HashMap::new(),
            }),
        }
    }
}

struct CacheInner<T> {
    generation: u64,
    entries: HashMap<String, T>,
}

impl<T: Clone> RecordCache<T> {
    /// The most entries kept; the cache starts over when full.
    const CAPACITY: usize = 1024;

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner<T>> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached record, or the generation to hand back to [`RecordCache::keep`].
    fn get(&self, arn: &str) -> Result<T, u64> {
        let inner = self.lock();
        inner.entries.get(arn).cloned().ok_or(inner.generation)
    }

    fn keep(&self, generation: u64, arn: &str, record: &T) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= Self::CAPACITY {
            inner.entries.clear();
        }
        inner.entries.insert(arn.to_owned(), record.clone());
    }

    /// After a committed update or delete of `arn`.
    pub(crate) fn forget(&self, arn: &str) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.remove(arn);
    }

    /// After a committed change that may touch any entry.
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    /// Reads `arn` through the cache: `read` runs on a miss.
    async fn read<F>(&self, arn: &str, read: F) -> store::Result<T>
    where
        F: std::future::Future<Output = store::Result<T>>,
    {
        let generation = match self.get(arn) {
            Ok(record) => return Ok(record),
            Err(generation) => generation,
        };
        let record = read.await?;
        self.keep(generation, arn, &record);
        Ok(record)
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SqliteStore")
            .finish_non_exhaustive()
    }
}

/// Turns SQLite's errors into the store's.
pub(crate) trait OrBackend<T> {
    fn or_backend(self) -> store::Result<T>;
}

impl<T> OrBackend<T> for rusqlite::Result<T> {
    fn or_backend(self) -> store::Result<T> {
        self.map_err(|error| {
            use rusqlite::ErrorCode;
            let passing = matches!(
                error.sqlite_error_code(),
                Some(
                    ErrorCode::DiskFull
                        | ErrorCode::ReadOnly
                        | ErrorCode::SystemIoFailure
                        | ErrorCode::DatabaseBusy
                        | ErrorCode::DatabaseLocked
                        | ErrorCode::CannotOpen
                        | ErrorCode::OutOfMemory
                )
            );
            if passing {
                Error::Unavailable(format!("sqlite: {error}"))
            } else {
                Error::Backend(format!("sqlite: {error}"))
            }
        })
    }
}

/// Prepares `sql` through the connection's statement cache.
///
/// SQLite reads `$1`, `$2`, ... as *named* parameters, numbered in the order they first appear
/// in the text: they bind positionally only if they first appear as `$1`, `$2`, `$3`, ... .
/// Every statement here is written so (which PostgreSQL accepts as well); debug builds check it.
pub(crate) fn prepare<'c>(
    connection: &'c Connection,
    sql: &str,
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    debug_assert!(
        placeholders_in_order(sql),
        "placeholders out of order in {sql}"
    );
    connection.prepare_cached(sql)
}

/// Whether the `$N` placeholders of `sql` first appear as `$1`, `$2`, `$3`, ... .
fn placeholders_in_order(sql: &str) -> bool {
    let mut next = 1;
    let mut rest = sql;
    while let Some(index) = rest.find('$') {
        rest = &rest[index + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Ok(number) = digits.parse::<u32>() else {
            continue;
        };
        if number == next {
            next += 1;
        } else if number > next {
            return false;
        }
    }
    true
}

/// A sequence number or event id as SQLite stores it (a signed 64-bit integer).
pub(crate) fn to_i64(value: u64) -> store::Result<i64> {
    i64::try_from(value).map_err(|_| Error::Conflict(format!("{value} is too large to store")))
}

impl SqliteStore {
    /// Opens (creating it if needed) the database in `dir`, with the default [`Options`].
    pub fn open(dir: &Path) -> store::Result<SqliteStore> {
        SqliteStore::open_with(dir, Options::default())
    }

    /// Opens (creating it if needed) the database in `dir`.
    pub fn open_with(dir: &Path, options: Options) -> store::Result<SqliteStore> {
        create_private_dir(dir)?;
        let path = dir.join(FILE_NAME);
        let new = !path.exists();
        let connection = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|error| opening(&path, &error))?;
        if new {
            restrict_to_owner(&path)?;
        }
        connection
            .busy_timeout(Duration::from_secs(5))
            .or_backend()?;
        // Before anything writes: a file of another program is left as it is.
        check_identity(&connection, &path)?;
        let mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .or_backend()?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Backend(format!(
                "{} cannot use write-ahead logging (journal mode {mode})",
                path.display()
            )));
        }
        let synchronous = match options.durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        connection
            .pragma_update(None, "synchronous", synchronous)
            .or_backend()?;
        // The savepoint of each request keeps the pages it changes in a sub-journal, which
        // spills to a temporary file past 64 KiB by default: a write syscall per page, a third
        // of the writer's CPU under load. Rollback within an open transaction is all it is
        // for (crash recovery uses the WAL), so keep it in memory: at most the pages of one
        // batch.
        connection
            .pragma_update(None, "temp_store", "MEMORY")
            .or_backend()?;
        connection.set_prepared_statement_cache_capacity(64);
        migrate::migrate(&connection, migrate::MIGRATIONS)?;
        connection
            .pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(|error| opening(&path, &error))?;
        let readers = Pool::open(path, options.readers)?;
        let caches = Arc::new(Caches::default());
        let writer = Writer::start(connection, options.max_batch, Arc::clone(&caches))?;
        Ok(SqliteStore {
            writer,
            readers: Arc::new(readers),
            caches,
        })
    }
}

#[async_trait]
impl StateMachines for SqliteStore {
    async fn create_state_machine(&self, record: StateMachineRecord) -> store::Result<()> {
        self.writer.write(Write::CreateStateMachine(record)).await
    }

    async fn get_state_machine(&self, arn: &str) -> store::Result<StateMachineRecord> {
        let owned = arn.to_owned();
        let read = self
            .readers
            .run(move |connection| read::get_state_machine(connection, &owned));
        self.caches.machines.read(arn, read).await
    }

    async fn update_state_machine(&self, record: StateMachineRecord) -> store::Result<()> {
        self.writer.write(Write::UpdateStateMachine(record)).await
    }

    async fn delete_state_machine(&self, arn: &str) -> store::Result<()> {
        self.writer
            .write(Write::DeleteStateMachine(arn.to_owned()))
            .await
    }

    async fn list_state_machines(
        &self,
        page: PageRequest,
    ) -> store::Result<Page<StateMachineRecord>> {
        self.readers
            .run(move |connection| read::list_state_machines(connection, &page))
            .await
    }
}

fn unexpected(outcome: versions::Outcome) -> Error {
    Error::Backend(format!("the sqlite writer answered {outcome:?}"))
}

#[async_trait]
impl Versions for SqliteStore {
    async fn publish_version(&self, request: PublishRequest) -> store::Result<Published> {
        match self
            .writer
            .write_for(Write::Versioned(VersionWrite::Publish(request)))
            .await?
        {
            versions::Outcome::Published(published) => Ok(*published),
            other => Err(unexpected(other)),
        }
    }

    async fn get_version(&self, arn: &str) -> store::Result<VersionRecord> {
        let owned = arn.to_owned();
        let read = self
            .readers
            .run(move |connection| versions::get_version(connection, &owned));
        self.caches.versions.read(arn, read).await
    }

    async fn list_versions(
        &self,
        state_machine_arn: &str,
        page: PageRequest,
    ) -> store::Result<Page<VersionRecord>> {
        let arn = state_machine_arn.to_owned();
        self.readers
            .run(move |connection| versions::list_versions(connection, &arn, &page))
            .await
    }

    async fn delete_version(&self, arn: &str) -> store::Result<()> {
        self.writer
            .write(Write::Versioned(VersionWrite::DeleteVersion(
                arn.to_owned(),
            )))
            .await
    }
}

#[async_trait]
impl Aliases for SqliteStore {
    async fn create_alias(
        &self,
        record: AliasRecord,
        max_aliases: usize,
    ) -> store::Result<AliasCreated> {
        match self
            .writer
            .write_for(Write::Versioned(VersionWrite::CreateAlias(
                Box::new(record),
                max_aliases,
            )))
            .await?
        {
            versions::Outcome::AliasCreated(created) => Ok(*created),
            other => Err(unexpected(other)),
        }
    }

    async fn get_alias(&self, arn: &str) -> store::Result<AliasRecord> {
        let owned = arn.to_owned();
        let read = self
            .readers
            .run(move |connection| versions::get_alias(connection, &owned));
        self.caches.aliases.read(arn, read).await
    }

    async fn update_alias(&self, update: AliasUpdate) -> store::Result<AliasRecord> {
        match self
            .writer
            .write_for(Write::Versioned(VersionWrite::UpdateAlias(update)))
            .await?
        {
            versions::Outcome::Alias(alias) => Ok(*alias),
            other => Err(unexpected(other)),
        }
    }

    async fn delete_alias(&self, arn: &str) -> store::Result<()> {
        self.writer
            .write(Write::Versioned(VersionWrite::DeleteAlias(arn.to_owned())))
            .await
    }

    async fn list_aliases(
        &self,
        state_machine_arn: &str,
        version_arn: Option<&str>,
        page: PageRequest,
    ) -> store::Result<Page<AliasRecord>> {
        let arn = state_machine_arn.to_owned();
        let version = version_arn.map(str::to_owned);
        self.readers
            .run(move |connection| {
                versions::list_aliases(connection, &arn, version.as_deref(), &page)
            })
            .await
    }
}

#[async_trait]
impl Deployments for SqliteStore {
    async fn create_deployment(&self, first: DeploymentCommit) -> store::Result<()> {
        self.writer
            .write(Write::Deployment(Box::new(
                deployments::DeploymentWrite::Create(first),
            )))
            .await
    }

    async fn commit_deployment(&self, step: DeploymentCommit) -> store::Result<()> {
        self.writer
            .write(Write::Deployment(Box::new(
                deployments::DeploymentWrite::Commit(step),
            )))
            .await
    }

    async fn get_deployment(&self, id: &str) -> store::Result<DeploymentRecord> {
        let id = id.to_owned();
        self.readers
            .run(move |connection| deployments::get(connection, &id))
            .await
    }

    async fn list_deployments(
        &self,
        filter: DeploymentFilter,
        page: PageRequest,
    ) -> store::Result<Page<DeploymentRecord>> {
        self.readers
            .run(move |connection| deployments::list(connection, &filter, &page))
            .await
    }

    async fn open_deployments(&self) -> store::Result<Vec<DeploymentRecord>> {
        self.readers.run(deployments::open).await
    }
}

#[async_trait]
impl Stacks for SqliteStore {
    async fn put_stack(&self, put: StackPut) -> store::Result<()> {
        self.writer.write(Write::Stack(Box::new(put))).await
    }

    async fn get_stack(&self, name: &str) -> store::Result<StackRecord> {
        let name = name.to_owned();
        self.readers
            .run(move |connection| stacks::get(connection, &name))
            .await
    }

    async fn list_stacks(&self, page: PageRequest) -> store::Result<Page<StackRecord>> {
        self.readers
            .run(move |connection| stacks::list(connection, &page))
            .await
    }

    async fn delete_stack(&self, name: &str) -> store::Result<()> {
        self.writer.write(Write::DeleteStack(name.to_owned())).await
    }

    async fn stack_events(
        &self,
        name: &str,
        page: PageRequest,
    ) -> store::Result<Page<StackEventRecord>> {
        let name = name.to_owned();
        self.readers
            .run(move |connection| stacks::events(connection, &name, &page))
            .await
    }
}

#[async_trait]
impl Activities for SqliteStore {
    async fn create_activity(&self, record: ActivityRecord) -> store::Result<()> {
        self.writer.write(Write::CreateActivity(record)).await
    }

    async fn get_activity(&self, arn: &str) -> store::Result<ActivityRecord> {
        let arn = arn.to_owned();
        self.readers
            .run(move |connection| read::get_activity(connection, &arn))
            .await
    }

    async fn delete_activity(&self, arn: &str) -> store::Result<()> {
        self.writer
            .write(Write::DeleteActivity(arn.to_owned()))
            .await
    }

    async fn list_activities(&self, page: PageRequest) -> store::Result<Page<ActivityRecord>> {
        self.readers
            .run(move |connection| read::list_activities(connection, &page))
            .await
    }
}

#[async_trait]
impl Executions for SqliteStore {
    async fn create_execution(
        &self,
        record: ExecutionRecord,
        first: StepCommit,
    ) -> store::Result<()> {
        self.writer
            .write(Write::CreateExecution(Box::new(record), first))
            .await
    }

    async fn commit_step(&self, step: StepCommit) -> store::Result<()> {
        self.writer.write(Write::CommitStep(step)).await
    }

    async fn get_execution(&self, arn: &str) -> store::Result<ExecutionRecord> {
        let arn = arn.to_owned();
        self.readers
            .run(move |connection| read::get_execution(connection, &arn))
            .await
    }

    async fn list_executions(
        &self,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> store::Result<Page<ExecutionRecord>> {
        self.readers
            .run(move |connection| read::list_executions(connection, &filter, &page))
            .await
    }

    async fn history(
        &self,
        arn: &str,
        reverse: bool,
        page: PageRequest,
    ) -> store::Result<Page<StoredEvent>> {
        let arn = arn.to_owned();
        self.readers
            .run(move |connection| read::history(connection, &arn, reverse, &page))
            .await
    }

    async fn journal(&self, arn: &str) -> store::Result<Vec<JournalEntry>> {
        let arn = arn.to_owned();
        self.readers
            .run(move |connection| read::journal(connection, &arn))
            .await
    }

    async fn open_executions(&self) -> store::Result<Vec<ExecutionRecord>> {
        self.readers.run(read::open_executions).await
    }
}

#[async_trait]
impl MetricData for SqliteStore {
    async fn put_metric_rows(
        &self,
        rows: Vec<MetricRow>,
        prune_before_ms: i64,
    ) -> store::Result<()> {
        self.writer
            .write(Write::Observed(ObserveWrite::MetricRows(
                rows,
                prune_before_ms,
            )))
            .await
    }

    async fn metric_rows(&self, since_ms: i64) -> store::Result<Vec<MetricRow>> {
        self.readers
            .run(move |connection| observe::metric_rows(connection, since_ms))
            .await
    }
}

#[async_trait]
impl Alarms for SqliteStore {
    async fn put_alarm(
        &self,
        record: AlarmRecord,
        history: AlarmHistoryRecord,
    ) -> store::Result<bool> {
        match self
            .writer
            .write_for(Write::Observed(ObserveWrite::PutAlarm(
                Box::new(record),
                history,
            )))
            .await?
        {
            versions::Outcome::Existed(existed) => Ok(existed),
            other => Err(unexpected(other)),
        }
    }

    async fn get_alarm(&self, name: &str) -> store::Result<AlarmRecord> {
        let name = name.to_owned();
        self.readers
            .run(move |connection| observe::get_alarm(connection, &name))
            .await
    }

    async fn list_alarms(&self) -> store::Result<Vec<AlarmRecord>> {
        self.readers.run(observe::list_alarms).await
    }

    async fn delete_alarms(&self, names: Vec<String>) -> store::Result<()> {
        self.writer
            .write(Write::Observed(ObserveWrite::DeleteAlarms(names)))
            .await
    }

    async fn set_alarm_state(&self, change: AlarmStateChange) -> store::Result<()> {
        self.writer
            .write(Write::Observed(ObserveWrite::SetAlarmState(Box::new(
                change,
            ))))
            .await
    }

    async fn alarm_history(&self, name: Option<&str>) -> store::Result<Vec<AlarmHistoryRecord>> {
        let name = name.map(str::to_owned);
        self.readers
            .run(move |connection| observe::alarm_history(connection, name.as_deref()))
            .await
    }
}

#[async_trait]
impl Tags for SqliteStore {
    async fn tag(&self, arn: &str, tags: Vec<(String, String)>) -> store::Result<()> {
        self.writer.write(Write::Tag(arn.to_owned(), tags)).await
    }

    async fn untag(&self, arn: &str, keys: Vec<String>) -> store::Result<()> {
        self.writer.write(Write::Untag(arn.to_owned(), keys)).await
    }

    async fn tags(&self, arn: &str) -> store::Result<Vec<(String, String)>> {
        let arn = arn.to_owned();
        self.readers
            .run(move |connection| read::tags(connection, &arn))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders_in_order;

    #[test]
    fn placeholders_must_first_appear_in_order() {
        assert!(placeholders_in_order("SELECT 1"));
        assert!(placeholders_in_order(
            "SET a = $1, b = $1, c = $2 WHERE d = $3"
        ));
        assert!(!placeholders_in_order("SET a = $2 WHERE b = $1"));
        assert!(!placeholders_in_order("SET a = $1 WHERE b = $3"));
    }
}
