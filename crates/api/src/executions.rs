//! Execution operations: StartExecution, StartSyncExecution, StopExecution, DescribeExecution,
//! ListExecutions, GetExecutionHistory and DescribeStateMachineForExecution.
//!
//! STANDARD executions start durably (`Runtime::start_execution`, idempotent on name and input
//! while running); EXPRESS ones run in memory (`start_express_execution`, or
//! `start_sync_execution` for StartSyncExecution) and have no record: every operation that reads
//! an execution refuses an `express` ARN with AWS's recorded `InvalidArn`.

use engine::Status;
use runtime::StartRequest;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::{ExecutionFilter, ExecutionRecord};

use crate::AppState;
use crate::arn::{self, Kind};
use crate::error::Error;
use crate::state_machines::{self, logging, tracing};
use crate::versions::{self, Qualifier};
use crate::wire::{encode_token, page_request, timestamp};

/// The largest execution input, in bytes (256 KiB).
pub const MAX_INPUT_BYTES: usize = 262_144;

/// `StartExecution` and `StartSyncExecution` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartInput {
    state_machine_arn: String,
    name: Option<String>,
    input: Option<String>,
    included_data: Option<String>,
}

/// `StopExecution` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopInput {
    execution_arn: String,
    error: Option<String>,
    cause: Option<String>,
}

/// `RedriveExecution` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedriveInput {
    execution_arn: String,
    client_token: Option<String>,
}

/// `DescribeExecution` and `DescribeStateMachineForExecution` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeInput {
    execution_arn: String,
    included_data: Option<String>,
}

/// `ListExecutions` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    state_machine_arn: Option<String>,
    status_filter: Option<String>,
    max_results: Option<u64>,
    next_token: Option<String>,
    map_run_arn: Option<String>,
    redrive_filter: Option<String>,
}

/// `GetExecutionHistory` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryInput {
    execution_arn: String,
    max_results: Option<u64>,
    next_token: Option<String>,
    reverse_order: Option<bool>,
    include_execution_data: Option<bool>,
}

const TYPE_NOT_SUPPORTED: &str = "This operation is not supported by this type of state machine";

/// The input text, `{}` when none was given; it must be JSON of at most 256 KiB.
fn execution_input(input: Option<String>) -> Result<String, Error> {
    let text = input.unwrap_or_else(|| "{}".to_owned());
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::InvalidExecutionInput(format!(
            "Input is {} bytes; the maximum is {MAX_INPUT_BYTES} bytes",
            text.len()
        )));
    }
    serde_json::from_str::<Value>(&text)
        .map_err(|error| Error::InvalidExecutionInput(error.to_string()))?;
    Ok(text)
}

/// Splits a `…:stateMachine:Name#TestCase` ARN when the server has a mock configuration
/// (`--mock-config`): the ARN without the test case, and `Name#TestCase` once it is known to
/// exist. Without a mock configuration the ARN is left as it is (and refused as AWS would).
fn test_case(state: &AppState, arn: &mut String) -> Result<Option<String>, Error> {
    let Some(mocks) = state.runtime.config().mocks.clone() else {
        return Ok(None);
    };
    let Some((plain, case)) = arn.split_once('#') else {
        return Ok(None);
    };
    let (plain, case) = (plain.to_owned(), case.to_owned());
    let name = plain
        .split(":stateMachine:")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_default()
        .to_owned();
    if !mocks.has_test_case(&name, &case) {
        return Err(Error::Validation(format!(
            "The mock configuration has no test case '{case}' for the state machine '{name}' \
             (it has: {})",
            mocks.test_cases(&name).join(", ")
        )));
    }
    *arn = plain;
    Ok(Some(format!("{name}#{case}")))
}

async fn start_request(
    state: &AppState,
    input: &mut StartInput,
) -> Result<(StartRequest, String), Error> {
    let test_case = test_case(state, &mut input.state_machine_arn)?;
    let target = versions::qualified(&input.state_machine_arn)?;
    let machine = match state_machines::get(state, &target.machine_arn).await {
        Ok(machine) => machine,
        Err(Error::StateMachineDoesNotExist(_)) => {
            return Err(Error::StateMachineDoesNotExist(
                input.state_machine_arn.clone(),
            ));
        }
        Err(error) => return Err(error),
    };
    let resolved = versions::resolve_start(state, &target, &input.state_machine_arn).await?;
    if let Some(name) = &input.name {
        arn::check_name(name)?;
    }
    let text = execution_input(input.input.take())?;
    let (definition, role_arn, version_arn, alias_arn, logging) = match resolved {
        Some((version, alias_arn)) => (
            version.definition,
            version.role_arn,
            Some(version.arn),
            alias_arn,
            crate::logging::runtime_logging(version.logging_configuration.as_deref()),
        ),
        None => (
            machine.definition.clone(),
            machine.role_arn.clone(),
            None,
            None,
            crate::logging::runtime_logging(machine.logging_configuration.as_deref()),
        ),
    };
    let request = StartRequest {
        state_machine_arn: machine.arn.clone(),
        state_machine_name: machine.name.clone(),
        definition,
        role_arn,
        name: input.name.clone(),
        input: text,
        state_machine_version_arn: version_arn,
        state_machine_alias_arn: alias_arn,
        logging,
        test_case,
    };
    Ok((request, machine.machine_type))
}

/// What a nested start (`states:startExecution`) runs, by StartExecution's rules.
pub(crate) async fn resolve_nested(
    state: &AppState,
    start: runtime::nested::ChildStart,
) -> Result<(StartRequest, String), Error> {
    crate::model::model().validate(
        "StartExecution",
        &json!({"stateMachineArn": start.state_machine_arn, "name": start.name, "input": start.input}),
    )?;
    let mut input = StartInput {
        state_machine_arn: start.state_machine_arn,
        name: Some(start.name),
        input: Some(start.input),
        included_data: None,
    };
    start_request(state, &mut input).await
}

/// Adds `stateMachineVersionArn` and `stateMachineAliasArn` when the execution has them.
fn insert_qualifiers(
    output: &mut Map<String, Value>,
    version_arn: Option<&String>,
    alias_arn: Option<&String>,
) {
    if let Some(arn) = version_arn {
        output.insert("stateMachineVersionArn".to_owned(), json!(arn));
    }
    if let Some(arn) = alias_arn {
        output.insert("stateMachineAliasArn".to_owned(), json!(arn));
    }
}

/// `StartExecution`.
pub async fn start(state: &AppState, mut input: StartInput) -> Result<Value, Error> {
    let (request, machine_type) = start_request(state, &mut input).await?;
    let started = if machine_type == "EXPRESS" {
        state.runtime.start_express_execution(request).await?
    } else {
        state.runtime.start_execution(request).await?
    };
    Ok(json!({
        "executionArn": started.execution_arn,
        "startDate": timestamp(started.start_ms),
    }))
}

/// `StartSyncExecution` (EXPRESS only).
pub async fn start_sync(state: &AppState, mut input: StartInput) -> Result<Value, Error> {
    let (request, machine_type) = start_request(state, &mut input).await?;
    if machine_type != "EXPRESS" {
        return Err(Error::StateMachineTypeNotSupported(
            TYPE_NOT_SUPPORTED.to_owned(),
        ));
    }
    let state_machine_arn = request.state_machine_arn.clone();
    let input_text = request.input.clone();
    let version_arn = request.state_machine_version_arn.clone();
    let alias_arn = request.state_machine_alias_arn.clone();
    let outcome = state.runtime.start_sync_execution(request).await?;
    let with_data = input.included_data.as_deref() != Some("METADATA_ONLY");
    let mut output = Map::new();
    output.insert("executionArn".to_owned(), json!(outcome.execution_arn));
    output.insert("stateMachineArn".to_owned(), json!(state_machine_arn));
    // Not in AWS's StartSyncExecution output: Switchback says which version ran, since an
    // express execution cannot be described afterwards.
    insert_qualifiers(&mut output, version_arn.as_ref(), alias_arn.as_ref());
    output.insert("name".to_owned(), json!(outcome.name));
    output.insert("startDate".to_owned(), timestamp(outcome.start_ms));
    output.insert("stopDate".to_owned(), timestamp(outcome.stop_ms));
    let (status, error, cause) = match &outcome.status {
        Status::Succeeded { .. } => ("SUCCEEDED", None, None),
        // A synchronous execution is never stopped by a caller; an abort is a failure.
        Status::Failed { error, cause } | Status::Aborted { error, cause } => {
            ("FAILED", error.clone(), cause.clone())
        }
        Status::TimedOut { error, cause } => ("TIMED_OUT", error.clone(), cause.clone()),
        Status::Running => ("FAILED", None, None),
    };
    output.insert("status".to_owned(), json!(status));
    if let Some(error) = error {
        output.insert("error".to_owned(), json!(error));
    }
    if let Some(cause) = cause {
        output.insert("cause".to_owned(), json!(cause));
    }
    if with_data {
        output.insert("input".to_owned(), json!(input_text));
    }
    output.insert("inputDetails".to_owned(), json!({"included": with_data}));
    if let Some(text) = outcome.output {
        if with_data {
            output.insert("output".to_owned(), json!(text));
        }
        output.insert("outputDetails".to_owned(), json!({"included": with_data}));
    }
    // AWS bills express executions by 100 ms and 64 MB steps.
    let elapsed_ms = (outcome.stop_ms - outcome.start_ms).max(0);
    let billed_ms = ((elapsed_ms + 99) / 100).max(1) * 100;
    output.insert(
        "billingDetails".to_owned(),
        json!({"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": billed_ms}),
    );
    Ok(Value::Object(output))
}

/// The execution with this ARN, or AWS's `ExecutionDoesNotExist`.
async fn get(state: &AppState, execution_arn: &str) -> Result<ExecutionRecord, Error> {
    match state.runtime.store().get_execution(execution_arn).await {
        Ok(record) => Ok(record),
        Err(store::Error::NotFound(_)) => match child(state, execution_arn).await? {
            Some((record, _)) => Ok(record),
            None => Err(Error::ExecutionDoesNotExist(execution_arn.to_owned())),
        },
        Err(error) => Err(error.into()),
    }
}

/// A map run's child execution (`…:execution:<machine>/<label>:<name>`), seen as a record,
/// with itself; `None` for an ARN of another shape.
async fn child(
    state: &AppState,
    arn: &str,
) -> Result<Option<(ExecutionRecord, engine::ChildExecution)>, Error> {
    let is_child = arn
        .split_once(":execution:")
        .is_some_and(|(_, rest)| rest.contains('/'));
    if !is_child {
        return Ok(None);
    }
    let (_, child) = state.runtime.child_execution(arn).await?;
    let end = child.stop_ms.map(|stop_ms| store::ExecutionEnd {
        status: child.status.to_owned(),
        output: child.output.clone(),
        error: child.error.clone(),
        cause: child.cause.clone(),
        stop_ms,
    });
    let record = ExecutionRecord {
        arn: child.arn.clone(),
        state_machine_arn: child.state_machine_arn.clone(),
        name: child.name.clone(),
        status: child.status.to_owned(),
        input: child.input.clone(),
        definition: String::new(),
        role_arn: String::new(),
        start_ms: child.start_ms,
        seed: 0,
        end,
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        test_case: None,
        redrive_count: 0,
        redrive_ms: None,
    };
    Ok(Some((record, child)))
}

/// `StopExecution`.
pub async fn stop(state: &AppState, input: StopInput) -> Result<Value, Error> {
    arn::expect(&input.execution_arn, &[Kind::Execution])?;
    let stop_ms = state
        .runtime
        .stop_execution(&input.execution_arn, input.error, input.cause)
        .await?;
    Ok(json!({ "stopDate": timestamp(stop_ms) }))
}

/// `RedriveExecution` (STANDARD executions; an EXPRESS one has no record to redrive).
pub async fn redrive(state: &AppState, input: RedriveInput) -> Result<Value, Error> {
    arn::expect(&input.execution_arn, &[Kind::Execution])?;
    let redrive_ms = state
        .runtime
        .redrive_execution(&input.execution_arn, input.client_token.as_deref())
        .await?;
    Ok(json!({ "redriveDate": timestamp(redrive_ms) }))
}

/// `redriveStatus`, and the reason when it is not redrivable.
fn redrive_status(record: &ExecutionRecord) -> (&'static str, Option<String>) {
    match runtime::redrive_refusal(record, runtime::now_ms()) {
        None => ("REDRIVABLE", None),
        Some(reason) => ("NOT_REDRIVABLE", Some(reason)),
    }
}

/// `DescribeExecution`.
pub async fn describe(state: &AppState, input: DescribeInput) -> Result<Value, Error> {
    arn::expect(&input.execution_arn, &[Kind::Execution])?;
    let record = get(state, &input.execution_arn).await?;
    let with_data = input.included_data.as_deref() != Some("METADATA_ONLY");
    let mut output = Map::new();
    output.insert("executionArn".to_owned(), json!(record.arn));
    output.insert(
        "stateMachineArn".to_owned(),
        json!(record.state_machine_arn),
    );
    insert_qualifiers(
        &mut output,
        record.state_machine_version_arn.as_ref(),
        record.state_machine_alias_arn.as_ref(),
    );
    output.insert("name".to_owned(), json!(record.name));
    output.insert("status".to_owned(), json!(record.status));
    output.insert("startDate".to_owned(), timestamp(record.start_ms));
    if let Some(end) = &record.end {
        output.insert("stopDate".to_owned(), timestamp(end.stop_ms));
    }
    if with_data {
        output.insert("input".to_owned(), json!(record.input));
    }
    output.insert("inputDetails".to_owned(), json!({"included": with_data}));
    if let Some(end) = &record.end {
        if let Some(text) = &end.output {
            if with_data {
                output.insert("output".to_owned(), json!(text));
            }
            output.insert("outputDetails".to_owned(), json!({"included": with_data}));
        }
        if let Some(error) = &end.error {
            output.insert("error".to_owned(), json!(error));
        }
        if let Some(cause) = &end.cause {
            output.insert("cause".to_owned(), json!(cause));
        }
    }
    let (mut redrive, mut reason) = redrive_status(&record);
    if let Some((_, child)) = child(state, &record.arn).await? {
        output.insert("mapRunArn".to_owned(), json!(child.map_run_arn));
        // A child runs again when its parent is redriven.
        if redrive == "REDRIVABLE" {
            (redrive, reason) = ("REDRIVABLE_BY_MAP_RUN", None);
        }
    }
    output.insert("redriveCount".to_owned(), json!(record.redrive_count));
    if let Some(at) = record.redrive_ms {
        output.insert("redriveDate".to_owned(), timestamp(at));
    }
    output.insert("redriveStatus".to_owned(), json!(redrive));
    if let Some(reason) = reason {
        output.insert("redriveStatusReason".to_owned(), json!(reason));
    }
    Ok(Value::Object(output))
}

/// `DescribeStateMachineForExecution`: the definition the execution runs (its own copy), with
/// the machine's configuration when the machine still exists.
pub async fn describe_state_machine_for(
    state: &AppState,
    input: DescribeInput,
) -> Result<Value, Error> {
    arn::expect(&input.execution_arn, &[Kind::Execution])?;
    let record = get(state, &input.execution_arn).await?;
    if record.definition.is_empty() {
        return Err(Error::Validation(
            "DescribeStateMachineForExecution of a map run's child execution is not supported by Switchback yet: describe its parent's".to_owned(),
        ));
    }
    let name = record
        .state_machine_arn
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let machine = state
        .runtime
        .store()
        .get_state_machine(&record.state_machine_arn)
        .await
        .ok();
    let mut output = Map::new();
    output.insert(
        "stateMachineArn".to_owned(),
        json!(record.state_machine_arn),
    );
    output.insert("name".to_owned(), json!(name));
    output.insert("definition".to_owned(), json!(record.definition));
    output.insert("roleArn".to_owned(), json!(record.role_arn));
    let version = match &record.state_machine_version_arn {
        Some(arn) => state.runtime.store().get_version(arn).await.ok(),
        None => None,
    };
    match (&machine, &version) {
        // It ran a version: the version's configuration (versions are immutable).
        (_, Some(version)) => {
            output.insert("updateDate".to_owned(), timestamp(version.created_ms));
            output.insert(
                "loggingConfiguration".to_owned(),
                versions::logging(version),
            );
            output.insert(
                "tracingConfiguration".to_owned(),
                versions::tracing(version),
            );
            if !version.revision_id.is_empty() {
                output.insert("revisionId".to_owned(), json!(version.revision_id));
            }
        }
        (Some(machine), None) if machine.definition == record.definition => {
            output.insert("updateDate".to_owned(), timestamp(machine.updated_ms));
            output.insert("loggingConfiguration".to_owned(), logging(machine));
            output.insert("tracingConfiguration".to_owned(), tracing(machine));
            if !machine.revision_id.is_empty() {
                output.insert("revisionId".to_owned(), json!(machine.revision_id));
            }
        }
        (Some(machine), None) => {
            output.insert("updateDate".to_owned(), timestamp(record.start_ms));
            output.insert("loggingConfiguration".to_owned(), logging(machine));
            output.insert("tracingConfiguration".to_owned(), tracing(machine));
        }
        (None, None) => {
            output.insert("updateDate".to_owned(), timestamp(record.start_ms));
        }
    }
    state_machines::insert_variable_references(&mut output, &record.definition);
    Ok(Value::Object(output))
}

/// `ListExecutions`, newest first (STANDARD machines only).
pub async fn list(state: &AppState, input: ListInput) -> Result<Value, Error> {
    if let Some(map_run_arn) = &input.map_run_arn {
        return list_children(state, map_run_arn, input.status_filter.as_deref()).await;
    }
    let Some(state_machine_arn) = input.state_machine_arn else {
        return Err(Error::Validation(
            "Must provide a StateMachine ARN or MapRun ARN".to_owned(),
        ));
    };
    if input.status_filter.as_deref() == Some("PENDING_REDRIVE") {
        // Only the child executions of a Map Run wait for a redrive.
        return Err(Error::Validation(
            "The PENDING_REDRIVE status filter is valid only with a mapRunArn".to_owned(),
        ));
    }
    let target = versions::qualified(&state_machine_arn)?;
    let page = page_request(input.max_results, input.next_token.as_deref())?;
    let machine = match state_machines::get(state, &target.machine_arn).await {
        Ok(machine) => machine,
        Err(Error::StateMachineDoesNotExist(_)) => {
            return Err(Error::StateMachineDoesNotExist(state_machine_arn));
        }
        Err(error) => return Err(error),
    };
    if machine.machine_type == "EXPRESS" {
        return Err(Error::StateMachineTypeNotSupported(
            TYPE_NOT_SUPPORTED.to_owned(),
        ));
    }
    let mut output = Map::new();
    // Applied to each page as it is read: a page may hold fewer items than asked for.
    let redriven = match input.redrive_filter.as_deref() {
        Some("REDRIVEN") => Some(true),
        Some("NOT_REDRIVEN") => Some(false),
        _ => None,
    };
    let (version_arn, alias_arn) = match &target.qualifier {
        Qualifier::None => (None, None),
        Qualifier::Version(_) => (Some(state_machine_arn.clone()), None),
        Qualifier::Alias(_) => (None, Some(state_machine_arn.clone())),
    };
    let filter = ExecutionFilter {
        state_machine_arn: Some(target.machine_arn.clone()),
        status: input.status_filter,
        version_arn,
        alias_arn,
    };
    let page = state.runtime.store().list_executions(filter, page).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .filter(|record| redriven.is_none_or(|redriven| (record.redrive_count > 0) == redriven))
        .map(|record| {
            let mut item = Map::new();
            item.insert("executionArn".to_owned(), json!(record.arn));
            item.insert(
                "stateMachineArn".to_owned(),
                json!(record.state_machine_arn),
            );
            insert_qualifiers(
                &mut item,
                record.state_machine_version_arn.as_ref(),
                record.state_machine_alias_arn.as_ref(),
            );
            item.insert("name".to_owned(), json!(record.name));
            item.insert("status".to_owned(), json!(record.status));
            item.insert("startDate".to_owned(), timestamp(record.start_ms));
            if let Some(end) = &record.end {
                item.insert("stopDate".to_owned(), timestamp(end.stop_ms));
            }
            item.insert("redriveCount".to_owned(), json!(record.redrive_count));
            if let Some(at) = record.redrive_ms {
                item.insert("redriveDate".to_owned(), timestamp(at));
            }
            Value::Object(item)
        })
        .collect();
    output.insert("executions".to_owned(), Value::Array(items));
    if let Some(token) = page.next_token {
        output.insert("nextToken".to_owned(), json!(encode_token(&token)));
    }
    Ok(Value::Object(output))
}

/// `ListExecutions` of a map run: its child executions, in the order they started (one page).
async fn list_children(
    state: &AppState,
    map_run_arn: &str,
    status_filter: Option<&str>,
) -> Result<Value, Error> {
    arn::expect(map_run_arn, &[Kind::MapRun])?;
    let execution_arn = state.runtime.map_run_execution(map_run_arn).await?;
    let items: Vec<Value> = state
        .runtime
        .children_of(&execution_arn, map_run_arn)
        .await?
        .iter()
        .filter(|child| status_filter.is_none_or(|status| status == child.status))
        .map(|child| {
            let mut item = json!({
                "executionArn": child.arn,
                "stateMachineArn": child.state_machine_arn,
                "name": child.name,
                "status": child.status,
                "startDate": timestamp(child.start_ms),
                "mapRunArn": child.map_run_arn,
                "redriveCount": 0,
            });
            if let Some(stop) = child.stop_ms {
                item["stopDate"] = timestamp(stop);
            }
            item
        })
        .collect();
    Ok(json!({ "executions": items }))
}

/// `GetExecutionHistory`, as the answer's JSON text. With `includeExecutionData: false` the
/// events keep their shape but lose every `input` and `output`.
///
/// The stored events are the JSON text the API returns, so a page is written by joining them:
/// each is checked to be JSON (without building it) rather than parsed and written again, which
/// cost most of the call on a page of 1,000 events (docs/BENCHMARKS.md, workload 5).
pub async fn history(state: &AppState, input: HistoryInput) -> Result<String, Error> {
    arn::expect(&input.execution_arn, &[Kind::Execution])?;
    let page = page_request(input.max_results, input.next_token.as_deref())?;
    let stored = state
        .runtime
        .store()
        .get_execution(&input.execution_arn)
        .await;
    if matches!(stored, Err(store::Error::NotFound(_)))
        && let Some((_, child)) = child(state, &input.execution_arn).await?
    {
        let answer = child_history(
            &child,
            &input,
            page.effective_limit(),
            page.token.as_deref(),
        )?;
        return Ok(answer.to_string());
    }
    get(state, &input.execution_arn).await?;
    let page = state
        .runtime
        .store()
        .history(
            &input.execution_arn,
            input.reverse_order.unwrap_or(false),
            page,
        )
        .await?;
    let with_data = input.include_execution_data.unwrap_or(true);
    let corrupt =
        |id: u64, error: serde_json::Error| Error::Internal(format!("stored event {id}: {error}"));
    let length: usize = page.items.iter().map(|event| event.json.len() + 1).sum();
    let mut text = String::with_capacity(length + 64);
    text.push_str("{\"events\":[");
    for (index, event) in page.items.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        if with_data {
            serde_json::from_str::<serde::de::IgnoredAny>(&event.json)
                .map_err(|error| corrupt(event.id, error))?;
            text.push_str(&event.json);
        } else {
            let mut value: Value =
                serde_json::from_str(&event.json).map_err(|error| corrupt(event.id, error))?;
            strip_data(&mut value);
            text.push_str(&value.to_string());
        }
    }
    text.push(']');
    if let Some(token) = page.next_token {
        text.push_str(",\"nextToken\":");
        text.push_str(&json!(encode_token(&token)).to_string());
    }
    text.push('}');
    Ok(text)
}

/// A child execution's history, paged by position (the token is the next event's index).
fn child_history(
    child: &engine::ChildExecution,
    input: &HistoryInput,
    limit: usize,
    token: Option<&str>,
) -> Result<Value, Error> {
    let start: usize = match token {
        None => 0,
        Some(text) => text
            .parse()
            .map_err(|_| Error::InvalidToken("Invalid Token: 'Invalid token'".to_owned()))?,
    };
    let mut events: Vec<Value> = child.events.iter().map(|event| event.to_json()).collect();
    if input.reverse_order.unwrap_or(false) {
        events.reverse();
    }
    let with_data = input.include_execution_data.unwrap_or(true);
    let page: Vec<Value> = events
        .iter()
        .skip(start)
        .take(limit)
        .cloned()
        .map(|mut event| {
            if !with_data {
                strip_data(&mut event);
            }
            event
        })
        .collect();
    let mut output = Map::new();
    let next = start + page.len();
    output.insert("events".to_owned(), Value::Array(page));
    if next < events.len() {
        output.insert(
            "nextToken".to_owned(),
            json!(encode_token(&next.to_string())),
        );
    }
    Ok(Value::Object(output))
}

/// Drops `input` and `output` from an event's details.
fn strip_data(event: &mut Value) {
    let Some(object) = event.as_object_mut() else {
        return;
    };
    for (key, details) in object.iter_mut() {
        if key.ends_with("EventDetails")
            && let Some(details) = details.as_object_mut()
        {
            details.remove("input");
            details.remove("output");
        }
    }
}
