//! History events, shaped as AWS's `GetExecutionHistory` returns them.

use std::sync::Arc;

use serde_json::{Map, Value, json};

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    /// 1, 2, 3, ... in the order the events happened.
    pub id: u64,
    /// The event this one follows from; 0 for the first.
    pub previous_event_id: u64,
    /// When it happened, in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// AWS's event type, such as `PassStateEntered`.
    pub event_type: &'static str,
    /// What the event's `…EventDetails` member holds.
    pub details: Details,
}

/// An event's details. The common events are typed, so that recording them costs no JSON
/// building (an execution emits about three events per state); the rest carry the details
/// object as AWS shapes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Details {
    /// The event type has no details member.
    None,
    /// `stateEnteredEventDetails`.
    StateEntered {
        /// The state's name.
        name: Arc<str>,
        /// The state's input, as JSON text.
        input: Arc<str>,
    },
    /// `stateExitedEventDetails`.
    StateExited {
        /// The state's name.
        name: Arc<str>,
        /// The state's output, as JSON text.
        output: Arc<str>,
        /// The workflow variables the state assigned (name, value as JSON text), in order of
        /// name; `None` when it assigned none.
        assigned: Option<Arc<[(String, String)]>>,
    },
    /// `executionStartedEventDetails`.
    ExecutionStarted {
        /// The execution input, as the caller sent it.
        input: Arc<str>,
        /// The role the execution runs as.
        role_arn: Arc<str>,
    },
    /// `executionSucceededEventDetails`.
    ExecutionSucceeded {
        /// The execution output, as JSON text.
        output: Arc<str>,
    },
    /// Any other details object, as AWS shapes it.
    Other(Value),
}

impl HistoryEvent {
    /// The `…EventDetails` object as AWS shapes it, if the event has one.
    pub fn details_json(&self) -> Option<Value> {
        Some(match &self.details {
            Details::None => return None,
            Details::StateEntered { name, input } => json!({
                "name": &**name,
                "input": &**input,
                "inputDetails": not_truncated(),
            }),
            Details::StateExited {
                name,
                output,
                assigned,
            } => {
                let mut details = json!({
                    "name": &**name,
                    "output": &**output,
                    "outputDetails": not_truncated(),
                });
                if let Some(assigned) = assigned {
                    details["assignedVariables"] = Value::Object(
                        assigned
                            .iter()
                            .map(|(name, text)| (name.clone(), Value::String(text.clone())))
                            .collect(),
                    );
                    details["assignedVariablesDetails"] = not_truncated();
                }
                details
            }
            Details::ExecutionStarted { input, role_arn } => json!({
                "input": &**input,
                "inputDetails": not_truncated(),
                "roleArn": &**role_arn,
            }),
            Details::ExecutionSucceeded { output } => json!({
                "output": &**output,
                "outputDetails": not_truncated(),
            }),
            Details::Other(value) => value.clone(),
        })
    }

    /// A string field of the details (`output`, `error`, ...), if present.
    pub fn detail(&self, field: &str) -> Option<String> {
        match (&self.details, field) {
            (Details::StateEntered { name, .. } | Details::StateExited { name, .. }, "name") => {
                Some(name.to_string())
            }
            (
                Details::StateEntered { input, .. } | Details::ExecutionStarted { input, .. },
                "input",
            ) => Some(input.to_string()),
            (
                Details::StateExited { output, .. } | Details::ExecutionSucceeded { output },
                "output",
            ) => Some(output.to_string()),
            (Details::Other(value), field) => {
                value.get(field).and_then(Value::as_str).map(str::to_owned)
            }
            _ => None,
        }
    }

    /// The event as AWS's JSON wire shape (timestamp in fractional epoch seconds).
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert(
            "timestamp".to_owned(),
            json!(self.timestamp_ms as f64 / 1000.0),
        );
        object.insert("type".to_owned(), Value::String(self.event_type.to_owned()));
        object.insert("id".to_owned(), json!(self.id));
        object.insert("previousEventId".to_owned(), json!(self.previous_event_id));
        if let (Some(key), Some(details)) = (details_key(self.event_type), self.details_json()) {
            object.insert(key.to_owned(), details);
        }
        Value::Object(object)
    }
}

/// The details key AWS uses for an event type.
pub fn details_key(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        "ExecutionStarted" => "executionStartedEventDetails",
        "ExecutionSucceeded" => "executionSucceededEventDetails",
        "ExecutionFailed" => "executionFailedEventDetails",
        "ExecutionAborted" => "executionAbortedEventDetails",
        "ExecutionTimedOut" => "executionTimedOutEventDetails",
        "ExecutionRedriven" => "executionRedrivenEventDetails",
        "TaskScheduled" => "taskScheduledEventDetails",
        "TaskStarted" => "taskStartedEventDetails",
        "TaskSubmitted" => "taskSubmittedEventDetails",
        "TaskSucceeded" => "taskSucceededEventDetails",
        "TaskFailed" => "taskFailedEventDetails",
        "TaskStartFailed" => "taskStartFailedEventDetails",
        "TaskSubmitFailed" => "taskSubmitFailedEventDetails",
        "TaskTimedOut" => "taskTimedOutEventDetails",
        "ActivityScheduled" => "activityScheduledEventDetails",
        "ActivityStarted" => "activityStartedEventDetails",
        "ActivitySucceeded" => "activitySucceededEventDetails",
        "ActivityFailed" => "activityFailedEventDetails",
        "ActivityTimedOut" => "activityTimedOutEventDetails",
        "ActivityScheduleFailed" => "activityScheduleFailedEventDetails",
        "LambdaFunctionScheduled" => "lambdaFunctionScheduledEventDetails",
        "LambdaFunctionSucceeded" => "lambdaFunctionSucceededEventDetails",
        "LambdaFunctionFailed" => "lambdaFunctionFailedEventDetails",
        "LambdaFunctionTimedOut" => "lambdaFunctionTimedOutEventDetails",
        "LambdaFunctionScheduleFailed" => "lambdaFunctionScheduleFailedEventDetails",
        "LambdaFunctionStartFailed" => "lambdaFunctionStartFailedEventDetails",
        "MapStateStarted" => "mapStateStartedEventDetails",
        "MapRunStarted" => "mapRunStartedEventDetails",
        "MapRunFailed" => "mapRunFailedEventDetails",
        "MapRunRedriven" => "mapRunRedrivenEventDetails",
        "MapIterationStarted" => "mapIterationStartedEventDetails",
        "MapIterationSucceeded" => "mapIterationSucceededEventDetails",
        "MapIterationFailed" => "mapIterationFailedEventDetails",
        "MapIterationAborted" => "mapIterationAbortedEventDetails",
        "EvaluationFailed" => "evaluationFailedEventDetails",
        other if other.ends_with("StateEntered") => "stateEnteredEventDetails",
        other if other.ends_with("StateExited") => "stateExitedEventDetails",
        _ => return None,
    })
}

/// A document as the JSON text AWS puts in `input`/`output` fields.
pub fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// `{"truncated": false}`.
pub fn not_truncated() -> Value {
    json!({ "truncated": false })
}

/// The event type of a state event: `Pass` and `StateEntered` give `PassStateEntered`. The
/// names are static so that recording an event allocates nothing for its type.
pub fn state_event(type_name: &str, suffix: &str) -> &'static str {
    macro_rules! table {
        ($($type:literal),*) => {
            match (type_name, suffix) {
                $(
                    ($type, "StateEntered") => concat!($type, "StateEntered"),
                    ($type, "StateExited") => concat!($type, "StateExited"),
                    ($type, "StateAborted") => concat!($type, "StateAborted"),
                    ($type, "StateFailed") => concat!($type, "StateFailed"),
                    ($type, "StateSucceeded") => concat!($type, "StateSucceeded"),
                    ($type, "StateStarted") => concat!($type, "StateStarted"),
                )*
                _ => "UnknownStateEvent",
            }
        };
    }
    table!(
        "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"
    )
}
