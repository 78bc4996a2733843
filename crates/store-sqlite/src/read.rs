//! Reads: a small pool of read-only connections, each query run on tokio's blocking threads.
//!
//! In WAL mode readers never wait for the writer and see every transaction committed before the
//! query started, so a caller reads its own acknowledged writes. Pages are keyset pages: the
//! token holds the sort key of the last item given, and the next page starts after it, so a page
//! never repeats or skips an item because others were added meanwhile.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params, params_from_iter};
use store::{
    ActivityRecord, Error, ExecutionEnd, ExecutionFilter, ExecutionRecord, JournalEntry, Page,
    PageRequest, StateMachineRecord, StoredEvent,
};
use tokio::sync::Semaphore;

use store::{invalid_token, name_token, parse_name_token};

use crate::{OrBackend, prepare, to_i64};

/// Read-only connections, handed out one per query.
pub(crate) struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

/// Opens a read-only connection to the database at `path`.
pub(crate) fn open_reader(path: &PathBuf) -> store::Result<Connection> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .or_backend()?;
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .or_backend()?;
    Ok(connection)
}

impl Pool {
    /// A pool of `size` connections, opened now so that a bad path fails at open.
    pub(crate) fn open(path: PathBuf, size: usize) -> store::Result<Pool> {
        let size = size.max(1);
        let idle = (0..size)
            .map(|_| open_reader(&path))
            .collect::<store::Result<Vec<_>>>()?;
        Ok(Pool {
            path,
            idle: Mutex::new(idle),
            permits: Arc::new(Semaphore::new(size)),
        })
    }

    fn take(&self) -> store::Result<Connection> {
        let connection = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        match connection {
            Some(connection) => Ok(connection),
            // A query that panicked lost its connection; replace it.
            None => open_reader(&self.path),
        }
    }

    fn give_back(&self, connection: Connection) {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(connection);
    }

    /// Runs `query` on an idle connection, on a blocking thread.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, query: F) -> store::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> store::Result<T> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::Backend("the sqlite read pool is closed".to_owned()))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let connection = pool.take()?;
            let result = query(&connection);
            pool.give_back(connection);
            result
        })
        .await
        .map_err(|error| Error::Backend(format!("a sqlite read failed: {error}")))?
    }
}

fn into_page<T>(items: Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Page<T> {
    Page::of_one_more(items, limit, key)
}

fn limit_plus_one(page: &PageRequest) -> store::Result<i64> {
    to_i64(page.effective_limit() as u64 + 1)
}

const STATE_MACHINE_COLUMNS: &str = "arn, name, machine_type, definition, role_arn, created_ms, \
    updated_ms, revision_id, description, logging_configuration, tracing_configuration";

fn state_machine(row: &Row<'_>) -> rusqlite::Result<StateMachineRecord> {
    Ok(StateMachineRecord {
        arn: row.get(0)?,
        name: row.get(1)?,
        machine_type: row.get(2)?,
        definition: row.get(3)?,
        role_arn: row.get(4)?,
        created_ms: row.get(5)?,
        updated_ms: row.get(6)?,
        revision_id: row.get(7)?,
        description: row.get(8)?,
        logging_configuration: row.get(9)?,
        tracing_configuration: row.get(10)?,
    })
}

pub(crate) fn get_state_machine(
    connection: &Connection,
    arn: &str,
) -> store::Result<StateMachineRecord> {
    prepare(
        connection,
        &format!("SELECT {STATE_MACHINE_COLUMNS} FROM state_machines WHERE arn = $1"),
    )
    .and_then(|mut statement| statement.query_row([arn], state_machine).optional())
    .or_backend()?
    .ok_or_else(|| Error::NotFound(arn.to_owned()))
}

pub(crate) fn list_state_machines(
    connection: &Connection,
    page: &PageRequest,
) -> store::Result<Page<StateMachineRecord>> {
    let limit = limit_plus_one(page)?;
    let items = match &page.token {
        None => prepare(
            connection,
            &format!(
                "SELECT {STATE_MACHINE_COLUMNS} FROM state_machines ORDER BY name, arn LIMIT $1"
            ),
        )
        .and_then(|mut statement| {
            statement
                .query_map([limit], state_machine)?
                .collect::<rusqlite::Result<Vec<_>>>()
        }),
        Some(token) => {
            let (name, arn) = parse_name_token(token);
            prepare(
                connection,
                &format!(
                    "SELECT {STATE_MACHINE_COLUMNS} FROM state_machines \
                     WHERE (name, arn) > ($1, $2) ORDER BY name, arn LIMIT $3"
                ),
            )
            .and_then(|mut statement| {
                statement
                    .query_map(params![name, arn, limit], state_machine)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
        }
    }
    .or_backend()?;
    Ok(into_page(items, page.effective_limit(), |record| {
        name_token(&record.name, &record.arn)
    }))
}

fn activity(row: &Row<'_>) -> rusqlite::Result<ActivityRecord> {
    Ok(ActivityRecord {
        arn: row.get(0)?,
        name: row.get(1)?,
        created_ms: row.get(2)?,
    })
}

pub(crate) fn get_activity(connection: &Connection, arn: &str) -> store::Result<ActivityRecord> {
    prepare(
        connection,
        "SELECT arn, name, created_ms FROM activities WHERE arn = $1",
    )
    .and_then(|mut statement| statement.query_row([arn], activity).optional())
    .or_backend()?
    .ok_or_else(|| Error::NotFound(arn.to_owned()))
}

pub(crate) fn list_activities(
    connection: &Connection,
    page: &PageRequest,
) -> store::Result<Page<ActivityRecord>> {
    let limit = limit_plus_one(page)?;
    let items = match &page.token {
        None => prepare(
            connection,
            "SELECT arn, name, created_ms FROM activities ORDER BY name, arn LIMIT $1",
        )
        .and_then(|mut statement| {
            statement
                .query_map([limit], activity)?
                .collect::<rusqlite::Result<Vec<_>>>()
        }),
        Some(token) => {
            let (name, arn) = parse_name_token(token);
            prepare(
                connection,
                "SELECT arn, name, created_ms FROM activities \
                     WHERE (name, arn) > ($1, $2) ORDER BY name, arn LIMIT $3",
            )
            .and_then(|mut statement| {
                statement
                    .query_map(params![name, arn, limit], activity)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
        }
    }
    .or_backend()?;
    Ok(into_page(items, page.effective_limit(), |record| {
        name_token(&record.name, &record.arn)
    }))
}

const EXECUTION_COLUMNS: &str = "arn, state_machine_arn, name, status, input, definition, \
    role_arn, start_ms, seed, end_status, end_output, end_error, end_cause, end_stop_ms, \
    state_machine_version_arn, state_machine_alias_arn, test_case, redrive_count, redrive_ms";

fn execution(row: &Row<'_>) -> rusqlite::Result<ExecutionRecord> {
    let seed: i64 = row.get(8)?;
    let end_status: Option<String> = row.get(9)?;
    let end = match end_status {
        Some(status) => Some(ExecutionEnd {
            status,
            output: row.get(10)?,
            error: row.get(11)?,
            cause: row.get(12)?,
            stop_ms: row.get::<_, Option<i64>>(13)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(ExecutionRecord {
        arn: row.get(0)?,
        state_machine_arn: row.get(1)?,
        name: row.get(2)?,
        status: row.get(3)?,
        input: row.get(4)?,
        definition: row.get(5)?,
        role_arn: row.get(6)?,
        start_ms: row.get(7)?,
        seed: u64::from_ne_bytes(seed.to_ne_bytes()),
        end,
        state_machine_version_arn: row.get(14)?,
        state_machine_alias_arn: row.get(15)?,
        test_case: row.get(16)?,
        redrive_count: u64::try_from(row.get::<_, i64>(17)?).unwrap_or_default(),
        redrive_ms: row.get(18)?,
    })
}

pub(crate) fn get_execution(connection: &Connection, arn: &str) -> store::Result<ExecutionRecord> {
    prepare(
        connection,
        &format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = $1"),
    )
    .and_then(|mut statement| statement.query_row([arn], execution).optional())
    .or_backend()?
    .ok_or_else(|| Error::NotFound(arn.to_owned()))
}

/// The token of the execution list: start time, then ARN.
fn execution_token(record: &ExecutionRecord) -> String {
    format!("{}\u{0}{}", record.start_ms, record.arn)
}

pub(crate) fn list_executions(
    connection: &Connection,
    filter: &ExecutionFilter,
    page: &PageRequest,
) -> store::Result<Page<ExecutionRecord>> {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(arn) = &filter.state_machine_arn {
        values.push(Value::Text(arn.clone()));
        conditions.push(format!("state_machine_arn = ${}", values.len()));
    }
    if let Some(status) = &filter.status {
        values.push(Value::Text(status.clone()));
        conditions.push(format!("status = ${}", values.len()));
    }
    if let Some(arn) = &filter.version_arn {
        values.push(Value::Text(arn.clone()));
        conditions.push(format!("state_machine_version_arn = ${}", values.len()));
    }
    if let Some(arn) = &filter.alias_arn {
        values.push(Value::Text(arn.clone()));
        conditions.push(format!("state_machine_alias_arn = ${}", values.len()));
    }
    if let Some(token) = &page.token {
        let (start_ms, arn) = token
            .split_once('\u{0}')
            .and_then(|(start_ms, arn)| Some((start_ms.parse::<i64>().ok()?, arn)))
            .ok_or_else(|| invalid_token(token))?;
        values.push(Value::Integer(start_ms));
        let start = values.len();
        values.push(Value::Text(arn.to_owned()));
        let arn = values.len();
        // The first comparison alone lets the planner start the index scan at the token.
        conditions.push(format!(
            "start_ms <= ${start} AND (start_ms < ${start} OR arn > ${arn})"
        ));
    }
    values.push(Value::Integer(limit_plus_one(page)?));
    let limit = values.len();
    let condition = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let items = prepare(
        connection,
        &format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions {condition} \
             ORDER BY start_ms DESC, arn LIMIT ${limit}"
        ),
    )
    .and_then(|mut statement| {
        statement
            .query_map(params_from_iter(values), execution)?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .or_backend()?;
    Ok(into_page(items, page.effective_limit(), execution_token))
}

fn execution_id(connection: &Connection, arn: &str) -> store::Result<i64> {
    prepare(connection, "SELECT id FROM executions WHERE arn = $1")
        .and_then(|mut statement| statement.query_row([arn], |row| row.get(0)).optional())
        .or_backend()?
        .ok_or_else(|| Error::NotFound(arn.to_owned()))
}

fn unsigned(value: i64) -> rusqlite::Result<u64> {
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, value))
}

pub(crate) fn history(
    connection: &Connection,
    arn: &str,
    reverse: bool,
    page: &PageRequest,
) -> store::Result<Page<StoredEvent>> {
    let id = execution_id(connection, arn)?;
    let limit = limit_plus_one(page)?;
    let after = match &page.token {
        Some(token) => token.parse::<i64>().map_err(|_| invalid_token(token))?,
        None if reverse => i64::MAX,
        None => i64::MIN,
    };
    let sql = if reverse {
        "SELECT event_id, json FROM history WHERE execution_id = $1 AND event_id < $2 \
         ORDER BY event_id DESC LIMIT $3"
    } else {
        "SELECT event_id, json FROM history WHERE execution_id = $1 AND event_id > $2 \
         ORDER BY event_id LIMIT $3"
    };
    let items = prepare(connection, sql)
        .and_then(|mut statement| {
            statement
                .query_map(params![id, after, limit], |row| {
                    Ok(StoredEvent {
                        id: unsigned(row.get(0)?)?,
                        json: row.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .or_backend()?;
    Ok(into_page(items, page.effective_limit(), |event| {
        event.id.to_string()
    }))
}

pub(crate) fn journal(connection: &Connection, arn: &str) -> store::Result<Vec<JournalEntry>> {
    let id = execution_id(connection, arn)?;
    prepare(
        connection,
        "SELECT seq, at_ms, input FROM journal WHERE execution_id = $1 ORDER BY seq",
    )
    .and_then(|mut statement| {
        statement
            .query_map([id], |row| {
                Ok(JournalEntry {
                    seq: unsigned(row.get(0)?)?,
                    at_ms: row.get(1)?,
                    input: row.get(2)?,
                })
            })?
            .collect()
    })
    .or_backend()
}

pub(crate) fn open_executions(connection: &Connection) -> store::Result<Vec<ExecutionRecord>> {
    prepare(
        connection,
        &format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE end_status IS NULL ORDER BY arn"
        ),
    )
    .and_then(|mut statement| statement.query_map([], execution)?.collect())
    .or_backend()
}

pub(crate) fn tags(connection: &Connection, arn: &str) -> store::Result<Vec<(String, String)>> {
    prepare(
        connection,
        "SELECT tag_key, tag_value FROM tags WHERE arn = $1 ORDER BY tag_key",
    )
    .and_then(|mut statement| {
        statement
            .query_map([arn], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect()
    })
    .or_backend()
}
