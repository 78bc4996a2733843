//! Writes of state machines, activities, executions and tags, each inside the transaction the
//! caller opened (`transaction!`).

use store::{ActivityRecord, Error, ExecutionRecord, StateMachineRecord, StepCommit};
use tokio_postgres::Transaction;

use crate::{CachingTransaction, OrBackend, cached, to_i64, versions};

pub(crate) async fn create_state_machine(
    tx: &Transaction<'_>,
    record: &StateMachineRecord,
) -> store::Result<()> {
    let inserted = tx
        .execute(
            "INSERT INTO state_machines (arn, name, machine_type, definition, role_arn, \
             created_ms, updated_ms, revision_id, description, logging_configuration, \
             tracing_configuration) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (arn) DO NOTHING",
            &[
                &record.arn,
                &record.name,
                &record.machine_type,
                &record.definition,
                &record.role_arn,
                &record.created_ms,
                &record.updated_ms,
                &record.revision_id,
                &record.description,
                &record.logging_configuration,
                &record.tracing_configuration,
            ],
        )
        .await
        .or_backend()?;
    if inserted == 0 {
        return Err(Error::AlreadyExists(record.arn.clone()));
    }
    Ok(())
}

pub(crate) async fn update_state_machine(
    tx: &Transaction<'_>,
    record: &StateMachineRecord,
) -> store::Result<()> {
    let updated = tx
        .execute(
            "UPDATE state_machines SET name = $1, machine_type = $2, definition = $3, \
             role_arn = $4, created_ms = $5, updated_ms = $6, revision_id = $7, \
             description = $8, logging_configuration = $9, tracing_configuration = $10 \
             WHERE arn = $11",
            &[
                &record.name,
                &record.machine_type,
                &record.definition,
                &record.role_arn,
                &record.created_ms,
                &record.updated_ms,
                &record.revision_id,
                &record.description,
                &record.logging_configuration,
                &record.tracing_configuration,
                &record.arn,
            ],
        )
        .await
        .or_backend()?;
    if updated == 0 {
        return Err(Error::NotFound(record.arn.clone()));
    }
    Ok(())
}

pub(crate) async fn delete_state_machine(tx: &Transaction<'_>, arn: &str) -> store::Result<()> {
    let deleted = tx
        .execute("DELETE FROM state_machines WHERE arn = $1", &[&arn])
        .await
        .or_backend()?;
    if deleted == 0 {
        return Err(Error::NotFound(arn.to_owned()));
    }
    versions::forget_machine(tx, arn).await
}

pub(crate) async fn create_activity(
    tx: &Transaction<'_>,
    record: &ActivityRecord,
) -> store::Result<()> {
    let inserted = tx
        .execute(
            "INSERT INTO activities (arn, name, created_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (arn) DO NOTHING",
            &[&record.arn, &record.name, &record.created_ms],
        )
        .await
        .or_backend()?;
    if inserted == 0 {
        return Err(Error::AlreadyExists(record.arn.clone()));
    }
    Ok(())
}

pub(crate) async fn delete_activity(tx: &Transaction<'_>, arn: &str) -> store::Result<()> {
    let deleted = tx
        .execute("DELETE FROM activities WHERE arn = $1", &[&arn])
        .await
        .or_backend()?;
    if deleted == 0 {
        return Err(Error::NotFound(arn.to_owned()));
    }
    Ok(())
}

pub(crate) async fn tag(
    tx: &Transaction<'_>,
    arn: &str,
    tags: &[(String, String)],
) -> store::Result<()> {
    let statement = tx
        .prepare(
            "INSERT INTO tags (arn, tag_key, tag_value) VALUES ($1, $2, $3) \
             ON CONFLICT (arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
        )
        .await
        .or_backend()?;
    for (key, value) in tags {
        tx.execute(&statement, &[&arn, key, value])
            .await
            .or_backend()?;
    }
    Ok(())
}

pub(crate) async fn untag(tx: &Transaction<'_>, arn: &str, keys: &[String]) -> store::Result<()> {
    let statement = tx
        .prepare("DELETE FROM tags WHERE arn = $1 AND tag_key = $2")
        .await
        .or_backend()?;
    for key in keys {
        tx.execute(&statement, &[&arn, key]).await.or_backend()?;
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

pub(crate) async fn create_execution(
    tx: &CachingTransaction<'_>,
    record: &ExecutionRecord,
    first: &StepCommit,
    node: i64,
) -> store::Result<()> {
    let end = record.end.as_ref();
    // The node that starts an execution drives it; outside a cluster (0) nobody is named.
    let owner = (node != 0 && end.is_none()).then_some(node);
    let seed = i64::from_ne_bytes(record.seed.to_ne_bytes());
    let row = tx
        .query_opt(
            &cached(
                tx,
                "INSERT INTO executions (arn, state_machine_arn, name, status, input, definition, \
             role_arn, start_ms, seed, last_seq, last_event_id, end_status, end_output, \
             end_error, end_cause, end_stop_ms, state_machine_version_arn, \
             state_machine_alias_arn, test_case, owner) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18) \
             ON CONFLICT (arn) DO NOTHING RETURNING id",
            )
            .await?,
            &[
                &record.arn,
                &record.state_machine_arn,
                &record.name,
                &record.status,
                &record.input,
                &record.definition,
                &record.role_arn,
                &record.start_ms,
                &seed,
                &end.map(|end| &end.status),
                &end.and_then(|end| end.output.as_ref()),
                &end.and_then(|end| end.error.as_ref()),
                &end.and_then(|end| end.cause.as_ref()),
                &end.map(|end| end.stop_ms),
                &record.state_machine_version_arn,
                &record.state_machine_alias_arn,
                &record.test_case,
                &owner,
            ],
        )
        .await
        .or_backend()?;
    let id: i64 = row
        .ok_or_else(|| Error::AlreadyExists(record.arn.clone()))?
        .get(0);
    let position = Position {
        id,
        last_seq: 0,
        last_event_id: 0,
        ended: record.end.is_some(),
    };
    // The caller's transaction undoes the insert if the first step is refused.
    append_step(tx, &record.arn, &position, first).await
}

pub(crate) async fn commit_step(
    tx: &CachingTransaction<'_>,
    step: &StepCommit,
    node: i64,
) -> store::Result<()> {
    // The row lock orders two steps of one execution, and a step with a claim by another node
    // (which takes the same lock); other executions go on meanwhile.
    let row = tx
        .query_opt(
            &cached(
                tx,
                "SELECT id, last_seq, last_event_id, end_status IS NOT NULL, owner \
             FROM executions WHERE arn = $1 FOR UPDATE",
            )
            .await?,
            &[&step.execution_arn],
        )
        .await
        .or_backend()?
        .ok_or_else(|| Error::NotFound(step.execution_arn.clone()))?;
    let position = Position {
        id: row.get(0),
        last_seq: row.get(1),
        last_event_id: row.get(2),
        ended: row.get(3),
    };
    let owner: Option<i64> = row.get(4);
    // Fencing: in a cluster only the execution's owner commits its steps (an ended execution
    // keeps its last owner, so a node that lost it hears so rather than that it ended). A
    // redrive reopens an ended execution, which nobody drives, and makes this node its owner.
    if node != 0 && step.redrive.is_none() && owner != Some(node) {
        return Err(Error::NotOwner(match owner {
            Some(other) => format!(
                "execution {} is driven by node {other}, not by this node ({node})",
                step.execution_arn
            ),
            None => format!(
                "execution {} is driven by no node: it is waiting to be claimed",
                step.execution_arn
            ),
        }));
    }
    append_step(tx, &step.execution_arn, &position, step).await?;
    if node != 0 && step.redrive.is_some() {
        tx.execute(
            &cached(tx, "UPDATE executions SET owner = $1 WHERE id = $2").await?,
            &[&node, &position.id],
        )
        .await
        .or_backend()?;
    }
    Ok(())
}

/// Checks a step against where its execution stands, then stores it.
async fn append_step(
    tx: &CachingTransaction<'_>,
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
    let ids = step
        .events
        .iter()
        .map(|event| to_i64(event.id))
        .collect::<store::Result<Vec<i64>>>()?;
    tx.execute(
        &cached(
            tx,
            "INSERT INTO journal (execution_id, seq, at_ms, input) VALUES ($1, $2, $3, $4)",
        )
        .await?,
        &[&position.id, &seq, &step.journal.at_ms, &step.journal.input],
    )
    .await
    .or_backend()?;
    if !step.events.is_empty() {
        // One statement for the step's events, however many.
        let jsons: Vec<&str> = step
            .events
            .iter()
            .map(|event| event.json.as_str())
            .collect();
        tx.execute(
            &cached(
                tx,
                "INSERT INTO history (execution_id, event_id, json) \
             SELECT $1, event_id, json FROM UNNEST($2::BIGINT[], $3::TEXT[]) AS e (event_id, json)",
            )
            .await?,
            &[&position.id, &ids, &jsons],
        )
        .await
        .or_backend()?;
    }
    if !step.task_tokens.is_empty() {
        let tokens: Vec<&str> = step
            .task_tokens
            .iter()
            .map(|task| task.token.as_str())
            .collect();
        let activities: Vec<Option<&str>> = step
            .task_tokens
            .iter()
            .map(|task| task.activity_arn.as_deref())
            .collect();
        tx.execute(
            &cached(
                tx,
                "INSERT INTO task_tokens (token, execution_id, activity_arn) \
             SELECT token, $1, activity_arn FROM UNNEST($2::TEXT[], $3::TEXT[]) \
             AS t (token, activity_arn) ON CONFLICT (token) DO NOTHING",
            )
            .await?,
            &[&position.id, &tokens, &activities],
        )
        .await
        .or_backend()?;
    }
    tx.execute(
        &cached(
            tx,
            "UPDATE executions SET last_seq = $1, last_event_id = $2 WHERE id = $3",
        )
        .await?,
        &[&seq, &last_event_id, &position.id],
    )
    .await
    .or_backend()?;
    if let Some(at) = step.redrive {
        tx.execute(
            &cached(
                tx,
                "UPDATE executions SET status = 'RUNNING', end_status = NULL, end_output = NULL, \
             end_error = NULL, end_cause = NULL, end_stop_ms = NULL, \
             redrive_count = redrive_count + 1, redrive_ms = $1 WHERE id = $2",
            )
            .await?,
            &[&at, &position.id],
        )
        .await
        .or_backend()?;
    }
    if let Some(end) = &step.end {
        tx.execute(
            &cached(
                tx,
                "UPDATE executions SET status = $1, end_status = $1, end_output = $2, \
             end_error = $3, end_cause = $4, end_stop_ms = $5 WHERE id = $6",
            )
            .await?,
            &[
                &end.status,
                &end.output,
                &end.error,
                &end.cause,
                &end.stop_ms,
                &position.id,
            ],
        )
        .await
        .or_backend()?;
        // An ended execution's tokens are answered `TaskTimedOut` by any node: no lookup.
        tx.execute(
            &cached(tx, "DELETE FROM task_tokens WHERE execution_id = $1").await?,
            &[&position.id],
        )
        .await
        .or_backend()?;
    }
    Ok(())
}
