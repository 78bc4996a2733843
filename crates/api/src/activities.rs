//! Activities and task tokens: CreateActivity, DescribeActivity, ListActivities,
//! DeleteActivity, GetActivityTask, and SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat
//! (shared by activities and `.waitForTaskToken` tasks).
//!
//! `GetActivityTask` is a long poll: it waits up to [`POLL`] for a task and answers `{}` when
//! none came, as AWS does; clients use a socket timeout above that.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::ActivityRecord;

use crate::arn::{self, Kind};
use crate::error::Error;
use crate::tags::{self, TagInput};
use crate::wire::{encode_token, page_request, timestamp};
use crate::{AppState, arn_prefix};

/// How long `GetActivityTask` waits for a task.
pub const POLL: Duration = Duration::from_secs(60);

/// `CreateActivity` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    name: String,
    tags: Option<Vec<TagInput>>,
}

/// Members of the operations that take only an activity ARN.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArnInput {
    activity_arn: String,
}

/// Paging members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    max_results: Option<u64>,
    next_token: Option<String>,
}

/// `GetActivityTask` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTaskInput {
    activity_arn: String,
    worker_name: Option<String>,
}

/// `SendTaskSuccess` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuccessInput {
    task_token: String,
    output: String,
}

/// `SendTaskFailure` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureInput {
    task_token: String,
    error: Option<String>,
    cause: Option<String>,
}

/// `SendTaskHeartbeat` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatInput {
    task_token: String,
}

/// `CreateActivity`: idempotent on the name (tags of a repeated call are ignored, as on AWS).
pub async fn create(state: &AppState, input: CreateInput) -> Result<Value, Error> {
    arn::check_name(&input.name)?;
    let arn = format!("{}activity:{}", arn_prefix(state), input.name);
    let tags = input.tags.unwrap_or_default();
    tags::check(&arn, &[], &tags)?;
    let record = ActivityRecord {
        arn: arn.clone(),
        name: input.name,
        created_ms: runtime::now_ms(),
    };
    let store = state.runtime.store();
    let created = match store.create_activity(record.clone()).await {
        Ok(()) => {
            tags::store(state, &arn, tags).await?;
            record
        }
        Err(store::Error::AlreadyExists(_)) => get(state, &arn).await?,
        Err(error) => return Err(error.into()),
    };
    Ok(json!({
        "activityArn": created.arn,
        "creationDate": timestamp(created.created_ms),
    }))
}

async fn get(state: &AppState, activity_arn: &str) -> Result<ActivityRecord, Error> {
    match state.runtime.store().get_activity(activity_arn).await {
        Ok(record) => Ok(record),
        Err(store::Error::NotFound(_)) => Err(Error::ActivityDoesNotExist(activity_arn.to_owned())),
        Err(error) => Err(error.into()),
    }
}

/// `DescribeActivity`.
pub async fn describe(state: &AppState, input: ArnInput) -> Result<Value, Error> {
    arn::expect(&input.activity_arn, &[Kind::Activity])?;
    let record = get(state, &input.activity_arn).await?;
    Ok(json!({
        "activityArn": record.arn,
        "name": record.name,
        "creationDate": timestamp(record.created_ms),
        "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
    }))
}

/// `ListActivities`, in order of name.
pub async fn list(state: &AppState, input: ListInput) -> Result<Value, Error> {
    let page = page_request(input.max_results, input.next_token.as_deref())?;
    let page = state.runtime.store().list_activities(page).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|record| {
            json!({
                "activityArn": record.arn,
                "name": record.name,
                "creationDate": timestamp(record.created_ms),
            })
        })
        .collect();
    let mut output = Map::new();
    output.insert("activities".to_owned(), Value::Array(items));
    if let Some(token) = page.next_token {
        output.insert("nextToken".to_owned(), json!(encode_token(&token)));
    }
    Ok(Value::Object(output))
}

/// `DeleteActivity`: deleting an activity that does not exist succeeds (recorded).
pub async fn delete(state: &AppState, input: ArnInput) -> Result<Value, Error> {
    arn::expect(&input.activity_arn, &[Kind::Activity])?;
    match state
        .runtime
        .store()
        .delete_activity(&input.activity_arn)
        .await
    {
        Ok(()) | Err(store::Error::NotFound(_)) => {}
        Err(error) => return Err(error.into()),
    }
    tags::forget(state, &input.activity_arn).await?;
    Ok(json!({}))
}

/// `GetActivityTask`: `{taskToken, input}`, or `{}` when no task came within [`POLL`].
pub async fn get_task(state: &AppState, input: GetTaskInput) -> Result<Value, Error> {
    arn::expect(&input.activity_arn, &[Kind::Activity])?;
    let task = state
        .runtime
        .get_activity_task(&input.activity_arn, input.worker_name, POLL)
        .await?;
    Ok(match task {
        Some(task) => json!({"taskToken": task.task_token, "input": task.input}),
        None => json!({}),
    })
}

/// `SendTaskSuccess`.
pub async fn send_success(state: &AppState, input: SuccessInput) -> Result<Value, Error> {
    state
        .runtime
        .send_task_success(&input.task_token, &input.output)
        .await?;
    Ok(json!({}))
}

/// `SendTaskFailure`.
pub async fn send_failure(state: &AppState, input: FailureInput) -> Result<Value, Error> {
    state
        .runtime
        .send_task_failure(&input.task_token, input.error, input.cause)
        .await?;
    Ok(json!({}))
}

/// `SendTaskHeartbeat`.
pub async fn send_heartbeat(state: &AppState, input: HeartbeatInput) -> Result<Value, Error> {
    state.runtime.send_task_heartbeat(&input.task_token).await?;
    Ok(json!({}))
}
