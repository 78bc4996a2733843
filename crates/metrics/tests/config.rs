//! `PutMetricAlarm` fields: parsing and the limits of §5.

mod common;

use common::config;
use metrics::{ComparisonOperator, Error, StateValue, TreatMissingData};

/// (Period, N, M, the outcome of `validate`).
type Case = (u32, u32, Option<u32>, Result<(), Error>);

#[test]
fn limits() {
    let check = |period_s: u32, n: u32, m: Option<u32>| {
        let mut config = config(n, m, TreatMissingData::Missing);
        config.period_s = period_s;
        config.validate()
    };
    let cases: &[Case] = &[
        (10, 1, None, Ok(())),
        (20, 1, None, Ok(())),
        (30, 1, None, Ok(())),
        (60, 1, None, Ok(())),
        (300, 3, Some(2), Ok(())),
        (0, 1, None, Err(Error::InvalidPeriod(0))),
        (45, 1, None, Err(Error::InvalidPeriod(45))),
        (90, 1, None, Err(Error::InvalidPeriod(90))),
        (60, 0, None, Err(Error::InvalidEvaluationPeriods)),
        (
            60,
            3,
            Some(4),
            Err(Error::InvalidDatapointsToAlarm {
                datapoints_to_alarm: 4,
                evaluation_periods: 3,
            }),
        ),
        (
            60,
            3,
            Some(0),
            Err(Error::InvalidDatapointsToAlarm {
                datapoints_to_alarm: 0,
                evaluation_periods: 3,
            }),
        ),
        (60, 1440, None, Ok(())),
        (
            60,
            1441,
            None,
            Err(Error::EvaluationTooLong {
                total_s: 86_460,
                limit_s: 86_400,
            }),
        ),
        (3600, 168, None, Ok(())),
        (
            3600,
            169,
            None,
            Err(Error::EvaluationTooLong {
                total_s: 608_400,
                limit_s: 604_800,
            }),
        ),
    ];
    for (period_s, n, m, want) in cases {
        assert_eq!(
            &check(*period_s, *n, *m),
            want,
            "period {period_s} N {n} M {m:?}"
        );
    }
    let mut bad = config(1, None, TreatMissingData::Missing);
    bad.threshold = f64::NAN;
    assert_eq!(bad.validate(), Err(Error::NonFiniteThreshold));
}

#[test]
fn enums_parse_as_cloudwatch_spells_them() {
    for text in [
        "GreaterThanOrEqualToThreshold",
        "GreaterThanThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    ] {
        assert_eq!(text.parse::<ComparisonOperator>().unwrap().as_str(), text);
    }
    for band in [
        "LessThanLowerOrGreaterThanUpperThreshold",
        "LessThanLowerThreshold",
        "GreaterThanUpperThreshold",
    ] {
        let error = band.parse::<ComparisonOperator>().unwrap_err();
        assert_eq!(error, Error::AnomalyDetectionUnsupported(band.to_owned()));
        assert!(error.to_string().contains("anomaly detection band"));
    }
    assert!(matches!(
        "GreaterThan".parse::<ComparisonOperator>(),
        Err(Error::UnknownComparisonOperator(_))
    ));
    for text in ["missing", "notBreaching", "breaching", "ignore"] {
        assert_eq!(text.parse::<TreatMissingData>().unwrap().as_str(), text);
    }
    assert!("NotBreaching".parse::<TreatMissingData>().is_err());
    for text in ["OK", "ALARM", "INSUFFICIENT_DATA"] {
        assert_eq!(text.parse::<StateValue>().unwrap().as_str(), text);
    }
}
