//! Metric data: `GetMetricStatistics`, `GetMetricData`, `ListMetrics` and `PutMetricData`, over
//! the runtime's series (its period aggregation answers every query from per-second buckets).

use metrics::{Datapoint, MetricId, Sample, Statistic, Unit};
use serde_json::{Map, Value, json};

use super::{
    Error, dimensions, dimensions_json, integer, number, optional, required, required_string,
    string, strings, timestamp_ms,
};
use crate::AppState;
use crate::wire::timestamp;

/// The most datapoints `GetMetricStatistics` answers.
const MAX_DATAPOINTS: i64 = 1440;

/// `ListMetrics` answers at most this many metrics per page.
const LIST_PAGE: usize = 500;

fn period_ms(input: &Value, name: &str) -> Result<i64, Error> {
    required(input, name)?;
    match integer(input, name)? {
        Some(period) if period >= 1 => Ok(period * 1000),
        other => Err(Error::InvalidParameterValue(format!(
            "The parameter {name} must be a positive integer, got {}",
            other.unwrap_or_default()
        ))),
    }
}

fn unit(input: &Value) -> Result<Option<Unit>, Error> {
    match string(input, "Unit")? {
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|error: metrics::Error| Error::InvalidParameterValue(error.to_string())),
        None => Ok(None),
    }
}

fn time_range(input: &Value) -> Result<(i64, i64), Error> {
    required(input, "StartTime")?;
    required(input, "EndTime")?;
    let start_ms = timestamp_ms(input, "StartTime")?.unwrap_or_default();
    let end_ms = timestamp_ms(input, "EndTime")?.unwrap_or_default();
    if end_ms <= start_ms {
        return Err(Error::InvalidParameterValue(
            "The parameter StartTime must be less than the parameter EndTime.".to_owned(),
        ));
    }
    Ok((start_ms, end_ms))
}

fn datapoints(
    state: &AppState,
    metric: &MetricId,
    (start_ms, end_ms): (i64, i64),
    period_ms: i64,
    unit: Option<Unit>,
    with_percentiles: bool,
) -> Vec<Datapoint> {
    state.runtime.observer().with_series(|series| {
        series
            .datapoints(metric, start_ms, end_ms, period_ms, with_percentiles)
            .into_iter()
            .filter(|datapoint| unit.is_none_or(|unit| unit == datapoint.unit))
            .collect()
    })
}

/// `GetMetricStatistics`.
pub(crate) fn get_metric_statistics(state: &AppState, input: Value) -> Result<Value, Error> {
    let metric = MetricId::new(
        required_string(&input, "Namespace")?,
        required_string(&input, "MetricName")?,
        dimensions(&input, "Dimensions")?,
    );
    let range = time_range(&input)?;
    let period_ms = period_ms(&input, "Period")?;
    let standard = strings(&input, "Statistics")?
        .iter()
        .map(|text| Statistic::parse_standard(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| Error::InvalidParameterValue(error.to_string()))?;
    let extended = strings(&input, "ExtendedStatistics")?
        .iter()
        .map(|text| Statistic::parse_extended(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| Error::InvalidParameterValue(error.to_string()))?;
    if standard.is_empty() && extended.is_empty() {
        return Err(Error::InvalidParameterCombination(
            "Must specify either Statistics or ExtendedStatistics".to_owned(),
        ));
    }
    let requested = (range.1 - range.0 + period_ms - 1) / period_ms;
    if requested > MAX_DATAPOINTS {
        return Err(Error::InvalidParameterCombination(format!(
            "You have requested up to {requested} datapoints, which exceeds the limit of {MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
        )));
    }
    let unit = unit(&input)?;
    let found = datapoints(state, &metric, range, period_ms, unit, !extended.is_empty());
    let datapoints: Vec<Value> = found
        .iter()
        .map(|datapoint| {
            let mut out = Map::new();
            out.insert("Timestamp".to_owned(), timestamp(datapoint.timestamp_ms));
            for statistic in &standard {
                if let Some(value) = datapoint.aggregate.statistic(statistic) {
                    out.insert(statistic.as_str().to_owned(), json!(value));
                }
            }
            if !extended.is_empty() {
                let values: Map<String, Value> = extended
                    .iter()
                    .filter_map(|statistic| {
                        let value = datapoint.aggregate.statistic(statistic)?;
                        Some((statistic.as_str().to_owned(), json!(value)))
                    })
                    .collect();
                out.insert("ExtendedStatistics".to_owned(), Value::Object(values));
            }
            out.insert("Unit".to_owned(), json!(datapoint.unit.as_str()));
            Value::Object(out)
        })
        .collect();
    Ok(json!({"Label": metric.name, "Datapoints": datapoints}))
}

/// `GetMetricData` with `MetricStat` queries (metric math is not supported).
pub(crate) fn get_metric_data(state: &AppState, input: Value) -> Result<Value, Error> {
    let range = time_range(&input)?;
    required(&input, "MetricDataQueries")?;
    let Some(Value::Array(queries)) = optional(&input, "MetricDataQueries") else {
        return Err(Error::SerializationException(
            "MetricDataQueries must be a list".to_owned(),
        ));
    };
    let ascending = string(&input, "ScanBy")?.as_deref() == Some("TimestampAscending");
    let mut results = Vec::new();
    for query in queries {
        let id = required_string(query, "Id")?;
        if optional(query, "Expression").is_some() {
            return Err(Error::ValidationError(format!(
                "The query {id} uses a metric math Expression, which Switchback does not support"
            )));
        }
        let stat = required(query, "MetricStat")?;
        let metric_input = required(stat, "Metric")?;
        let metric = MetricId::new(
            required_string(metric_input, "Namespace")?,
            required_string(metric_input, "MetricName")?,
            dimensions(metric_input, "Dimensions")?,
        );
        let period_ms = period_ms(stat, "Period")?;
        let stat_name = required_string(stat, "Stat")?;
        let statistic = Statistic::parse_standard(&stat_name)
            .or_else(|_| Statistic::parse_extended(&stat_name))
            .map_err(|error| Error::InvalidParameterValue(error.to_string()))?;
        let unit = unit(stat)?;
        if matches!(optional(query, "ReturnData"), Some(Value::Bool(false))) {
            continue;
        }
        let mut found = datapoints(
            state,
            &metric,
            range,
            period_ms,
            unit,
            statistic.is_extended(),
        );
        if !ascending {
            found.reverse();
        }
        let (timestamps, values): (Vec<Value>, Vec<Value>) = found
            .iter()
            .filter_map(|datapoint| {
                let value = datapoint.aggregate.statistic(&statistic)?;
                Some((timestamp(datapoint.timestamp_ms), json!(value)))
            })
            .unzip();
        let label = string(query, "Label")?.unwrap_or_else(|| metric.name.clone());
        results.push(json!({
            "Id": id,
            "Label": label,
            "Timestamps": timestamps,
            "Values": values,
            "StatusCode": "Complete",
        }));
    }
    Ok(json!({"MetricDataResults": results, "Messages": []}))
}

/// `ListMetrics`: the metrics with data in the retention window, in order of namespace, name
/// and dimensions.
pub(crate) fn list_metrics(state: &AppState, input: Value) -> Result<Value, Error> {
    let namespace = string(&input, "Namespace")?;
    let metric_name = string(&input, "MetricName")?;
    let filters: Vec<(String, Option<String>)> = match optional(&input, "Dimensions") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| Ok((required_string(item, "Name")?, string(item, "Value")?)))
            .collect::<Result<_, Error>>()?,
        Some(_) => {
            return Err(Error::SerializationException(
                "Dimensions must be a list".to_owned(),
            ));
        }
    };
    let start = match string(&input, "NextToken")? {
        None => 0,
        Some(token) => token
            .strip_prefix("sb1-")
            .and_then(|index| index.parse().ok())
            .ok_or_else(|| Error::InvalidNextToken(format!("Invalid NextToken: {token}")))?,
    };
    let mut metrics: Vec<MetricId> = state.runtime.observer().with_series(|series| {
        series
            .metrics()
            .filter(|metric| namespace.as_ref().is_none_or(|ns| &metric.namespace == ns))
            .filter(|metric| metric_name.as_ref().is_none_or(|name| &metric.name == name))
            .filter(|metric| {
                filters.iter().all(|(name, value)| {
                    metric
                        .dimensions
                        .get(name)
                        .is_some_and(|found| value.as_ref().is_none_or(|value| value == found))
                })
            })
            .cloned()
            .collect()
    });
    metrics.sort();
    let total = metrics.len();
    let page: Vec<Value> = metrics
        .iter()
        .skip(start)
        .take(LIST_PAGE)
        .map(|metric| {
            json!({
                "Namespace": metric.namespace,
                "MetricName": metric.name,
                "Dimensions": dimensions_json(&metric.dimensions),
            })
        })
        .collect();
    let mut output = json!({"Metrics": page});
    if start + LIST_PAGE < total {
        output["NextToken"] = json!(format!("sb1-{}", start + LIST_PAGE));
    }
    Ok(output)
}

/// The most samples one `StatisticValues` set may stand for (it is recorded as that many
/// samples: the minimum, the maximum and the rest at the value that keeps the sum exact).
const MAX_STATISTIC_SAMPLES: f64 = 10_000.0;

/// `PutMetricData`: `Value`, `Values` with `Counts`, or `StatisticValues`.
pub(crate) fn put_metric_data(state: &AppState, input: Value) -> Result<Value, Error> {
    let namespace = required_string(&input, "Namespace")?;
    if namespace.starts_with("AWS/") {
        return Err(Error::InvalidParameterValue(format!(
            "The value {namespace} for parameter Namespace is invalid."
        )));
    }
    required(&input, "MetricData")?;
    let Some(Value::Array(data)) = optional(&input, "MetricData") else {
        return Err(Error::SerializationException(
            "MetricData must be a list".to_owned(),
        ));
    };
    let observer = state.runtime.observer();
    let now_ms = observer.now_ms();
    let mut samples = Vec::new();
    for datum in data {
        let metric = MetricId::new(
            namespace.clone(),
            required_string(datum, "MetricName")?,
            dimensions(datum, "Dimensions")?,
        );
        let at_ms = timestamp_ms(datum, "Timestamp")?.unwrap_or(now_ms);
        let unit = unit(datum)?.unwrap_or_default();
        let mut push = |value: f64, count: u64| -> Result<(), Error> {
            if !value.is_finite() {
                return Err(Error::InvalidParameterValue(format!(
                    "The value {value} for parameter MetricData.member.Value is invalid."
                )));
            }
            for _ in 0..count {
                samples.push((metric.clone(), Sample { at_ms, value, unit }));
            }
            Ok(())
        };
        let value = number(datum, "Value")?;
        let values = optional(datum, "Values");
        let statistics = optional(datum, "StatisticValues");
        match (value, values, statistics) {
            (Some(value), None, None) => push(value, 1)?,
            (None, Some(Value::Array(values)), None) => {
                let counts: Vec<f64> = match optional(datum, "Counts") {
                    Some(Value::Array(counts)) => counts.iter().filter_map(Value::as_f64).collect(),
                    _ => vec![1.0; values.len()],
                };
                if counts.len() != values.len() {
                    return Err(Error::InvalidParameterValue(
                        "The Values and Counts lists must have the same length".to_owned(),
                    ));
                }
                for (value, count) in values.iter().zip(counts) {
                    let value = value.as_f64().ok_or_else(|| {
                        Error::SerializationException("Values must be numbers".to_owned())
                    })?;
                    push(value, count.clamp(0.0, MAX_STATISTIC_SAMPLES) as u64)?;
                }
            }
            (None, None, Some(statistics)) => {
                let field = |name: &str| -> Result<f64, Error> {
                    required(statistics, name)?;
                    Ok(number(statistics, name)?.unwrap_or_default())
                };
                let (count, sum) = (field("SampleCount")?, field("Sum")?);
                let (minimum, maximum) = (field("Minimum")?, field("Maximum")?);
                if !(1.0..=MAX_STATISTIC_SAMPLES).contains(&count) || count.fract() != 0.0 {
                    return Err(Error::InvalidParameterValue(format!(
                        "StatisticValues.SampleCount must be a whole number from 1 to {MAX_STATISTIC_SAMPLES}, got {count}"
                    )));
                }
                if count == 1.0 {
                    push(sum, 1)?;
                } else {
                    push(minimum, 1)?;
                    push(maximum, 1)?;
                    if count > 2.0 {
                        push((sum - minimum - maximum) / (count - 2.0), count as u64 - 2)?;
                    }
                }
            }
            _ => {
                return Err(Error::InvalidParameterCombination(
                    "The parameters MetricData.member.Value, MetricData.member.Values and MetricData.member.StatisticValues are mutually exclusive and you have specified none or more than one of them".to_owned(),
                ));
            }
        }
    }
    observer.record(samples);
    Ok(json!({}))
}
