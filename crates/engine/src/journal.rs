//! The persisted form of engine inputs: the runtime journals every [`Input`] it applies, and
//! replays the journal to rebuild an execution after a restart.
//!
//! The format is versioned JSON (`"v": 1`). A newer build must read every version an older
//! build wrote; a field added later is optional.

use serde_json::{Value, json};

use crate::Input;

/// The journal format version this build writes.
pub const VERSION: u64 = 1;

/// An input that cannot be read back, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable journal entry: {0}")]
pub struct Error(String);

fn optional_string(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn task_id(value: &Value) -> Result<u64, Error> {
    value
        .get("task")
        .and_then(Value::as_u64)
        .ok_or_else(|| Error("a task input without a task id".to_owned()))
}

impl Input {
    /// The input as journal JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Input::Start { input, text } => json!({
                "v": VERSION, "type": "Start", "input": input, "text": text,
            }),
            Input::TaskStarted { task, worker_name } => json!({
                "v": VERSION, "type": "TaskStarted", "task": task, "workerName": worker_name,
            }),
            Input::TaskSubmitted { task, output } => json!({
                "v": VERSION, "type": "TaskSubmitted", "task": task, "output": output,
            }),
            Input::TaskSucceeded { task, output } => json!({
                "v": VERSION, "type": "TaskSucceeded", "task": task, "output": output,
            }),
            Input::TaskFailed { task, error, cause } => json!({
                "v": VERSION, "type": "TaskFailed", "task": task, "error": error, "cause": cause,
            }),
            Input::EarlyReport { report } => json!({
                "v": VERSION, "type": "EarlyReport", "report": report.to_json(),
            }),
            Input::TaskHeartbeatTimedOut { task } => json!({
                "v": VERSION, "type": "TaskHeartbeatTimedOut", "task": task,
            }),
            Input::TimerFired { timer } => json!({
                "v": VERSION, "type": "TimerFired", "timer": timer,
            }),
            Input::Stop { error, cause } => json!({
                "v": VERSION, "type": "Stop", "error": error, "cause": cause,
            }),
            Input::Redrive => json!({ "v": VERSION, "type": "Redrive" }),
            Input::UpdateMapRun {
                map_run_arn,
                max_concurrency,
                tolerated_failure_count,
                tolerated_failure_percentage,
            } => json!({
                "v": VERSION, "type": "UpdateMapRun", "mapRunArn": map_run_arn,
                "maxConcurrency": max_concurrency,
                "toleratedFailureCount": tolerated_failure_count,
                "toleratedFailurePercentage": tolerated_failure_percentage,
            }),
        }
    }

    /// Reads an input back from journal JSON.
    pub fn from_json(value: &Value) -> Result<Input, Error> {
        let version = value.get("v").and_then(Value::as_u64).unwrap_or(0);
        if version == 0 || version > VERSION {
            return Err(Error(format!(
                "format version {version} (this build reads 1 to {VERSION})"
            )));
        }
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| Error("no type".to_owned()))?;
        Ok(match kind {
            "Start" => Input::Start {
                input: value.get("input").cloned().unwrap_or(Value::Null),
                text: optional_string(value, "text"),
            },
            "TaskStarted" => Input::TaskStarted {
                task: task_id(value)?,
                worker_name: optional_string(value, "workerName"),
            },
            "TaskSubmitted" => Input::TaskSubmitted {
                task: task_id(value)?,
                output: value.get("output").cloned().unwrap_or(Value::Null),
            },
            "TaskSucceeded" => Input::TaskSucceeded {
                task: task_id(value)?,
                output: value.get("output").cloned().unwrap_or(Value::Null),
            },
            "TaskFailed" => Input::TaskFailed {
                task: task_id(value)?,
                error: optional_string(value, "error"),
                cause: optional_string(value, "cause"),
            },
            "EarlyReport" => {
                let report = Input::from_json(
                    value
                        .get("report")
                        .ok_or_else(|| Error("an EarlyReport without its report".to_owned()))?,
                )?;
                if !matches!(
                    report,
                    Input::TaskSucceeded { .. } | Input::TaskFailed { .. }
                ) {
                    return Err(Error(
                        "an EarlyReport of something other than a task's end".to_owned(),
                    ));
                }
                Input::EarlyReport {
                    report: Box::new(report),
                }
            }
            "TaskHeartbeatTimedOut" => Input::TaskHeartbeatTimedOut {
                task: task_id(value)?,
            },
            "TimerFired" => Input::TimerFired {
                timer: value
                    .get("timer")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| Error("a timer input without a timer id".to_owned()))?,
            },
            "Stop" => Input::Stop {
                error: optional_string(value, "error"),
                cause: optional_string(value, "cause"),
            },
            "Redrive" => Input::Redrive,
            "UpdateMapRun" => Input::UpdateMapRun {
                map_run_arn: optional_string(value, "mapRunArn")
                    .ok_or_else(|| Error("an UpdateMapRun without a map run".to_owned()))?,
                max_concurrency: value.get("maxConcurrency").and_then(Value::as_u64),
                tolerated_failure_count: value.get("toleratedFailureCount").and_then(Value::as_u64),
                tolerated_failure_percentage: value
                    .get("toleratedFailurePercentage")
                    .and_then(Value::as_f64),
            },
            other => return Err(Error(format!("unknown input type {other:?}"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Input;

    #[test]
    fn every_input_round_trips() {
        let inputs = [
            Input::Start {
                input: json!({"a": [1, 2.5]}),
                text: Some("{\"a\": [1, 2.5]}".to_owned()),
            },
            Input::TaskStarted {
                task: 3,
                worker_name: Some("w".to_owned()),
            },
            Input::TaskSubmitted {
                task: 3,
                output: json!({"ExecutionArn": "e"}),
            },
            Input::TaskSucceeded {
                task: 3,
                output: json!("x"),
            },
            Input::TaskFailed {
                task: 4,
                error: None,
                cause: Some("c".to_owned()),
            },
            Input::TaskHeartbeatTimedOut { task: 5 },
            Input::EarlyReport {
                report: Box::new(Input::TaskSucceeded {
                    task: 7,
                    output: json!({"done": true}),
                }),
            },
            Input::Redrive,
            Input::UpdateMapRun {
                map_run_arn: "arn:run".to_owned(),
                max_concurrency: Some(3),
                tolerated_failure_count: None,
                tolerated_failure_percentage: Some(12.5),
            },
            Input::TimerFired { timer: 6 },
            Input::Stop {
                error: Some("e".to_owned()),
                cause: None,
            },
        ];
        for input in inputs {
            let back = Input::from_json(&input.to_json()).unwrap();
            assert_eq!(back.to_json(), input.to_json());
        }
    }

    #[test]
    fn unknown_versions_and_types_are_errors() {
        assert!(Input::from_json(&json!({"v": 99, "type": "Start"})).is_err());
        assert!(Input::from_json(&json!({"v": 1, "type": "Nope"})).is_err());
        assert!(Input::from_json(&json!({"v": 1, "type": "EarlyReport"})).is_err());
        assert!(
            Input::from_json(&json!({
                "v": 1, "type": "EarlyReport", "report": {"v": 1, "type": "Redrive"},
            }))
            .is_err()
        );
        assert!(Input::from_json(&json!({"v": 1, "type": "TimerFired"})).is_err());
        assert!(Input::from_json(&json!("text")).is_err());
    }
}
