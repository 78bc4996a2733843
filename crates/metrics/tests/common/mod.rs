//! Shared helpers of the integration tests: an alarm configuration with defaults, ranges
//! written as the docs write them (`0 - X - X`), and states.

#![allow(dead_code)] // Each test file uses a different part of the helpers.

use metrics::{
    AlarmConfig, AlarmState, ComparisonOperator, Dimensions, EvaluationRange, LowSampleCount,
    MetricId, RangeDatapoint, StateValue, Statistic, TreatMissingData,
};

/// 2026-11-26T10:00:00Z.
pub const T0: i64 = 1_795_687_200_000;

/// `Sum >= 1` over 60 s, N of N, on `Test/Failures`.
pub fn config(n: u32, m: Option<u32>, treat_missing_data: TreatMissingData) -> AlarmConfig {
    AlarmConfig {
        name: "test-alarm".to_owned(),
        metric: MetricId::new(
            "Test",
            "Failures",
            Dimensions::new([("Service", "orders")]).unwrap(),
        ),
        statistic: Statistic::Sum,
        period_s: 60,
        evaluation_periods: n,
        datapoints_to_alarm: m,
        threshold: 1.0,
        comparison_operator: ComparisonOperator::GreaterThanOrEqualToThreshold,
        treat_missing_data,
        evaluate_low_sample_count_percentile: LowSampleCount::Evaluate,
        actions_enabled: true,
        unit: None,
    }
}

/// A range written oldest first: `0` good (value 0), `X` breaching (value 1), `-` missing.
/// Periods are 60 s; the newest starts at `T0`.
pub fn range(pattern: &str) -> EvaluationRange {
    let symbols: Vec<char> = pattern.chars().filter(|c| !c.is_whitespace()).collect();
    let len = symbols.len() as i64;
    let datapoints = symbols
        .iter()
        .enumerate()
        .map(|(index, symbol)| RangeDatapoint {
            timestamp_ms: T0 - (len - 1 - index as i64) * 60_000,
            value: match symbol {
                '0' => Some(0.0),
                'X' => Some(1.0),
                '-' => None,
                other => panic!("bad symbol {other}"),
            },
            sample_count: u64::from(*symbol != '-'),
        })
        .collect();
    EvaluationRange {
        query_ms: T0 + 60_000,
        datapoints,
    }
}

/// A state with this value.
pub fn state(value: StateValue) -> AlarmState {
    AlarmState {
        value,
        reason: format!("was {value}"),
        reason_data: None,
        timestamp_ms: T0 - 3_600_000,
    }
}

/// Parses the docs' notation: `OK`, `ALARM`, `INSUFFICIENT_DATA` or `retain`.
pub fn expected(text: &str) -> Option<StateValue> {
    match text {
        "retain" => None,
        other => Some(other.parse().unwrap()),
    }
}
