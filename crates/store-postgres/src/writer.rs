//! The writer task: every write of this process goes through it, and it commits whatever is
//! queued in one transaction (group commit), a savepoint per request so that a request that
//! fails leaves the others in its batch alone — the SQLite backend's writer, on PostgreSQL.
//! A commit's WAL flush is what a write costs; sharing it among the writes queued meanwhile
//! multiplies throughput (`bench/postgres.py`).
//!
//! A caller's answer is sent only after the batch's `COMMIT` returned. When the transaction
//! fails as a whole (the commit itself, a lost connection) every request in the batch gets the
//! error, including those whose own statements had succeeded.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use deadpool_postgres::Pool;
use store::{
    ActivityRecord, AlarmHistoryRecord, AlarmRecord, AlarmStateChange, AliasCreated, AliasRecord,
    AliasUpdate, DeploymentCommit, Error, ExecutionRecord, MetricRow, PublishRequest, Published,
    StackPut, StateMachineRecord, StepCommit,
};
use tokio::sync::{mpsc, oneshot};

use crate::{CachingTransaction, OrBackend, deployments, observe, stacks, versions, write};

/// A change to the database.
#[derive(Debug)]
pub(crate) enum Write {
    CreateStateMachine(Box<StateMachineRecord>),
    UpdateStateMachine(Box<StateMachineRecord>),
    DeleteStateMachine(String),
    CreateActivity(ActivityRecord),
    DeleteActivity(String),
    CreateExecution(Box<ExecutionRecord>, StepCommit),
    CommitStep(StepCommit),
    Tag(String, Vec<(String, String)>),
    Untag(String, Vec<String>),
    Publish(PublishRequest),
    DeleteVersion(String),
    CreateAlias(Box<AliasRecord>, usize),
    UpdateAlias(AliasUpdate),
    DeleteAlias(String),
    CreateDeployment(Box<DeploymentCommit>),
    CommitDeployment(Box<DeploymentCommit>),
    PutStack(Box<StackPut>),
    DeleteStack(String),
    MetricRows(Vec<MetricRow>, i64),
    PutAlarm(Box<AlarmRecord>, AlarmHistoryRecord),
    DeleteAlarms(Vec<String>),
    SetAlarmState(Box<AlarmStateChange>),
}

impl Write {
    /// Whether the write reads what other writes of its kind change before it writes (see
    /// `commit`).
    fn checks_first(&self) -> bool {
        matches!(
            self,
            Write::UpdateStateMachine(_)
                | Write::DeleteStateMachine(_)
                | Write::Publish(_)
                | Write::DeleteVersion(_)
                | Write::CreateAlias(..)
                | Write::UpdateAlias(_)
                | Write::DeleteAlias(_)
                | Write::CreateDeployment(_)
                | Write::CommitDeployment(_)
                | Write::PutStack(_)
                | Write::DeleteStack(_)
        )
    }
}

/// What a write answers besides success.
#[derive(Debug)]
pub(crate) enum Outcome {
    Done,
    Published(Box<Published>),
    AliasCreated(Box<AliasCreated>),
    Alias(Box<AliasRecord>),
    Existed(bool),
}

struct Request {
    write: Write,
    reply: oneshot::Sender<store::Result<Outcome>>,
}

fn stopped() -> Error {
    Error::Backend("the postgres writer task has stopped".to_owned())
}

/// The handle writes are sent through; the task ends when it is dropped, after the queue.
pub(crate) struct Writer {
    sender: mpsc::Sender<Request>,
}

impl Writer {
    /// Starts the task on `pool`; it commits at most `max_batch` requests per transaction,
    /// the steps as the node `node` holds (0 before it joins a cluster: no fencing).
    pub(crate) fn start(pool: Pool, max_batch: usize, node: Arc<AtomicI64>) -> Writer {
        let max_batch = max_batch.max(1);
        let (sender, receiver) = mpsc::channel(max_batch * 4);
        tokio::spawn(run(pool, receiver, max_batch, node));
        Writer { sender }
    }

    /// Queues a write and waits until its batch is committed; answers what it answered.
    pub(crate) async fn write(&self, write: Write) -> store::Result<Outcome> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Request { write, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(
    pool: Pool,
    mut receiver: mpsc::Receiver<Request>,
    max_batch: usize,
    node: Arc<AtomicI64>,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = receiver.recv().await {
        batch.push(first);
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        commit(&pool, &mut batch, node.load(Ordering::Acquire)).await;
    }
}

/// Runs a batch in one transaction and answers every request in it.
async fn commit(pool: &Pool, batch: &mut Vec<Request>, node: i64) {
    let mut results = Vec::with_capacity(batch.len());
    let outcome: store::Result<()> = async {
        let mut client = pool.get().await.map_err(|error| {
            Error::Unavailable(format!("cannot reach the PostgreSQL database: {error}"))
        })?;
        let transaction = client.transaction().await.or_backend()?;
        // A write that reads before it writes (numbering a version, checking an alias's routes,
        // one open deployment per alias, a stack's revision) must see every other node's
        // writes of the same kind: those batches are ordered by one lock for the database,
        // taken before anything else. Execution starts and steps, metric rows and alarm states
        // need none (each execution's rows are its owner's, fenced in `commit_step`; metric
        // rows are merged in key order), so the nodes commit those side by side.
        if batch.iter().any(|request| request.write.checks_first()) {
            transaction
                .execute("SELECT pg_advisory_xact_lock($1)", &[&crate::WRITE_LOCK])
                .await
                .or_backend()?;
        }
        for request in batch.iter() {
            results.push(isolated(&transaction, &request.write, node).await?);
        }
        transaction.commit().await.or_backend()
    }
    .await;
    match outcome {
        Ok(()) => {
            for (request, result) in batch.drain(..).zip(results) {
                // A caller that stopped waiting no longer needs its answer.
                let _ = request.reply.send(result);
            }
        }
        Err(error) => {
            for request in batch.drain(..) {
                let _ = request.reply.send(Err(error.clone()));
            }
        }
    }
}

/// Applies one request inside a savepoint, undoing it alone if it fails. The outer `Err` is a
/// failure of the transaction itself (the savepoint statements), which ends the batch.
async fn isolated(
    tx: &CachingTransaction<'_>,
    request: &Write,
    node: i64,
) -> store::Result<store::Result<Outcome>> {
    tx.batch_execute("SAVEPOINT request").await.or_backend()?;
    let result = apply(tx, request, node).await;
    if result.is_err() {
        tx.batch_execute("ROLLBACK TO SAVEPOINT request")
            .await
            .or_backend()?;
    }
    tx.batch_execute("RELEASE SAVEPOINT request")
        .await
        .or_backend()?;
    Ok(result)
}

async fn apply(tx: &CachingTransaction<'_>, request: &Write, node: i64) -> store::Result<Outcome> {
    let done = |result: store::Result<()>| result.map(|()| Outcome::Done);
    match request {
        Write::CreateStateMachine(record) => done(write::create_state_machine(tx, record).await),
        Write::UpdateStateMachine(record) => done(write::update_state_machine(tx, record).await),
        Write::DeleteStateMachine(arn) => done(write::delete_state_machine(tx, arn).await),
        Write::CreateActivity(record) => done(write::create_activity(tx, record).await),
        Write::DeleteActivity(arn) => done(write::delete_activity(tx, arn).await),
        Write::CreateExecution(record, first) => {
            done(write::create_execution(tx, record, first, node).await)
        }
        Write::CommitStep(step) => done(write::commit_step(tx, step, node).await),
        Write::Tag(arn, tags) => done(write::tag(tx, arn, tags).await),
        Write::Untag(arn, keys) => done(write::untag(tx, arn, keys).await),
        Write::Publish(request) => versions::publish(tx, request)
            .await
            .map(|published| Outcome::Published(Box::new(published))),
        Write::DeleteVersion(arn) => done(versions::delete_version(tx, arn).await),
        Write::CreateAlias(record, max_aliases) => versions::create_alias(tx, record, *max_aliases)
            .await
            .map(|created| Outcome::AliasCreated(Box::new(created))),
        Write::UpdateAlias(update) => versions::update_alias(tx, update)
            .await
            .map(|alias| Outcome::Alias(Box::new(alias))),
        Write::DeleteAlias(arn) => done(versions::delete_alias(tx, arn).await),
        Write::CreateDeployment(first) => done(deployments::create(tx, first, node).await),
        Write::CommitDeployment(step) => done(deployments::commit(tx, step, node).await),
        Write::PutStack(put) => done(stacks::put(tx, put).await),
        Write::DeleteStack(name) => done(stacks::delete(tx, name).await),
        Write::MetricRows(rows, prune_before_ms) => {
            done(observe::put_metric_rows(tx, rows, *prune_before_ms, node).await)
        }
        Write::PutAlarm(record, history) => observe::put_alarm(tx, record, history)
            .await
            .map(Outcome::Existed),
        Write::DeleteAlarms(names) => done(observe::delete_alarms(tx, names).await),
        Write::SetAlarmState(change) => done(observe::set_alarm_state(tx, change).await),
    }
}
