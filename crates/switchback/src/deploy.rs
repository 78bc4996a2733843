//! `switchback deploy`: applies a SAM or CloudFormation template to a running server, through
//! its API (the HTTP client of [`deployments`](crate::deployments)).
//!
//! The template is planned by the pure `template` crate; what to change is decided from the
//! server's current state, resource by resource (a state machine's definition, role, type and
//! logging; its versions' definitions; the alias's routing; the alarms), so a re-deploy of an
//! unchanged template changes nothing. Then, in plan order: create or update the state machine,
//! publish a version when no version holds the desired definition, put the alarms, and create
//! the alias, move it at once, or — with a `DeploymentPreference` — start a gradual deployment
//! and follow it as `deployments watch` does; last, delete what the stored stack had and the
//! template dropped. Each step is recorded on the stack ([`stacks`](crate::stacks)), which ends
//! `CREATE_COMPLETE` or `UPDATE_COMPLETE` with the template, parameters, outputs and resources.
//! A step that fails, or a gradual deployment that rolls back, rolls the stack back as
//! CloudFormation does (previous definitions and routings put back, what was created deleted
//! but versions) and fails the command with the reason.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use template::plan::{
    Alarm, Alias, DeploymentType, Logging, Placeholder, Plan, Resource, Routing, Spec,
    StateMachine, Tag, Version,
};
use template::{Diagnostic, Severity};

use crate::deployments::{self, call};
use crate::stacks::{self, Recorder, StackResource};

/// What `switchback deploy` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--template-file`.
    pub template_file: PathBuf,
    /// `--stack-name`.
    pub stack_name: String,
    /// `--parameter-overrides`, as written (`K=V` or `ParameterKey=K,ParameterValue=V`).
    pub parameter_overrides: Vec<String>,
    /// `--endpoint-url`.
    pub endpoint: String,
    /// `--no-execute-changeset`: print the preview and stop.
    pub no_execute: bool,
    /// `--no-wait`: start a gradual deployment and return without following it.
    pub no_wait: bool,
    /// The region in ARNs (the server's `--region`).
    pub region: String,
    /// The account in ARNs (the server's `--account-id`).
    pub account_id: String,
}

/// How a deploy ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Everything applied (or nothing to do, or only previewed).
    Succeeded,
    /// The template has errors (printed).
    Invalid,
    /// A gradual deployment rolled back (or stopped): the reason.
    RolledBack(String),
}

/// What happens to one resource.
#[derive(Debug, Clone, PartialEq)]
enum Decision {
    Create,
    Update(Vec<&'static str>),
    Unchanged,
    /// A version: publish a new one.
    Publish,
    /// A version: this existing version already holds the definition.
    Existing(String),
    /// An alias: start a gradual deployment to the new version.
    Deploy,
    /// Not created on the server (log groups are files written on demand).
    Local,
}

fn sfn(endpoint: &str, operation: &str, body: &Value) -> Result<Value> {
    call(endpoint, &format!("AWSStepFunctions.{operation}"), body)
        .with_context(|| format!("{operation} failed"))
}

fn not_found(error: &anyhow::Error) -> bool {
    let text = format!("{error:#}");
    text.contains("DoesNotExist") || text.contains("NotFound")
}

/// `Ok(None)` when the server says the resource does not exist.
fn describe(endpoint: &str, operation: &str, body: &Value) -> Result<Option<Value>> {
    match call(endpoint, &format!("AWSStepFunctions.{operation}"), body) {
        Ok(value) => Ok(Some(value)),
        Err(error) if not_found(&error) => Ok(None),
        Err(error) => Err(error.context(format!("{operation} failed"))),
    }
}

fn same_definition(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

fn logging_json(logging: Option<&Logging>) -> Option<Value> {
    logging.map(|logging| {
        json!({
            "level": logging.level,
            "includeExecutionData": logging.include_execution_data,
            "destinations": logging.destinations.iter()
                .map(|arn| json!({"cloudWatchLogsLogGroup": {"logGroupArn": arn}}))
                .collect::<Vec<_>>(),
        })
    })
}

/// A logging configuration as (level, include data, destinations), defaults filled in.
fn logging_key(value: &Value) -> (String, bool, Vec<String>) {
    let level = value["level"].as_str().unwrap_or("OFF").to_owned();
    let include = value["includeExecutionData"].as_bool().unwrap_or(false);
    let destinations = value["destinations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["cloudWatchLogsLogGroup"]["logGroupArn"].as_str())
        .map(str::to_owned)
        .collect();
    (level, include, destinations)
}

fn type_name(machine: &StateMachine) -> &'static str {
    match machine.machine_type {
        template::plan::MachineType::Standard => "STANDARD",
        template::plan::MachineType::Express => "EXPRESS",
    }
}

fn machine_changes(machine: &StateMachine, current: &Value) -> Result<Vec<&'static str>> {
    if current["type"].as_str() != Some(type_name(machine)) {
        // CloudFormation replaces a state machine whose type changes, and refuses to when the
        // machine has a fixed name (as every machine Switchback names has).
        bail!(
            "CloudFormation cannot update a stack when a custom-named resource requires \
             replacing. Rename {} and update the stack again.",
            machine.name
        );
    }
    let mut changed = Vec::new();
    if !same_definition(
        current["definition"].as_str().unwrap_or(""),
        &machine.definition,
    ) {
        changed.push("Definition");
    }
    if current["roleArn"].as_str() != Some(&machine.role_arn) {
        changed.push("RoleArn");
    }
    let desired = logging_json(machine.logging.as_ref()).unwrap_or(Value::Null);
    if logging_key(&current["loggingConfiguration"]) != logging_key(&desired) {
        changed.push("LoggingConfiguration");
    }
    Ok(changed)
}

fn tags_json(tags: &[Tag]) -> Value {
    tags.iter()
        .map(|tag| json!({"key": tag.key, "value": tag.value}))
        .collect()
}

/// The version (newest first) whose definition is `definition`, if any.
fn matching_version(endpoint: &str, machine_arn: &str, definition: &str) -> Result<Option<String>> {
    let mut arns = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"stateMachineArn": machine_arn});
        if let Some(token) = &token {
            body["nextToken"] = json!(token);
        }
        let page = sfn(endpoint, "ListStateMachineVersions", &body)?;
        for item in page["stateMachineVersions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(arn) = item["stateMachineVersionArn"].as_str() {
                arns.push(arn.to_owned());
            }
        }
        match page["nextToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    let number = |arn: &str| -> u64 {
        arn.rsplit(':')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    arns.sort_by_key(|arn| std::cmp::Reverse(number(arn)));
    for arn in arns {
        let described = sfn(
            endpoint,
            "DescribeStateMachine",
            &json!({"stateMachineArn": arn}),
        )?;
        if same_definition(described["definition"].as_str().unwrap_or(""), definition) {
            return Ok(Some(arn));
        }
    }
    Ok(None)
}

fn alarm_json(alarm: &Alarm, fill: &dyn Fn(&str) -> String) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("AlarmName".into(), json!(alarm.name));
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            body.insert(key.to_owned(), value);
        }
    };
    put("AlarmDescription", json!(alarm.description));
    put("ActionsEnabled", json!(alarm.actions_enabled));
    put("OKActions", json!(alarm.ok_actions));
    put("AlarmActions", json!(alarm.alarm_actions));
    put(
        "InsufficientDataActions",
        json!(alarm.insufficient_data_actions),
    );
    put("MetricName", json!(alarm.metric_name));
    put("Namespace", json!(alarm.namespace));
    put("Statistic", json!(alarm.statistic));
    put("ExtendedStatistic", json!(alarm.extended_statistic));
    if !alarm.dimensions.is_empty() {
        put(
            "Dimensions",
            alarm
                .dimensions
                .iter()
                .map(|(name, value)| json!({"Name": name, "Value": fill(value)}))
                .collect(),
        );
    }
    put("Period", json!(alarm.period));
    put("Unit", json!(alarm.unit));
    put("EvaluationPeriods", json!(alarm.evaluation_periods));
    put("DatapointsToAlarm", json!(alarm.datapoints_to_alarm));
    put("Threshold", json!(alarm.threshold));
    put("ComparisonOperator", json!(alarm.comparison_operator));
    put("TreatMissingData", json!(alarm.treat_missing_data));
    put(
        "EvaluateLowSampleCountPercentile",
        json!(alarm.evaluate_low_sample_count_percentile),
    );
    put("Metrics", alarm.metrics.clone().unwrap_or(Value::Null));
    put("ThresholdMetricId", json!(alarm.threshold_metric_id));
    if !alarm.tags.is_empty() {
        put(
            "Tags",
            alarm
                .tags
                .iter()
                .map(|tag| json!({"Key": tag.key, "Value": tag.value}))
                .collect(),
        );
    }
    Value::Object(body)
}

/// The members of `desired` (a PutMetricAlarm body) that `current` (a DescribeAlarms item)
/// differs in.
fn alarm_changes(desired: &Value, current: &Value) -> Vec<&'static str> {
    const COMPARED: &[&str] = &[
        "AlarmDescription",
        "MetricName",
        "Namespace",
        "Statistic",
        "ExtendedStatistic",
        "Dimensions",
        "Period",
        "Unit",
        "EvaluationPeriods",
        "DatapointsToAlarm",
        "Threshold",
        "ComparisonOperator",
        "TreatMissingData",
    ];
    COMPARED
        .iter()
        .copied()
        .filter(|key| {
            let (a, b) = (&desired[*key], &current[*key]);
            match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => (x - y).abs() > f64::EPSILON,
                _ => a != b && !(a.is_null() && b.as_array().is_some_and(Vec::is_empty)),
            }
        })
        .collect()
}

fn describe_alarm(endpoint: &str, name: &str) -> Result<Option<Value>> {
    let answer = call(
        endpoint,
        "GraniteServiceVersion20100801.DescribeAlarms",
        &json!({"AlarmNames": [name]}),
    )
    .context("DescribeAlarms failed")?;
    Ok(answer["MetricAlarms"]
        .as_array()
        .and_then(|alarms| alarms.first())
        .cloned())
}

fn routing_of(alias: &Value) -> Vec<(String, u64)> {
    let mut routes: Vec<(String, u64)> = alias["routingConfiguration"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|route| {
            (
                route["stateMachineVersionArn"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                route["weight"].as_u64().unwrap_or(0),
            )
        })
        .filter(|(_, weight)| *weight > 0)
        .collect();
    routes.sort();
    routes
}

fn desired_routing(alias: &Alias, fill: &dyn Fn(&str) -> String) -> Vec<(String, u64)> {
    let mut routes: Vec<(String, u64)> = match &alias.routing {
        Routing::Weights(routes) => routes
            .iter()
            .map(|route| (fill(&route.version_arn), u64::from(route.weight)))
            .filter(|(_, weight)| *weight > 0)
            .collect(),
        Routing::Deployment(preference) => vec![(fill(&preference.version_arn), 100)],
    };
    routes.sort();
    routes
}

fn routing_json(routes: &[(String, u64)]) -> Value {
    routes
        .iter()
        .map(|(arn, weight)| json!({"stateMachineVersionArn": arn, "weight": weight}))
        .collect()
}

fn action_text(decision: &Decision) -> String {
    match decision {
        Decision::Create => "create".to_owned(),
        Decision::Update(properties) => format!("update ({})", properties.join(", ")),
        Decision::Unchanged => "unchanged".to_owned(),
        Decision::Publish => "publish a new version".to_owned(),
        Decision::Existing(arn) => format!(
            "unchanged (version {})",
            arn.rsplit(':').next().unwrap_or(arn)
        ),
        Decision::Deploy => "gradual deployment to the new version".to_owned(),
        Decision::Local => "unchanged (written on demand under the data directory)".to_owned(),
    }
}

/// Plans `options.template_file`, compares it with the server and applies the difference,
/// reporting on `out` (diagnostics on `err`).
pub fn deploy(options: &Options, out: &mut impl Write, err: &mut impl Write) -> Result<Outcome> {
    let text = std::fs::read_to_string(&options.template_file)
        .with_context(|| format!("cannot read {}", options.template_file.display()))?;
    let overrides = template::parse_overrides(&options.parameter_overrides)
        .map_err(|message| anyhow::anyhow!("--parameter-overrides: {message}"))?;
    let folder = options
        .template_file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let plan_options = template::Options {
        stack_name: options.stack_name.clone(),
        region: options.region.clone(),
        account_id: options.account_id.clone(),
        parameter_overrides: overrides,
        template_folder: if folder.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            folder
        },
    };
    let files = |path: &Path| std::fs::read_to_string(path).map_err(|error| error.to_string());
    let file = options.template_file.display().to_string();
    let (plan, diagnostics) = template::plan(&file, &text, &plan_options, &files);
    print_diagnostics(&diagnostics, err)?;
    let Some(plan) = plan else {
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        writeln!(err, "{file}: {errors} error(s); nothing deployed")?;
        return Ok(Outcome::Invalid);
    };
    apply(&plan, options, &text, out)
}

fn print_diagnostics(diagnostics: &[Diagnostic], err: &mut impl Write) -> Result<()> {
    for diagnostic in diagnostics {
        writeln!(err, "{diagnostic}")?;
    }
    Ok(())
}

/// How often a deploy following a gradual deployment tells the server it is still there.
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// What the deploy knows as it goes: placeholder values, and the state of what it changed
/// before the change (to roll back).
#[derive(Debug, Default)]
struct Known {
    /// Placeholder text -> value, as resources are read or created.
    values: HashMap<String, String>,
    /// The state machines as they were, by logical id.
    machines: HashMap<String, Value>,
    /// The aliases as they were, by logical id.
    aliases: HashMap<String, Value>,
}

/// How applying one resource went.
enum Applied {
    Done,
    /// A gradual deployment rolled back (or stopped), with the reason.
    RolledBack(String),
    /// A gradual deployment goes on without the command (`--no-wait`).
    Detached(String),
}

/// The CloudFormation statuses of a create or an update.
struct Statuses {
    progress: &'static str,
    complete: &'static str,
    rollback_progress: &'static str,
    rollback_complete: &'static str,
    rollback_failed: &'static str,
}

const CREATE: Statuses = Statuses {
    progress: "CREATE_IN_PROGRESS",
    complete: "CREATE_COMPLETE",
    rollback_progress: "ROLLBACK_IN_PROGRESS",
    rollback_complete: "ROLLBACK_COMPLETE",
    rollback_failed: "ROLLBACK_FAILED",
};

const UPDATE: Statuses = Statuses {
    progress: "UPDATE_IN_PROGRESS",
    complete: "UPDATE_COMPLETE",
    rollback_progress: "UPDATE_ROLLBACK_IN_PROGRESS",
    rollback_complete: "UPDATE_ROLLBACK_COMPLETE",
    rollback_failed: "UPDATE_ROLLBACK_FAILED",
};

/// The physical id of an applied resource: its ARN, or an alarm's or log group's name.
fn physical_id(resource: &Resource, values: &HashMap<String, String>) -> Option<String> {
    match &resource.spec {
        Spec::StateMachine(machine) => Some(machine.arn.clone()),
        Spec::Version(_) => values
            .get(&Placeholder::new(&resource.logical_id, "Arn").text())
            .cloned(),
        Spec::Alias(alias) => Some(alias.arn.clone()),
        Spec::Activity(activity) => Some(activity.arn.clone()),
        Spec::Alarm(alarm) => Some(alarm.name.clone()),
        Spec::LogGroup(group) => Some(group.name.clone()),
    }
}

fn changes(decision: &Decision) -> bool {
    !matches!(
        decision,
        Decision::Unchanged | Decision::Existing(_) | Decision::Local
    )
}

/// `CREATE_…` for what is new on the server, `UPDATE_…` for what changes.
fn resource_verb(decision: &Decision) -> &'static str {
    match decision {
        Decision::Create | Decision::Publish => "CREATE",
        _ => "UPDATE",
    }
}

fn apply(plan: &Plan, options: &Options, text: &str, out: &mut impl Write) -> Result<Outcome> {
    let endpoint = options.endpoint.as_str();
    stacks::finish_pending(endpoint, &plan.stack_name, out)?;
    let stored = stacks::read(endpoint, &plan.stack_name)?;
    if let Some(stack) = &stored
        && matches!(
            stack.status.as_str(),
            "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED"
        )
    {
        bail!(
            "Stack:{} is in {} state and can not be updated. Delete it (`switchback stacks \
             delete {}`) and deploy again.",
            stack.stack_id,
            stack.status,
            plan.stack_name
        );
    }
    let mut known = Known::default();
    let decisions = decide(plan, endpoint, &mut known)?;
    // What the stack had that the template no longer names.
    let removed: Vec<StackResource> = stored
        .iter()
        .flat_map(|stack| &stack.resources)
        .filter(|resource| {
            plan.resource(&resource.logical_id).is_none()
                && !plan
                    .unmanaged
                    .iter()
                    .any(|unmanaged| unmanaged.logical_id == resource.logical_id)
        })
        .cloned()
        .collect();
    // A resource whose logical id was renamed keeps its physical resource under the new id: it
    // leaves the stack's record but is not deleted.
    let claimed: HashMap<String, &str> = plan
        .resources
        .iter()
        .filter_map(|resource| {
            physical_id(resource, &known.values).map(|id| (id, resource.logical_id.as_str()))
        })
        .collect();
    let renamed_to = |resource: &StackResource| {
        resource
            .physical_id
            .as_ref()
            .and_then(|id| claimed.get(id).copied())
    };
    let (renamed, removed): (Vec<StackResource>, Vec<StackResource>) = removed
        .into_iter()
        .partition(|resource| renamed_to(resource).is_some());

    // The preview.
    writeln!(
        out,
        "Changes for stack {} ({}):",
        plan.stack_name,
        options.template_file.display()
    )?;
    for (resource, decision) in plan.resources.iter().zip(&decisions) {
        writeln!(
            out,
            "  {:<34} {:<40} {}",
            resource.logical_id,
            resource.spec.resource_type(),
            action_text(decision)
        )?;
    }
    for resource in &removed {
        writeln!(
            out,
            "  {:<34} {:<40} {}",
            resource.logical_id,
            resource.resource_type,
            if resource.retain {
                "dropped from the stack, retained (DeletionPolicy Retain)"
            } else {
                "delete"
            }
        )?;
    }
    for resource in &renamed {
        writeln!(
            out,
            "  {:<34} {:<40} dropped from the stack, kept as {}",
            resource.logical_id,
            resource.resource_type,
            renamed_to(resource).unwrap_or_default()
        )?;
    }
    for unmanaged in &plan.unmanaged {
        writeln!(
            out,
            "  {:<34} {:<40} not managed (referenced as {})",
            unmanaged.logical_id, unmanaged.resource_type, unmanaged.reference
        )?;
    }
    let changing = decisions.iter().any(changes) || !removed.is_empty() || !renamed.is_empty();
    if !changing && stored.is_some() {
        writeln!(
            out,
            "No changes to deploy: stack {} is up to date.",
            plan.stack_name
        )?;
        print_outputs(plan, &known.values, out)?;
        return Ok(Outcome::Succeeded);
    }
    if options.no_execute {
        writeln!(out, "--no-execute-changeset: nothing applied.")?;
        return Ok(Outcome::Succeeded);
    }

    let statuses = if stored.is_some() { &UPDATE } else { &CREATE };
    let recorder = Recorder::new(endpoint, &plan.stack_name);
    recorder
        .put(
            statuses.progress,
            Some("User Initiated"),
            Vec::new(),
            json!({}),
        )
        .map_err(|error| anyhow::anyhow!("{error:#}"))?;
    let mut created: Vec<StackResource> = Vec::new();
    let mut applied: Vec<StackResource> = Vec::new();
    // `--no-wait`: the deployment that goes on without the command, and its alias.
    let mut pending: Option<(String, String)> = None;
    for (resource, decision) in plan.resources.iter().zip(&decisions) {
        let resource_type = resource.spec.resource_type();
        let id = &resource.logical_id;
        if changes(decision) {
            recorder.resource_event(
                statuses.progress,
                id,
                resource_type,
                physical_id(resource, &known.values).as_deref(),
                &format!("{}_IN_PROGRESS", resource_verb(decision)),
                None,
            )?;
        }
        let result = apply_one(
            plan,
            resource,
            decision,
            options,
            &mut known,
            &recorder,
            statuses.progress,
            out,
        );
        let physical = physical_id(resource, &known.values);
        let failure = match result {
            Ok(Applied::Done) => None,
            Ok(Applied::RolledBack(reason)) => Some(reason),
            Ok(Applied::Detached(deployment)) => {
                pending = Some((deployment, id.clone()));
                None
            }
            Err(error) => Some(format!("{error:#}")),
        };
        if let Some(reason) = failure {
            recorder.resource_event(
                statuses.progress,
                id,
                resource_type,
                physical.as_deref(),
                &format!("{}_FAILED", resource_verb(decision)),
                Some(&reason),
            )?;
            let rolled_back = roll_back(
                plan,
                &decisions,
                &known,
                &created,
                stored.as_ref(),
                &recorder,
                statuses,
                &reason,
                endpoint,
                out,
            );
            if let Err(error) = rolled_back {
                let message = format!("{error:#}");
                recorder.put(
                    statuses.rollback_failed,
                    Some(&message),
                    Vec::new(),
                    json!({}),
                )?;
                return Err(
                    error.context(format!("the rollback of stack {} failed", plan.stack_name))
                );
            }
            writeln!(out, "Stack {} rolled back: {reason}", plan.stack_name)?;
            return Ok(Outcome::RolledBack(reason));
        }
        let status = if pending.as_ref().is_some_and(|(_, alias)| alias == id) {
            "UPDATE_IN_PROGRESS".to_owned()
        } else if changes(decision) {
            let status = format!("{}_COMPLETE", resource_verb(decision));
            recorder.resource_event(
                statuses.progress,
                id,
                resource_type,
                physical.as_deref(),
                &status,
                None,
            )?;
            status
        } else {
            stored
                .iter()
                .flat_map(|stack| &stack.resources)
                .find(|stored| stored.logical_id == *id)
                .map_or_else(
                    || "CREATE_COMPLETE".to_owned(),
                    |stored| stored.status.clone(),
                )
        };
        let entry = StackResource {
            logical_id: id.clone(),
            physical_id: physical,
            resource_type: resource_type.to_owned(),
            status,
            retain: resource.retain,
        };
        if matches!(decision, Decision::Create | Decision::Publish) {
            created.push(entry.clone());
        }
        applied.push(entry);
    }
    // What the template dropped goes once the rest is applied; behind a deployment left running
    // (`--no-wait`), once that deployment has succeeded (it may roll back to what is dropped).
    // A resource whose deletion fails stays in the stack, so that the next deploy retries it.
    if !removed.is_empty() && pending.is_none() {
        let cleanup = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS";
        recorder.put(cleanup, None, Vec::new(), json!({}))?;
        let failed = stacks::failed_deletions(stacks::delete_resources(
            endpoint, &recorder, cleanup, &removed, out,
        )?);
        applied.extend(failed);
    }
    let outputs: Vec<Value> = plan
        .outputs
        .iter()
        .map(|output| {
            let mut value = json!({
                "OutputKey": output.name,
                "OutputValue": fill_with(&known.values, &output.value),
            });
            if let Some(description) = &output.description {
                value["Description"] = json!(description);
            }
            value
        })
        .collect();
    let parameters: Vec<Value> = plan
        .parameters
        .iter()
        .map(|(key, value)| json!({"ParameterKey": key, "ParameterValue": value}))
        .collect();
    let complete = json!({
        "TemplateBody": text,
        "Parameters": parameters,
        "Outputs": outputs,
        "Resources": applied.iter().map(StackResource::to_json).collect::<Vec<_>>(),
    });
    if let Some((deployment, alias)) = pending {
        // The stack stays in progress under this deploy's token; the next `switchback deploy`
        // or `switchback stacks describe` after the deployment ended finishes it, from this.
        let previous: Vec<Value> = stored
            .iter()
            .flat_map(|stack| &stack.resources)
            .map(StackResource::to_json)
            .collect();
        let reason = format!(
            "deployment {deployment} of {alias} is in progress (--no-wait); follow it with \
             `switchback deployments watch {deployment}`"
        );
        let mut resources = complete["Resources"].clone();
        if let Some(resources) = resources.as_array_mut() {
            for resource in resources {
                if resource["LogicalResourceId"] == json!(alias) {
                    resource["ResourceStatus"] = json!("UPDATE_COMPLETE");
                }
            }
        }
        let mut finished = complete.clone();
        finished["Resources"] = resources;
        let record = json!({
            "DeploymentId": deployment,
            "LogicalResourceId": alias,
            "ClientRequestToken": recorder.token(),
            "Statuses": [statuses.complete, statuses.rollback_progress, statuses.rollback_complete],
            "Restore": restore_calls(plan, &decisions, &known),
            "Delete": rollback_deletes(&created).iter().map(StackResource::to_json).collect::<Vec<_>>(),
            "Previous": previous,
            "Cleanup": removed.iter().map(StackResource::to_json).collect::<Vec<_>>(),
            "Complete": finished,
        });
        recorder.put(
            statuses.progress,
            Some(&reason),
            Vec::new(),
            json!({"PendingDeployment": record}),
        )?;
        writeln!(out, "Stack {}: {reason}.", plan.stack_name)?;
        return Ok(Outcome::Succeeded);
    }
    recorder.put(statuses.complete, None, Vec::new(), complete)?;
    if changing {
        writeln!(out, "Stack {} deployed.", plan.stack_name)?;
    } else {
        writeln!(
            out,
            "Stack {} recorded: its resources were in place already.",
            plan.stack_name
        )?;
    }
    print_outputs(plan, &known.values, out)?;
    Ok(Outcome::Succeeded)
}

/// Reads the server's state of each resource and decides what to do with it.
fn decide(plan: &Plan, endpoint: &str, known: &mut Known) -> Result<Vec<Decision>> {
    let mut decisions: Vec<Decision> = Vec::new();
    for resource in &plan.resources {
        let values = &mut known.values;
        let decision = match &resource.spec {
            Spec::StateMachine(machine) => {
                match describe(
                    endpoint,
                    "DescribeStateMachine",
                    &json!({"stateMachineArn": machine.arn}),
                )? {
                    None => Decision::Create,
                    Some(current) => {
                        let changed = machine_changes(machine, &current)?;
                        if let Some(revision) = current["revisionId"].as_str() {
                            values.insert(
                                Placeholder::new(&resource.logical_id, "StateMachineRevisionId")
                                    .text(),
                                revision.to_owned(),
                            );
                        }
                        known.machines.insert(resource.logical_id.clone(), current);
                        if changed.is_empty() {
                            Decision::Unchanged
                        } else {
                            Decision::Update(changed)
                        }
                    }
                }
            }
            Spec::Version(version) => {
                let definition = version_definition(plan, version);
                let exists = version
                    .state_machine
                    .as_ref()
                    .is_none_or(|id| known.machines.contains_key(id));
                match (exists, definition) {
                    (true, Some(definition)) => {
                        match matching_version(endpoint, &version.state_machine_arn, &definition)? {
                            Some(arn) => {
                                values.insert(
                                    Placeholder::new(&resource.logical_id, "Arn").text(),
                                    arn.clone(),
                                );
                                Decision::Existing(arn)
                            }
                            None => Decision::Publish,
                        }
                    }
                    _ => Decision::Publish,
                }
            }
            Spec::Alarm(alarm) => {
                let fill = |text: &str| fill_with(values, text);
                let desired = alarm_json(alarm, &fill);
                match describe_alarm(endpoint, &alarm.name)? {
                    None => Decision::Create,
                    Some(current) => {
                        let changed = alarm_changes(&desired, &current);
                        if changed.is_empty() {
                            Decision::Unchanged
                        } else {
                            Decision::Update(changed)
                        }
                    }
                }
            }
            Spec::Alias(alias) => {
                match describe(
                    endpoint,
                    "DescribeStateMachineAlias",
                    &json!({"stateMachineAliasArn": alias.arn}),
                )? {
                    None => Decision::Create,
                    Some(current) => {
                        let fill = |text: &str| fill_with(values, text);
                        let desired = desired_routing(alias, &fill);
                        let unknown = desired
                            .iter()
                            .any(|(arn, _)| Placeholder::find(arn).next().is_some());
                        let decision = if !unknown && desired == routing_of(&current) {
                            Decision::Unchanged
                        } else if matches!(alias.routing, Routing::Deployment(_)) {
                            Decision::Deploy
                        } else {
                            Decision::Update(vec!["RoutingConfiguration"])
                        };
                        known.aliases.insert(resource.logical_id.clone(), current);
                        decision
                    }
                }
            }
            Spec::Activity(activity) => {
                match describe(
                    endpoint,
                    "DescribeActivity",
                    &json!({"activityArn": activity.arn}),
                )? {
                    None => Decision::Create,
                    Some(_) => Decision::Unchanged,
                }
            }
            Spec::LogGroup(_) => Decision::Local,
        };
        decisions.push(decision);
    }
    Ok(decisions)
}

/// Applies one resource's decision.
#[allow(clippy::too_many_arguments)] // One call site; the pieces are the deploy's own.
fn apply_one(
    plan: &Plan,
    resource: &Resource,
    decision: &Decision,
    options: &Options,
    known: &mut Known,
    recorder: &Recorder,
    progress: &str,
    out: &mut impl Write,
) -> Result<Applied> {
    let endpoint = options.endpoint.as_str();
    let id = &resource.logical_id;
    let values = &mut known.values;
    let fill = |values: &HashMap<String, String>, text: &str| fill_with(values, text);
    match (&resource.spec, decision) {
        (Spec::StateMachine(machine), Decision::Create) => {
            let mut body = json!({
                "name": machine.name,
                "definition": machine.definition,
                "roleArn": machine.role_arn,
                "type": type_name(machine),
            });
            if let Some(logging) = logging_json(machine.logging.as_ref()) {
                body["loggingConfiguration"] = logging;
            }
            if let Some(tracing) = &machine.tracing {
                body["tracingConfiguration"] = json!({"enabled": tracing.enabled});
            }
            if !machine.tags.is_empty() {
                body["tags"] = tags_json(&machine.tags);
            }
            let created = sfn(endpoint, "CreateStateMachine", &body)?;
            remember_revision(values, endpoint, id, &machine.arn, &created)?;
            writeln!(out, "{id}: created {}", machine.arn)?;
        }
        (Spec::StateMachine(machine), Decision::Update(properties)) => {
            let mut body = json!({
                "stateMachineArn": machine.arn,
                "definition": machine.definition,
                "roleArn": machine.role_arn,
            });
            body["loggingConfiguration"] =
                logging_json(machine.logging.as_ref()).unwrap_or_else(|| json!({"level": "OFF"}));
            if let Some(tracing) = &machine.tracing {
                body["tracingConfiguration"] = json!({"enabled": tracing.enabled});
            }
            let updated = sfn(endpoint, "UpdateStateMachine", &body)?;
            remember_revision(values, endpoint, id, &machine.arn, &updated)?;
            writeln!(out, "{id}: updated {}", properties.join(", "))?;
        }
        (Spec::Version(version), Decision::Publish) => {
            // Another version may hold the new definition already (a deploy of it that
            // rolled back): reuse it rather than publish a copy.
            let definition = version_definition(plan, version);
            let existing = match &definition {
                Some(definition) => {
                    matching_version(endpoint, &version.state_machine_arn, definition)?
                }
                None => None,
            };
            let arn = match existing {
                Some(arn) => {
                    writeln!(
                        out,
                        "{id}: version {} holds this definition already",
                        short(&arn)
                    )?;
                    arn
                }
                None => {
                    let mut body = json!({"stateMachineArn": version.state_machine_arn});
                    if let Some(revision) = &version.revision_id {
                        let revision = fill(values, revision);
                        if Placeholder::find(&revision).next().is_none() {
                            body["revisionId"] = json!(revision);
                        }
                    }
                    if let Some(description) = &version.description {
                        body["description"] = json!(fill(values, description));
                    }
                    let answer = sfn(endpoint, "PublishStateMachineVersion", &body)?;
                    let arn = answer["stateMachineVersionArn"]
                        .as_str()
                        .context("PublishStateMachineVersion answered no ARN")?
                        .to_owned();
                    writeln!(out, "{id}: published version {}", short(&arn))?;
                    arn
                }
            };
            values.insert(Placeholder::new(id, "Arn").text(), arn);
        }
        (Spec::Alarm(alarm), Decision::Create | Decision::Update(_)) => {
            let body = alarm_json(alarm, &|text| fill(values, text));
            call(
                endpoint,
                "GraniteServiceVersion20100801.PutMetricAlarm",
                &body,
            )
            .context("PutMetricAlarm failed")?;
            let verb = if *decision == Decision::Create {
                "created"
            } else {
                "updated"
            };
            writeln!(out, "{id}: {verb} alarm {}", alarm.name)?;
        }
        (Spec::Alias(alias), Decision::Create) => {
            let routes = desired_routing(alias, &|text| fill(values, text));
            let mut body = json!({
                "name": alias.name,
                "routingConfiguration": routing_json(&routes),
            });
            if let Some(description) = &alias.description {
                body["description"] = json!(description);
            }
            sfn(endpoint, "CreateStateMachineAlias", &body)?;
            writeln!(
                out,
                "{id}: created alias {} ({})",
                alias.name,
                routes_text(&routes)
            )?;
        }
        (Spec::Alias(alias), Decision::Update(_)) => {
            let routes = desired_routing(alias, &|text| fill(values, text));
            sfn(
                endpoint,
                "UpdateStateMachineAlias",
                &json!({"stateMachineAliasArn": alias.arn, "routingConfiguration": routing_json(&routes)}),
            )?;
            writeln!(
                out,
                "{id}: alias {} now routes {}",
                alias.name,
                routes_text(&routes)
            )?;
        }
        (Spec::Alias(alias), Decision::Deploy) => {
            let Routing::Deployment(preference) = &alias.routing else {
                unreachable!("Deploy is decided for DeploymentPreference aliases only")
            };
            let target = fill(values, &preference.version_arn);
            let mut body = json!({
                "stateMachineAliasArn": alias.arn,
                "targetVersionArn": target,
                "deploymentPreference": {
                    "type": match preference.deployment_type {
                        DeploymentType::Linear => "LINEAR",
                        DeploymentType::Canary => "CANARY",
                        DeploymentType::AllAtOnce => "ALL_AT_ONCE",
                    },
                },
            });
            if let Some(percentage) = preference.percentage {
                body["deploymentPreference"]["percentage"] = json!(percentage);
            }
            if let Some(interval) = preference.interval {
                body["deploymentPreference"]["interval"] = json!(interval);
            }
            if !preference.alarms.is_empty() {
                body["deploymentPreference"]["alarms"] = json!(
                    preference
                        .alarms
                        .iter()
                        .map(|alarm| fill(values, alarm))
                        .collect::<Vec<_>>()
                );
            }
            let started = call(endpoint, "Switchback.StartDeployment", &body)
                .context("StartDeployment failed")?;
            let deployment = started["deploymentId"]
                .as_str()
                .context("StartDeployment answered no deploymentId")?
                .to_owned();
            writeln!(
                out,
                "{id}: deployment {deployment} of alias {} to version {} started",
                alias.name,
                short(&target)
            )?;
            out.flush()?;
            if options.no_wait {
                return Ok(Applied::Detached(deployment));
            }
            // A long deployment renews the deploy's hold on the stack, so that it never
            // looks abandoned (`api::stacks::STALE_AFTER_MS`) while it is followed.
            let mut renewed = std::time::Instant::now();
            let succeeded = deployments::watch_with(endpoint, &deployment, out, || {
                if renewed.elapsed() >= RENEW_EVERY {
                    recorder.events(progress, Vec::new())?;
                    renewed = std::time::Instant::now();
                }
                Ok(())
            })?;
            if !succeeded {
                let described = call(
                    endpoint,
                    "Switchback.DescribeDeployment",
                    &json!({"deploymentId": deployment}),
                )?;
                return Ok(Applied::RolledBack(format!(
                    "deployment {deployment} {}: {}",
                    described["status"].as_str().unwrap_or("failed"),
                    described["statusMessage"]
                        .as_str()
                        .unwrap_or("no reason given")
                )));
            }
            writeln!(
                out,
                "{id}: alias {} now routes version {} 100%",
                alias.name,
                short(&target)
            )?;
        }
        (Spec::Activity(activity), Decision::Create) => {
            let mut body = json!({"name": activity.name});
            if !activity.tags.is_empty() {
                body["tags"] = tags_json(&activity.tags);
            }
            sfn(endpoint, "CreateActivity", &body)?;
            writeln!(out, "{id}: created activity {}", activity.arn)?;
        }
        _ => {}
    }
    Ok(Applied::Done)
}

/// The calls that put back what a deploy changed in place: the previous definition, role and
/// logging of each state machine it updated and the previous routing of each alias it moved at
/// once, dependents first. Each is `{Operation, Body, LogicalResourceId, ResourceType}`.
fn restore_calls(plan: &Plan, decisions: &[Decision], known: &Known) -> Vec<Value> {
    let mut calls = Vec::new();
    for (resource, decision) in plan.resources.iter().zip(decisions).rev() {
        let id = &resource.logical_id;
        let (operation, body) = match (&resource.spec, decision) {
            (Spec::StateMachine(machine), Decision::Update(_)) => {
                let Some(before) = known.machines.get(id) else {
                    continue;
                };
                let mut body = json!({
                    "stateMachineArn": machine.arn,
                    "definition": before["definition"],
                    "roleArn": before["roleArn"],
                });
                if before["loggingConfiguration"].is_object() {
                    body["loggingConfiguration"] = before["loggingConfiguration"].clone();
                }
                ("UpdateStateMachine", body)
            }
            // An alias a gradual deployment moved goes back too: the deployment may have
            // succeeded before a later resource failed.
            (Spec::Alias(alias), Decision::Update(_) | Decision::Deploy) => {
                let Some(before) = known.aliases.get(id) else {
                    continue;
                };
                (
                    "UpdateStateMachineAlias",
                    json!({"stateMachineAliasArn": alias.arn,
                           "routingConfiguration": before["routingConfiguration"]}),
                )
            }
            _ => continue,
        };
        calls.push(json!({
            "Operation": operation,
            "Body": body,
            "LogicalResourceId": id,
            "ResourceType": resource.spec.resource_type(),
        }));
    }
    calls
}

/// The resources a rollback deletes: what the deploy created, but the versions (SAM retains
/// them: they stay, unrouted).
fn rollback_deletes(created: &[StackResource]) -> Vec<StackResource> {
    created
        .iter()
        .filter(|resource| resource.resource_type != "AWS::StepFunctions::StateMachineVersion")
        .cloned()
        .collect()
}

/// Rolls a failed deploy back, as CloudFormation does: the calls of [`restore_calls`], then the
/// deletion of what it created ([`rollback_deletes`]). Records each step on the stack and ends
/// it in the rollback's final status, with the resources it had before.
#[allow(clippy::too_many_arguments)] // One call site; the pieces are the deploy's own.
fn roll_back(
    plan: &Plan,
    decisions: &[Decision],
    known: &Known,
    created: &[StackResource],
    stored: Option<&stacks::StoredStack>,
    recorder: &Recorder,
    statuses: &Statuses,
    reason: &str,
    endpoint: &str,
    out: &mut impl Write,
) -> Result<()> {
    let previous: Vec<Value> = stored
        .iter()
        .flat_map(|stack| &stack.resources)
        .map(StackResource::to_json)
        .collect();
    stacks::roll_back(
        endpoint,
        recorder,
        [statuses.rollback_progress, statuses.rollback_complete],
        reason,
        &restore_calls(plan, decisions, known),
        &rollback_deletes(created),
        &previous,
        out,
    )
}

fn remember_revision(
    values: &mut HashMap<String, String>,
    endpoint: &str,
    id: &str,
    arn: &str,
    answer: &Value,
) -> Result<()> {
    let revision = match answer["revisionId"].as_str() {
        Some(revision) => Some(revision.to_owned()),
        None => sfn(
            endpoint,
            "DescribeStateMachine",
            &json!({"stateMachineArn": arn}),
        )?["revisionId"]
            .as_str()
            .map(str::to_owned),
    };
    if let Some(revision) = revision {
        values.insert(
            Placeholder::new(id, "StateMachineRevisionId").text(),
            revision,
        );
    }
    Ok(())
}

/// The definition a version resource will hold: its managed state machine's.
fn version_definition(plan: &Plan, version: &Version) -> Option<String> {
    let id = version.state_machine.as_ref()?;
    match &plan.resource(id)?.spec {
        Spec::StateMachine(machine) => Some(machine.definition.clone()),
        _ => None,
    }
}

fn fill_with(values: &HashMap<String, String>, text: &str) -> String {
    Placeholder::fill(text, |placeholder| values.get(&placeholder.text()).cloned())
}

fn short(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

fn routes_text(routes: &[(String, u64)]) -> String {
    routes
        .iter()
        .map(|(arn, weight)| format!("version {} {weight}%", short(arn)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_outputs(
    plan: &Plan,
    values: &HashMap<String, String>,
    out: &mut impl Write,
) -> Result<()> {
    if plan.outputs.is_empty() {
        return Ok(());
    }
    writeln!(out, "Outputs:")?;
    for output in &plan.outputs {
        writeln!(
            out,
            "  {} = {}",
            output.name,
            fill_with(values, &output.value)
        )?;
    }
    Ok(())
}
