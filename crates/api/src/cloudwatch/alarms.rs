//! Metric alarms: `PutMetricAlarm`, `DescribeAlarms`, `DescribeAlarmHistory`, `DeleteAlarms`,
//! `SetAlarmState`, and the evaluator that runs every alarm on a (time-scaled) schedule.
//!
//! An alarm is stored as the `PutMetricAlarm` members it was given (JSON text: a persisted
//! format only this module reads) with its state in columns; `metrics::evaluate` decides each
//! evaluation as CloudWatch does, and a change is written with its history item in one
//! transaction. Alarm actions (SNS, Auto Scaling, ...) are kept and shown but not performed:
//! Switchback's deployments read the alarm state instead.

use std::time::Duration;

use metrics::{
    AlarmConfig, AlarmState, ComparisonOperator, HistoryItem, LowSampleCount, MetricId, StateValue,
    Statistic, TreatMissingData,
};
use serde_json::{Map, Value, json};
use store::{AlarmHistoryRecord, AlarmRecord, AlarmStateChange};
use tokio::task::JoinHandle;

use super::{
    Error, alarm_arn, dimensions, integer, number, optional, required, required_string, string,
    strings, timestamp_ms,
};
use crate::AppState;
use crate::wire::timestamp;

/// The members of `PutMetricAlarm` kept and shown by `DescribeAlarms`.
const KEPT_MEMBERS: &[&str] = &[
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
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
    "EvaluateLowSampleCountPercentile",
];

fn invalid(error: metrics::Error) -> Error {
    match error {
        metrics::Error::StatisticChoice => Error::InvalidParameterCombination(error.to_string()),
        metrics::Error::InvalidPeriod(_)
        | metrics::Error::InvalidEvaluationPeriods
        | metrics::Error::InvalidDatapointsToAlarm { .. }
        | metrics::Error::EvaluationTooLong { .. }
        | metrics::Error::NonFiniteThreshold => Error::ValidationError(error.to_string()),
        other => Error::InvalidParameterValue(other.to_string()),
    }
}

fn positive(input: &Value, name: &str) -> Result<Option<u32>, Error> {
    match integer(input, name)? {
        None => Ok(None),
        Some(value) if (1..=i64::from(u32::MAX)).contains(&value) => Ok(Some(value as u32)),
        Some(value) => Err(Error::InvalidParameterValue(format!(
            "The value {value} for parameter {name} is invalid."
        ))),
    }
}

/// The evaluation configuration of stored (or incoming) `PutMetricAlarm` members.
pub(crate) fn config_from(name: &str, input: &Value) -> Result<AlarmConfig, Error> {
    if optional(input, "Metrics").is_some() || optional(input, "ThresholdMetricId").is_some() {
        return Err(Error::ValidationError(
            "Metric math alarms (Metrics, ThresholdMetricId) are not supported by Switchback"
                .to_owned(),
        ));
    }
    let metric = MetricId::new(
        required_string(input, "Namespace")?,
        required_string(input, "MetricName")?,
        dimensions(input, "Dimensions")?,
    );
    let statistic = Statistic::from_fields(
        string(input, "Statistic")?.as_deref(),
        string(input, "ExtendedStatistic")?.as_deref(),
    )
    .map_err(invalid)?;
    required(input, "Period")?;
    required(input, "EvaluationPeriods")?;
    required(input, "Threshold")?;
    let comparison_operator: ComparisonOperator = required_string(input, "ComparisonOperator")?
        .parse()
        .map_err(invalid)?;
    let treat_missing_data: TreatMissingData = string(input, "TreatMissingData")?
        .unwrap_or_else(|| "missing".to_owned())
        .parse()
        .map_err(invalid)?;
    let evaluate_low_sample_count_percentile: LowSampleCount =
        match string(input, "EvaluateLowSampleCountPercentile")? {
            Some(text) => text.parse().map_err(invalid)?,
            None => LowSampleCount::default(),
        };
    let unit = match string(input, "Unit")? {
        Some(text) => Some(text.parse().map_err(invalid)?),
        None => None,
    };
    let actions_enabled = match optional(input, "ActionsEnabled") {
        None => true,
        Some(Value::Bool(enabled)) => *enabled,
        Some(_) => {
            return Err(Error::SerializationException(
                "ActionsEnabled must be a boolean".to_owned(),
            ));
        }
    };
    let config = AlarmConfig {
        name: name.to_owned(),
        metric,
        statistic,
        period_s: positive(input, "Period")?.unwrap_or_default(),
        evaluation_periods: positive(input, "EvaluationPeriods")?.unwrap_or_default(),
        datapoints_to_alarm: positive(input, "DatapointsToAlarm")?,
        threshold: number(input, "Threshold")?.unwrap_or_default(),
        comparison_operator,
        treat_missing_data,
        evaluate_low_sample_count_percentile,
        actions_enabled,
        unit,
    };
    config.validate().map_err(invalid)?;
    Ok(config)
}

fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > 255 {
        return Err(Error::InvalidParameterValue(format!(
            "The value {name} for parameter AlarmName is invalid: it must be 1 to 255 characters"
        )));
    }
    Ok(())
}

/// `PutMetricAlarm`.
pub(crate) async fn put_metric_alarm(state: &AppState, input: Value) -> Result<Value, Error> {
    let name = required_string(&input, "AlarmName")?;
    check_name(&name)?;
    config_from(&name, &input)?;
    let mut kept = Map::new();
    for member in KEPT_MEMBERS {
        if let Some(value) = optional(&input, member) {
            kept.insert((*member).to_owned(), value.clone());
        }
    }
    let now_ms = state.runtime.observer().now_ms();
    let initial = AlarmState::initial(now_ms);
    let existed = match state.runtime.store().get_alarm(&name).await {
        Ok(_) => true,
        Err(store::Error::NotFound(_)) => false,
        Err(error) => return Err(error.into()),
    };
    let (verb, kind) = if existed {
        ("updated", "Update")
    } else {
        ("created", "Create")
    };
    let record = AlarmRecord {
        name: name.clone(),
        config: Value::Object(kept).to_string(),
        config_updated_ms: now_ms,
        state_value: initial.value.as_str().to_owned(),
        state_reason: initial.reason,
        state_reason_data: None,
        state_updated_ms: now_ms,
    };
    let history = AlarmHistoryRecord {
        alarm_name: name.clone(),
        timestamp_ms: now_ms,
        item_type: "ConfigurationUpdate".to_owned(),
        summary: format!("Alarm \"{name}\" {verb}"),
        data: json!({"version": "1.0", "type": kind}).to_string(),
    };
    state.runtime.store().put_alarm(record, history).await?;
    Ok(json!({}))
}

fn state_of(record: &AlarmRecord) -> AlarmState {
    AlarmState {
        value: record
            .state_value
            .parse()
            .unwrap_or(StateValue::InsufficientData),
        reason: record.state_reason.clone(),
        reason_data: record.state_reason_data.clone(),
        timestamp_ms: record.state_updated_ms,
    }
}

fn metric_alarm(state: &AppState, record: &AlarmRecord) -> Value {
    let mut alarm = Map::new();
    alarm.insert("AlarmName".to_owned(), json!(record.name));
    alarm.insert("AlarmArn".to_owned(), json!(alarm_arn(state, &record.name)));
    let config: Map<String, Value> = serde_json::from_str(&record.config).unwrap_or_default();
    if let Some(description) = config.get("AlarmDescription") {
        alarm.insert("AlarmDescription".to_owned(), description.clone());
    }
    alarm.insert(
        "AlarmConfigurationUpdatedTimestamp".to_owned(),
        timestamp(record.config_updated_ms),
    );
    alarm.insert(
        "ActionsEnabled".to_owned(),
        config.get("ActionsEnabled").cloned().unwrap_or(json!(true)),
    );
    for actions in ["OKActions", "AlarmActions", "InsufficientDataActions"] {
        alarm.insert(
            actions.to_owned(),
            config.get(actions).cloned().unwrap_or_else(|| json!([])),
        );
    }
    alarm.insert("StateValue".to_owned(), json!(record.state_value));
    alarm.insert("StateReason".to_owned(), json!(record.state_reason));
    if let Some(data) = &record.state_reason_data {
        alarm.insert("StateReasonData".to_owned(), json!(data));
    }
    alarm.insert(
        "StateUpdatedTimestamp".to_owned(),
        timestamp(record.state_updated_ms),
    );
    for member in ["MetricName", "Namespace", "Statistic", "ExtendedStatistic"] {
        if let Some(value) = config.get(member) {
            alarm.insert(member.to_owned(), value.clone());
        }
    }
    alarm.insert(
        "Dimensions".to_owned(),
        config
            .get("Dimensions")
            .cloned()
            .unwrap_or_else(|| json!([])),
    );
    for member in [
        "Period",
        "Unit",
        "EvaluationPeriods",
        "DatapointsToAlarm",
        "Threshold",
        "ComparisonOperator",
        "TreatMissingData",
        "EvaluateLowSampleCountPercentile",
    ] {
        if let Some(value) = config.get(member) {
            alarm.insert(member.to_owned(), value.clone());
        }
    }
    alarm.insert(
        "StateTransitionedTimestamp".to_owned(),
        timestamp(record.state_updated_ms),
    );
    Value::Object(alarm)
}

fn page_size(input: &Value, name: &str, default: usize) -> Result<usize, Error> {
    match integer(input, name)? {
        None => Ok(default),
        Some(value) if (1..=100).contains(&value) => Ok(value as usize),
        Some(value) => Err(Error::InvalidParameterValue(format!(
            "The value {value} for parameter {name} is invalid: it must be between 1 and 100"
        ))),
    }
}

fn start_index(input: &Value) -> Result<usize, Error> {
    match string(input, "NextToken")? {
        None => Ok(0),
        Some(token) => token
            .strip_prefix("sb1-")
            .and_then(|index| index.parse().ok())
            .ok_or_else(|| Error::InvalidNextToken(format!("Invalid NextToken: {token}"))),
    }
}

fn paged(items: Vec<Value>, start: usize, size: usize) -> (Vec<Value>, Option<String>) {
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(size).collect();
    let next = (start + size < total).then(|| format!("sb1-{}", start + size));
    (page, next)
}

/// `DescribeAlarms`.
pub(crate) async fn describe_alarms(state: &AppState, input: Value) -> Result<Value, Error> {
    let names = strings(&input, "AlarmNames")?;
    let prefix = string(&input, "AlarmNamePrefix")?;
    if !names.is_empty() && prefix.is_some() {
        return Err(Error::InvalidParameterCombination(
            "AlarmNames and AlarmNamePrefix cannot be specified together".to_owned(),
        ));
    }
    let state_value = match string(&input, "StateValue")? {
        Some(text) => Some(text.parse::<StateValue>().map_err(invalid)?),
        None => None,
    };
    let types = strings(&input, "AlarmTypes")?;
    let size = page_size(&input, "MaxRecords", 50)?;
    let start = start_index(&input)?;
    let wants_metric_alarms = types.is_empty() || types.iter().any(|kind| kind == "MetricAlarm");
    let records = if wants_metric_alarms {
        state.runtime.store().list_alarms().await?
    } else {
        Vec::new()
    };
    let alarms: Vec<Value> = records
        .iter()
        .filter(|record| names.is_empty() || names.contains(&record.name))
        .filter(|record| {
            prefix
                .as_ref()
                .is_none_or(|prefix| record.name.starts_with(prefix))
        })
        .filter(|record| state_value.is_none_or(|value| record.state_value == value.as_str()))
        .map(|record| metric_alarm(state, record))
        .collect();
    let (page, next) = paged(alarms, start, size);
    let mut output = json!({"MetricAlarms": page, "CompositeAlarms": []});
    if let Some(next) = next {
        output["NextToken"] = json!(next);
    }
    Ok(output)
}

/// `DescribeAlarmHistory`.
pub(crate) async fn describe_alarm_history(state: &AppState, input: Value) -> Result<Value, Error> {
    let name = string(&input, "AlarmName")?;
    let item_type = string(&input, "HistoryItemType")?;
    let start_ms = timestamp_ms(&input, "StartDate")?;
    let end_ms = timestamp_ms(&input, "EndDate")?;
    let size = page_size(&input, "MaxRecords", 100)?;
    let start = start_index(&input)?;
    let ascending = string(&input, "ScanBy")?.as_deref() == Some("TimestampAscending");
    let types = strings(&input, "AlarmTypes")?;
    if !types.is_empty() && !types.iter().any(|kind| kind == "MetricAlarm") {
        return Ok(json!({"AlarmHistoryItems": []}));
    }
    let mut records = state.runtime.store().alarm_history(name.as_deref()).await?;
    if ascending {
        records.reverse();
    }
    let items: Vec<Value> = records
        .into_iter()
        .filter(|item| {
            item_type
                .as_ref()
                .is_none_or(|kind| &item.item_type == kind)
        })
        .filter(|item| start_ms.is_none_or(|start| item.timestamp_ms >= start))
        .filter(|item| end_ms.is_none_or(|end| item.timestamp_ms <= end))
        .map(|item| {
            json!({
                "AlarmName": item.alarm_name,
                "AlarmType": "MetricAlarm",
                "Timestamp": timestamp(item.timestamp_ms),
                "HistoryItemType": item.item_type,
                "HistorySummary": item.summary,
                "HistoryData": item.data,
            })
        })
        .collect();
    let (page, next) = paged(items, start, size);
    let mut output = json!({"AlarmHistoryItems": page});
    if let Some(next) = next {
        output["NextToken"] = json!(next);
    }
    Ok(output)
}

/// `DeleteAlarms`: every name must exist, or nothing is deleted (`ResourceNotFound`).
pub(crate) async fn delete_alarms(state: &AppState, input: Value) -> Result<Value, Error> {
    required(&input, "AlarmNames")?;
    let names = strings(&input, "AlarmNames")?;
    let store = state.runtime.store();
    for name in &names {
        store.get_alarm(name).await?;
    }
    store.delete_alarms(names).await?;
    Ok(json!({}))
}

/// `SetAlarmState`: the state holds until the next evaluation decides otherwise.
pub(crate) async fn set_alarm_state(state: &AppState, input: Value) -> Result<Value, Error> {
    let name = required_string(&input, "AlarmName")?;
    let value: StateValue = required_string(&input, "StateValue")?
        .parse()
        .map_err(invalid)?;
    let reason = required_string(&input, "StateReason")?;
    let reason_data = string(&input, "StateReasonData")?;
    if let Some(data) = &reason_data
        && serde_json::from_str::<Value>(data).is_err()
    {
        return Err(Error::InvalidFormat(
            "The StateReasonData is not valid JSON".to_owned(),
        ));
    }
    let record = state.runtime.store().get_alarm(&name).await?;
    let old = state_of(&record);
    let new = AlarmState {
        value,
        reason,
        reason_data,
        timestamp_ms: state.runtime.observer().now_ms(),
    };
    let history = (old.value != new.value).then(|| HistoryItem::state_update(&name, &old, &new));
    write_state(state, &name, &new, history).await?;
    Ok(json!({}))
}

async fn write_state(
    state: &AppState,
    name: &str,
    new: &AlarmState,
    history: Option<HistoryItem>,
) -> Result<(), Error> {
    state
        .runtime
        .store()
        .set_alarm_state(AlarmStateChange {
            name: name.to_owned(),
            state_value: new.value.as_str().to_owned(),
            state_reason: new.reason.clone(),
            state_reason_data: new.reason_data.clone(),
            state_updated_ms: new.timestamp_ms,
            history: history.map(|item| AlarmHistoryRecord {
                alarm_name: item.alarm_name,
                timestamp_ms: item.timestamp_ms,
                item_type: item.item_type.to_owned(),
                summary: item.summary,
                data: item.data,
            }),
        })
        .await?;
    Ok(())
}

/// Evaluates every alarm once, at the metric clock's now, and records the changes. Answers
/// how many alarms changed state.
pub async fn evaluate_alarms(state: &AppState) -> Result<usize, Error> {
    // Among several nodes one evaluates (every node's series holds every node's samples).
    if !state.runtime.evaluates_alarms() {
        return Ok(0);
    }
    let records = state.runtime.store().list_alarms().await?;
    let observer = state.runtime.observer();
    let now_ms = observer.now_ms();
    let mut changed = 0;
    for record in records {
        let config = match serde_json::from_str::<Value>(&record.config)
            .map_err(|error| Error::InternalServiceError(error.to_string()))
            .and_then(|input| config_from(&record.name, &input))
        {
            Ok(config) => config,
            Err(error) => {
                tracing::error!(alarm = %record.name, %error, "cannot read the alarm");
                continue;
            }
        };
        let previous = state_of(&record);
        let evaluation =
            observer.with_series(|series| metrics::evaluate(&config, series, now_ms, &previous));
        if !evaluation.changed {
            continue;
        }
        if evaluation.fire_actions {
            tracing::info!(
                alarm = %record.name,
                state = %evaluation.state.value,
                "alarm changed state (actions are not performed by Switchback)"
            );
        }
        match write_state(
            state,
            &record.name,
            &evaluation.state,
            evaluation.history_item,
        )
        .await
        {
            Ok(()) => changed += 1,
            // Deleted while it was evaluated.
            Err(Error::ResourceNotFound(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(changed)
}

/// Evaluates every alarm every 10 seconds of the metric clock (CloudWatch evaluates about
/// once a minute; more often changes nothing but the latency), that is every `10 s /
/// --time-scale` of wall-clock time, but at most four times a wall-clock second: a round of
/// 1,000 alarms costs about 35 ms (`cargo bench -p metrics --bench alarms`).
pub fn spawn_evaluator(state: AppState) -> JoinHandle<()> {
    let scale = state.runtime.observer().time_scale();
    let every = Duration::from_secs_f64((10.0 / scale).max(0.25));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(error) = evaluate_alarms(&state).await {
                tracing::error!(%error, "alarm evaluation failed");
            }
        }
    })
}
