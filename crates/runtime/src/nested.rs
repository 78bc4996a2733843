//! Nested executions: the `states:startExecution` integration, in its four patterns.
//!
//! A Task state whose `Resource` is `arn:aws:states:::states:startExecution` starts an
//! execution of another state machine (or of a version or alias of one) with the state's
//! effective input as StartExecution's parameters (`StateMachineArn`, `Input`, `Name`):
//!
//! - request-response: the task succeeds with `{ExecutionArn, StartDate}` once the child starts;
//! - `.sync` / `.sync:2`: the task records `TaskSubmitted` with that answer and ends when the
//!   child ends, with the child's description (`Output` as text, or as JSON for `.sync:2`); a
//!   child that does not succeed fails the task with `States.TaskFailed` and the description as
//!   the cause; stopping the parent (or abandoning the task) stops the child;
//! - `.waitForTaskToken`: the child starts, `TaskSubmitted` is recorded and the task waits for
//!   `SendTaskSuccess`/`SendTaskFailure` with its token.
//!
//! What a start may do — ARN checks, an alias's weighted draw, name and input checks, the
//! errors — is StartExecution's own, so the runtime asks the API layer through [`Starter`]
//! rather than knowing those rules twice. A start the API refuses fails the task with
//! `StepFunctions.<ErrorCode>` (the form AWS documents, e.g.
//! `StepFunctions.ExecutionLimitExceeded`).
//!
//! A child started without a `Name` gets one derived from the parent's ARN and the task's id,
//! so a parent resumed after a crash that asks for the same task again finds the child it
//! started before instead of starting a second one.

use std::sync::Arc;

use async_trait::async_trait;
use engine::{Input, Status, TaskRequest};
use serde_json::{Map, Value, json};
use store::{ExecutionEnd, ExecutionRecord};

use crate::{
    ChildSlot, Command, Error, Runtime, StartRequest, Started, SyncOutcome, Watcher, lock,
};

/// How a `states:startExecution` task waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Succeeds as soon as the child has started.
    RequestResponse,
    /// `.sync`: waits for the child's end; its output as JSON text.
    Sync,
    /// `.sync:2`: waits for the child's end; its input and output as JSON.
    SyncJson,
    /// `.waitForTaskToken`: starts the child, then waits for the task token.
    Callback,
}

impl Pattern {
    /// Whether the task waits for the child to end.
    pub fn waits_for_child(self) -> bool {
        matches!(self, Pattern::Sync | Pattern::SyncJson)
    }
}

/// The pattern of a `Resource`, when it is the `states:startExecution` integration.
pub fn pattern(resource: &str) -> Option<Pattern> {
    let rest = resource
        .strip_prefix("arn:")?
        .split_once(':')?
        .1
        .strip_prefix("states:::states:startExecution")?;
    match rest {
        "" => Some(Pattern::RequestResponse),
        ".sync" => Some(Pattern::Sync),
        ".sync:2" => Some(Pattern::SyncJson),
        ".waitForTaskToken" => Some(Pattern::Callback),
        _ => None,
    }
}

/// StartExecution's parameters, as a nested start gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildStart {
    /// The machine, version or alias ARN to start.
    pub state_machine_arn: String,
    /// The child's name.
    pub name: String,
    /// The child's input, as JSON text.
    pub input: String,
}

/// A start resolved by the API's rules: what to run, and whether it is an EXPRESS machine.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// What the child runs.
    pub request: StartRequest,
    /// True for an EXPRESS state machine.
    pub express: bool,
}

/// A refusal of StartExecution, with AWS's error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// AWS's code: `StateMachineDoesNotExist`, `InvalidArn`, ...
    pub code: String,
    /// The message AWS gives with it.
    pub message: String,
}

impl ServiceError {
    /// The task failure it becomes: `StepFunctions.<code>` and the message, with the service
    /// details AWS appends to an integration's error.
    pub fn failure(&self) -> (String, String) {
        (
            format!("StepFunctions.{}", self.code),
            format!(
                "{} (Service: AWSStepFunctions; Status Code: 400; Error Code: {})",
                self.message, self.code
            ),
        )
    }
}

/// Resolves a nested start as StartExecution would, without starting it.
#[async_trait]
pub trait Starter: Send + Sync {
    /// What `start` would run, or StartExecution's error for it.
    async fn resolve(&self, start: ChildStart) -> Result<Resolved, ServiceError>;
}

/// Reads StartExecution's parameters from a task's effective input. A child without a `Name`
/// is named from `parent` and `task` (see the module documentation).
pub fn child_start(parameters: &Value, parent: &str, task: u64) -> Result<ChildStart, String> {
    let Some(object) = parameters.as_object() else {
        return Err(format!(
            "The parameters of states:startExecution must be an object, not {parameters}"
        ));
    };
    let state_machine_arn = match object.get("StateMachineArn") {
        Some(Value::String(arn)) => arn.clone(),
        Some(other) => {
            return Err(format!(
                "The field 'StateMachineArn' must be a string, not {other}"
            ));
        }
        None => {
            return Err(
                "The field 'StateMachineArn' is required by states:startExecution".to_owned(),
            );
        }
    };
    let name = match object.get("Name") {
        Some(Value::String(name)) => name.clone(),
        None | Some(Value::Null) => derived_name(parent, task),
        Some(other) => return Err(format!("The field 'Name' must be a string, not {other}")),
    };
    let input = match object.get("Input") {
        None | Some(Value::Null) => "{}".to_owned(),
        // A string is the input's JSON text, as StartExecution takes it.
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    Ok(ChildStart {
        state_machine_arn,
        name,
        input,
    })
}

/// A name in UUID form that depends only on the parent and the task.
fn derived_name(parent: &str, task: u64) -> String {
    asl::stable_uuid(parent, task)
}

/// What StartExecution answers: the task's output (request-response) or `TaskSubmitted`'s.
pub fn start_answer(execution_arn: &str, start_ms: i64) -> Value {
    json!({ "ExecutionArn": execution_arn, "StartDate": start_ms })
}

/// The child's description, as a `.sync` task reports it (DescribeExecution's members with
/// the integration's capitalised names; dates in epoch milliseconds). `json` parses `Input`
/// and `Output` (`.sync:2`).
pub fn description(record: &ExecutionRecord, json: bool) -> Value {
    let document = |text: &str| -> Value {
        if json {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
        } else {
            Value::String(text.to_owned())
        }
    };
    let mut out = Map::new();
    out.insert("ExecutionArn".to_owned(), json!(record.arn));
    out.insert("Input".to_owned(), document(&record.input));
    out.insert("InputDetails".to_owned(), json!({ "Included": true }));
    out.insert("Name".to_owned(), json!(record.name));
    out.insert("StartDate".to_owned(), json!(record.start_ms));
    out.insert(
        "StateMachineArn".to_owned(),
        json!(record.state_machine_arn),
    );
    if let Some(arn) = &record.state_machine_version_arn {
        out.insert("StateMachineVersionArn".to_owned(), json!(arn));
    }
    if let Some(arn) = &record.state_machine_alias_arn {
        out.insert("StateMachineAliasArn".to_owned(), json!(arn));
    }
    match &record.end {
        Some(end) => {
            out.insert("Status".to_owned(), json!(end.status));
            out.insert("StopDate".to_owned(), json!(end.stop_ms));
            if let Some(output) = &end.output {
                out.insert("Output".to_owned(), document(output));
                out.insert("OutputDetails".to_owned(), json!({ "Included": true }));
            }
            if let Some(error) = &end.error {
                out.insert("Error".to_owned(), json!(error));
            }
            if let Some(cause) = &end.cause {
                out.insert("Cause".to_owned(), json!(cause));
            }
        }
        None => {
            out.insert("Status".to_owned(), json!("RUNNING"));
        }
    }
    Value::Object(out)
}

/// The task's end once its child ended: the description on success, else `States.TaskFailed`
/// with the description as the cause.
fn child_outcome(record: &ExecutionRecord, task: u64, json: bool) -> Input {
    let description = description(record, json);
    match &record.end {
        Some(end) if end.status == "SUCCEEDED" => Input::TaskSucceeded {
            task,
            output: description,
        },
        _ => Input::TaskFailed {
            task,
            error: Some("States.TaskFailed".to_owned()),
            cause: Some(description.to_string()),
        },
    }
}

/// An EXPRESS child run to its end, as the record a `.sync` task describes.
fn express_record(outcome: &SyncOutcome, request: &StartRequest) -> ExecutionRecord {
    let (error, cause) = match &outcome.status {
        Status::Failed { error, cause }
        | Status::TimedOut { error, cause }
        | Status::Aborted { error, cause } => (error.clone(), cause.clone()),
        Status::Succeeded { .. } | Status::Running => (None, None),
    };
    ExecutionRecord {
        arn: outcome.execution_arn.clone(),
        state_machine_arn: request.state_machine_arn.clone(),
        name: outcome.name.clone(),
        status: outcome.status.as_str().to_owned(),
        input: request.input.clone(),
        definition: String::new(),
        role_arn: request.role_arn.clone(),
        start_ms: outcome.start_ms,
        seed: 0,
        end: Some(ExecutionEnd {
            status: outcome.status.as_str().to_owned(),
            output: outcome.output.clone(),
            error,
            cause,
            stop_ms: outcome.stop_ms,
        }),
        state_machine_version_arn: request.state_machine_version_arn.clone(),
        state_machine_alias_arn: request.state_machine_alias_arn.clone(),
        test_case: None,
        redrive_count: 0,
        redrive_ms: None,
    }
}

/// How a start that the runtime itself could not make fails the task.
fn runtime_failure(error: &Error) -> (String, String) {
    match error {
        Error::ExecutionAlreadyExists(_) => ServiceError {
            code: "ExecutionAlreadyExists".to_owned(),
            message: error.to_string(),
        }
        .failure(),
        other => ("States.Runtime".to_owned(), other.to_string()),
    }
}

/// What a `states:startExecution` task is given to run: the task, its pattern, whether the
/// task was asked for again by a resumed parent, and the slot of a `.sync` child.
pub(crate) struct ChildTask {
    pub(crate) parent: String,
    pub(crate) request: TaskRequest,
    pub(crate) pattern: Pattern,
    pub(crate) resumed: bool,
    /// What `TaskSubmitted` recorded, when a resumed parent had submitted the task: the child
    /// started before the restart.
    pub(crate) submitted: Option<Value>,
    pub(crate) slot: Option<Arc<ChildSlot>>,
    pub(crate) sender: crate::CommandSender,
}

impl Runtime {
    /// Registers the slot of a `.sync` task's child, before the child exists: a stop that
    /// comes first keeps it from starting.
    pub(crate) fn child_slot(&self, parent: &str, task: u64) -> Arc<ChildSlot> {
        lock(&self.shared.children)
            .entry((parent.to_owned(), task))
            .or_default()
            .clone()
    }

    /// The task is abandoned (stopped, timed out, its branch failed): a `.sync` child stops.
    pub(crate) fn abandon_child(&self, parent: &str, task: u64) {
        let slot = lock(&self.shared.children).remove(&(parent.to_owned(), task));
        if let Some(child) = slot.and_then(|slot| slot.cancel()) {
            let runtime = self.clone();
            tokio::spawn(async move {
                if let Err(error) = runtime.stop_execution(&child, None, None).await {
                    tracing::warn!(%child, %error, "cannot stop the child execution");
                }
            });
        }
    }

    /// The task ended: its child, if any, is no longer its to stop.
    pub(crate) fn release_child(&self, parent: &str, task: u64) {
        lock(&self.shared.children).remove(&(parent.to_owned(), task));
    }

    /// Forgets the children of a parent that ended.
    pub(crate) fn release_children(&self, parent: &str) {
        lock(&self.shared.children).retain(|(owner, _), _| owner != parent);
    }

    /// Whether any `.sync` task waits for this execution.
    pub(crate) fn is_watched(&self, child: &str) -> bool {
        lock(&self.shared.watchers).contains_key(child)
    }

    /// Performs a `states:startExecution` task: starts the child and reports the task's
    /// progress to the parent (`TaskStarted`, then `TaskSucceeded`, `TaskSubmitted` or
    /// `TaskFailed`).
    pub(crate) async fn run_child(self, child: ChildTask) {
        let ChildTask {
            parent,
            request,
            pattern,
            resumed,
            submitted,
            slot,
            sender,
        } = child;
        let task = request.id;
        let send = |input: Input| {
            let _ = sender.send(Command::Input(input));
        };
        let fail = |(error, cause): (String, String)| Input::TaskFailed {
            task,
            error: Some(error),
            cause: Some(cause),
        };
        send(Input::TaskStarted {
            task,
            worker_name: None,
        });
        if let Some(answer) = submitted {
            // The child started before the restart: follow it rather than start it again.
            let child = answer["ExecutionArn"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if !pattern.waits_for_child() {
                return;
            }
            if child.contains(":express:") {
                return send(fail((
                    "States.TaskFailed".to_owned(),
                    format!(
                        "The EXPRESS child execution {child} ran in memory and was lost when Switchback restarted"
                    ),
                )));
            }
            if let Some(slot) = &slot
                && slot.attach(&child)
            {
                if let Err(error) = self.stop_execution(&child, None, None).await {
                    tracing::warn!(%child, %error, "cannot stop the child execution");
                }
                return;
            }
            lock(&self.shared.watchers)
                .entry(child.clone())
                .or_default()
                .push(Watcher {
                    parent,
                    task,
                    json: pattern == Pattern::SyncJson,
                });
            return self.deliver_child(&child).await;
        }
        let start = match child_start(&request.input, &parent, task) {
            Ok(start) => start,
            Err(cause) => return send(fail(("States.Runtime".to_owned(), cause))),
        };
        let derived = request.input.get("Name").is_none_or(Value::is_null);
        let starter = lock(&self.shared.starter).clone();
        let Some(starter) = starter else {
            return send(fail((
                "States.Runtime".to_owned(),
                "Nested executions need the API's StartExecution rules, which this runtime was not given".to_owned(),
            )));
        };
        let input_text = start.input.clone();
        let resolved = match starter.resolve(start).await {
            Ok(resolved) => resolved,
            Err(error) => return send(fail(error.failure())),
        };
        if slot.as_ref().is_some_and(|slot| slot.is_cancelled()) {
            return;
        }
        if resolved.express {
            return self
                .run_express_child(resolved.request, task, pattern, send, fail)
                .await;
        }
        let name = resolved.request.name.clone().unwrap_or_default();
        let arn = format!(
            "arn:aws:states:{}:{}:execution:{}:{name}",
            self.shared.config.region,
            self.shared.config.account_id,
            resolved.request.state_machine_name
        );
        let started = match self.start_execution(resolved.request).await {
            Ok(started) => started,
            // The child this task started before a restart (or before the crash that kept its
            // answer from being recorded): the same name and the same input.
            Err(Error::ExecutionAlreadyExists(_)) if derived || resumed => {
                match self.shared.store.get_execution(&arn).await {
                    Ok(existing) if existing.input == input_text => Started {
                        execution_arn: arn.clone(),
                        start_ms: existing.start_ms,
                    },
                    _ => return send(fail(runtime_failure(&Error::ExecutionAlreadyExists(arn)))),
                }
            }
            Err(error) => return send(fail(runtime_failure(&error))),
        };
        if let Some(slot) = &slot
            && slot.attach(&started.execution_arn)
        {
            // Abandoned while the child started.
            if let Err(error) = self
                .stop_execution(&started.execution_arn, None, None)
                .await
            {
                tracing::warn!(child = %started.execution_arn, %error, "cannot stop the child execution");
            }
            return;
        }
        let answer = start_answer(&started.execution_arn, started.start_ms);
        match pattern {
            Pattern::RequestResponse => send(Input::TaskSucceeded {
                task,
                output: answer,
            }),
            Pattern::Callback => send(Input::TaskSubmitted {
                task,
                output: answer,
            }),
            Pattern::Sync | Pattern::SyncJson => {
                send(Input::TaskSubmitted {
                    task,
                    output: answer,
                });
                lock(&self.shared.watchers)
                    .entry(started.execution_arn.clone())
                    .or_default()
                    .push(Watcher {
                        parent,
                        task,
                        json: pattern == Pattern::SyncJson,
                    });
                // It may have ended already (before this watcher, or before a restart).
                self.deliver_child(&started.execution_arn).await;
            }
        }
    }

    /// An EXPRESS child: in memory, so a `.sync` task runs it to its end here.
    async fn run_express_child(
        &self,
        request: StartRequest,
        task: u64,
        pattern: Pattern,
        send: impl Fn(Input),
        fail: impl Fn((String, String)) -> Input,
    ) {
        if pattern.waits_for_child() {
            let outcome = match self.start_sync_execution(request.clone()).await {
                Ok(outcome) => outcome,
                Err(error) => return send(fail(runtime_failure(&error))),
            };
            send(Input::TaskSubmitted {
                task,
                output: start_answer(&outcome.execution_arn, outcome.start_ms),
            });
            let record = express_record(&outcome, &request);
            return send(child_outcome(&record, task, pattern == Pattern::SyncJson));
        }
        let started = match self.start_express_execution(request).await {
            Ok(started) => started,
            Err(error) => return send(fail(runtime_failure(&error))),
        };
        let output = start_answer(&started.execution_arn, started.start_ms);
        send(match pattern {
            Pattern::Callback => Input::TaskSubmitted { task, output },
            _ => Input::TaskSucceeded { task, output },
        });
    }

    /// Tells the `.sync` tasks waiting for `child` how it ended, once it has.
    pub(crate) async fn deliver_child(&self, child: &str) {
        let record = match self.shared.store.get_execution(child).await {
            Ok(record) if record.end.is_some() => record,
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(%child, %error, "cannot read the child execution");
                return;
            }
        };
        let watchers = lock(&self.shared.watchers)
            .remove(child)
            .unwrap_or_default();
        for watcher in watchers {
            let input = child_outcome(&record, watcher.task, watcher.json);
            let sender = lock(&self.shared.running).get(&watcher.parent).cloned();
            if let Some(sender) = sender {
                let _ = sender.send(Command::Input(input));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let base = "arn:aws:states:::states:startExecution";
        assert_eq!(pattern(base), Some(Pattern::RequestResponse));
        assert_eq!(pattern(&format!("{base}.sync")), Some(Pattern::Sync));
        assert_eq!(pattern(&format!("{base}.sync:2")), Some(Pattern::SyncJson));
        assert_eq!(
            pattern(&format!("{base}.waitForTaskToken")),
            Some(Pattern::Callback)
        );
        assert_eq!(
            pattern("arn:aws-us-gov:states:::states:startExecution.sync"),
            Some(Pattern::Sync)
        );
        assert_eq!(pattern(&format!("{base}.sync:3")), None);
        assert_eq!(pattern("arn:aws:states:::lambda:invoke"), None);
    }

    #[test]
    fn parameters() {
        let start = child_start(
            &json!({"StateMachineArn": "arn:m", "Input": {"a": 1}, "Name": "n"}),
            "p",
            1,
        )
        .unwrap();
        assert_eq!(start.input, r#"{"a":1}"#);
        assert_eq!(start.name, "n");
        let text = child_start(&json!({"StateMachineArn": "arn:m", "Input": "[1]"}), "p", 1);
        assert_eq!(text.unwrap().input, "[1]");
        assert!(child_start(&json!({"Input": {}}), "p", 1).is_err());
        assert!(child_start(&json!({"StateMachineArn": 3}), "p", 1).is_err());
        assert!(child_start(&json!([1]), "p", 1).is_err());
    }

    #[test]
    fn derived_names_are_stable_and_distinct() {
        let a = child_start(&json!({"StateMachineArn": "m"}), "parent", 4).unwrap();
        let again = child_start(&json!({"StateMachineArn": "m"}), "parent", 4).unwrap();
        let other_task = child_start(&json!({"StateMachineArn": "m"}), "parent", 5).unwrap();
        let other_parent = child_start(&json!({"StateMachineArn": "m"}), "parent2", 4).unwrap();
        assert_eq!(a.name, again.name);
        assert_ne!(a.name, other_task.name);
        assert_ne!(a.name, other_parent.name);
        assert_eq!(a.name.len(), 36);
        assert_eq!(a.input, "{}");
    }

    #[test]
    fn service_errors_name_the_service() {
        let error = ServiceError {
            code: "StateMachineDoesNotExist".to_owned(),
            message: "State Machine Does Not Exist: 'arn'".to_owned(),
        };
        let (name, cause) = error.failure();
        assert_eq!(name, "StepFunctions.StateMachineDoesNotExist");
        assert!(
            cause.starts_with("State Machine Does Not Exist: 'arn' (Service: AWSStepFunctions")
        );
    }
}
