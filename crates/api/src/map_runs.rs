//! Map runs of Distributed Map states: DescribeMapRun, ListMapRuns and UpdateMapRun.
//!
//! A map run lives in its execution (the engine keeps it, and a replay of the journal reads it
//! back), so these read the execution as of its last committed step.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::arn::{self, Kind};
use crate::error::Error;
use crate::wire::timestamp;

/// `DescribeMapRun` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeInput {
    map_run_arn: String,
}

/// `ListMapRuns` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    execution_arn: String,
    max_results: Option<u64>,
    next_token: Option<String>,
}

/// `UpdateMapRun` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInput {
    map_run_arn: String,
    max_concurrency: Option<u64>,
    tolerated_failure_percentage: Option<f64>,
    tolerated_failure_count: Option<u64>,
}

fn counts(counts: &engine::MapRunCounts) -> Value {
    json!({
        "pending": counts.pending,
        "running": counts.running,
        "succeeded": counts.succeeded,
        "failed": counts.failed,
        "timedOut": 0,
        "aborted": counts.aborted,
        "total": counts.total,
        "resultsWritten": 0,
        "failuresNotRedrivable": 0,
        "pendingRedrive": 0,
    })
}

/// The map run's state machine as AWS names it: `…:stateMachine:<machine>/<label>`.
fn run_machine_arn(map_run_arn: &str) -> String {
    let (prefix, rest) = map_run_arn.split_once(":mapRun:").unwrap_or_default();
    let machine = rest.rsplit_once(':').map_or(rest, |(machine, _)| machine);
    format!("{prefix}:stateMachine:{machine}")
}

/// `DescribeMapRun`.
pub async fn describe(state: &AppState, input: DescribeInput) -> Result<Value, Error> {
    arn::expect(&input.map_run_arn, &[Kind::MapRun])?;
    let execution_arn = state.runtime.map_run_execution(&input.map_run_arn).await?;
    let (_, runs) = state.runtime.map_runs(&execution_arn).await?;
    let run = runs
        .iter()
        .find(|run| run.arn == input.map_run_arn)
        .ok_or_else(|| Error::ResourceNotFound(input.map_run_arn.clone()))?;
    let mut output = json!({
        "mapRunArn": run.arn,
        "executionArn": execution_arn,
        "status": run.status,
        "startDate": timestamp(run.start_ms),
        "maxConcurrency": run.max_concurrency,
        "toleratedFailurePercentage": run.tolerated_failure_percentage,
        "toleratedFailureCount": run.tolerated_failure_count,
        "itemCounts": counts(&run.item_counts),
        "executionCounts": counts(&run.counts),
        "redriveCount": run.redrive_count,
    });
    if let Some(stop) = run.stop_ms {
        output["stopDate"] = timestamp(stop);
    }
    if let Some(at) = run.redrive_ms {
        output["redriveDate"] = timestamp(at);
    }
    Ok(output)
}

/// `ListMapRuns`: every map run of the execution, in the order they started (one page).
pub async fn list(state: &AppState, input: ListInput) -> Result<Value, Error> {
    arn::expect(&input.execution_arn, &[Kind::Execution])?;
    if input.next_token.is_some() {
        return Err(Error::InvalidToken(
            "Invalid Token: 'Invalid token'".to_owned(),
        ));
    }
    let (record, runs) = state.runtime.map_runs(&input.execution_arn).await?;
    let limit = match input.max_results {
        None | Some(0) => usize::MAX,
        Some(n) => n as usize,
    };
    let items: Vec<Value> = runs
        .iter()
        .take(limit)
        .map(|run| {
            let mut item = json!({
                "executionArn": record.arn,
                "mapRunArn": run.arn,
                "stateMachineArn": run_machine_arn(&run.arn),
                "startDate": timestamp(run.start_ms),
            });
            if let Some(stop) = run.stop_ms {
                item["stopDate"] = timestamp(stop);
            }
            item
        })
        .collect();
    Ok(json!({ "mapRuns": items }))
}

/// `UpdateMapRun`.
pub async fn update(state: &AppState, input: UpdateInput) -> Result<Value, Error> {
    arn::expect(&input.map_run_arn, &[Kind::MapRun])?;
    if input.max_concurrency.is_none()
        && input.tolerated_failure_count.is_none()
        && input.tolerated_failure_percentage.is_none()
    {
        return Err(Error::Validation(
            "At least one of maxConcurrency, toleratedFailureCount or toleratedFailurePercentage must be given".to_owned(),
        ));
    }
    if input
        .tolerated_failure_percentage
        .is_some_and(|percentage| !(0.0..=100.0).contains(&percentage))
    {
        return Err(Error::Validation(
            "toleratedFailurePercentage must be between 0 and 100".to_owned(),
        ));
    }
    state
        .runtime
        .update_map_run(
            &input.map_run_arn,
            input.max_concurrency,
            input.tolerated_failure_count,
            input.tolerated_failure_percentage,
        )
        .await?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_runs_machine_is_named_with_its_label() {
        assert_eq!(
            run_machine_arn("arn:aws:states:us-east-1:1:mapRun:orders/Each:0f2c"),
            "arn:aws:states:us-east-1:1:stateMachine:orders/Each"
        );
    }
}
