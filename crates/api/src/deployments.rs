//! Switchback's own operations: gradual deployments of aliases (issue 6), on the same server
//! and protocol as the rest (AWS JSON 1.0, `POST /`), under `X-Amz-Target: Switchback.<Op>`:
//!
//! * `StartDeployment` — `stateMachineAliasArn`, `targetVersionArn`, `deploymentPreference`
//!   (`type` CANARY | LINEAR | ALL_AT_ONCE, `interval` minutes, `percentage`, `alarms`,
//!   `bakeMinutes`), optional `clientToken` (the same token on the same alias answers the
//!   deployment it started instead of starting another); answers the deployment as
//!   `DescribeDeployment` does.
//! * `DescribeDeployment` — `deploymentId`: status, weights, next step, alarms, timeline,
//!   executions and failures per version (from the `AWS/States` metrics).
//! * `ListDeployments` — optional `stateMachineArn` / `stateMachineAliasArn`, `maxResults`,
//!   `nextToken`; newest first.
//! * `StopDeployment` — `deploymentId`, optional `cause`: routes back to the origin, STOPPED.
//! * `PromoteDeployment` — `deploymentId`: 100 % to the target at once, SUCCEEDED.
//!
//! The stack operations of `switchback deploy` share the prefix (`crate::stacks`).
//!
//! Times in a deployment's state run on its own clock, `timeScale` times faster than the wall
//! clock from its creation (`runtime::deployments`): `nextStepInSeconds` is in those seconds.

use std::collections::BTreeMap;

use deploy::{Deployment, Event, Kind, Preference};
use runtime::deployments::{DeploymentError, DeploymentRequest};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::{DeploymentFilter, DeploymentRecord};

use crate::AppState;
use crate::error::Error;
use crate::versions::{Qualifier, qualified};
use crate::wire::{encode_token, page_request, timestamp};

/// The `X-Amz-Target` prefix of Switchback's own operations.
pub const TARGET_PREFIX: &str = "Switchback.";

/// Switchback's own operations.
pub const OPERATIONS: &[&str] = &[
    "StartDeployment",
    "DescribeDeployment",
    "ListDeployments",
    "StopDeployment",
    "PromoteDeployment",
];

/// Runs one of [`OPERATIONS`].
pub async fn dispatch(state: &AppState, operation: &str, body: Value) -> Result<Value, Error> {
    match operation {
        "StartDeployment" => start(state, input(body)?).await,
        "DescribeDeployment" => describe(state, input(body)?).await,
        "ListDeployments" => list(state, input(body)?).await,
        "StopDeployment" => stop(state, input(body)?).await,
        "PromoteDeployment" => promote(state, input(body)?).await,
        other => match crate::stacks::dispatch(state, other, body).await {
            Some(result) => result,
            None => Err(Error::UnknownOperation(format!(
                "Unknown operation: {TARGET_PREFIX}{other}"
            ))),
        },
    }
}

fn input<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, Error> {
    serde_json::from_value(body).map_err(|error| Error::Serialization(error.to_string()))
}

impl From<DeploymentError> for Error {
    fn from(error: DeploymentError) -> Error {
        match error {
            DeploymentError::DeploymentDoesNotExist(id) => Error::DeploymentDoesNotExist(id),
            DeploymentError::ResourceDoesNotExist(arn) => Error::ResourceDoesNotExist(arn),
            DeploymentError::Validation(message) | DeploymentError::AlarmsUnavailable(message) => {
                Error::Validation(message)
            }
            DeploymentError::Conflict(message) => Error::Conflict(message),
            DeploymentError::Store(error) => error.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PreferenceInput {
    #[serde(rename = "type")]
    kind: String,
    interval: Option<u32>,
    percentage: Option<u32>,
    alarms: Option<Vec<String>>,
    bake_minutes: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StartInput {
    state_machine_alias_arn: Option<String>,
    state_machine_arn: Option<String>,
    target_version_arn: String,
    deployment_preference: PreferenceInput,
    client_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IdInput {
    deployment_id: String,
    cause: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListInput {
    state_machine_arn: Option<String>,
    state_machine_alias_arn: Option<String>,
    max_results: Option<u64>,
    next_token: Option<String>,
}

async fn start(state: &AppState, input: StartInput) -> Result<Value, Error> {
    let alias_arn = input
        .state_machine_alias_arn
        .or(input.state_machine_arn)
        .ok_or_else(|| {
            Error::MissingRequiredParameter(
                "StartDeployment needs the alias: stateMachineAliasArn".to_owned(),
            )
        })?;
    let target = qualified(&alias_arn)?;
    if !matches!(target.qualifier, Qualifier::Alias(_)) {
        return Err(Error::InvalidArn(format!(
            "Invalid ARN format: an alias ARN is expected: {alias_arn}"
        )));
    }
    let version = qualified(&input.target_version_arn)?;
    if !matches!(version.qualifier, Qualifier::Version(_)) {
        return Err(Error::InvalidArn(format!(
            "Invalid ARN format: a version ARN is expected: {}",
            input.target_version_arn
        )));
    }
    let preference = input.deployment_preference;
    let kind = Kind::parse(&preference.kind).ok_or_else(|| {
        Error::Validation(format!(
            "1 validation error detected: Value '{}' at 'deploymentPreference.type' failed to \
             satisfy constraint: Member must satisfy enum value set: [CANARY, LINEAR, ALL_AT_ONCE]",
            preference.kind
        ))
    })?;
    if let Some(token) = &input.client_token {
        check_client_token(token)?;
    }
    let request = DeploymentRequest {
        alias_arn,
        target_version_arn: input.target_version_arn,
        client_token: input.client_token,
        preference: Preference {
            interval_minutes: preference.interval,
            percentage: preference.percentage,
            alarms: preference.alarms,
            bake_minutes: preference.bake_minutes,
            ..Preference::new(kind)
        },
    };
    let record = state.runtime.start_deployment(request).await?;
    render(state, &record).await
}

/// A `clientToken` as AWS's operations take it (the `ClientToken` shape: 1 to 64 characters of
/// `[!-~]+`), with AWS's validation message.
fn check_client_token(token: &str) -> Result<(), Error> {
    let length = token.chars().count();
    let mut violations = Vec::new();
    let value =
        format!("Value '{token}' at 'clientToken' failed to satisfy constraint: Member must");
    if length > 64 {
        violations.push(format!("{value} have length less than or equal to 64"));
    }
    if length < 1 {
        violations.push(format!("{value} have length greater than or equal to 1"));
    }
    if !crate::model::matches_pattern("[!-~]+", token) {
        violations.push(format!(
            "{value} satisfy regular expression pattern: [!-~]+"
        ));
    }
    crate::model::refused(&violations)
}

async fn get(state: &AppState, id: &str) -> Result<DeploymentRecord, Error> {
    match state.runtime.store().get_deployment(id).await {
        Ok(record) => Ok(record),
        Err(store::Error::NotFound(_)) => Err(Error::DeploymentDoesNotExist(id.to_owned())),
        Err(error) => Err(error.into()),
    }
}

async fn describe(state: &AppState, input: IdInput) -> Result<Value, Error> {
    let record = get(state, &input.deployment_id).await?;
    render(state, &record).await
}

async fn stop(state: &AppState, input: IdInput) -> Result<Value, Error> {
    let record = state
        .runtime
        .stop_deployment(&input.deployment_id, input.cause)
        .await?;
    render(state, &record).await
}

async fn promote(state: &AppState, input: IdInput) -> Result<Value, Error> {
    let record = state
        .runtime
        .promote_deployment(&input.deployment_id)
        .await?;
    render(state, &record).await
}

async fn list(state: &AppState, input: ListInput) -> Result<Value, Error> {
    let page = page_request(input.max_results, input.next_token.as_deref())?;
    let page = state
        .runtime
        .store()
        .list_deployments(
            DeploymentFilter {
                state_machine_arn: input.state_machine_arn,
                alias_arn: input.state_machine_alias_arn,
            },
            page,
        )
        .await?;
    let items: Vec<Value> = page.items.iter().map(summary).collect();
    let mut output = Map::new();
    output.insert("deployments".to_owned(), Value::Array(items));
    if let Some(token) = page.next_token {
        output.insert("nextToken".to_owned(), json!(encode_token(&token)));
    }
    Ok(Value::Object(output))
}

fn state_of(record: &DeploymentRecord) -> Result<Deployment, Error> {
    serde_json::from_str::<Value>(&record.state)
        .map_err(|error| error.to_string())
        .and_then(|value| Deployment::from_json(&value).map_err(|error| error.to_string()))
        .map_err(|error| Error::Internal(format!("deployment {}: {error}", record.id)))
}

fn summary(record: &DeploymentRecord) -> Value {
    let target_weight = state_of(record).map_or(0, |deployment| deployment.target_weight());
    json!({
        "deploymentId": record.id,
        "stateMachineArn": record.state_machine_arn,
        "stateMachineAliasArn": record.alias_arn,
        "originVersionArn": record.origin_version_arn,
        "targetVersionArn": record.target_version_arn,
        "status": record.status,
        "targetWeight": target_weight,
        "creationDate": timestamp(record.created_ms),
        "updateDate": timestamp(record.updated_ms),
    })
}

fn preference_json(preference: &Preference) -> Value {
    let mut output = Map::new();
    output.insert("type".to_owned(), json!(preference.kind.as_str()));
    if let Some(interval) = preference.interval_minutes {
        output.insert("interval".to_owned(), json!(interval));
    }
    if let Some(percentage) = preference.percentage {
        output.insert("percentage".to_owned(), json!(percentage));
    }
    if let Some(alarms) = &preference.alarms {
        output.insert("alarms".to_owned(), json!(alarms));
    }
    if let Some(bake) = preference.bake_minutes {
        output.insert("bakeMinutes".to_owned(), json!(bake));
    }
    Value::Object(output)
}

/// Executions of each version since the deployment began, and how many failed, timed out or
/// were aborted: from the `AWS/States` metrics of `{StateMachineArn, Version}` (so EXPRESS
/// executions, which are not kept, count too), on the metric clock.
fn executions_per_version(
    state: &AppState,
    record: &DeploymentRecord,
    versions: &[String],
) -> Vec<Value> {
    let observer = state.runtime.observer();
    let metric_now = observer.now_ms();
    let elapsed =
        ((runtime::now_ms() - record.created_ms).max(0) as f64 * observer.time_scale()) as i64;
    // From the start of the metric second the deployment began in.
    let start_ms = (metric_now - elapsed).div_euclid(1000) * 1000;
    let end_ms = metric_now + 1000;
    let sum = |series: &metrics::Series, name: &str, version: &str| -> f64 {
        let Ok(dimensions) = metrics::Dimensions::new([
            ("StateMachineArn", record.state_machine_arn.as_str()),
            ("Version", version),
        ]) else {
            return 0.0;
        };
        let metric = metrics::MetricId::new("AWS/States", name, dimensions);
        series
            .datapoints(&metric, start_ms, end_ms, end_ms - start_ms, false)
            .iter()
            .map(|datapoint| datapoint.aggregate.sum())
            .sum()
    };
    observer.with_series(|series| {
        versions
            .iter()
            .map(|version_arn| {
                let number = version_arn.rsplit(':').next().unwrap_or_default();
                let started = sum(series, "ExecutionsStarted", number);
                let failed = [
                    "ExecutionsFailed",
                    "ExecutionsTimedOut",
                    "ExecutionsAborted",
                ]
                .iter()
                .map(|name| sum(series, name, number))
                .sum::<f64>();
                json!({
                    "stateMachineVersionArn": version_arn,
                    "executions": started.round() as u64,
                    "failed": failed.round() as u64,
                })
            })
            .collect()
    })
}

/// The whole deployment, as `DescribeDeployment` answers it.
async fn render(state: &AppState, record: &DeploymentRecord) -> Result<Value, Error> {
    let deployment = state_of(record)?;
    let machine = &record.state_machine_arn;
    let version_arn = |version: u64| format!("{machine}:{version}");
    let now = state.runtime.deployment_now(record.created_ms);
    let mut output = Map::new();
    output.insert("deploymentId".to_owned(), json!(record.id));
    output.insert("stateMachineArn".to_owned(), json!(machine));
    output.insert("stateMachineAliasArn".to_owned(), json!(record.alias_arn));
    if let Some(origin) = &record.origin_version_arn {
        output.insert("originVersionArn".to_owned(), json!(origin));
    }
    output.insert(
        "targetVersionArn".to_owned(),
        json!(record.target_version_arn),
    );
    output.insert(
        "deploymentPreference".to_owned(),
        preference_json(deployment.preference()),
    );
    output.insert("status".to_owned(), json!(record.status));
    if let Some(message) = deployment.message() {
        output.insert("statusMessage".to_owned(), json!(message));
    }
    if let Some(routing) = deployment.expected_routing() {
        let routes: Vec<Value> = routing
            .routes()
            .iter()
            .map(|route| {
                json!({
                    "stateMachineVersionArn": version_arn(route.version),
                    "weight": route.weight,
                })
            })
            .collect();
        output.insert("routingConfiguration".to_owned(), Value::Array(routes));
    }
    output.insert("targetWeight".to_owned(), json!(deployment.target_weight()));
    output.insert("shifts".to_owned(), json!(deployment.shifts()));
    output.insert("checks".to_owned(), json!(deployment.checks()));
    output.insert("creationDate".to_owned(), timestamp(record.created_ms));
    output.insert("updateDate".to_owned(), timestamp(record.updated_ms));
    output.insert(
        "timeScale".to_owned(),
        json!(state.runtime.config().time_scale),
    );
    if let Some(finished) = deployment.finished_ms() {
        output.insert("stopDate".to_owned(), timestamp(finished));
    }
    if !deployment.status().is_finished() {
        let next_step = deployment
            .watch_until_ms()
            .or_else(|| deployment.next_shift_ms());
        if let Some(at) = next_step {
            output.insert("nextStepDate".to_owned(), timestamp(at));
            output.insert(
                "nextStepInSeconds".to_owned(),
                json!(((at - now).max(0) as f64) / 1000.0),
            );
        }
        if let Some(at) = deployment.next_tick_ms() {
            output.insert(
                "nextCheckInSeconds".to_owned(),
                json!(((at - now).max(0) as f64) / 1000.0),
            );
        }
    }
    // Each alarm's last reading, with the reason of its last change.
    let mut reasons: BTreeMap<&str, &str> = BTreeMap::new();
    for entry in deployment.timeline() {
        if let Event::AlarmChanged {
            alarm,
            reason: Some(reason),
            ..
        } = &entry.event
        {
            reasons.insert(alarm, reason);
        }
    }
    let alarms: Vec<Value> = deployment
        .preference()
        .alarm_names()
        .iter()
        .map(|name| {
            let mut alarm = Map::new();
            alarm.insert("name".to_owned(), json!(name));
            let state =
                deployment
                    .alarm_states()
                    .get(name)
                    .map_or("UNKNOWN", |state| match state {
                        deploy::AlarmState::Ok => "OK",
                        deploy::AlarmState::Alarm => "ALARM",
                        deploy::AlarmState::InsufficientData => "INSUFFICIENT_DATA",
                    });
            alarm.insert("state".to_owned(), json!(state));
            if let Some(reason) = reasons.get(name.as_str()) {
                alarm.insert("reason".to_owned(), json!(reason));
            }
            Value::Object(alarm)
        })
        .collect();
    output.insert("alarms".to_owned(), Value::Array(alarms));
    let timeline: Vec<Value> = deployment
        .timeline()
        .iter()
        .map(|entry| {
            let mut value = serde_json::to_value(&entry.event).unwrap_or(Value::Null);
            if let Value::Object(fields) = &mut value {
                fields.insert("date".to_owned(), timestamp(entry.at_ms));
            }
            value
        })
        .collect();
    output.insert("timeline".to_owned(), Value::Array(timeline));
    let mut versions = Vec::new();
    if let Some(origin) = &record.origin_version_arn {
        versions.push(origin.clone());
    }
    if !versions.contains(&record.target_version_arn) {
        versions.push(record.target_version_arn.clone());
    }
    output.insert(
        "executions".to_owned(),
        Value::Array(executions_per_version(state, record, &versions)),
    );
    Ok(Value::Object(output))
}
