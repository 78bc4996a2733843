//! State reasons, reason data and history items as CloudWatch writes them.

mod common;

use common::{T0, config, range, state};
use metrics::alarm::decide;
use metrics::{AlarmState, ComparisonOperator, StateValue, TreatMissingData};
use serde_json::Value;

fn reason(
    pattern: &str,
    n: u32,
    m: Option<u32>,
    mode: TreatMissingData,
    from: StateValue,
) -> String {
    let evaluation = decide(&config(n, m, mode), &range(pattern), &state(from), T0);
    assert!(evaluation.changed, "{pattern}");
    evaluation.state.reason
}

/// (range, N, M, TreatMissingData, previous state, reason).
type Case = (
    &'static str,
    u32,
    Option<u32>,
    TreatMissingData,
    StateValue,
    &'static str,
);

#[test]
fn reasons_match_cloudwatch_wording() {
    use StateValue::*;
    use TreatMissingData::*;
    let cases: &[Case] = &[
        (
            "- - X",
            1,
            Some(1),
            Missing,
            InsufficientData,
            "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (26/11/26 10:00:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
        ),
        (
            "- - 0",
            1,
            Some(1),
            Missing,
            Alarm,
            "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (26/11/26 10:00:00)] was not greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition).",
        ),
        (
            "- - X",
            1,
            None,
            Missing,
            Ok,
            "Threshold Crossed: 1 datapoint [1.0 (26/11/26 10:00:00)] was greater than or equal to the threshold (1.0).",
        ),
        (
            "0 X X 0 X",
            3,
            Some(2),
            Missing,
            Ok,
            "Threshold Crossed: 2 out of the last 3 datapoints [1.0 (26/11/26 10:00:00), 1.0 (26/11/26 09:58:00)] were greater than or equal to the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition).",
        ),
        (
            "X X 0 0 X",
            3,
            Some(2),
            Missing,
            Alarm,
            "Threshold Crossed: 2 out of the last 3 datapoints [0.0 (26/11/26 09:59:00), 0.0 (26/11/26 09:58:00)] were not greater than or equal to the threshold (1.0) (minimum 2 datapoints for ALARM -> OK transition).",
        ),
        (
            "X X X X X",
            3,
            None,
            Missing,
            Ok,
            "Threshold Crossed: 3 datapoints [1.0 (26/11/26 10:00:00), 1.0 (26/11/26 09:59:00), 1.0 (26/11/26 09:58:00)] were greater than or equal to the threshold (1.0).",
        ),
        (
            "- - -",
            1,
            Some(1),
            Breaching,
            Ok,
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].",
        ),
        (
            "- - - - -",
            3,
            None,
            NotBreaching,
            Alarm,
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching].",
        ),
        (
            "0 - - - -",
            3,
            None,
            Breaching,
            Alarm,
            "Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [Breaching].",
        ),
        (
            "- - - - -",
            3,
            None,
            Missing,
            Ok,
            "Insufficient Data: 3 datapoints were unknown.",
        ),
        (
            "- - -",
            1,
            None,
            Missing,
            Alarm,
            "Insufficient Data: 1 datapoint was unknown.",
        ),
    ];
    for (pattern, n, m, mode, from, want) in cases {
        assert_eq!(reason(pattern, *n, *m, *mode, *from), *want, "{pattern}");
    }
}

#[test]
fn operators_and_numbers_are_written_as_cloudwatch_writes_them() {
    let mut config = config(1, Some(1), TreatMissingData::Missing);
    config.comparison_operator = ComparisonOperator::LessThanOrEqualToThreshold;
    config.threshold = 70.0;
    let mut range = range("- - -");
    range.datapoints[2].value = Some(6.046241709654764);
    let evaluation = decide(&config, &range, &AlarmState::initial(T0), T0);
    assert_eq!(
        evaluation.state.reason,
        "Threshold Crossed: 1 out of the last 1 datapoints [6.046241709654764 (26/11/26 10:00:00)] was less than or equal to the threshold (70.0) (minimum 1 datapoint for OK -> ALARM transition)."
    );
    config.comparison_operator = ComparisonOperator::GreaterThanThreshold;
    config.threshold = 1e7;
    range.datapoints[2].value = Some(2.5e7);
    let evaluation = decide(&config, &range, &AlarmState::initial(T0), T0);
    assert!(
        evaluation
            .state
            .reason
            .contains("[2.5E7 (26/11/26 10:00:00)] was greater than the threshold (1.0E7)")
    );
}

#[test]
fn reason_data_and_history_item() {
    let config = config(1, Some(1), TreatMissingData::NotBreaching);
    let initial = AlarmState::initial(T0 - 600_000);
    let mut range = range("- 0 X");
    range.datapoints[2].sample_count = 3;
    let evaluation = decide(&config, &range, &initial, T0 + 30_000);
    assert!(evaluation.fire_actions);
    let data = evaluation.state.reason_data.as_deref().unwrap();
    assert_eq!(
        data,
        r#"{"version":"1.0","queryDate":"2026-11-26T10:00:30.000+0000","startDate":"2026-11-26T09:58:00.000+0000","statistic":"Sum","period":60,"recentDatapoints":[0.0,1.0],"threshold":1.0,"evaluatedDatapoints":[{"timestamp":"2026-11-26T10:00:00.000+0000","sampleCount":3.0,"value":1.0}]}"#
    );
    let item = evaluation.history_item.unwrap();
    assert_eq!(item.alarm_name, "test-alarm");
    assert_eq!(item.item_type, "StateUpdate");
    assert_eq!(
        item.summary,
        "Alarm updated from INSUFFICIENT_DATA to ALARM"
    );
    assert_eq!(item.timestamp_ms, T0 + 30_000);
    let history: Value = serde_json::from_str(&item.data).unwrap();
    assert_eq!(history["version"], "1.0");
    assert_eq!(history["oldState"]["stateValue"], "INSUFFICIENT_DATA");
    assert_eq!(
        history["oldState"]["stateReason"],
        "Unchecked: Initial alarm creation"
    );
    assert!(history["oldState"].get("stateReasonData").is_none());
    assert_eq!(history["newState"]["stateValue"], "ALARM");
    assert_eq!(history["newState"]["stateReasonData"]["threshold"], 1.0);
    let keys: Vec<&str> = history
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["version", "oldState", "newState"]);
}

#[test]
fn an_unchanged_state_keeps_its_reason_and_timestamp_and_fires_nothing() {
    let config = config(1, Some(1), TreatMissingData::Missing);
    let previous = state(StateValue::Alarm);
    let evaluation = decide(&config, &range("- - X"), &previous, T0);
    assert_eq!(evaluation.state, previous);
    assert!(!evaluation.changed && !evaluation.fire_actions && evaluation.history_item.is_none());
}

#[test]
fn actions_disabled_change_the_state_but_fire_nothing() {
    let mut config = config(1, Some(1), TreatMissingData::Missing);
    config.actions_enabled = false;
    let evaluation = decide(&config, &range("- - X"), &state(StateValue::Ok), T0);
    assert!(evaluation.changed && !evaluation.fire_actions);
}
