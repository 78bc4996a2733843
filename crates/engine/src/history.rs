//! History events, shaped as AWS's `GetExecutionHistory` returns them.

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
    pub event_type: String,
    /// The `…EventDetails` member: its name and its value, when the type has one.
    pub details: Option<(&'static str, Value)>,
}

impl HistoryEvent {
    /// The event as AWS's JSON wire shape (timestamp in fractional epoch seconds).
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert(
            "timestamp".to_owned(),
            json!(self.timestamp_ms as f64 / 1000.0),
        );
        object.insert("type".to_owned(), Value::String(self.event_type.clone()));
        object.insert("id".to_owned(), json!(self.id));
        object.insert("previousEventId".to_owned(), json!(self.previous_event_id));
        if let Some((key, details)) = &self.details {
            object.insert((*key).to_owned(), details.clone());
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

/// The `{"input": "...", "inputDetails": {"truncated": false}}` pair (or `output`).
pub fn payload(key: &'static str, details_key: &'static str, value: &Value) -> (String, Value) {
    let _ = details_key;
    (key.to_owned(), Value::String(json_text(value)))
}

/// `{"truncated": false}`.
pub fn not_truncated() -> Value {
    json!({ "truncated": false })
}
