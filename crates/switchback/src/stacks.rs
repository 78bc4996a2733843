//! Stacks on the server, from the client's side: what `switchback deploy` records as it goes
//! (`Switchback.PutStack`, one `ClientRequestToken` per deploy), how it deletes the resources a
//! template dropped, and `switchback stacks list|describe|delete`.
//!
//! The server keeps the record (`api::stacks`); the client does the work, through the same API
//! every other client uses, and writes each step to the record before it goes on, so a stack
//! shows what happened even when the command was interrupted.

use std::io::Write;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::deployments::call;

/// One resource of a stored stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    /// `LogicalResourceId`.
    pub logical_id: String,
    /// `PhysicalResourceId` (an ARN, an alarm's name), once created.
    pub physical_id: Option<String>,
    /// `ResourceType`.
    pub resource_type: String,
    /// `ResourceStatus`.
    pub status: String,
    /// `DeletionPolicy: Retain`: left in place when dropped from the template.
    pub retain: bool,
}

impl StackResource {
    /// As `PutStack`'s `Resources` member takes it.
    pub fn to_json(&self) -> Value {
        let mut value = json!({
            "LogicalResourceId": self.logical_id,
            "ResourceType": self.resource_type,
            "ResourceStatus": self.status,
        });
        if let Some(physical) = &self.physical_id {
            value["PhysicalResourceId"] = json!(physical);
        }
        if self.retain {
            value["DeletionPolicy"] = json!("Retain");
        }
        value
    }

    fn from_json(value: &Value) -> StackResource {
        let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
        StackResource {
            logical_id: text("LogicalResourceId"),
            physical_id: value["PhysicalResourceId"].as_str().map(str::to_owned),
            resource_type: text("ResourceType"),
            status: text("ResourceStatus"),
            retain: value["DeletionPolicy"] == "Retain",
        }
    }
}

/// A stored stack, as a deploy reads it before it starts.
#[derive(Debug, Clone)]
pub struct StoredStack {
    /// `StackId`.
    pub stack_id: String,
    /// `StackStatus`.
    pub status: String,
    /// Its resources, in the order they were applied.
    pub resources: Vec<StackResource>,
}

fn switchback(endpoint: &str, operation: &str, body: &Value) -> Result<Value> {
    call(endpoint, &format!("Switchback.{operation}"), body)
        .with_context(|| format!("{operation} failed"))
}

fn missing_stack(error: &anyhow::Error) -> bool {
    format!("{error:#}").contains("does not exist")
}

/// The stored stack named `name`, if there is one.
pub fn read(endpoint: &str, name: &str) -> Result<Option<StoredStack>> {
    let described = match switchback(endpoint, "DescribeStacks", &json!({"StackName": name})) {
        Ok(described) => described,
        Err(error) if missing_stack(&error) => return Ok(None),
        Err(error) => return Err(error),
    };
    let stack = &described["Stacks"][0];
    let resources = switchback(
        endpoint,
        "DescribeStackResources",
        &json!({"StackName": name}),
    )?;
    Ok(Some(StoredStack {
        stack_id: stack["StackId"].as_str().unwrap_or_default().to_owned(),
        status: stack["StackStatus"].as_str().unwrap_or_default().to_owned(),
        resources: resources["StackResources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(StackResource::from_json)
            .collect(),
    }))
}

/// One event of a resource, as `PutStack`'s `Events` member takes it.
pub fn event(
    logical_id: &str,
    resource_type: &str,
    physical_id: Option<&str>,
    status: &str,
    reason: Option<&str>,
) -> Value {
    let mut value = json!({
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceStatus": status,
    });
    if let Some(physical) = physical_id {
        value["PhysicalResourceId"] = json!(physical);
    }
    if let Some(reason) = reason {
        value["ResourceStatusReason"] = json!(reason);
    }
    value
}

/// Writes a deploy's progress to its stack record, under one `ClientRequestToken`.
#[derive(Debug)]
pub struct Recorder {
    endpoint: String,
    name: String,
    token: String,
}

/// A token no other deploy has: the process, the time and a counter.
pub fn new_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!(
        "switchback-{}-{nanos}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

impl Recorder {
    /// A recorder for stack `name` with a new token.
    pub fn new(endpoint: &str, name: &str) -> Recorder {
        Recorder {
            endpoint: endpoint.to_owned(),
            name: name.to_owned(),
            token: new_token(),
        }
    }

    /// A recorder that goes on under the token of an earlier deploy (one run with
    /// `--no-wait`).
    pub fn with_token(endpoint: &str, name: &str, token: &str) -> Recorder {
        Recorder {
            endpoint: endpoint.to_owned(),
            name: name.to_owned(),
            token: token.to_owned(),
        }
    }

    /// This deploy's `ClientRequestToken`.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Sets the stack's status (and reason) and appends `events`; `more` adds members of
    /// `PutStack` (`Resources`, `Outputs`, `Parameters`, `TemplateBody`).
    pub fn put(
        &self,
        status: &str,
        reason: Option<&str>,
        events: Vec<Value>,
        more: Value,
    ) -> Result<()> {
        let mut body = json!({
            "StackName": self.name,
            "ClientRequestToken": self.token,
            "StackStatus": status,
        });
        if let Some(reason) = reason {
            body["StackStatusReason"] = json!(reason);
        }
        if !events.is_empty() {
            body["Events"] = json!(events);
        }
        if let Value::Object(more) = more {
            for (key, value) in more {
                body[key] = value;
            }
        }
        switchback(&self.endpoint, "PutStack", &body)?;
        Ok(())
    }

    /// Appends one resource's event (see [`event`]) without changing the stack's status.
    pub fn resource_event(
        &self,
        stack_status: &str,
        logical_id: &str,
        resource_type: &str,
        physical_id: Option<&str>,
        status: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        let event = event(logical_id, resource_type, physical_id, status, reason);
        self.events(stack_status, vec![event])
    }

    /// Appends events without changing the status.
    pub fn events(&self, status: &str, events: Vec<Value>) -> Result<()> {
        self.put(status, None, events, Value::Null)
    }

    /// Forgets the stack (after its resources were deleted).
    pub fn delete_record(&self) -> Result<()> {
        switchback(
            &self.endpoint,
            "DeleteStack",
            &json!({"StackName": self.name, "ClientRequestToken": self.token}),
        )?;
        Ok(())
    }
}

/// Deletes one resource from the server. Answers what happened, for the report; a resource
/// that is gone already counts as deleted.
pub fn delete_resource(endpoint: &str, resource: &StackResource) -> Result<&'static str> {
    let Some(physical) = resource.physical_id.as_deref() else {
        return Ok("deleted (it was never created)");
    };
    let sfn = |operation: &str, body: Value| -> Result<()> {
        match call(endpoint, &format!("AWSStepFunctions.{operation}"), &body) {
            Ok(_) => Ok(()),
            Err(error)
                if ["DoesNotExist", "NotFound"]
                    .iter()
                    .any(|gone| format!("{error:#}").contains(gone)) =>
            {
                Ok(())
            }
            Err(error) => Err(error.context(format!("{operation} failed"))),
        }
    };
    match resource.resource_type.as_str() {
        "AWS::StepFunctions::StateMachineAlias" => sfn(
            "DeleteStateMachineAlias",
            json!({"stateMachineAliasArn": physical}),
        )?,
        "AWS::StepFunctions::StateMachineVersion" => sfn(
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": physical}),
        )?,
        "AWS::StepFunctions::StateMachine" => {
            sfn("DeleteStateMachine", json!({"stateMachineArn": physical}))?;
        }
        "AWS::StepFunctions::Activity" => {
            sfn("DeleteActivity", json!({"activityArn": physical}))?;
        }
        "AWS::CloudWatch::Alarm" => {
            call(
                endpoint,
                "GraniteServiceVersion20100801.DeleteAlarms",
                &json!({"AlarmNames": [physical]}),
            )
            .context("DeleteAlarms failed")?;
        }
        "AWS::Logs::LogGroup" => return Ok("forgotten (its log file stays)"),
        _ => return Ok("forgotten (not managed by Switchback)"),
    }
    Ok("deleted")
}

/// Deletes `resources` in reverse order (dependents first), except those retained, recording
/// each on the stack. A deletion that fails is recorded as `DELETE_FAILED` with its reason and
/// the rest go on, as CloudFormation does. Answers the resources left: the retained ones, and
/// those whose deletion failed (status `DELETE_FAILED`).
pub fn delete_resources(
    endpoint: &str,
    recorder: &Recorder,
    status: &str,
    resources: &[StackResource],
    out: &mut impl Write,
) -> Result<Vec<StackResource>> {
    let mut retained = Vec::new();
    for resource in resources.iter().rev() {
        let id = &resource.logical_id;
        let record = |resource_status: &str, reason: Option<&str>| {
            recorder.resource_event(
                status,
                id,
                &resource.resource_type,
                resource.physical_id.as_deref(),
                resource_status,
                reason,
            )
        };
        if resource.retain {
            writeln!(out, "{id}: retained (DeletionPolicy Retain)")?;
            record("DELETE_SKIPPED", None)?;
            retained.push(resource.clone());
            continue;
        }
        match delete_resource(endpoint, resource) {
            Ok(what) => {
                writeln!(out, "{id}: {what}")?;
                record("DELETE_COMPLETE", None)?;
            }
            Err(error) => {
                let reason = format!("{error:#}");
                writeln!(out, "{id}: DELETE_FAILED: {reason}")?;
                record("DELETE_FAILED", Some(&reason))?;
                retained.push(StackResource {
                    status: "DELETE_FAILED".to_owned(),
                    ..resource.clone()
                });
            }
        }
    }
    retained.reverse();
    Ok(retained)
}

/// CloudFormation's reason for deletions that failed.
fn failed_to_delete(failed: &[StackResource]) -> String {
    let names: Vec<&str> = failed.iter().map(|r| r.logical_id.as_str()).collect();
    format!(
        "The following resource(s) failed to delete: [{}]. ",
        names.join(", ")
    )
}

/// The resources of `left` (as [`delete_resources`] answers) whose deletion failed.
pub fn failed_deletions(left: Vec<StackResource>) -> Vec<StackResource> {
    left.into_iter()
        .filter(|resource| resource.status == "DELETE_FAILED")
        .collect()
}

/// Rolls a stack back: runs the `restore` calls (`{Operation, Body, LogicalResourceId,
/// ResourceType}`, Step Functions operations), deletes the `delete` resources, and ends the
/// stack in `statuses[1]` with the `previous` resources.
#[allow(clippy::too_many_arguments)] // The pieces of a rollback, each the caller's own.
pub fn roll_back(
    endpoint: &str,
    recorder: &Recorder,
    statuses: [&str; 2],
    reason: &str,
    restore: &[Value],
    delete: &[StackResource],
    previous: &[Value],
    out: &mut impl Write,
) -> Result<()> {
    let [progress, complete] = statuses;
    recorder.put(progress, Some(reason), Vec::new(), json!({}))?;
    for restore in restore {
        let operation = restore["Operation"].as_str().unwrap_or_default();
        let id = restore["LogicalResourceId"].as_str().unwrap_or_default();
        call(
            endpoint,
            &format!("AWSStepFunctions.{operation}"),
            &restore["Body"],
        )
        .with_context(|| format!("{operation} failed"))?;
        let what = if operation == "UpdateStateMachineAlias" {
            "previous routing restored"
        } else {
            "previous definition restored"
        };
        writeln!(out, "{id}: {what}")?;
        recorder.resource_event(
            progress,
            id,
            restore["ResourceType"].as_str().unwrap_or_default(),
            None,
            "UPDATE_COMPLETE",
            None,
        )?;
    }
    let failed = failed_deletions(delete_resources(endpoint, recorder, progress, delete, out)?);
    if !failed.is_empty() {
        anyhow::bail!("{}", failed_to_delete(&failed));
    }
    recorder.put(
        complete,
        Some(reason),
        Vec::new(),
        json!({"Resources": previous}),
    )?;
    Ok(())
}

/// Finishes a stack that a deploy run with `--no-wait` left in progress, once its gradual
/// deployment has ended: complete when it succeeded, rolled back otherwise. Does nothing while
/// the deployment runs, or when nothing is pending.
pub fn finish_pending(endpoint: &str, name: &str, out: &mut impl Write) -> Result<()> {
    let described = match switchback(endpoint, "DescribeStacks", &json!({"StackName": name})) {
        Ok(described) => described,
        Err(error) if missing_stack(&error) => return Ok(()),
        Err(error) => return Err(error),
    };
    let pending = &described["Stacks"][0]["PendingDeployment"];
    let Some(deployment) = pending["DeploymentId"].as_str() else {
        return Ok(());
    };
    let state = switchback(
        endpoint,
        "DescribeDeployment",
        &json!({"deploymentId": deployment}),
    )?;
    let status = state["status"].as_str().unwrap_or_default();
    if matches!(status, "PENDING" | "IN_PROGRESS") {
        return Ok(());
    }
    let recorder = Recorder::with_token(
        endpoint,
        name,
        pending["ClientRequestToken"].as_str().unwrap_or_default(),
    );
    let statuses: Vec<&str> = pending["Statuses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let [complete, rollback_progress, rollback_complete] = statuses[..] else {
        anyhow::bail!("stack {name}: the pending deployment's record is not one this build reads");
    };
    let alias = pending["LogicalResourceId"].as_str().unwrap_or_default();
    if status == "SUCCEEDED" {
        recorder.resource_event(
            complete,
            alias,
            "AWS::StepFunctions::StateMachineAlias",
            None,
            "UPDATE_COMPLETE",
            None,
        )?;
        // What the template dropped is deleted only now that the deployment kept the change.
        let mut finished = pending["Complete"].clone();
        let cleanup: Vec<StackResource> = pending["Cleanup"]
            .as_array()
            .into_iter()
            .flatten()
            .map(StackResource::from_json)
            .collect();
        if !cleanup.is_empty() {
            let progress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS";
            recorder.put(progress, None, Vec::new(), json!({}))?;
            let failed = failed_deletions(delete_resources(
                endpoint, &recorder, progress, &cleanup, out,
            )?);
            if let Some(resources) = finished["Resources"].as_array_mut() {
                resources.extend(failed.iter().map(StackResource::to_json));
            }
        }
        recorder.put(complete, None, Vec::new(), finished)?;
        writeln!(
            out,
            "Stack {name}: deployment {deployment} succeeded; the stack is {complete}."
        )?;
        return Ok(());
    }
    let reason = format!(
        "deployment {deployment} {status}: {}",
        state["statusMessage"].as_str().unwrap_or("no reason given")
    );
    recorder.resource_event(
        rollback_progress,
        alias,
        "AWS::StepFunctions::StateMachineAlias",
        None,
        "UPDATE_FAILED",
        Some(&reason),
    )?;
    let list = |key: &str| pending[key].as_array().cloned().unwrap_or_default();
    let delete: Vec<StackResource> = list("Delete")
        .iter()
        .map(StackResource::from_json)
        .collect();
    roll_back(
        endpoint,
        &recorder,
        [rollback_progress, rollback_complete],
        &reason,
        &list("Restore"),
        &delete,
        &list("Previous"),
        out,
    )?;
    writeln!(
        out,
        "Stack {name} rolled back ({rollback_complete}): {reason}"
    )?;
    Ok(())
}

/// `switchback stacks list`.
pub fn list(endpoint: &str) -> Result<String> {
    let mut out = format!(
        "{:<32} {:<28} {:<22} {}\n",
        "NAME", "STATUS", "UPDATED", "REASON"
    );
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({});
        if let Some(token) = &token {
            body["NextToken"] = json!(token);
        }
        let page = switchback(endpoint, "ListStacks", &body)?;
        for stack in page["StackSummaries"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "{:<32} {:<28} {:<22} {}\n",
                stack["StackName"].as_str().unwrap_or_default(),
                stack["StackStatus"].as_str().unwrap_or_default(),
                time_text(&stack["LastUpdatedTime"]),
                stack["StackStatusReason"].as_str().unwrap_or_default(),
            ));
        }
        match page["NextToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => return Ok(out),
        }
    }
}

fn time_text(seconds: &Value) -> String {
    let ms = (seconds.as_f64().unwrap_or(0.0) * 1000.0) as i64;
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|time| time.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `switchback stacks describe NAME`: status, parameters, outputs, resources and the latest
/// events (`events` of them, newest first).
pub fn describe(endpoint: &str, name: &str, events: usize) -> Result<String> {
    let mut finished = Vec::new();
    finish_pending(endpoint, name, &mut finished)?;
    let described = switchback(endpoint, "DescribeStacks", &json!({"StackName": name}))?;
    let stack = &described["Stacks"][0];
    let mut out = String::from_utf8_lossy(&finished).into_owned();
    out.push_str(&format!(
        "stack       {}\nid          {}\nstatus      {}\n",
        stack["StackName"].as_str().unwrap_or_default(),
        stack["StackId"].as_str().unwrap_or_default(),
        stack["StackStatus"].as_str().unwrap_or_default(),
    ));
    if let Some(reason) = stack["StackStatusReason"].as_str() {
        out.push_str(&format!("reason      {reason}\n"));
    }
    out.push_str(&format!(
        "created     {}\nupdated     {}\n",
        time_text(&stack["CreationTime"]),
        time_text(&stack["LastUpdatedTime"])
    ));
    let pairs = |key: &str, name: &str, value: &str, heading: &str, out: &mut String| {
        let items = stack[key].as_array().cloned().unwrap_or_default();
        if !items.is_empty() {
            out.push_str(&format!("{heading}\n"));
            for item in items {
                out.push_str(&format!(
                    "  {} = {}\n",
                    item[name].as_str().unwrap_or_default(),
                    item[value].as_str().unwrap_or_default()
                ));
            }
        }
    };
    pairs(
        "Parameters",
        "ParameterKey",
        "ParameterValue",
        "parameters",
        &mut out,
    );
    pairs("Outputs", "OutputKey", "OutputValue", "outputs", &mut out);
    let resources = switchback(
        endpoint,
        "DescribeStackResources",
        &json!({"StackName": name}),
    )?;
    out.push_str("resources\n");
    for resource in resources["StackResources"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  {:<34} {:<40} {:<18} {}\n",
            resource["LogicalResourceId"].as_str().unwrap_or_default(),
            resource["ResourceType"].as_str().unwrap_or_default(),
            resource["ResourceStatus"].as_str().unwrap_or_default(),
            resource["PhysicalResourceId"].as_str().unwrap_or("-"),
        ));
    }
    let page = switchback(endpoint, "DescribeStackEvents", &json!({"StackName": name}))?;
    out.push_str("events (newest first)\n");
    for event in page["StackEvents"]
        .as_array()
        .into_iter()
        .flatten()
        .take(events)
    {
        out.push_str(&format!(
            "  {}  {:<34} {:<22} {}\n",
            time_text(&event["Timestamp"]),
            event["LogicalResourceId"].as_str().unwrap_or_default(),
            event["ResourceStatus"].as_str().unwrap_or_default(),
            event["ResourceStatusReason"].as_str().unwrap_or_default(),
        ));
    }
    Ok(out)
}

/// `switchback stacks delete NAME`: deletes the stack's resources (dependents first, retained
/// ones left in place), then the stack. A stack that does not exist is an error here, unlike
/// CloudFormation's silent success, so a typo does not look like a deletion.
pub fn delete(endpoint: &str, name: &str, out: &mut impl Write) -> Result<()> {
    let Some(stack) = read(endpoint, name)? else {
        anyhow::bail!("Stack with id {name} does not exist");
    };
    let recorder = Recorder::new(endpoint, name);
    recorder.put("DELETE_IN_PROGRESS", None, Vec::new(), Value::Null)?;
    let left = match delete_resources(
        endpoint,
        &recorder,
        "DELETE_IN_PROGRESS",
        &stack.resources,
        out,
    ) {
        Ok(left) => left,
        Err(error) => {
            let reason = format!("{error:#}");
            recorder.put("DELETE_FAILED", Some(&reason), Vec::new(), Value::Null)?;
            return Err(error.context(format!("stack {name}: DELETE_FAILED")));
        }
    };
    let failed = failed_deletions(left);
    if !failed.is_empty() {
        // The stack keeps what is still there, so that deleting it again retries just those.
        let reason = failed_to_delete(&failed);
        recorder.put(
            "DELETE_FAILED",
            Some(&reason),
            Vec::new(),
            json!({"Resources": failed.iter().map(StackResource::to_json).collect::<Vec<_>>()}),
        )?;
        anyhow::bail!("stack {name}: DELETE_FAILED: {reason}");
    }
    recorder.delete_record()?;
    writeln!(out, "Stack {name} deleted.")?;
    Ok(())
}
