//! Execution logs (issue 5): a state machine's `loggingConfiguration` sends its executions'
//! history events, filtered by level, as JSON lines to a file per log group under the data
//! directory (`logs/<group>.log`), shaped like the records Step Functions writes to CloudWatch
//! Logs:
//!
//! ```json
//! {"id":"1","type":"ExecutionStarted","details":{"input":"{}","inputDetails":{"truncated":false},"roleArn":"arn:aws:iam::123456789012:role/r"},"previous_event_id":"0","event_timestamp":"1795687200000","execution_arn":"arn:aws:states:us-east-1:123456789012:express:Orders:e:f"}
//! ```
//!
//! Levels as AWS defines them: `ALL` logs every event; `ERROR` the events of failures (every
//! `…Failed`, `…TimedOut`, `…Aborted` and `…StartFailed`/`…ScheduleFailed`/`…SubmitFailed`
//! event, and `FailStateEntered`); `FATAL` only an execution's `ExecutionFailed`,
//! `ExecutionAborted` and `ExecutionTimedOut`; `OFF` nothing. Without `includeExecutionData`
//! the records leave out inputs, outputs, parameters and results.
//!
//! A record is written (one `write` of one line, in append mode) after its step is committed.
//! The configuration travels with the start request; a STANDARD execution resumed after a
//! restart logs with the configuration stored with what it runs (its version's, else its state
//! machine's current one), so its log goes on in the same group.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use engine::HistoryEvent;
use serde_json::{Map, Value, json};

/// `loggingConfiguration.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Every event.
    All,
    /// The events of failures.
    Error,
    /// Only the events that end an execution unsuccessfully.
    Fatal,
    /// Nothing.
    Off,
}

impl LogLevel {
    /// The `level` of a `loggingConfiguration` (`OFF` when absent or unknown).
    pub fn of(configuration: &Value) -> LogLevel {
        match configuration.get("level").and_then(Value::as_str) {
            Some("ALL") => LogLevel::All,
            Some("ERROR") => LogLevel::Error,
            Some("FATAL") => LogLevel::Fatal,
            _ => LogLevel::Off,
        }
    }

    /// Whether an event of this type is logged at this level.
    pub fn logs(self, event_type: &str) -> bool {
        match self {
            LogLevel::All => true,
            LogLevel::Off => false,
            LogLevel::Fatal => matches!(
                event_type,
                "ExecutionFailed" | "ExecutionAborted" | "ExecutionTimedOut"
            ),
            LogLevel::Error => {
                event_type == "FailStateEntered"
                    || [
                        "Failed",
                        "TimedOut",
                        "Aborted",
                        "StartFailed",
                        "ScheduleFailed",
                        "SubmitFailed",
                    ]
                    .iter()
                    .any(|suffix| event_type.ends_with(suffix))
            }
        }
    }
}

/// Where and what an execution logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logging {
    /// The level.
    pub level: LogLevel,
    /// Whether inputs and outputs are in the records.
    pub include_execution_data: bool,
    /// The log group's name (`/aws/vendedlogs/states/Orders`).
    pub log_group: String,
}

/// The log group ARN of one of a `loggingConfiguration`'s `destinations`.
pub fn log_group_arn(destination: &Value) -> Option<&str> {
    destination
        .get("cloudWatchLogsLogGroup")?
        .get("logGroupArn")?
        .as_str()
}

impl Logging {
    /// What a stored `loggingConfiguration` (JSON text, already checked) logs: `None` when it
    /// logs nothing (level `OFF`, no destination, not JSON).
    pub fn from_configuration(configuration: &str) -> Option<Logging> {
        let configuration: Value = serde_json::from_str(configuration).ok()?;
        let level = LogLevel::of(&configuration);
        if level == LogLevel::Off {
            return None;
        }
        let arn = configuration
            .get("destinations")?
            .as_array()?
            .first()
            .and_then(log_group_arn)?;
        Some(Logging {
            level,
            include_execution_data: configuration
                .get("includeExecutionData")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            log_group: log_group_name(arn).to_owned(),
        })
    }
}

/// The detail members that carry execution data.
const DATA_MEMBERS: &[&str] = &[
    "input",
    "inputDetails",
    "output",
    "outputDetails",
    "parameters",
    "result",
    "resultDetails",
];

/// The log record of one history event.
pub fn record(execution_arn: &str, event: &HistoryEvent, include_execution_data: bool) -> Value {
    let mut details = event
        .details_json()
        .and_then(|details| match details {
            Value::Object(object) => Some(object),
            _ => None,
        })
        .unwrap_or_default();
    if !include_execution_data {
        details.retain(|key, _| !DATA_MEMBERS.contains(&key.as_str()));
    }
    let mut object = Map::new();
    object.insert("id".to_owned(), json!(event.id.to_string()));
    object.insert("type".to_owned(), json!(event.event_type));
    object.insert("details".to_owned(), Value::Object(details));
    object.insert(
        "previous_event_id".to_owned(),
        json!(event.previous_event_id.to_string()),
    );
    object.insert(
        "event_timestamp".to_owned(),
        json!(event.timestamp_ms.to_string()),
    );
    object.insert("execution_arn".to_owned(), json!(execution_arn));
    Value::Object(object)
}

/// The file name of a log group (its name or ARN): the name with every character but
/// `A–Z a–z 0–9 . - _` written as `%XX`, then `.log`.
pub fn file_name(log_group: &str) -> String {
    let name = log_group_name(log_group);
    let mut out = String::with_capacity(name.len() + 4);
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out.push_str(".log");
    out
}

/// The name of a log group given by name or by ARN
/// (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`).
pub fn log_group_name(log_group: &str) -> &str {
    match log_group.split_once(":log-group:") {
        Some((_, rest)) => rest.strip_suffix(":*").unwrap_or(rest),
        None => log_group,
    }
}

/// The path of a log group's file under a data directory.
pub fn path(data_dir: &Path, log_group: &str) -> PathBuf {
    data_dir.join("logs").join(file_name(log_group))
}

/// The open log files of a runtime.
#[derive(Debug, Default)]
pub(crate) struct Logs {
    data_dir: OnceLock<PathBuf>,
    files: Mutex<HashMap<String, File>>,
}

impl Logs {
    pub(crate) fn set_data_dir(&self, data_dir: PathBuf) {
        let _ = self.data_dir.set(data_dir);
    }

    /// Appends the records of the events `logging` selects. `qualifiers` (the alias and
    /// version ARNs an execution was started through, as `(member, ARN)`) join the details of
    /// its `ExecutionStarted`, as in its history.
    pub(crate) fn write(
        &self,
        logging: &Logging,
        execution_arn: &str,
        events: &[HistoryEvent],
        qualifiers: &[(&str, String)],
    ) {
        let Some(data_dir) = self.data_dir.get() else {
            return;
        };
        let mut text = String::new();
        for event in events
            .iter()
            .filter(|event| logging.level.logs(event.event_type))
        {
            let mut record = record(execution_arn, event, logging.include_execution_data);
            if event.event_type == "ExecutionStarted"
                && let Some(details) = record["details"].as_object_mut()
            {
                for (member, arn) in qualifiers {
                    details.insert((*member).to_owned(), json!(arn));
                }
            }
            text.push_str(&record.to_string());
            text.push('\n');
        }
        if text.is_empty() {
            return;
        }
        let mut files = self
            .files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let name = file_name(&logging.log_group);
        if !files.contains_key(&name) {
            let path = data_dir.join("logs").join(&name);
            let opened = std::fs::create_dir_all(data_dir.join("logs"))
                .and_then(|()| OpenOptions::new().create(true).append(true).open(&path));
            match opened {
                Ok(file) => {
                    files.insert(name.clone(), file);
                }
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot open the execution log");
                    return;
                }
            }
        }
        if let Some(file) = files.get_mut(&name)
            && let Err(error) = file.write_all(text.as_bytes())
        {
            tracing::warn!(log_group = %logging.log_group, %error, "cannot write the execution log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_select_like_aws() {
        assert!(LogLevel::All.logs("PassStateEntered"));
        assert!(!LogLevel::Error.logs("PassStateEntered"));
        assert!(LogLevel::Error.logs("TaskFailed"));
        assert!(LogLevel::Error.logs("FailStateEntered"));
        assert!(LogLevel::Error.logs("ExecutionTimedOut"));
        assert!(!LogLevel::Fatal.logs("TaskFailed"));
        assert!(LogLevel::Fatal.logs("ExecutionFailed"));
        assert!(!LogLevel::Off.logs("ExecutionFailed"));
    }

    #[test]
    fn log_groups_map_to_safe_file_names() {
        let arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/Orders:*";
        assert_eq!(log_group_name(arn), "/aws/vendedlogs/states/Orders");
        assert_eq!(file_name(arn), "%2Faws%2Fvendedlogs%2Fstates%2FOrders.log");
        assert_eq!(file_name("/aws/vendedlogs/states/Orders"), file_name(arn));
        assert_eq!(file_name("../x"), "..%2Fx.log");
    }
}
