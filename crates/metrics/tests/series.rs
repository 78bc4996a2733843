//! The aggregation store against a naive recomputation from the raw samples, percentiles,
//! retention, and alarms evaluated end to end on recorded samples.

mod common;

use common::{T0, config};
use metrics::{
    AlarmState, Dimensions, Error, LowSampleCount, MetricId, Sample, Series, SeriesOptions,
    StateValue, Statistic, TreatMissingData, Unit, evaluate,
};
use proptest::prelude::*;

fn metric(name: &str) -> MetricId {
    MetricId::new(
        "Test",
        name,
        Dimensions::new([("Service", "orders")]).unwrap(),
    )
}

fn sample(at_ms: i64, value: f64) -> Sample {
    Sample {
        at_ms,
        value,
        unit: Unit::Count,
    }
}

/// The nearest-rank percentile of raw values.
fn naive_percentile(values: &[f64], percentile: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((percentile / 100.0 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

proptest! {
    /// Every statistic of every period equals the one computed from the raw samples of that
    /// metric alone, whatever else was recorded.
    #[test]
    fn aggregation_matches_a_naive_recomputation(
        samples in prop::collection::vec((0i64..600_000, -1000i32..1000, 0usize..3), 0..300),
        start_s in 0i64..300,
        length_s in 1i64..600,
        period_s in prop::sample::select(vec![1i64, 10, 60, 120]),
    ) {
        let metrics = [metric("A"), metric("B"), metric("C")];
        let mut series = Series::new(SeriesOptions::default());
        for (offset_ms, value, which) in &samples {
            series.record(&metrics[*which], sample(T0 + offset_ms, f64::from(*value))).unwrap();
        }
        let start_ms = T0 + start_s * 1000;
        let end_ms = start_ms + length_s * 1000;
        let period_ms = period_s * 1000;
        let datapoints = series.datapoints(&metrics[0], start_ms, end_ms, period_ms, true);
        let mut windows: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
        for (offset_ms, value, which) in &samples {
            let at_ms = T0 + offset_ms;
            if *which == 0 && (start_ms..end_ms).contains(&at_ms) {
                let window = start_ms + (at_ms - start_ms) / period_ms * period_ms;
                windows.entry(window).or_default().push(f64::from(*value));
            }
        }
        prop_assert_eq!(datapoints.len(), windows.len());
        for (datapoint, (window, values)) in datapoints.iter().zip(&windows) {
            let aggregate = &datapoint.aggregate;
            prop_assert_eq!(datapoint.timestamp_ms, *window);
            prop_assert_eq!(aggregate.sample_count(), values.len() as u64);
            prop_assert_eq!(aggregate.sum(), values.iter().sum::<f64>());
            prop_assert_eq!(aggregate.minimum(), values.iter().copied().fold(f64::INFINITY, f64::min));
            prop_assert_eq!(aggregate.maximum(), values.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            for percentile in ["p0", "p10", "p50", "p90", "p99", "p99.9", "p100"] {
                let statistic = Statistic::parse_extended(percentile).unwrap();
                let Statistic::Percentile(p) = &statistic else { unreachable!() };
                prop_assert_eq!(aggregate.statistic(&statistic), Some(naive_percentile(values, p.value())));
            }
        }
    }
}

#[test]
fn percentiles_past_the_exact_limit_are_within_two_percent() {
    let mut series = Series::new(SeriesOptions::default());
    let values: Vec<f64> = (0..5000)
        .map(|i| f64::from((i * 7919) % 5000 + 1))
        .collect();
    for (index, value) in values.iter().enumerate() {
        series
            .record(
                &metric("Latency"),
                sample(T0 + (index as i64 % 60) * 1000, *value),
            )
            .unwrap();
    }
    let datapoints = series.datapoints(&metric("Latency"), T0, T0 + 60_000, 60_000, true);
    assert_eq!(datapoints.len(), 1);
    for percentile in ["p50", "p90", "p99", "p99.9"] {
        let statistic = Statistic::parse_extended(percentile).unwrap();
        let Statistic::Percentile(p) = &statistic else {
            unreachable!()
        };
        let exact = naive_percentile(&values, p.value());
        let approx = datapoints[0].aggregate.statistic(&statistic).unwrap();
        assert!(
            (approx - exact).abs() <= exact * 0.02,
            "{percentile}: {approx} vs {exact}"
        );
    }
    // Without percentile data a percentile has no value; the rest does.
    let cheap = series.datapoints(&metric("Latency"), T0, T0 + 60_000, 60_000, false);
    assert_eq!(
        cheap[0]
            .aggregate
            .statistic(&Statistic::parse_extended("p50").unwrap()),
        None
    );
    assert_eq!(
        cheap[0].aggregate.statistic(&Statistic::SampleCount),
        Some(5000.0)
    );
}

#[test]
fn retention_drops_old_buckets_and_refuses_older_samples() {
    let options = SeriesOptions {
        resolution_ms: 1000,
        retention_ms: 3_600_000,
    };
    let mut series = Series::new(options);
    series.record(&metric("A"), sample(T0, 1.0)).unwrap();
    series
        .record(&metric("B"), sample(T0 + 3_000_000, 1.0))
        .unwrap();
    series.prune(T0 + 3_600_000 + 1000);
    assert_eq!(series.metrics().collect::<Vec<_>>(), [&metric("B")]);
    assert_eq!(
        series.record(&metric("A"), sample(T0, 1.0)),
        Err(Error::OutsideRetention {
            at_ms: T0,
            horizon_ms: T0 + 1000
        })
    );
    series.record(&metric("A"), sample(T0 + 1000, 1.0)).unwrap();
}

#[test]
fn non_finite_values_are_refused() {
    let mut series = Series::new(SeriesOptions::default());
    assert!(matches!(
        series.record(&metric("A"), sample(T0, f64::NAN)),
        Err(Error::NonFiniteValue(_))
    ));
    assert!(matches!(
        series.record(&metric("A"), sample(T0, f64::INFINITY)),
        Err(Error::NonFiniteValue(_))
    ));
}

#[test]
fn dimensions_identify_a_metric_exactly() {
    let mut series = Series::new(SeriesOptions::default());
    let both = Dimensions::new([("B", "2"), ("A", "1")]).unwrap();
    let same = Dimensions::new([("A", "1"), ("B", "2")]).unwrap();
    let fewer = Dimensions::new([("A", "1")]).unwrap();
    series
        .record(&MetricId::new("N", "M", both), sample(T0, 1.0))
        .unwrap();
    let query = |dimensions: Dimensions| {
        series
            .datapoints(
                &MetricId::new("N", "M", dimensions),
                T0,
                T0 + 1000,
                1000,
                false,
            )
            .len()
    };
    assert_eq!(query(same), 1);
    assert_eq!(query(fewer), 0);
    assert!(matches!(
        Dimensions::new([("A", "1"), ("A", "2")]),
        Err(Error::DuplicateDimension(_))
    ));
    assert!(matches!(
        Dimensions::new([("A", " ")]),
        Err(Error::InvalidDimension { .. })
    ));
    assert!(matches!(
        Dimensions::new([(":A", "1")]),
        Err(Error::InvalidDimension { .. })
    ));
    assert!(matches!(
        Dimensions::new([("A", "é")]),
        Err(Error::InvalidDimension { .. })
    ));
    let many: Vec<(String, String)> = (0..31).map(|i| (format!("D{i}"), "v".to_owned())).collect();
    assert_eq!(Dimensions::new(many), Err(Error::TooManyDimensions(31)));
}

/// The seed's alarm (Sum ≥ 1 over 300 s, 1 period, notBreaching) on recorded samples: ALARM
/// within a minute of a failure, OK once the failure leaves the evaluation range (R = 3
/// periods).
#[test]
fn seed_alarm_fires_and_recovers() {
    let mut config = config(1, Some(1), TreatMissingData::NotBreaching);
    config.period_s = 300;
    let mut series = Series::new(SeriesOptions::default());
    let mut state = AlarmState::initial(T0);
    let step = |series: &Series, now_ms: i64, state: &mut AlarmState| {
        let evaluation = evaluate(&config, series, now_ms, state);
        *state = evaluation.state;
        state.value
    };
    assert_eq!(step(&series, T0 + 60_000, &mut state), StateValue::Ok);
    series
        .record(&config.metric, sample(T0 + 90_000, 1.0))
        .unwrap();
    assert_eq!(step(&series, T0 + 119_999, &mut state), StateValue::Ok);
    assert_eq!(step(&series, T0 + 120_000, &mut state), StateValue::Alarm);
    // The failure's datapoint stays in the 3-period range for 15 minutes.
    assert_eq!(
        step(&series, T0 + 90_000 + 14 * 60_000, &mut state),
        StateValue::Alarm
    );
    assert_eq!(
        step(&series, T0 + 90_000 + 15 * 60_000 + 30_000, &mut state),
        StateValue::Ok
    );
}

/// Percentile alarms, and `EvaluateLowSampleCountPercentile=ignore` keeping the state while a
/// datapoint has too few samples (p90 needs 10).
#[test]
fn percentile_alarm_and_low_sample_counts() {
    let mut config = config(1, Some(1), TreatMissingData::Missing);
    config.statistic = Statistic::parse_extended("p90").unwrap();
    config.threshold = 100.0;
    let mut series = Series::new(SeriesOptions::default());
    for value in [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 150.0] {
        series
            .record(&config.metric, sample(T0 + 1000, value))
            .unwrap();
    }
    let now_ms = T0 + 60_000;
    let evaluation = evaluate(&config, &series, now_ms, &AlarmState::initial(T0));
    assert_eq!(evaluation.state.value, StateValue::Alarm);
    assert!(
        evaluation
            .state
            .reason
            .contains("[150.0 (26/11/26 10:00:00)]")
    );
    let data: serde_json::Value =
        serde_json::from_str(evaluation.state.reason_data.as_deref().unwrap()).unwrap();
    assert_eq!(data["extendedStatistic"], "p90");

    config.evaluate_low_sample_count_percentile = LowSampleCount::Ignore;
    let evaluation = evaluate(&config, &series, now_ms, &AlarmState::initial(T0));
    assert_eq!(
        evaluation.state.value,
        StateValue::InsufficientData,
        "9 samples < 10"
    );
    series
        .record(&config.metric, sample(T0 + 2000, 5.0))
        .unwrap();
    let evaluation = evaluate(&config, &series, now_ms, &AlarmState::initial(T0));
    assert_eq!(
        evaluation.state.value,
        StateValue::Ok,
        "p90 of 10 samples is 80"
    );
}

/// A `Unit` on the alarm only counts samples of that unit.
#[test]
fn the_alarm_unit_filters_datapoints() {
    let mut config = config(1, Some(1), TreatMissingData::Missing);
    config.unit = Some(Unit::Milliseconds);
    let mut series = Series::new(SeriesOptions::default());
    series
        .record(&config.metric, sample(T0 + 1000, 5.0))
        .unwrap();
    let evaluation = evaluate(&config, &series, T0 + 60_000, &AlarmState::initial(T0));
    assert_eq!(evaluation.state.value, StateValue::InsufficientData);
    config.unit = Some(Unit::Count);
    let evaluation = evaluate(&config, &series, T0 + 60_000, &AlarmState::initial(T0));
    assert_eq!(evaluation.state.value, StateValue::Alarm);
}
