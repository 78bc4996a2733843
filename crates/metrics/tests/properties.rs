//! Property tests: an alarm's evaluation depends only on its configuration and the datapoints
//! of its evaluation range — not on the order samples were recorded in, not on samples outside
//! the range or of other metrics — and the store never changes a decision made from the
//! datapoints alone.

mod common;

use common::{T0, config};
use metrics::alarm::{decide, evaluation_range};
use metrics::{
    AlarmConfig, AlarmState, Dimensions, MetricId, Sample, Series, SeriesOptions, StateValue,
    TreatMissingData, Unit, evaluate,
};
use proptest::prelude::*;

fn mode() -> impl Strategy<Value = TreatMissingData> {
    prop::sample::select(vec![
        TreatMissingData::Missing,
        TreatMissingData::Ignore,
        TreatMissingData::Breaching,
        TreatMissingData::NotBreaching,
    ])
}

fn previous() -> impl Strategy<Value = AlarmState> {
    prop::sample::select(vec![
        StateValue::Ok,
        StateValue::Alarm,
        StateValue::InsufficientData,
    ])
    .prop_map(common::state)
}

/// An alarm: N in 1..=5, M in 1..=N, period 60 or 300 s, Sum ≥ 3.
fn alarm() -> impl Strategy<Value = AlarmConfig> {
    (1u32..=5, mode(), prop::sample::select(vec![60u32, 300])).prop_flat_map(
        |(n, mode, period_s)| {
            (1..=n).prop_map(move |m| {
                let mut config = config(n, Some(m), mode);
                config.period_s = period_s;
                config.threshold = 3.0;
                config
            })
        },
    )
}

/// Samples as (offset from `T0` in ms, small integer value), so that sums are exact whatever
/// the order of addition.
fn samples() -> impl Strategy<Value = Vec<(i64, i32)>> {
    prop::collection::vec((0i64..3_600_000, 0i32..4), 0..60)
}

fn record_all(series: &mut Series, metric: &MetricId, samples: &[(i64, i32)]) {
    for (offset_ms, value) in samples {
        let sample = Sample {
            at_ms: T0 + offset_ms,
            value: f64::from(*value),
            unit: Unit::Count,
        };
        series.record(metric, sample).unwrap();
    }
}

proptest! {
    #[test]
    fn insertion_order_does_not_matter(
        config in alarm(),
        samples in samples(),
        seed in any::<u64>(),
        now_offset_ms in 0i64..3_600_000,
        previous in previous(),
    ) {
        let mut shuffled = samples.clone();
        // A deterministic shuffle driven by the generated seed.
        let mut state = seed | 1;
        for index in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(index, (state % (index as u64 + 1)) as usize);
        }
        let mut first = Series::new(SeriesOptions::default());
        let mut second = Series::new(SeriesOptions::default());
        record_all(&mut first, &config.metric, &samples);
        record_all(&mut second, &config.metric, &shuffled);
        let now_ms = T0 + now_offset_ms;
        prop_assert_eq!(
            evaluate(&config, &first, now_ms, &previous),
            evaluate(&config, &second, now_ms, &previous)
        );
    }

    #[test]
    fn samples_outside_the_range_or_of_other_metrics_do_not_matter(
        config in alarm(),
        samples in samples(),
        noise in samples(),
        now_offset_ms in 0i64..3_600_000,
        previous in previous(),
    ) {
        let now_ms = T0 + now_offset_ms;
        let mut clean = Series::new(SeriesOptions::default());
        record_all(&mut clean, &config.metric, &samples);
        let range = evaluation_range(&config, &clean, now_ms);
        let start_ms = range.datapoints[0].timestamp_ms;
        let end_ms = range.datapoints.last().unwrap().timestamp_ms + i64::from(config.period_s) * 1000;

        let mut noisy = clean.clone();
        let other = MetricId::new("Test", "Other", Dimensions::new([("Service", "orders")]).unwrap());
        let unfiltered = MetricId { dimensions: Dimensions::none(), ..config.metric.clone() };
        for (offset_ms, value) in &noise {
            let at_ms = T0 + offset_ms;
            let sample = Sample { at_ms, value: f64::from(*value), unit: Unit::Count };
            noisy.record(&other, sample).unwrap();
            noisy.record(&unfiltered, sample).unwrap();
            // Outside the range: before its start or at/after its end.
            let outside = if at_ms < start_ms || at_ms >= end_ms { at_ms } else { start_ms - 1 - offset_ms };
            noisy.record(&config.metric, Sample { at_ms: outside, ..sample }).unwrap();
        }
        prop_assert_eq!(
            evaluate(&config, &clean, now_ms, &previous),
            evaluate(&config, &noisy, now_ms, &previous)
        );
    }

    /// The decision is a function of which datapoints breach: values scaled away from the
    /// threshold, keeping each side, give the same state.
    #[test]
    fn only_breaching_or_not_matters_for_the_state(
        (config, pattern) in alarm().prop_flat_map(|config| {
            let periods = config.evaluation_periods as usize + 2;
            (Just(config), prop::collection::vec(prop::option::of(any::<bool>()), periods))
        }),
        previous in previous(),
    ) {
        let build = |breach: f64, good: f64| metrics::EvaluationRange {
            query_ms: T0,
            datapoints: pattern.iter().enumerate().map(|(index, point)| metrics::RangeDatapoint {
                timestamp_ms: T0 + index as i64 * 60_000,
                value: point.map(|breaching| if breaching { breach } else { good }),
                sample_count: 1,
            }).collect(),
        };
        let one = decide(&config, &build(3.0, 2.0), &previous, T0);
        let other = decide(&config, &build(1e6, -5.0), &previous, T0);
        prop_assert_eq!(one.state.value, other.state.value);
        prop_assert_eq!(one.changed, other.changed);
    }
}
