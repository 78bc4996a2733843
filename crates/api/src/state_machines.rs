//! State machine operations: Create, Describe, Update, Delete, List and
//! ValidateStateMachineDefinition.
//!
//! Definitions are checked with `asl::validate` (EXPRESS-only rules through
//! `Options.machine_type`); a refused one is `InvalidDefinition` with AWS's message
//! (`Invalid State Machine Definition: '<CODE>: <message> at <location>'`). Creating a machine
//! again with the same name and configuration returns the first one; any difference, even
//! whitespace in the definition, is `StateMachineAlreadyExists`, as on AWS.

use asl::validate::{
    MachineType, Options, Severity, invalid_definition_message, validate as check,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::StateMachineRecord;

use crate::arn::{self, Kind};
use crate::error::Error;
use crate::tags::{self, TagInput};
use crate::versions::{self, Qualifier};
use crate::wire::{encode_token, page_request, timestamp};
use crate::{AppState, arn_prefix};

/// `CreateStateMachine` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    name: String,
    definition: String,
    role_arn: String,
    #[serde(rename = "type")]
    machine_type: Option<String>,
    logging_configuration: Option<Value>,
    tracing_configuration: Option<Value>,
    tags: Option<Vec<TagInput>>,
    publish: Option<bool>,
    version_description: Option<String>,
}

/// `UpdateStateMachine` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInput {
    state_machine_arn: String,
    definition: Option<String>,
    role_arn: Option<String>,
    logging_configuration: Option<Value>,
    tracing_configuration: Option<Value>,
    publish: Option<bool>,
    version_description: Option<String>,
}

/// Members of the operations that take only a state machine ARN.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArnInput {
    state_machine_arn: String,
}

/// Paging members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    max_results: Option<u64>,
    next_token: Option<String>,
}

/// `ValidateStateMachineDefinition` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateInput {
    definition: String,
    #[serde(rename = "type")]
    machine_type: Option<String>,
    severity: Option<String>,
    max_results: Option<u64>,
}

fn machine_type(name: Option<&str>) -> MachineType {
    match name {
        Some("EXPRESS") => MachineType::Express,
        _ => MachineType::Standard,
    }
}

/// Refuses a definition with errors, in AWS's `InvalidDefinition` words.
fn check_definition(definition: &str, machine_type: MachineType) -> Result<(), Error> {
    let diagnostics = check(definition, &Options { machine_type });
    if diagnostics
        .iter()
        .any(|diagnostic| diagnostic.severity == Severity::Error)
    {
        return Err(Error::InvalidDefinition(invalid_definition_message(
            &diagnostics,
        )));
    }
    Ok(())
}

/// `versionDescription` goes only with `publish`.
fn check_publish(publish: Option<bool>, version_description: Option<&String>) -> Result<(), Error> {
    if version_description.is_some() && publish != Some(true) {
        return Err(Error::Validation(
            "Version description can only be set when publish is true".to_owned(),
        ));
    }
    Ok(())
}

/// A configuration member as stored: its JSON text.
fn config_text(value: &Option<Value>) -> Option<String> {
    value.as_ref().map(Value::to_string)
}

/// The state machine with this ARN, or AWS's `StateMachineDoesNotExist`.
pub async fn get(state: &AppState, state_machine_arn: &str) -> Result<StateMachineRecord, Error> {
    match state
        .runtime
        .store()
        .get_state_machine(state_machine_arn)
        .await
    {
        Ok(record) => Ok(record),
        Err(store::Error::NotFound(_)) => Err(Error::StateMachineDoesNotExist(
            state_machine_arn.to_owned(),
        )),
        Err(error) => Err(error.into()),
    }
}

/// `loggingConfiguration` as AWS returns it, with its default when none was set.
pub fn logging(record: &StateMachineRecord) -> Value {
    record
        .logging_configuration
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(|| json!({"level": "OFF", "includeExecutionData": false}))
}

/// `tracingConfiguration` as AWS returns it, with its default when none was set.
pub fn tracing(record: &StateMachineRecord) -> Value {
    record
        .tracing_configuration
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(|| json!({"enabled": false}))
}

/// `CreateStateMachine`.
pub async fn create(state: &AppState, input: CreateInput) -> Result<Value, Error> {
    arn::check_name(&input.name)?;
    arn::check_role(&input.role_arn)?;
    check_publish(input.publish, input.version_description.as_ref())?;
    let type_name = input.machine_type.as_deref().unwrap_or("STANDARD");
    check_definition(&input.definition, machine_type(Some(type_name)))?;
    if let Some(configuration) = &input.logging_configuration {
        crate::logging::check(configuration)?;
    }
    let tags = input.tags.unwrap_or_default();
    let arn = format!("{}stateMachine:{}", arn_prefix(state), input.name);
    tags::check(&arn, &[], &tags)?;
    let now = runtime::now_ms();
    let record = StateMachineRecord {
        arn: arn.clone(),
        name: input.name,
        machine_type: type_name.to_owned(),
        definition: input.definition,
        role_arn: input.role_arn,
        created_ms: now,
        updated_ms: now,
        revision_id: String::new(),
        description: None,
        logging_configuration: config_text(&input.logging_configuration),
        tracing_configuration: config_text(&input.tracing_configuration),
    };
    let store = state.runtime.store();
    let created = match store.create_state_machine(record.clone()).await {
        Ok(()) => {
            tags::store(state, &arn, tags).await?;
            record
        }
        Err(store::Error::AlreadyExists(_)) => {
            let existing = get(state, &arn).await?;
            let same = existing.definition == record.definition
                && existing.role_arn == record.role_arn
                && existing.machine_type == record.machine_type
                && existing.logging_configuration == record.logging_configuration
                && existing.tracing_configuration == record.tracing_configuration;
            if !same {
                return Err(Error::StateMachineAlreadyExists(arn));
            }
            existing
        }
        Err(error) => return Err(error.into()),
    };
    let mut output = Map::new();
    output.insert("stateMachineArn".to_owned(), json!(created.arn));
    output.insert("creationDate".to_owned(), timestamp(created.created_ms));
    if input.publish == Some(true) {
        let version =
            versions::publish_current(state, &created.arn, None, input.version_description).await?;
        output.insert("stateMachineVersionArn".to_owned(), json!(version.arn));
    }
    Ok(Value::Object(output))
}

/// `DescribeStateMachine`: on a version ARN, the version.
pub async fn describe(state: &AppState, input: ArnInput) -> Result<Value, Error> {
    let target = versions::qualified(&input.state_machine_arn)?;
    match target.qualifier {
        Qualifier::None => {}
        Qualifier::Version(_) => {
            return versions::describe_version(state, &input.state_machine_arn).await;
        }
        Qualifier::Alias(_) => {
            return Err(Error::StateMachineDoesNotExist(input.state_machine_arn));
        }
    }
    let record = get(state, &input.state_machine_arn).await?;
    let mut output = Map::new();
    output.insert("stateMachineArn".to_owned(), json!(record.arn));
    output.insert("name".to_owned(), json!(record.name));
    output.insert("status".to_owned(), json!("ACTIVE"));
    output.insert("definition".to_owned(), json!(record.definition));
    output.insert("roleArn".to_owned(), json!(record.role_arn));
    output.insert("type".to_owned(), json!(record.machine_type));
    output.insert("creationDate".to_owned(), timestamp(record.created_ms));
    output.insert("loggingConfiguration".to_owned(), logging(&record));
    output.insert("tracingConfiguration".to_owned(), tracing(&record));
    if let Some(description) = &record.description {
        output.insert("description".to_owned(), json!(description));
    }
    if !record.revision_id.is_empty() {
        output.insert("revisionId".to_owned(), json!(record.revision_id));
    }
    insert_variable_references(&mut output, &record.definition);
    Ok(Value::Object(output))
}

/// `variableReferences`: the workflow variables each state reads, when any state reads one.
pub(crate) fn insert_variable_references(output: &mut Map<String, Value>, definition: &str) {
    let Ok(definition) = serde_json::from_str::<Value>(definition) else {
        return;
    };
    let references = asl::references::variable_references(&definition);
    if !references.is_empty() {
        output.insert("variableReferences".to_owned(), json!(references));
    }
}

/// `UpdateStateMachine`.
pub async fn update(state: &AppState, input: UpdateInput) -> Result<Value, Error> {
    arn::expect(
        &input.state_machine_arn,
        &[Kind::StateMachine, Kind::QualifiedStateMachine],
    )?;
    if input.definition.is_none()
        && input.role_arn.is_none()
        && input.logging_configuration.is_none()
        && input.tracing_configuration.is_none()
    {
        return Err(Error::MissingRequiredParameter(
            "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified".to_owned(),
        ));
    }
    check_publish(input.publish, input.version_description.as_ref())?;
    let mut record = get(state, &input.state_machine_arn).await?;
    if let Some(role_arn) = &input.role_arn {
        arn::check_role(role_arn)?;
    }
    if let Some(definition) = &input.definition {
        check_definition(definition, machine_type(Some(&record.machine_type)))?;
    }
    if let Some(configuration) = &input.logging_configuration {
        crate::logging::check(configuration)?;
    }
    let logging_configuration = input
        .logging_configuration
        .as_ref()
        .map_or(record.logging_configuration.clone(), |value| {
            Some(value.to_string())
        });
    let tracing_configuration = input
        .tracing_configuration
        .as_ref()
        .map_or(record.tracing_configuration.clone(), |value| {
            Some(value.to_string())
        });
    // A revision covers the definition, role, logging and tracing: an update that changes none
    // of them makes no revision.
    let changed = input
        .definition
        .as_ref()
        .is_some_and(|definition| *definition != record.definition)
        || input
            .role_arn
            .as_ref()
            .is_some_and(|role_arn| *role_arn != record.role_arn)
        || logging_configuration != record.logging_configuration
        || tracing_configuration != record.tracing_configuration;
    if changed {
        if let Some(definition) = input.definition {
            record.definition = definition;
        }
        if let Some(role_arn) = input.role_arn {
            record.role_arn = role_arn;
        }
        record.logging_configuration = logging_configuration;
        record.tracing_configuration = tracing_configuration;
        record.revision_id = state.runtime.new_name();
        record.updated_ms = runtime::now_ms();
        match state
            .runtime
            .store()
            .update_state_machine(record.clone())
            .await
        {
            Ok(()) => {}
            Err(store::Error::NotFound(arn)) => return Err(Error::StateMachineDoesNotExist(arn)),
            Err(error) => return Err(error.into()),
        }
    }
    let mut output = Map::new();
    output.insert("updateDate".to_owned(), timestamp(record.updated_ms));
    // The current revision, new or not; the initial revision has no id to show (recorded).
    if !record.revision_id.is_empty() {
        output.insert("revisionId".to_owned(), json!(record.revision_id));
    }
    if input.publish == Some(true) {
        // Publishes the revision this update made (or found): a concurrent update in between
        // is a conflict rather than a version of someone else's revision.
        let version = versions::publish_current(
            state,
            &record.arn,
            Some(record.revision_id.clone()),
            input.version_description,
        )
        .await?;
        output.insert("stateMachineVersionArn".to_owned(), json!(version.arn));
    }
    Ok(Value::Object(output))
}

/// `DeleteStateMachine`: deleting a machine that does not exist succeeds, as on AWS. Its
/// versions and aliases go with it; its executions stay readable, and running ones run to their
/// end on the definition they started with.
pub async fn delete(state: &AppState, input: ArnInput) -> Result<Value, Error> {
    let parsed = arn::expect(
        &input.state_machine_arn,
        &[Kind::StateMachine, Kind::QualifiedStateMachine],
    )?;
    if parsed.kind == Kind::QualifiedStateMachine {
        return Err(Error::Validation(
            "Deleting a version or an alias with DeleteStateMachine is not supported".to_owned(),
        ));
    }
    match state
        .runtime
        .store()
        .delete_state_machine(&input.state_machine_arn)
        .await
    {
        Ok(()) | Err(store::Error::NotFound(_)) => {}
        Err(error) => return Err(error.into()),
    }
    tags::forget(state, &input.state_machine_arn).await?;
    Ok(json!({}))
}

/// `ListStateMachines`, in order of name.
pub async fn list(state: &AppState, input: ListInput) -> Result<Value, Error> {
    let page = page_request(input.max_results, input.next_token.as_deref())?;
    let page = state.runtime.store().list_state_machines(page).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|record| {
            json!({
                "stateMachineArn": record.arn,
                "name": record.name,
                "type": record.machine_type,
                "creationDate": timestamp(record.created_ms),
            })
        })
        .collect();
    let mut output = Map::new();
    output.insert("stateMachines".to_owned(), Value::Array(items));
    if let Some(token) = page.next_token {
        output.insert("nextToken".to_owned(), json!(encode_token(&token)));
    }
    Ok(Value::Object(output))
}

/// `ValidateStateMachineDefinition`: `severity` ERROR (the default) lists errors only, WARNING
/// lists both; `result` is FAIL when there is any error, listed or not.
pub fn validate(input: ValidateInput) -> Result<Value, Error> {
    let options = Options {
        machine_type: machine_type(input.machine_type.as_deref()),
    };
    let diagnostics = check(&input.definition, &options);
    let failed = diagnostics
        .iter()
        .any(|diagnostic| diagnostic.severity == Severity::Error);
    let with_warnings = input.severity.as_deref() == Some("WARNING");
    let limit = match input.max_results.unwrap_or(0) {
        0 => 100,
        n => n as usize,
    };
    let listed: Vec<_> = diagnostics
        .iter()
        .filter(|diagnostic| with_warnings || diagnostic.severity == Severity::Error)
        .collect();
    let truncated = listed.len() > limit;
    let items: Vec<Value> = listed
        .into_iter()
        .take(limit)
        .map(|diagnostic| {
            let mut item = Map::new();
            item.insert("severity".to_owned(), json!(diagnostic.severity.as_str()));
            item.insert("code".to_owned(), json!(diagnostic.code));
            item.insert("message".to_owned(), json!(diagnostic.message));
            if let Some(location) = &diagnostic.location {
                item.insert("location".to_owned(), json!(location));
            }
            Value::Object(item)
        })
        .collect();
    Ok(json!({
        "result": if failed { "FAIL" } else { "OK" },
        "diagnostics": items,
        "truncated": truncated,
    }))
}
