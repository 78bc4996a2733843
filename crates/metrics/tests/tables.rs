//! Every row of the CloudWatch docs' worked tables (`spec/aws-semantics.md` §5 step 7: N = 3,
//! R = 5, newest datapoint on the right), for every `TreatMissingData` mode, from every
//! previous state; `retain` means the previous state is kept.

mod common;

use common::{config, expected, range, state};
use metrics::alarm::decide;
use metrics::{StateValue, TreatMissingData};

const MODES: [TreatMissingData; 4] = [
    TreatMissingData::Missing,
    TreatMissingData::Ignore,
    TreatMissingData::Breaching,
    TreatMissingData::NotBreaching,
];

/// (datapoints, M, [missing, ignore, breaching, notBreaching]).
const ROWS: &[(&str, u32, [&str; 4])] = &[
    ("0 - X - X", 3, ["OK", "OK", "OK", "OK"]),
    ("0 - - - -", 3, ["OK", "OK", "OK", "OK"]),
    (
        "- - - - -",
        3,
        ["INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
    ),
    ("0 X X - X", 3, ["ALARM", "ALARM", "ALARM", "ALARM"]),
    ("- - X - -", 3, ["ALARM", "retain", "ALARM", "OK"]),
    ("0 - X - X", 2, ["ALARM", "ALARM", "ALARM", "ALARM"]),
    ("0 0 X 0 X", 2, ["ALARM", "ALARM", "ALARM", "ALARM"]),
    ("0 - X - -", 2, ["OK", "OK", "ALARM", "OK"]),
    ("- - - - 0", 2, ["OK", "OK", "ALARM", "OK"]),
    ("- - - X -", 2, ["ALARM", "retain", "ALARM", "OK"]),
];

#[test]
fn every_row_of_the_worked_tables() {
    let mut failures = Vec::new();
    for (pattern, m, outcomes) in ROWS {
        for (mode, outcome) in MODES.iter().zip(outcomes) {
            for previous in [
                StateValue::Ok,
                StateValue::Alarm,
                StateValue::InsufficientData,
            ] {
                let config = config(3, Some(*m), *mode);
                let evaluation = decide(&config, &range(pattern), &state(previous), common::T0);
                let want = expected(outcome).unwrap_or(previous);
                if evaluation.state.value != want {
                    failures.push(format!(
                        "{pattern} M={m} {}: from {previous} got {} want {want}",
                        mode.as_str(),
                        evaluation.state.value
                    ));
                }
                assert_eq!(evaluation.changed, want != previous);
                assert_eq!(evaluation.history_item.is_some(), want != previous);
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// §5 step 6: `- - - - X` and `- - - X -` with 3 of 3 do not go to ALARM under `missing` yet,
/// because a good datapoint may still arrive; `- - X - -` does.
#[test]
fn premature_alarm_rule() {
    for (pattern, m, want) in [
        ("- - - - X", 3, "retain"),
        ("- - - X -", 3, "retain"),
        ("- - X - -", 3, "ALARM"),
        ("- - - - X", 2, "retain"),
        ("- - - X -", 2, "ALARM"),
        ("- - - X X", 3, "retain"),
        ("- - X X -", 3, "ALARM"),
        // A breaching datapoint outside the latest N periods does not count.
        ("X - - - -", 3, "retain"),
        ("- - - - X", 1, "ALARM"),
    ] {
        for previous in [StateValue::Ok, StateValue::InsufficientData] {
            let config = config(3, Some(m), TreatMissingData::Missing);
            let evaluation = decide(&config, &range(pattern), &state(previous), common::T0);
            assert_eq!(
                evaluation.state.value,
                expected(want).unwrap_or(previous),
                "{pattern} M={m} from {previous}"
            );
        }
    }
}

/// M of N with enough real data: the N most recent real datapoints decide, whatever
/// `TreatMissingData` says.
#[test]
fn m_of_n_uses_the_most_recent_real_datapoints() {
    for (pattern, n, m, want) in [
        ("0 0 0 X X X 0", 5, 3, "ALARM"),
        ("0 0 0 X X 0 0", 5, 3, "OK"),
        ("X X 0 0 0 0 0", 5, 3, "OK"),
        ("X X X - - 0 0", 5, 3, "ALARM"),
        ("X X X 0 - 0 -", 5, 3, "ALARM"),
        ("X - X - 0 - -", 3, 2, "ALARM"),
        ("X - 0 - 0 - -", 3, 2, "OK"),
        ("- X", 1, 1, "ALARM"),
        ("X - -", 1, 1, "ALARM"),
        ("X 0 -", 1, 1, "OK"),
    ] {
        for mode in MODES {
            let config = config(n, Some(m), mode);
            let evaluation = decide(
                &config,
                &range(pattern),
                &state(StateValue::InsufficientData),
                common::T0,
            );
            assert_eq!(
                evaluation.state.value,
                expected(want).unwrap(),
                "{pattern} {m}/{n} {mode:?}"
            );
        }
    }
}
