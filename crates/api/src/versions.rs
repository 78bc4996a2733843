//! Versions and aliases: PublishStateMachineVersion, ListStateMachineVersions,
//! DeleteStateMachineVersion, and Create/Update/Describe/List/DeleteStateMachineAlias, with the
//! qualified ARNs they use (`/work/shared/spec/aws-semantics.md` §1).
//!
//! A version ARN is `<state machine ARN>:<digits>`, an alias ARN `<state machine ARN>:<name>`;
//! alias names always hold a non-digit (the model's pattern), so the qualifier tells them apart.
//! The store numbers versions and checks aliases against them in one transaction; this module
//! checks requests and speaks AWS's words.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::{
    AliasCreated, AliasRecord, AliasUpdate, PublishRequest, Published, Route, VersionRecord,
};

use crate::AppState;
use crate::arn::{self, Kind};
use crate::error::Error;
use crate::state_machines;
use crate::wire::{encode_token, page_request, timestamp};

/// Versions per state machine (AWS's default quota).
pub const MAX_VERSIONS: usize = 1000;

/// Aliases per state machine (AWS's default quota).
pub const MAX_ALIASES: usize = 100;

/// What a state machine ARN's qualifier names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Qualifier {
    /// No qualifier: the state machine itself.
    None,
    /// `:<digits>`.
    Version(u64),
    /// `:<name>`.
    Alias(String),
}

/// A state machine ARN split into the unqualified ARN and what its qualifier names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualified {
    /// The unqualified state machine ARN.
    pub machine_arn: String,
    /// The qualifier.
    pub qualifier: Qualifier,
}

/// Splits a state machine ARN (qualified or not); `InvalidArn` for anything else.
pub fn qualified(text: &str) -> Result<Qualified, Error> {
    let parsed = arn::expect(text, &[Kind::StateMachine, Kind::QualifiedStateMachine])?;
    if parsed.kind == Kind::StateMachine {
        return Ok(Qualified {
            machine_arn: text.to_owned(),
            qualifier: Qualifier::None,
        });
    }
    let (machine_arn, qualifier) = text
        .rsplit_once(':')
        .ok_or_else(|| Error::InvalidArn(format!("Invalid ARN format: {text}")))?;
    let qualifier = if qualifier.bytes().all(|byte| byte.is_ascii_digit()) {
        // A number too large to be a version names no version.
        Qualifier::Version(qualifier.parse().unwrap_or(u64::MAX))
    } else {
        Qualifier::Alias(qualifier.to_owned())
    };
    Ok(Qualified {
        machine_arn: machine_arn.to_owned(),
        qualifier,
    })
}

/// The version and alias operations refuse a Distributed Map label ARN (`...:Name/label`).
fn refuse_label(target: &Qualified) -> Result<(), Error> {
    if target
        .machine_arn
        .rsplit(':')
        .next()
        .is_some_and(|name| name.contains('/'))
    {
        return Err(Error::Validation(format!(
            "This API does not support labeled ARNs: '{}'",
            target.machine_arn
        )));
    }
    Ok(())
}

/// `PublishStateMachineVersion` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishInput {
    state_machine_arn: String,
    revision_id: Option<String>,
    description: Option<String>,
}

/// `ListStateMachineVersions` and `ListStateMachineAliases` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    state_machine_arn: String,
    max_results: Option<u64>,
    next_token: Option<String>,
}

/// `DeleteStateMachineVersion` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteVersionInput {
    state_machine_version_arn: String,
}

/// One routing entry as sent.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct RouteInput {
    state_machine_version_arn: String,
    weight: u32,
}

/// `CreateStateMachineAlias` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAliasInput {
    name: String,
    routing_configuration: Vec<RouteInput>,
    description: Option<String>,
}

/// `UpdateStateMachineAlias` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAliasInput {
    state_machine_alias_arn: String,
    routing_configuration: Option<Vec<RouteInput>>,
    description: Option<String>,
}

/// `DescribeStateMachineAlias` and `DeleteStateMachineAlias` members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasArnInput {
    state_machine_alias_arn: String,
}

/// Publishes the machine's current revision (`expected` `""` is the initial one).
pub async fn publish_current(
    state: &AppState,
    machine_arn: &str,
    expected: Option<String>,
    description: Option<String>,
) -> Result<VersionRecord, Error> {
    let given = expected.clone();
    let request = PublishRequest {
        state_machine_arn: machine_arn.to_owned(),
        expected_revision_id: expected,
        description,
        created_ms: runtime::now_ms(),
        max_versions: MAX_VERSIONS,
    };
    match state.runtime.store().publish_version(request).await {
        Ok(Published::Created(version) | Published::Existing(version)) => Ok(version),
        Ok(Published::RevisionMismatch(current)) => Err(Error::Conflict(format!(
            "Failed to publish the State Machine version for revision {}. The current State \
             Machine revision is {}.",
            revision_name(given.as_deref().unwrap_or_default()),
            revision_name(&current)
        ))),
        Ok(Published::QuotaExceeded) => Err(Error::ServiceQuotaExceeded(format!(
            "The maximum number of versions ({MAX_VERSIONS}) of state machine '{machine_arn}' \
             has been reached. Delete a version to publish another."
        ))),
        Err(store::Error::NotFound(_)) => {
            Err(Error::StateMachineDoesNotExist(machine_arn.to_owned()))
        }
        Err(error) => Err(error.into()),
    }
}

/// The initial revision has no id; the API calls it `INITIAL`.
fn revision_name(revision_id: &str) -> &str {
    if revision_id.is_empty() {
        "INITIAL"
    } else {
        revision_id
    }
}

/// `PublishStateMachineVersion`.
pub async fn publish(state: &AppState, input: PublishInput) -> Result<Value, Error> {
    let target = qualified(&input.state_machine_arn)?;
    refuse_label(&target)?;
    if target.qualifier != Qualifier::None {
        return Err(Error::StateMachineDoesNotExist(input.state_machine_arn));
    }
    let expected = input.revision_id.map(|revision| {
        if revision == "INITIAL" {
            String::new()
        } else {
            revision
        }
    });
    let version = publish_current(state, &target.machine_arn, expected, input.description).await?;
    Ok(json!({
        "creationDate": timestamp(version.created_ms),
        "stateMachineVersionArn": version.arn,
    }))
}

/// The version with this ARN, or `StateMachineDoesNotExist` naming it.
pub async fn get_version(state: &AppState, version_arn: &str) -> Result<VersionRecord, Error> {
    match state.runtime.store().get_version(version_arn).await {
        Ok(version) => Ok(version),
        Err(store::Error::NotFound(_)) => {
            Err(Error::StateMachineDoesNotExist(version_arn.to_owned()))
        }
        Err(error) => Err(error.into()),
    }
}

/// The alias with this ARN, or `ResourceNotFound` naming it.
pub async fn get_alias(state: &AppState, alias_arn: &str) -> Result<AliasRecord, Error> {
    match state.runtime.store().get_alias(alias_arn).await {
        Ok(alias) => Ok(alias),
        Err(store::Error::NotFound(_)) => Err(Error::ResourceDoesNotExist(alias_arn.to_owned())),
        Err(error) => Err(error.into()),
    }
}

/// `DescribeStateMachine` on a version ARN: the version's own data.
pub async fn describe_version(state: &AppState, version_arn: &str) -> Result<Value, Error> {
    let version = get_version(state, version_arn).await?;
    let machine = state_machines::get(state, &version.state_machine_arn).await?;
    let mut output = Map::new();
    output.insert("stateMachineArn".to_owned(), json!(version.arn));
    output.insert("name".to_owned(), json!(machine.name));
    output.insert("status".to_owned(), json!("ACTIVE"));
    output.insert("definition".to_owned(), json!(version.definition));
    output.insert("roleArn".to_owned(), json!(version.role_arn));
    output.insert("type".to_owned(), json!(machine.machine_type));
    output.insert("creationDate".to_owned(), timestamp(version.created_ms));
    output.insert("loggingConfiguration".to_owned(), logging(&version));
    output.insert("tracingConfiguration".to_owned(), tracing(&version));
    if let Some(description) = &version.description {
        output.insert("description".to_owned(), json!(description));
    }
    if !version.revision_id.is_empty() {
        output.insert("revisionId".to_owned(), json!(version.revision_id));
    }
    state_machines::insert_variable_references(&mut output, &version.definition);
    Ok(Value::Object(output))
}

/// A version's `loggingConfiguration`, with AWS's default.
pub fn logging(version: &VersionRecord) -> Value {
    version
        .logging_configuration
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(|| json!({"level": "OFF", "includeExecutionData": false}))
}

/// A version's `tracingConfiguration`, with AWS's default.
pub fn tracing(version: &VersionRecord) -> Value {
    version
        .tracing_configuration
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(|| json!({"enabled": false}))
}

/// `ListStateMachineVersions`, newest first.
pub async fn list_versions(state: &AppState, input: ListInput) -> Result<Value, Error> {
    let target = qualified(&input.state_machine_arn)?;
    refuse_label(&target)?;
    if target.qualifier != Qualifier::None {
        return Err(Error::StateMachineDoesNotExist(input.state_machine_arn));
    }
    let page = page_request(input.max_results, input.next_token.as_deref())?;
    state_machines::get(state, &target.machine_arn).await?;
    let page = state
        .runtime
        .store()
        .list_versions(&target.machine_arn, page)
        .await
        .map_err(page_error)?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|version| {
            json!({
                "stateMachineVersionArn": version.arn,
                "creationDate": timestamp(version.created_ms),
            })
        })
        .collect();
    let mut output = Map::new();
    output.insert("stateMachineVersions".to_owned(), Value::Array(items));
    if let Some(token) = page.next_token {
        output.insert("nextToken".to_owned(), json!(encode_token(&token)));
    }
    Ok(Value::Object(output))
}

/// A store token the store refuses is the caller's bad token.
fn page_error(error: store::Error) -> Error {
    match error {
        store::Error::Conflict(_) => Error::InvalidToken("Invalid token".to_owned()),
        other => other.into(),
    }
}

/// `DeleteStateMachineVersion`: deleting a version that does not exist succeeds.
pub async fn delete_version(state: &AppState, input: DeleteVersionInput) -> Result<Value, Error> {
    let target = qualified(&input.state_machine_version_arn)?;
    if !matches!(target.qualifier, Qualifier::Version(_)) {
        return Err(Error::Validation(format!(
            "Invalid version ARN: '{}'",
            input.state_machine_version_arn
        )));
    }
    match state
        .runtime
        .store()
        .delete_version(&input.state_machine_version_arn)
        .await
    {
        Ok(()) | Err(store::Error::NotFound(_)) => Ok(json!({})),
        Err(store::Error::Conflict(names)) => Err(Error::Conflict(format!(
            "Version to be deleted must not be referenced by an alias. Current list of aliases \
             referencing this version: [{names}]"
        ))),
        Err(error) => Err(error.into()),
    }
}

/// Checks a routing configuration the model let through (one or two entries, weights 0–100),
/// in AWS's order, and answers the state machine its versions belong to.
fn check_routing(routing: &[RouteInput]) -> Result<String, Error> {
    let arns: Vec<&str> = routing
        .iter()
        .map(|route| route.state_machine_version_arn.as_str())
        .collect();
    let received = format!("[{}]", arns.join(", "));
    for (index, arn) in arns.iter().enumerate() {
        if arns[..index].contains(arn) {
            return Err(Error::Validation(format!(
                "Routing configuration must contain distinct state machine version ARNs. \
                 Received: {received}"
            )));
        }
    }
    let mut machines = Vec::new();
    for arn in &arns {
        match qualified(arn) {
            Ok(Qualified {
                machine_arn,
                qualifier: Qualifier::Version(_),
            }) => machines.push(machine_arn),
            _ => {
                return Err(Error::Validation(format!(
                    "Routing configuration must contain state machine version ARNs. \
                     Received: {received}"
                )));
            }
        }
    }
    let sum: u32 = routing.iter().map(|route| route.weight).sum();
    if sum != 100 {
        let weights: Vec<String> = routing
            .iter()
            .map(|route| route.weight.to_string())
            .collect();
        return Err(Error::Validation(format!(
            "Sum of routing configuration weights must equal 100. Received: [{}]",
            weights.join(", ")
        )));
    }
    let machine = machines.first().cloned().unwrap_or_default();
    if machines.iter().any(|other| *other != machine) {
        return Err(Error::Validation(format!(
            "Routing configuration must contain state machine version ARNs of the same state \
             machine. Received: {received}"
        )));
    }
    Ok(machine)
}

fn routes(routing: &[RouteInput]) -> Vec<Route> {
    routing
        .iter()
        .map(|route| Route {
            version_arn: route.state_machine_version_arn.clone(),
            weight: route.weight,
        })
        .collect()
}

/// `CreateStateMachineAlias`: idempotent on name, description and routing.
pub async fn create_alias(state: &AppState, input: CreateAliasInput) -> Result<Value, Error> {
    let machine_arn = check_routing(&input.routing_configuration)?;
    let now = runtime::now_ms();
    let record = AliasRecord {
        arn: format!("{machine_arn}:{}", input.name),
        state_machine_arn: machine_arn.clone(),
        name: input.name,
        description: input.description,
        routing: routes(&input.routing_configuration),
        created_ms: now,
        updated_ms: now,
    };
    let alias = match state
        .runtime
        .store()
        .create_alias(record, MAX_ALIASES)
        .await
    {
        Ok(AliasCreated::Created(alias) | AliasCreated::Existing(alias)) => alias,
        Ok(AliasCreated::Different(_)) => {
            return Err(Error::Conflict(
                "Failed to create alias because an alias with the same name and a different \
                 routing configuration already exists."
                    .to_owned(),
            ));
        }
        Ok(AliasCreated::QuotaExceeded) => {
            return Err(Error::ServiceQuotaExceeded(format!(
                "The maximum number of aliases ({MAX_ALIASES}) of state machine '{machine_arn}' \
                 has been reached."
            )));
        }
        Err(store::Error::NotFound(arn)) if arn == machine_arn => {
            return Err(Error::StateMachineDoesNotExist(arn));
        }
        Err(store::Error::NotFound(arn)) => return Err(Error::ResourceDoesNotExist(arn)),
        Err(error) => return Err(error.into()),
    };
    Ok(json!({
        "stateMachineAliasArn": alias.arn,
        "creationDate": timestamp(alias.created_ms),
    }))
}

/// Checks an alias ARN: a state machine ARN qualified with an alias name.
fn alias_target(alias_arn: &str) -> Result<Qualified, Error> {
    let target = qualified(alias_arn)?;
    if !matches!(target.qualifier, Qualifier::Alias(_)) {
        return Err(Error::InvalidArn(format!(
            "Resource type not valid in this context: {}",
            if target.qualifier == Qualifier::None {
                "stateMachine"
            } else {
                "stateMachineVersion"
            }
        )));
    }
    Ok(target)
}

/// `UpdateStateMachineAlias`: what is omitted stays.
pub async fn update_alias(state: &AppState, input: UpdateAliasInput) -> Result<Value, Error> {
    let target = alias_target(&input.state_machine_alias_arn)?;
    if input.routing_configuration.is_none() && input.description.is_none() {
        return Err(Error::Validation(
            "Either the description or the RoutingConfiguration must be specified".to_owned(),
        ));
    }
    if let Some(routing) = &input.routing_configuration {
        let machine_arn = check_routing(routing)?;
        if machine_arn != target.machine_arn {
            return Err(Error::Validation(format!(
                "Routing configuration must contain state machine version ARNs of the alias's \
                 state machine. Received: [{}]",
                routing
                    .iter()
                    .map(|route| route.state_machine_version_arn.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let update = AliasUpdate {
        arn: input.state_machine_alias_arn.clone(),
        description: input.description,
        routing: input.routing_configuration.as_deref().map(routes),
        updated_ms: runtime::now_ms(),
    };
    match state.runtime.store().update_alias(update).await {
        Ok(alias) => {
            // A deployment of this alias sees the change now (drift), not at its next check.
            state.runtime.observe_alias(&alias.arn);
            Ok(json!({ "updateDate": timestamp(alias.updated_ms) }))
        }
        Err(store::Error::NotFound(arn)) => Err(Error::ResourceDoesNotExist(arn)),
        Err(error) => Err(error.into()),
    }
}

/// `DescribeStateMachineAlias`.
pub async fn describe_alias(state: &AppState, input: AliasArnInput) -> Result<Value, Error> {
    alias_target(&input.state_machine_alias_arn)?;
    let alias = get_alias(state, &input.state_machine_alias_arn).await?;
    let mut output = Map::new();
    output.insert("stateMachineAliasArn".to_owned(), json!(alias.arn));
    output.insert("name".to_owned(), json!(alias.name));
    if let Some(description) = &alias.description {
        output.insert("description".to_owned(), json!(description));
    }
    output.insert("routingConfiguration".to_owned(), routing_json(&alias));
    output.insert("creationDate".to_owned(), timestamp(alias.created_ms));
    output.insert("updateDate".to_owned(), timestamp(alias.updated_ms));
    Ok(Value::Object(output))
}

/// An alias's routing as AWS shows it.
pub fn routing_json(alias: &AliasRecord) -> Value {
    Value::Array(
        alias
            .routing
            .iter()
            .map(|route| {
                json!({"stateMachineVersionArn": route.version_arn, "weight": route.weight})
            })
            .collect(),
    )
}

/// `ListStateMachineAliases`, in order of creation; given a version ARN, only the aliases
/// routing to it.
pub async fn list_aliases(state: &AppState, input: ListInput) -> Result<Value, Error> {
    let target = qualified(&input.state_machine_arn)?;
    refuse_label(&target)?;
    let version = match target.qualifier {
        Qualifier::None => None,
        Qualifier::Version(_) => Some(input.state_machine_arn.as_str()),
        Qualifier::Alias(_) => {
            return Err(Error::InvalidArn(
                "Resource type not valid in this context: stateMachineAlias".to_owned(),
            ));
        }
    };
    let page = page_request(input.max_results, input.next_token.as_deref())?;
    state_machines::get(state, &target.machine_arn).await?;
    if let Some(version) = version {
        get_version(state, version).await?;
    }
    let page = state
        .runtime
        .store()
        .list_aliases(&target.machine_arn, version, page)
        .await
        .map_err(page_error)?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|alias| {
            json!({
                "stateMachineAliasArn": alias.arn,
                "creationDate": timestamp(alias.created_ms),
            })
        })
        .collect();
    let mut output = Map::new();
    output.insert("stateMachineAliases".to_owned(), Value::Array(items));
    if let Some(token) = page.next_token {
        output.insert("nextToken".to_owned(), json!(encode_token(&token)));
    }
    Ok(Value::Object(output))
}

/// `DeleteStateMachineAlias`: deleting an alias that does not exist succeeds.
pub async fn delete_alias(state: &AppState, input: AliasArnInput) -> Result<Value, Error> {
    alias_target(&input.state_machine_alias_arn)?;
    match state
        .runtime
        .store()
        .delete_alias(&input.state_machine_alias_arn)
        .await
    {
        Ok(()) | Err(store::Error::NotFound(_)) => Ok(json!({})),
        Err(error) => Err(error.into()),
    }
}

/// What a start through `arn` runs: the version (and the alias it was drawn through), or
/// `None` for an unqualified ARN. An alias draws its version by weight, once.
pub async fn resolve_start(
    state: &AppState,
    target: &Qualified,
    arn: &str,
) -> Result<Option<(VersionRecord, Option<String>)>, Error> {
    match &target.qualifier {
        Qualifier::None => Ok(None),
        Qualifier::Version(_) => Ok(Some((get_version(state, arn).await?, None))),
        Qualifier::Alias(_) => {
            let alias = match state.runtime.store().get_alias(arn).await {
                Ok(alias) => alias,
                Err(store::Error::NotFound(_)) => {
                    return Err(Error::StateMachineDoesNotExist(arn.to_owned()));
                }
                Err(error) => return Err(error.into()),
            };
            let version_arn = pick(&alias.routing, state.runtime.draw_percent())
                .ok_or_else(|| Error::StateMachineDoesNotExist(arn.to_owned()))?;
            let version = get_version(state, &version_arn).await?;
            Ok(Some((version, Some(alias.arn))))
        }
    }
}

/// The version a draw in `0..100` lands on: each entry takes `weight` of the hundred, in order.
pub fn pick(routing: &[Route], draw: u32) -> Option<String> {
    let mut bound = 0;
    for route in routing {
        bound += route.weight;
        if draw < bound {
            return Some(route.version_arn.clone());
        }
    }
    // Weights sum to 100, so this is reached only by a malformed alias.
    routing
        .iter()
        .rev()
        .find(|route| route.weight > 0)
        .map(|route| route.version_arn.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

    #[test]
    fn qualifiers() {
        assert_eq!(qualified(MACHINE).unwrap().qualifier, Qualifier::None);
        let version = qualified(&format!("{MACHINE}:12")).unwrap();
        assert_eq!(version.machine_arn, MACHINE);
        assert_eq!(version.qualifier, Qualifier::Version(12));
        assert_eq!(
            qualified(&format!("{MACHINE}:main")).unwrap().qualifier,
            Qualifier::Alias("main".to_owned())
        );
        assert_eq!(qualified("nope").unwrap_err().code(), "InvalidArn");
    }

    #[test]
    fn draws_follow_the_weights() {
        let routing = [
            Route {
                version_arn: "a".to_owned(),
                weight: 30,
            },
            Route {
                version_arn: "b".to_owned(),
                weight: 70,
            },
        ];
        let picks: Vec<String> = (0..100).filter_map(|draw| pick(&routing, draw)).collect();
        assert_eq!(picks.iter().filter(|arn| *arn == "a").count(), 30);
        assert_eq!(picks.iter().filter(|arn| *arn == "b").count(), 70);
        let only_first = [
            Route {
                version_arn: "a".to_owned(),
                weight: 100,
            },
            Route {
                version_arn: "b".to_owned(),
                weight: 0,
            },
        ];
        assert!((0..100).all(|draw| pick(&only_first, draw).as_deref() == Some("a")));
    }
}
