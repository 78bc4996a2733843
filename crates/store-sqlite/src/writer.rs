//! The writer thread: it owns the only write connection and commits whatever is queued in one
//! transaction (group commit), one savepoint per request so that a request that fails leaves the
//! others in its batch alone.
//!
//! A caller's answer is sent only after the batch's `COMMIT` returned: an `Ok` means the write is
//! on disk as far as the durability setting promises. When the whole transaction fails (the
//! commit itself, or an I/O error that makes SQLite roll everything back) every request in the
//! batch gets the error, including those whose own statements had succeeded.

use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, params};
use store::{ActivityRecord, Error, ExecutionRecord, StackPut, StateMachineRecord, StepCommit};
use tokio::sync::{mpsc, oneshot};

use crate::deployments::{self, DeploymentWrite};
use crate::observe::{self, ObserveWrite};
use crate::versions::{self, Outcome, VersionWrite};
use crate::{Caches, OrBackend, prepare, to_i64};

/// A change to the database.
#[derive(Debug)]
pub(crate) enum Write {
    CreateStateMachine(StateMachineRecord),
    UpdateStateMachine(StateMachineRecord),
    DeleteStateMachine(String),
    CreateActivity(ActivityRecord),
    DeleteActivity(String),
    CreateExecution(Box<ExecutionRecord>, StepCommit),
    CommitStep(StepCommit),
    Tag(String, Vec<(String, String)>),
    Untag(String, Vec<String>),
    Versioned(VersionWrite),
    Deployment(Box<DeploymentWrite>),
    Stack(Box<StackPut>),
    DeleteStack(String),
    Observed(ObserveWrite),
}

struct Request {
    write: Write,
    reply: oneshot::Sender<store::Result<Outcome>>,
}

/// The handle async callers send writes through. Dropping it stops the thread once the queue
/// is empty, and waits for that.
pub(crate) struct Writer {
    sender: Option<mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

fn stopped() -> Error {
    Error::Backend("the sqlite writer thread has stopped".to_owned())
}

impl Writer {
    /// Starts the thread; it commits at most `max_batch` requests per transaction, and drops
    /// what it changes from `caches`.
    pub(crate) fn start(
        connection: Connection,
        max_batch: usize,
        caches: Arc<Caches>,
    ) -> store::Result<Writer> {
        let max_batch = max_batch.max(1);
        let (sender, receiver) = mpsc::channel(max_batch * 4);
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || run(connection, receiver, max_batch, &caches))
            .map_err(|error| Error::Backend(format!("cannot start the sqlite writer: {error}")))?;
        Ok(Writer {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// Queues a write and waits until its batch is committed.
    pub(crate) async fn write(&self, write: Write) -> store::Result<()> {
        self.write_for(write).await.map(|_| ())
    }

    /// Queues a write and waits until its batch is committed; answers what the write answered.
    pub(crate) async fn write_for(&self, write: Write) -> store::Result<Outcome> {
        let sender = self.sender.as_ref().ok_or_else(stopped)?;
        let (reply, answer) = oneshot::channel();
        sender
            .send(Request { write, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop after the requests still queued.
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(
    connection: Connection,
    mut receiver: mpsc::Receiver<Request>,
    max_batch: usize,
    caches: &Caches,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = receiver.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        commit(&connection, &mut batch, caches);
    }
}

/// Runs a batch in one transaction and answers every request in it.
fn commit(connection: &Connection, batch: &mut Vec<Request>, caches: &Caches) {
    let mut results = Vec::with_capacity(batch.len());
    let outcome = (|| {
        connection.execute_batch("BEGIN IMMEDIATE").or_backend()?;
        for request in batch.iter() {
            results.push(apply_isolated(connection, &request.write));
            if connection.is_autocommit() {
                // SQLite rolled the whole transaction back (I/O error, disk full, ...).
                return Err(match results.pop() {
                    Some(Err(error)) => error,
                    _ => Error::Backend("the transaction was rolled back".to_owned()),
                });
            }
        }
        connection.execute_batch("COMMIT").or_backend()
    })();
    match outcome {
        Ok(()) => {
            // Before any answer, so that whoever learns of the change reads it.
            for request in batch.iter() {
                caches.committed(&request.write);
            }
            for (request, result) in batch.drain(..).zip(results) {
                // A caller that stopped waiting no longer needs its answer.
                let _ = request.reply.send(result);
            }
        }
        Err(error) => {
            if !connection.is_autocommit() {
                let _ = connection.execute_batch("ROLLBACK");
            }
            for request in batch.drain(..) {
                let _ = request.reply.send(Err(error.clone()));
            }
        }
    }
}

/// Applies one request inside a savepoint, undoing it alone if it fails.
fn apply_isolated(connection: &Connection, write: &Write) -> store::Result<Outcome> {
    prepare(connection, "SAVEPOINT request")
        .and_then(|mut statement| statement.execute([]))
        .or_backend()?;
    let result = match write {
        Write::Versioned(write) => versions::apply(connection, write),
        Write::Observed(write) => observe::apply(connection, write),
        other => apply(connection, other).map(|()| Outcome::Done),
    };
    if result.is_err() {
        prepare(connection, "ROLLBACK TO request")
            .and_then(|mut statement| statement.execute([]))
            .or_backend()?;
    }
    prepare(connection, "RELEASE request")
        .and_then(|mut statement| statement.execute([]))
        .or_backend()?;
    result
}

fn apply(connection: &Connection, write: &Write) -> store::Result<()> {
    match write {
        Write::CreateStateMachine(record) => create_state_machine(connection, record),
        Write::UpdateStateMachine(record) => update_state_machine(connection, record),
        Write::DeleteStateMachine(arn) => {
            let deleted = prepare(connection, "DELETE FROM state_machines WHERE arn = $1")
                .and_then(|mut statement| statement.execute([arn]))
                .or_backend()?;
            if deleted == 0 {
                return Err(Error::NotFound(arn.clone()));
            }
            versions::forget_machine(connection, arn)
        }
        Write::CreateActivity(record) => {
            let inserted = prepare(
                connection,
                "INSERT INTO activities (arn, name, created_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (arn) DO NOTHING",
            )
            .and_then(|mut statement| {
                statement.execute(params![record.arn, record.name, record.created_ms])
            })
            .or_backend()?;
            if inserted == 0 {
                return Err(Error::AlreadyExists(record.arn.clone()));
            }
            Ok(())
        }
        Write::DeleteActivity(arn) => {
            let deleted = prepare(connection, "DELETE FROM activities WHERE arn = $1")
                .and_then(|mut statement| statement.execute([arn]))
                .or_backend()?;
            if deleted == 0 {
                return Err(Error::NotFound(arn.clone()));
            }
            Ok(())
        }
        Write::CreateExecution(record, first) => create_execution(connection, record, first),
        Write::CommitStep(step) => {
            let current = prepare(
                connection,
                "SELECT id, last_seq, last_event_id, end_status IS NOT NULL \
                     FROM executions WHERE arn = $1",
            )
            .and_then(|mut statement| {
                statement
                    .query_row([&step.execution_arn], |row| {
                        Ok(Position {
                            id: row.get(0)?,
                            last_seq: row.get(1)?,
                            last_event_id: row.get(2)?,
                            ended: row.get(3)?,
                        })
                    })
                    .optional()
            })
            .or_backend()?
            .ok_or_else(|| Error::NotFound(step.execution_arn.clone()))?;
            append_step(connection, &step.execution_arn, &current, step)
        }
        Write::Tag(arn, tags) => {
            let mut statement = prepare(
                connection,
                "INSERT INTO tags (arn, tag_key, tag_value) VALUES ($1, $2, $3) \
                     ON CONFLICT (arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
            )
            .or_backend()?;
            for (key, value) in tags {
                statement.execute(params![arn, key, value]).or_backend()?;
            }
            Ok(())
        }
        Write::Untag(arn, keys) => {
            let mut statement = prepare(
                connection,
                "DELETE FROM tags WHERE arn = $1 AND tag_key = $2",
            )
            .or_backend()?;
            for key in keys {
                statement.execute(params![arn, key]).or_backend()?;
            }
            Ok(())
        }
        Write::Versioned(write) => versions::apply(connection, write).map(|_| ()),
        Write::Deployment(write) => deployments::apply(connection, write),
        Write::Stack(put) => crate::stacks::put(connection, put),
        Write::DeleteStack(name) => crate::stacks::delete(connection, name),
        Write::Observed(write) => observe::apply(connection, write).map(|_| ()),
    }
}

fn create_state_machine(connection: &Connection, record: &StateMachineRecord) -> store::Result<()> {
    let inserted = prepare(
        connection,
        "INSERT INTO state_machines (arn, name, machine_type, definition, role_arn, \
             created_ms, updated_ms, revision_id, description, logging_configuration, \
             tracing_configuration) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (arn) DO NOTHING",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            record.arn,
            record.name,
            record.machine_type,
            record.definition,
            record.role_arn,
            record.created_ms,
            record.updated_ms,
            record.revision_id,
            record.description,
            record.logging_configuration,
            record.tracing_configuration,
        ])
    })
    .or_backend()?;
    if inserted == 0 {
        return Err(Error::AlreadyExists(record.arn.clone()));
    }
    Ok(())
}

fn update_state_machine(connection: &Connection, record: &StateMachineRecord) -> store::Result<()> {
    let updated = prepare(
        connection,
        "UPDATE state_machines SET name = $1, machine_type = $2, definition = $3, \
             role_arn = $4, created_ms = $5, updated_ms = $6, revision_id = $7, \
             description = $8, logging_configuration = $9, tracing_configuration = $10 \
             WHERE arn = $11",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            record.name,
            record.machine_type,
            record.definition,
            record.role_arn,
            record.created_ms,
            record.updated_ms,
            record.revision_id,
            record.description,
            record.logging_configuration,
            record.tracing_configuration,
            record.arn,
        ])
    })
    .or_backend()?;
    if updated == 0 {
        return Err(Error::NotFound(record.arn.clone()));
    }
    Ok(())
}

/// Where an execution's journal and history stand.
struct Position {
    id: i64,
    last_seq: i64,
    last_event_id: i64,
    ended: bool,
}

fn create_execution(
    connection: &Connection,
    record: &ExecutionRecord,
    first: &StepCommit,
) -> store::Result<()> {
    let id: Option<i64> = prepare(
        connection,
        "INSERT INTO executions (arn, state_machine_arn, name, status, input, definition, \
             role_arn, start_ms, seed, last_seq, last_event_id, end_status, end_output, \
             end_error, end_cause, end_stop_ms, state_machine_version_arn, \
             state_machine_alias_arn, test_case) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, $10, $11, $12, $13, $14, $15, $16, \
             $17) \
             ON CONFLICT (arn) DO NOTHING RETURNING id",
    )
    .and_then(|mut statement| {
        let end = record.end.as_ref();
        statement
            .query_row(
                params![
                    record.arn,
                    record.state_machine_arn,
                    record.name,
                    record.status,
                    record.input,
                    record.definition,
                    record.role_arn,
                    record.start_ms,
                    i64::from_ne_bytes(record.seed.to_ne_bytes()),
                    end.map(|end| &end.status),
                    end.and_then(|end| end.output.as_ref()),
                    end.and_then(|end| end.error.as_ref()),
                    end.and_then(|end| end.cause.as_ref()),
                    end.map(|end| end.stop_ms),
                    record.state_machine_version_arn,
                    record.state_machine_alias_arn,
                    record.test_case,
                ],
                |row| row.get(0),
            )
            .optional()
    })
    .or_backend()?;
    let id = id.ok_or_else(|| Error::AlreadyExists(record.arn.clone()))?;
    let position = Position {
        id,
        last_seq: 0,
        last_event_id: 0,
        ended: record.end.is_some(),
    };
    // The savepoint around this request undoes the insert if the first step is refused.
    append_step(connection, &record.arn, &position, first)
}

/// Checks a step against where its execution stands, then stores it.
fn append_step(
    connection: &Connection,
    arn: &str,
    position: &Position,
    step: &StepCommit,
) -> store::Result<()> {
    let last_event_id = step.check(
        arn,
        store::StepPosition {
            last_seq: u64::try_from(position.last_seq).unwrap_or_default(),
            last_event_id: u64::try_from(position.last_event_id).unwrap_or_default(),
            ended: position.ended,
        },
    )?;
    let seq = to_i64(step.journal.seq)?;
    let last_event_id = to_i64(last_event_id)?;
    prepare(
        connection,
        "INSERT INTO journal (execution_id, seq, at_ms, input) VALUES ($1, $2, $3, $4)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            position.id,
            seq,
            step.journal.at_ms,
            step.journal.input
        ])
    })
    .or_backend()?;
    if !step.events.is_empty() {
        let mut statement = prepare(
            connection,
            "INSERT INTO history (execution_id, event_id, json) VALUES ($1, $2, $3)",
        )
        .or_backend()?;
        for event in &step.events {
            statement
                .execute(params![position.id, to_i64(event.id)?, event.json])
                .or_backend()?;
        }
    }
    prepare(
        connection,
        "UPDATE executions SET last_seq = $1, last_event_id = $2 WHERE id = $3",
    )
    .and_then(|mut statement| statement.execute(params![seq, last_event_id, position.id]))
    .or_backend()?;
    if let Some(at) = step.redrive {
        prepare(
            connection,
            "UPDATE executions SET status = 'RUNNING', end_status = NULL, end_output = NULL, \
                 end_error = NULL, end_cause = NULL, end_stop_ms = NULL, \
                 redrive_count = redrive_count + 1, redrive_ms = $1 WHERE id = $2",
        )
        .and_then(|mut statement| statement.execute(params![at, position.id]))
        .or_backend()?;
    }
    if let Some(end) = &step.end {
        // Kept apart from the update above so that a plain step touches no indexed column.
        prepare(
            connection,
            "UPDATE executions SET status = $1, end_status = $1, end_output = $2, \
                 end_error = $3, end_cause = $4, end_stop_ms = $5 WHERE id = $6",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                end.status,
                end.output,
                end.error,
                end.cause,
                end.stop_ms,
                position.id
            ])
        })
        .or_backend()?;
    }
    Ok(())
}
