//! Stacks (issue 7): what `switchback deploy` applied from a template, stored on the server.
//! Switchback's own operations under `X-Amz-Target: Switchback.<Op>`, shaped with
//! CloudFormation's member names (`StackName`, `StackStatus`, `LogicalResourceId`, ...) because
//! the data is CloudFormation's and users know it from `aws cloudformation`:
//!
//! * `PutStack` — the deploy records a stack as it goes: `StackName`, `ClientRequestToken` (one
//!   per deploy), `StackStatus`, and what changed of `StackStatusReason`, `TemplateBody`,
//!   `Parameters`, `Outputs`, `Resources`, plus `Events` to append. The server stamps times and
//!   event ids, adds the stack's own event when its status changes (as CloudFormation does),
//!   and answers `StackId`. A stack `…_IN_PROGRESS` under another token is refused with
//!   CloudFormation's `ValidationError` unless that deploy has written nothing for
//!   [`STALE_AFTER_MS`] (it was interrupted).
//!   With `PendingDeployment` (an object), a deploy run with `--no-wait` leaves what the command
//!   that finishes the stack needs once the gradual deployment ends; `DescribeStacks` shows it
//!   (a Switchback member) until a put leaves the `…_IN_PROGRESS` states.
//! * `DescribeStacks`, `ListStacks`, `DescribeStackResources`, `DescribeStackEvents` (newest
//!   first), `GetTemplate` — as CloudFormation answers them; a missing stack is
//!   `ValidationError: Stack with id NAME does not exist`.
//! * `DeleteStack` — forgets the stack and its events once the deploy deleted its resources;
//!   a stack that does not exist deletes silently, as in CloudFormation.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::{StackEventRecord, StackPut, StackRecord};

use crate::AppState;
use crate::error::Error;
use crate::wire::{encode_token, page_request, timestamp};

/// The stack operations.
pub const OPERATIONS: &[&str] = &[
    "PutStack",
    "DescribeStacks",
    "ListStacks",
    "DescribeStackResources",
    "DescribeStackEvents",
    "GetTemplate",
    "DeleteStack",
];

/// After this long without a write, a stack left `…_IN_PROGRESS` by a deploy that was
/// interrupted may be taken over by another deploy.
pub const STALE_AFTER_MS: i64 = 15 * 60 * 1000;

/// CloudFormation's `StackStatus` values a deploy may record.
const STATUSES: &[&str] = &[
    "CREATE_IN_PROGRESS",
    "CREATE_FAILED",
    "CREATE_COMPLETE",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE",
    "DELETE_IN_PROGRESS",
    "DELETE_FAILED",
    "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_COMPLETE",
    "UPDATE_FAILED",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE",
];

/// Runs one of [`OPERATIONS`]; `None` if `operation` is not one.
pub async fn dispatch(
    state: &AppState,
    operation: &str,
    body: Value,
) -> Option<Result<Value, Error>> {
    Some(match operation {
        "PutStack" => match input(body) {
            Ok(input) => put(state, input).await,
            Err(error) => Err(error),
        },
        "DescribeStacks" => match input::<NameInput>(body) {
            Ok(input) => describe_stacks(state, input.stack_name.as_deref()).await,
            Err(error) => Err(error),
        },
        "ListStacks" => match input::<NameInput>(body) {
            Ok(input) => list(state, input.next_token.as_deref()).await,
            Err(error) => Err(error),
        },
        "DescribeStackResources" => match named(body) {
            Ok(name) => resources(state, &name).await,
            Err(error) => Err(error),
        },
        "DescribeStackEvents" => match input::<NameInput>(body) {
            Ok(input) => events(state, input).await,
            Err(error) => Err(error),
        },
        "GetTemplate" => match named(body) {
            Ok(name) => template(state, &name).await,
            Err(error) => Err(error),
        },
        "DeleteStack" => match input::<NameInput>(body) {
            Ok(input) => delete(state, input).await,
            Err(error) => Err(error),
        },
        _ => return None,
    })
}

fn input<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, Error> {
    serde_json::from_value(body).map_err(|error| Error::Serialization(error.to_string()))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct NameInput {
    stack_name: Option<String>,
    next_token: Option<String>,
    client_request_token: Option<String>,
}

fn named(body: Value) -> Result<String, Error> {
    input::<NameInput>(body)?
        .stack_name
        .ok_or_else(|| missing("StackName"))
}

fn missing(member: &str) -> Error {
    Error::StackValidation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member \
         must not be null",
        lower_first(member)
    ))
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PutInput {
    stack_name: Option<String>,
    client_request_token: Option<String>,
    stack_status: Option<String>,
    stack_status_reason: Option<String>,
    template_body: Option<String>,
    parameters: Option<Vec<Value>>,
    outputs: Option<Vec<Value>>,
    resources: Option<Vec<Value>>,
    events: Option<Vec<Value>>,
    pending_deployment: Option<Value>,
}

/// CloudFormation's rule for stack names: a letter, then letters, digits and hyphens, at
/// most 128 characters.
fn check_name(name: &str) -> Result<(), Error> {
    let valid = name.len() <= 128
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(Error::StackValidation(format!(
            "1 validation error detected: Value '{name}' at 'stackName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: \
             [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
        )))
    }
}

fn in_progress(status: &str) -> bool {
    status.ends_with("_IN_PROGRESS")
}

/// Whether another deploy holds the stack: `…_IN_PROGRESS` under another token, and written to
/// recently or waiting on a gradual deployment (which may run for hours without a write).
fn held_by_another(stored: &StackRecord, token: Option<&str>, now_ms: i64) -> bool {
    in_progress(&stored.status)
        && stored.client_request_token.as_deref() != token
        && (now_ms - stored.updated_ms < STALE_AFTER_MS || awaits_deployment(stored))
}

/// Whether the stack's record names a gradual deployment a `--no-wait` deploy left running.
fn awaits_deployment(stored: &StackRecord) -> bool {
    serde_json::from_str::<Value>(&stored.document)
        .ok()
        .is_some_and(|document| document.get("PendingDeployment").is_some())
}

fn members_only(items: &[Value], what: &str, members: &[&str]) -> Result<(), Error> {
    for item in items {
        let Some(object) = item.as_object() else {
            return Err(Error::StackValidation(format!(
                "{what}: {item} is not an object"
            )));
        };
        if let Some(unknown) = object.keys().find(|key| !members.contains(&key.as_str())) {
            return Err(Error::StackValidation(format!(
                "{what}: unknown member {unknown}"
            )));
        }
        if let Some(bad) = object
            .iter()
            .find(|(_, value)| !value.is_string() && !value.is_null())
        {
            return Err(Error::StackValidation(format!(
                "{what}: {} must be a string",
                bad.0
            )));
        }
    }
    Ok(())
}

const RESOURCE_MEMBERS: &[&str] = &[
    "LogicalResourceId",
    "PhysicalResourceId",
    "ResourceType",
    "ResourceStatus",
    "ResourceStatusReason",
    "DeletionPolicy",
];

async fn put(state: &AppState, input: PutInput) -> Result<Value, Error> {
    let name = input.stack_name.ok_or_else(|| missing("StackName"))?;
    check_name(&name)?;
    let token = input
        .client_request_token
        .ok_or_else(|| missing("ClientRequestToken"))?;
    let status = input.stack_status.ok_or_else(|| missing("StackStatus"))?;
    if !STATUSES.contains(&status.as_str()) {
        return Err(Error::StackValidation(format!(
            "1 validation error detected: Value '{status}' at 'stackStatus' failed to satisfy \
             constraint: Member must satisfy enum value set: [{}]",
            STATUSES.join(", ")
        )));
    }
    for (items, what, members) in [
        (&input.resources, "Resources", RESOURCE_MEMBERS),
        (&input.events, "Events", &RESOURCE_MEMBERS[..5]),
        (
            &input.parameters,
            "Parameters",
            &["ParameterKey", "ParameterValue"][..],
        ),
        (
            &input.outputs,
            "Outputs",
            &["OutputKey", "OutputValue", "Description"][..],
        ),
    ] {
        members_only(items.as_deref().unwrap_or_default(), what, members)?;
    }
    let store = state.runtime.store();
    let now_ms = runtime::now_ms();
    let stored = match store.get_stack(&name).await {
        Ok(stored) => Some(stored),
        Err(store::Error::NotFound(_)) => None,
        Err(error) => return Err(error.into()),
    };
    if let Some(stored) = &stored
        && held_by_another(stored, Some(&token), now_ms)
    {
        return Err(Error::StackValidation(format!(
            "Stack:{} is in {} state and can not be updated.",
            stored.stack_id, stored.status
        )));
    }
    // A stack that ended in a terminal state is written anew by the next deploy's first put;
    // a deleted-and-recreated stack gets a new id.
    let (stack_id, created_ms, revision, mut document) = match &stored {
        Some(stored) => (
            stored.stack_id.clone(),
            stored.created_ms,
            stored.revision + 1,
            serde_json::from_str::<Map<String, Value>>(&stored.document).unwrap_or_default(),
        ),
        None => (
            format!(
                "arn:aws:cloudformation:{}:{}:stack/{name}/{}",
                state.runtime.config().region,
                state.runtime.config().account_id,
                state.runtime.new_name()
            ),
            now_ms,
            1,
            Map::new(),
        ),
    };
    if let Some(template) = input.template_body {
        document.insert("TemplateBody".to_owned(), json!(template));
    }
    for (key, value) in [("Parameters", input.parameters), ("Outputs", input.outputs)] {
        if let Some(value) = value {
            document.insert(key.to_owned(), json!(value));
        }
    }
    // What a deploy run with `--no-wait` leaves for the command that finishes the stack once
    // its deployment ends; kept only while the stack is in progress.
    match input.pending_deployment {
        Some(pending) if in_progress(&status) => {
            document.insert("PendingDeployment".to_owned(), pending);
        }
        _ if !in_progress(&status) => {
            document.remove("PendingDeployment");
        }
        _ => {}
    }
    if let Some(resources) = input.resources {
        let resources: Vec<Value> = resources
            .into_iter()
            .map(|mut resource| {
                resource["Timestamp"] = json!(now_ms);
                resource
            })
            .collect();
        document.insert("Resources".to_owned(), json!(resources));
    }
    let mut events = Vec::new();
    let mut event = |fields: Value| {
        let event_id = state.runtime.new_name();
        let mut object = Map::new();
        object.insert("StackId".to_owned(), json!(stack_id));
        object.insert("EventId".to_owned(), json!(event_id));
        object.insert("StackName".to_owned(), json!(name));
        if let Value::Object(fields) = fields {
            object.extend(fields.into_iter().filter(|(_, value)| !value.is_null()));
        }
        events.push(StackEventRecord {
            stack_name: name.clone(),
            event_id,
            timestamp_ms: now_ms,
            json: Value::Object(object).to_string(),
        });
    };
    for resource in input.events.unwrap_or_default() {
        event(resource);
    }
    // Without a reason, a put that keeps the status keeps the stored reason too (a deploy
    // appending events); a new status starts without one.
    let reason = match (&stored, input.stack_status_reason) {
        (Some(stored), None) if stored.status == status => stored.status_reason.clone(),
        (_, reason) => reason,
    };
    let status_changed = stored
        .as_ref()
        .is_none_or(|stored| stored.status != status || stored.status_reason != reason);
    if status_changed {
        event(json!({
            "LogicalResourceId": name,
            "PhysicalResourceId": stack_id,
            "ResourceType": "AWS::CloudFormation::Stack",
            "ResourceStatus": status,
            "ResourceStatusReason": reason,
        }));
    }
    let record = StackRecord {
        name: name.clone(),
        stack_id: stack_id.clone(),
        status,
        status_reason: reason,
        client_request_token: Some(token),
        created_ms,
        updated_ms: now_ms,
        document: Value::Object(document).to_string(),
        revision,
    };
    match store.put_stack(StackPut { record, events }).await {
        Ok(()) => Ok(json!({ "StackId": stack_id })),
        // Another write came between the read and this one.
        Err(store::Error::Conflict(_)) => Err(Error::StackValidation(format!(
            "Stack:{stack_id} was changed by another request at the same time; try again."
        ))),
        Err(error) => Err(error.into()),
    }
}

async fn get(state: &AppState, name: &str) -> Result<StackRecord, Error> {
    match state.runtime.store().get_stack(name).await {
        Ok(record) => Ok(record),
        Err(store::Error::NotFound(_)) => Err(does_not_exist(name)),
        Err(error) => Err(error.into()),
    }
}

fn does_not_exist(name: &str) -> Error {
    Error::StackValidation(format!("Stack with id {name} does not exist"))
}

fn document(record: &StackRecord) -> Map<String, Value> {
    serde_json::from_str(&record.document).unwrap_or_default()
}

fn stack_json(record: &StackRecord) -> Value {
    let document = document(record);
    let mut stack = Map::new();
    stack.insert("StackId".to_owned(), json!(record.stack_id));
    stack.insert("StackName".to_owned(), json!(record.name));
    stack.insert(
        "Parameters".to_owned(),
        document.get("Parameters").cloned().unwrap_or(json!([])),
    );
    stack.insert("CreationTime".to_owned(), timestamp(record.created_ms));
    stack.insert("LastUpdatedTime".to_owned(), timestamp(record.updated_ms));
    stack.insert("StackStatus".to_owned(), json!(record.status));
    if let Some(reason) = &record.status_reason {
        stack.insert("StackStatusReason".to_owned(), json!(reason));
    }
    stack.insert(
        "Outputs".to_owned(),
        document.get("Outputs").cloned().unwrap_or(json!([])),
    );
    if let Some(pending) = document.get("PendingDeployment") {
        stack.insert("PendingDeployment".to_owned(), pending.clone());
    }
    Value::Object(stack)
}

async fn describe_stacks(state: &AppState, name: Option<&str>) -> Result<Value, Error> {
    let stacks = match name {
        Some(name) => vec![stack_json(&get(state, name).await?)],
        None => {
            let mut all = Vec::new();
            let mut page = store::PageRequest {
                limit: 1000,
                token: None,
            };
            loop {
                let answer = state.runtime.store().list_stacks(page.clone()).await?;
                all.extend(answer.items.iter().map(stack_json));
                match answer.next_token {
                    Some(token) => page.token = Some(token),
                    None => break,
                }
            }
            all
        }
    };
    Ok(json!({ "Stacks": stacks }))
}

async fn list(state: &AppState, next_token: Option<&str>) -> Result<Value, Error> {
    let page = page_request(None, next_token)?;
    let answer = state.runtime.store().list_stacks(page).await?;
    let summaries: Vec<Value> = answer
        .items
        .iter()
        .map(|record| {
            let mut summary = json!({
                "StackId": record.stack_id,
                "StackName": record.name,
                "CreationTime": timestamp(record.created_ms),
                "LastUpdatedTime": timestamp(record.updated_ms),
                "StackStatus": record.status,
            });
            if let Some(reason) = &record.status_reason {
                summary["StackStatusReason"] = json!(reason);
            }
            summary
        })
        .collect();
    let mut body = json!({ "StackSummaries": summaries });
    if let Some(token) = answer.next_token {
        body["NextToken"] = json!(encode_token(&token));
    }
    Ok(body)
}

async fn resources(state: &AppState, name: &str) -> Result<Value, Error> {
    let record = get(state, name).await?;
    let document = document(&record);
    let resources: Vec<Value> = document
        .get("Resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|resource| {
            let mut out = Map::new();
            out.insert("StackName".to_owned(), json!(record.name));
            out.insert("StackId".to_owned(), json!(record.stack_id));
            if let Some(fields) = resource.as_object() {
                for (key, value) in fields {
                    if value.is_null() {
                        continue;
                    }
                    let value = if key == "Timestamp" {
                        timestamp(value.as_i64().unwrap_or(record.updated_ms))
                    } else {
                        value.clone()
                    };
                    out.insert(key.clone(), value);
                }
            }
            Value::Object(out)
        })
        .collect();
    Ok(json!({ "StackResources": resources }))
}

async fn events(state: &AppState, input: NameInput) -> Result<Value, Error> {
    let name = input.stack_name.ok_or_else(|| missing("StackName"))?;
    let page = page_request(None, input.next_token.as_deref())?;
    let answer = match state.runtime.store().stack_events(&name, page).await {
        Ok(answer) => answer,
        Err(store::Error::NotFound(_)) => return Err(does_not_exist(&name)),
        Err(error) => return Err(error.into()),
    };
    let events: Vec<Value> = answer
        .items
        .iter()
        .map(|event| {
            let mut value: Value = serde_json::from_str(&event.json).unwrap_or(json!({}));
            value["Timestamp"] = timestamp(event.timestamp_ms);
            value
        })
        .collect();
    let mut body = json!({ "StackEvents": events });
    if let Some(token) = answer.next_token {
        body["NextToken"] = json!(encode_token(&token));
    }
    Ok(body)
}

async fn template(state: &AppState, name: &str) -> Result<Value, Error> {
    let record = get(state, name).await?;
    Ok(json!({
        "TemplateBody": document(&record).get("TemplateBody").cloned().unwrap_or(json!("")),
    }))
}

async fn delete(state: &AppState, input: NameInput) -> Result<Value, Error> {
    let name = input.stack_name.ok_or_else(|| missing("StackName"))?;
    let store = state.runtime.store();
    let stored = match store.get_stack(&name).await {
        Ok(stored) => stored,
        Err(store::Error::NotFound(_)) => return Ok(json!({})),
        Err(error) => return Err(error.into()),
    };
    if held_by_another(
        &stored,
        input.client_request_token.as_deref(),
        runtime::now_ms(),
    ) {
        return Err(Error::StackValidation(format!(
            "Stack [{name}] cannot be deleted while in status {}",
            stored.status
        )));
    }
    match store.delete_stack(&name).await {
        Ok(()) | Err(store::Error::NotFound(_)) => Ok(json!({})),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names_follow_cloudformation() {
        assert!(check_name("seed").is_ok());
        assert!(check_name("a-1-B").is_ok());
        for bad in ["", "1seed", "se_ed", "-a", &"a".repeat(129)] {
            assert!(
                matches!(check_name(bad), Err(Error::StackValidation(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn another_deploy_holds_a_stack_in_progress_until_stale_or_while_its_deployment_runs() {
        let record = StackRecord {
            name: "s".to_owned(),
            stack_id: "id".to_owned(),
            status: "UPDATE_IN_PROGRESS".to_owned(),
            status_reason: None,
            client_request_token: Some("a".to_owned()),
            created_ms: 0,
            updated_ms: 1_000,
            document: "{}".to_owned(),
            revision: 3,
        };
        assert!(held_by_another(&record, Some("b"), 2_000));
        assert!(held_by_another(&record, None, 2_000));
        assert!(!held_by_another(&record, Some("a"), 2_000));
        assert!(!held_by_another(&record, Some("b"), 1_000 + STALE_AFTER_MS));
        let done = StackRecord {
            status: "UPDATE_COMPLETE".to_owned(),
            ..record.clone()
        };
        assert!(!held_by_another(&done, Some("b"), 2_000));
        let waiting = StackRecord {
            document: json!({"PendingDeployment": {"DeploymentId": "d"}}).to_string(),
            ..record.clone()
        };
        assert!(held_by_another(
            &waiting,
            Some("b"),
            1_000 + 10 * STALE_AFTER_MS
        ));
        assert!(!held_by_another(
            &waiting,
            Some("a"),
            1_000 + 10 * STALE_AFTER_MS
        ));
    }
}
