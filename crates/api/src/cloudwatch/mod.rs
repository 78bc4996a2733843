//! The CloudWatch subset (issue 5): metric alarms and metric queries over the runtime's
//! `metrics::Series`, on the same port as Step Functions.
//!
//! # Protocol
//!
//! CloudWatch's model (`spec/monitoring-service-2.json`) lists `smithy-rpc-v2-cbor`, `json` and
//! `query`. botocore picks the first of *its* priority list that the model offers, and `json`
//! comes before the others there: boto3 1.44 and the aws CLI 1.46 both send **AWS JSON 1.0**,
//! `POST /` with `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`,
//! `Content-Type: application/x-amz-json-1.0` and `x-amzn-query-mode: true` (captured from both).
//! That is what is served. Because the service is `awsQueryCompatible`, an error answers the
//! query protocol's code in `x-amzn-query-error: <Code>;Sender`, which botocore reports as the
//! error code (`ResourceNotFound`, `InvalidParameterValue`, `MissingParameter`, ...), with the
//! JSON body `{"__type": ..., "message": ...}`. The query protocol (form-encoded, XML) and RPC v2
//! CBOR are not served: no current AWS CLI or boto3 sends them.
//!
//! # Time
//!
//! Timestamps in and out are on the runtime's metric clock (`runtime::observe`), which is the
//! wall clock unless `--time-scale` is set.

mod alarms;
mod error;
mod queries;

use axum::body::Bytes;
use serde_json::Value;

pub use alarms::{evaluate_alarms, spawn_evaluator};
pub use error::Error;

use crate::AppState;

/// The `X-Amz-Target` prefix of CloudWatch.
pub const TARGET_PREFIX: &str = "GraniteServiceVersion20100801.";

/// The operations served.
pub const OPERATIONS: &[&str] = &[
    "PutMetricAlarm",
    "DescribeAlarms",
    "DescribeAlarmHistory",
    "DeleteAlarms",
    "SetAlarmState",
    "GetMetricStatistics",
    "GetMetricData",
    "ListMetrics",
    "PutMetricData",
];

/// Runs one CloudWatch operation on a JSON 1.0 body.
pub(crate) async fn serve(
    state: &AppState,
    operation: &str,
    bytes: &Bytes,
) -> Result<Value, Error> {
    let input: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(bytes).map_err(|error| {
            Error::SerializationException(format!("the body is not JSON: {error}"))
        })?
    };
    if !input.is_object() {
        return Err(Error::SerializationException(
            "the body must be a JSON object".to_owned(),
        ));
    }
    match operation {
        "PutMetricAlarm" => alarms::put_metric_alarm(state, input).await,
        "DescribeAlarms" => alarms::describe_alarms(state, input).await,
        "DescribeAlarmHistory" => alarms::describe_alarm_history(state, input).await,
        "DeleteAlarms" => alarms::delete_alarms(state, input).await,
        "SetAlarmState" => alarms::set_alarm_state(state, input).await,
        "GetMetricStatistics" => queries::get_metric_statistics(state, input),
        "GetMetricData" => queries::get_metric_data(state, input),
        "ListMetrics" => queries::list_metrics(state, input),
        "PutMetricData" => queries::put_metric_data(state, input),
        other => Err(Error::InvalidAction(format!(
            "The action {other} is not valid for this web service."
        ))),
    }
}

/// Reads an optional member.
fn optional<'a>(input: &'a Value, name: &str) -> Option<&'a Value> {
    input.get(name).filter(|value| !value.is_null())
}

/// Reads a required member.
fn required<'a>(input: &'a Value, name: &str) -> Result<&'a Value, Error> {
    optional(input, name)
        .ok_or_else(|| Error::MissingParameter(format!("The parameter {name} is required.")))
}

fn string(input: &Value, name: &str) -> Result<Option<String>, Error> {
    match optional(input, name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(Error::SerializationException(format!(
            "{name} must be a string"
        ))),
    }
}

fn required_string(input: &Value, name: &str) -> Result<String, Error> {
    required(input, name)?;
    string(input, name).map(Option::unwrap_or_default)
}

fn number(input: &Value, name: &str) -> Result<Option<f64>, Error> {
    match optional(input, name) {
        None => Ok(None),
        Some(Value::Number(number)) => Ok(number.as_f64()),
        Some(_) => Err(Error::SerializationException(format!(
            "{name} must be a number"
        ))),
    }
}

fn integer(input: &Value, name: &str) -> Result<Option<i64>, Error> {
    match number(input, name)? {
        None => Ok(None),
        Some(value) if value.fract() == 0.0 => Ok(Some(value as i64)),
        Some(value) => Err(Error::SerializationException(format!(
            "{name} must be an integer, got {value}"
        ))),
    }
}

fn strings(input: &Value, name: &str) -> Result<Vec<String>, Error> {
    match optional(input, name) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    Error::SerializationException(format!("{name} must be a list of strings"))
                })
            })
            .collect(),
        Some(_) => Err(Error::SerializationException(format!(
            "{name} must be a list"
        ))),
    }
}

/// A timestamp member: epoch seconds (what botocore sends) or an ISO 8601 string.
fn timestamp_ms(input: &Value, name: &str) -> Result<Option<i64>, Error> {
    match optional(input, name) {
        None => Ok(None),
        Some(Value::Number(number)) => Ok(number.as_f64().map(|seconds| (seconds * 1000.0) as i64)),
        Some(Value::String(text)) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|time| Some(time.timestamp_millis()))
            .map_err(|_| {
                Error::InvalidParameterValue(format!(
                    "The parameter {name} must be a timestamp, got {text}"
                ))
            }),
        Some(_) => Err(Error::SerializationException(format!(
            "{name} must be a timestamp"
        ))),
    }
}

/// `[{Name, Value}]` into dimensions; CloudWatch's checks.
fn dimensions(input: &Value, name: &str) -> Result<metrics::Dimensions, Error> {
    let pairs = match optional(input, name) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                Ok((
                    required_string(item, "Name")?,
                    required_string(item, "Value")?,
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?,
        Some(_) => {
            return Err(Error::SerializationException(format!(
                "{name} must be a list"
            )));
        }
    };
    metrics::Dimensions::new(pairs).map_err(|error| Error::InvalidParameterValue(error.to_string()))
}

/// Dimensions as CloudWatch answers them.
fn dimensions_json(dimensions: &metrics::Dimensions) -> Value {
    Value::Array(
        dimensions
            .iter()
            .map(|(name, value)| serde_json::json!({"Name": name, "Value": value}))
            .collect(),
    )
}

/// The ARN of an alarm.
fn alarm_arn(state: &AppState, name: &str) -> String {
    let config = state.runtime.config();
    format!(
        "arn:aws:cloudwatch:{}:{}:alarm:{name}",
        config.region, config.account_id
    )
}
