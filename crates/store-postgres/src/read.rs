//! Reads of state machines, activities, executions, histories, journals and tags.

use store::{
    ActivityRecord, Error, ExecutionEnd, ExecutionFilter, ExecutionRecord, JournalEntry, Page,
    PageRequest, StateMachineRecord, StoredEvent,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use store::{name_token, parse_name_token};

use crate::{OrBackend, into_page, invalid_token, limit_plus_one};

const STATE_MACHINE_COLUMNS: &str = "arn, name, machine_type, definition, role_arn, created_ms, \
    updated_ms, revision_id, description, logging_configuration, tracing_configuration";

fn state_machine(row: &Row) -> StateMachineRecord {
    StateMachineRecord {
        arn: row.get(0),
        name: row.get(1),
        machine_type: row.get(2),
        definition: row.get(3),
        role_arn: row.get(4),
        created_ms: row.get(5),
        updated_ms: row.get(6),
        revision_id: row.get(7),
        description: row.get(8),
        logging_configuration: row.get(9),
        tracing_configuration: row.get(10),
    }
}

/// Every start reads its state machine: prepared once per connection.
pub(crate) async fn get_state_machine(
    db: &deadpool_postgres::Object,
    arn: &str,
) -> store::Result<StateMachineRecord> {
    let statement = db
        .prepare_cached(&format!(
            "SELECT {STATE_MACHINE_COLUMNS} FROM state_machines WHERE arn = $1"
        ))
        .await
        .or_backend()?;
    db.query_opt(&statement, &[&arn])
        .await
        .or_backend()?
        .map(|row| state_machine(&row))
        .ok_or_else(|| Error::NotFound(arn.to_owned()))
}

/// The rows of a list ordered by `(name, arn)`, after the page's token.
async fn by_name(
    db: &impl GenericClient,
    columns: &str,
    table: &str,
    page: &PageRequest,
) -> store::Result<Vec<Row>> {
    let limit = limit_plus_one(page)?;
    let rows = match &page.token {
        None => {
            db.query(
                &format!("SELECT {columns} FROM {table} ORDER BY name, arn LIMIT $1"),
                &[&limit],
            )
            .await
        }
        Some(token) => {
            let (name, arn) = parse_name_token(token);
            db.query(
                &format!(
                    "SELECT {columns} FROM {table} WHERE (name, arn) > ($1, $2) \
                     ORDER BY name, arn LIMIT $3"
                ),
                &[&name, &arn, &limit],
            )
            .await
        }
    };
    rows.or_backend()
}

pub(crate) async fn list_state_machines(
    db: &impl GenericClient,
    page: &PageRequest,
) -> store::Result<Page<StateMachineRecord>> {
    let rows = by_name(db, STATE_MACHINE_COLUMNS, "state_machines", page).await?;
    Ok(into_page(
        rows.iter().map(state_machine).collect(),
        page.effective_limit(),
        |record| name_token(&record.name, &record.arn),
    ))
}

fn activity(row: &Row) -> ActivityRecord {
    ActivityRecord {
        arn: row.get(0),
        name: row.get(1),
        created_ms: row.get(2),
    }
}

pub(crate) async fn get_activity(
    db: &impl GenericClient,
    arn: &str,
) -> store::Result<ActivityRecord> {
    db.query_opt(
        "SELECT arn, name, created_ms FROM activities WHERE arn = $1",
        &[&arn],
    )
    .await
    .or_backend()?
    .map(|row| activity(&row))
    .ok_or_else(|| Error::NotFound(arn.to_owned()))
}

pub(crate) async fn list_activities(
    db: &impl GenericClient,
    page: &PageRequest,
) -> store::Result<Page<ActivityRecord>> {
    let rows = by_name(db, "arn, name, created_ms", "activities", page).await?;
    Ok(into_page(
        rows.iter().map(activity).collect(),
        page.effective_limit(),
        |record| name_token(&record.name, &record.arn),
    ))
}

const EXECUTION_COLUMNS: &str = "arn, state_machine_arn, name, status, input, definition, \
    role_arn, start_ms, seed, end_status, end_output, end_error, end_cause, end_stop_ms, \
    state_machine_version_arn, state_machine_alias_arn, test_case, redrive_count, redrive_ms";

fn execution(row: &Row) -> ExecutionRecord {
    let seed: i64 = row.get(8);
    let end = row.get::<_, Option<String>>(9).map(|status| ExecutionEnd {
        status,
        output: row.get(10),
        error: row.get(11),
        cause: row.get(12),
        stop_ms: row.get::<_, Option<i64>>(13).unwrap_or_default(),
    });
    ExecutionRecord {
        arn: row.get(0),
        state_machine_arn: row.get(1),
        name: row.get(2),
        status: row.get(3),
        input: row.get(4),
        definition: row.get(5),
        role_arn: row.get(6),
        start_ms: row.get(7),
        seed: u64::from_ne_bytes(seed.to_ne_bytes()),
        end,
        state_machine_version_arn: row.get(14),
        state_machine_alias_arn: row.get(15),
        test_case: row.get(16),
        redrive_count: u64::try_from(row.get::<_, i64>(17)).unwrap_or_default(),
        redrive_ms: row.get(18),
    }
}

/// Prepared once per connection, as DescribeExecution is a common call.
pub(crate) async fn get_execution(
    db: &deadpool_postgres::Object,
    arn: &str,
) -> store::Result<ExecutionRecord> {
    let statement = db
        .prepare_cached(&format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = $1"
        ))
        .await
        .or_backend()?;
    db.query_opt(&statement, &[&arn])
        .await
        .or_backend()?
        .map(|row| execution(&row))
        .ok_or_else(|| Error::NotFound(arn.to_owned()))
}

fn execution_token(record: &ExecutionRecord) -> String {
    format!("{}\u{0}{}", record.start_ms, record.arn)
}

/// A value of a query built at run time.
enum Value {
    Text(String),
    Integer(i64),
}

impl Value {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Value::Text(text) => text,
            Value::Integer(number) => number,
        }
    }
}

pub(crate) async fn list_executions(
    db: &impl GenericClient,
    filter: &ExecutionFilter,
    page: &PageRequest,
) -> store::Result<Page<ExecutionRecord>> {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    for (column, value) in [
        ("state_machine_arn", &filter.state_machine_arn),
        ("status", &filter.status),
        ("state_machine_version_arn", &filter.version_arn),
        ("state_machine_alias_arn", &filter.alias_arn),
    ] {
        if let Some(value) = value {
            values.push(Value::Text(value.clone()));
            conditions.push(format!("{column} = ${}", values.len()));
        }
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
    let parameters: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::as_sql).collect();
    let rows = db
        .query(
            &format!(
                "SELECT {EXECUTION_COLUMNS} FROM executions {condition} \
                 ORDER BY start_ms DESC, arn LIMIT ${limit}"
            ),
            &parameters,
        )
        .await
        .or_backend()?;
    Ok(into_page(
        rows.iter().map(execution).collect(),
        page.effective_limit(),
        execution_token,
    ))
}

async fn execution_id(db: &impl GenericClient, arn: &str) -> store::Result<i64> {
    db.query_opt("SELECT id FROM executions WHERE arn = $1", &[&arn])
        .await
        .or_backend()?
        .map(|row| row.get(0))
        .ok_or_else(|| Error::NotFound(arn.to_owned()))
}

fn unsigned(value: i64) -> store::Result<u64> {
    u64::try_from(value).map_err(|_| Error::Backend(format!("a negative id {value} is stored")))
}

pub(crate) async fn history(
    db: &impl GenericClient,
    arn: &str,
    reverse: bool,
    page: &PageRequest,
) -> store::Result<Page<StoredEvent>> {
    let id = execution_id(db, arn).await?;
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
    let rows = db.query(sql, &[&id, &after, &limit]).await.or_backend()?;
    let items = rows
        .iter()
        .map(|row| {
            Ok(StoredEvent {
                id: unsigned(row.get(0))?,
                json: row.get(1),
            })
        })
        .collect::<store::Result<Vec<_>>>()?;
    Ok(into_page(items, page.effective_limit(), |event| {
        event.id.to_string()
    }))
}

pub(crate) async fn journal(
    db: &impl GenericClient,
    arn: &str,
) -> store::Result<Vec<JournalEntry>> {
    let id = execution_id(db, arn).await?;
    db.query(
        "SELECT seq, at_ms, input FROM journal WHERE execution_id = $1 ORDER BY seq",
        &[&id],
    )
    .await
    .or_backend()?
    .iter()
    .map(|row| {
        Ok(JournalEntry {
            seq: unsigned(row.get(0))?,
            at_ms: row.get(1),
            input: row.get(2),
        })
    })
    .collect()
}

pub(crate) async fn open_executions(
    db: &impl GenericClient,
) -> store::Result<Vec<ExecutionRecord>> {
    Ok(db
        .query(
            &format!(
                "SELECT {EXECUTION_COLUMNS} FROM executions WHERE end_status IS NULL ORDER BY arn"
            ),
            &[],
        )
        .await
        .or_backend()?
        .iter()
        .map(execution)
        .collect())
}

pub(crate) async fn tags(
    db: &impl GenericClient,
    arn: &str,
) -> store::Result<Vec<(String, String)>> {
    Ok(db
        .query(
            "SELECT tag_key, tag_value FROM tags WHERE arn = $1 ORDER BY tag_key",
            &[&arn],
        )
        .await
        .or_backend()?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}
