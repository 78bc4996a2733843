//! Criterion benchmark of alarm evaluation, the figure issue 5 asks for: one evaluation round of
//! 1,000 alarms over a store holding an hour of Step Functions metrics for 100 state machines
//! (each with a version and an alias), plus the cost of recording one execution's metrics.
//!
//! Run with `cargo bench -p metrics --bench alarms`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use metrics::stepfunctions::{ExecutionRef, ExecutionStatus, execution_closed, execution_started};
use metrics::{
    AlarmConfig, AlarmState, ComparisonOperator, Dimensions, LowSampleCount, MetricId, Series,
    SeriesOptions, Statistic, TreatMissingData, evaluate,
};

/// 2026-11-26T10:00:00Z.
const T0: i64 = 1_795_687_200_000;
const MACHINES: usize = 100;

fn arn(machine: usize) -> String {
    format!("arn:aws:states:us-east-1:123456789012:stateMachine:Machine{machine}")
}

/// An hour of executions: every machine starts one every 2 s through alias `main` (version 1),
/// one in ten fails.
fn store() -> Series {
    let mut series = Series::new(SeriesOptions::default());
    for machine in 0..MACHINES {
        let arn = arn(machine);
        let execution = ExecutionRef {
            state_machine_arn: &arn,
            version: Some("1"),
            alias: Some("main"),
            express: true,
        };
        for step in 0..1800i64 {
            let started_ms = T0 + step * 2000 + machine as i64;
            let status = if step % 10 == 0 {
                ExecutionStatus::Failed
            } else {
                ExecutionStatus::Succeeded
            };
            let emitted =
                execution_started(&execution, started_ms)
                    .into_iter()
                    .chain(execution_closed(
                        &execution,
                        status,
                        started_ms,
                        started_ms + 35,
                        false,
                    ));
            for (metric, sample) in emitted {
                series.record(&metric, sample).unwrap();
            }
        }
    }
    series
}

/// (metric name, dimensions besides `StateMachineArn`, statistic, period, N, threshold).
type Shape = (
    &'static str,
    &'static [(&'static str, &'static str)],
    Statistic,
    u32,
    u32,
    f64,
);

/// Ten alarms per machine: failures, successes and time, on the alias, version and machine
/// dimension sets, with Sum, Average, Maximum and p99; N from 1 to 5.
fn alarms() -> Vec<AlarmConfig> {
    let mut alarms = Vec::new();
    for machine in 0..MACHINES {
        let arn = arn(machine);
        let shapes: [Shape; 10] = [
            (
                "ExecutionsFailed",
                &[("Alias", "main")],
                Statistic::Sum,
                300,
                1,
                1.0,
            ),
            (
                "ExecutionsFailed",
                &[("Version", "1")],
                Statistic::Sum,
                60,
                3,
                5.0,
            ),
            ("ExecutionsFailed", &[], Statistic::Sum, 60, 5, 50.0),
            (
                "ExecutionsSucceeded",
                &[("Alias", "main")],
                Statistic::Sum,
                60,
                3,
                10.0,
            ),
            (
                "ExecutionsStarted",
                &[],
                Statistic::SampleCount,
                300,
                2,
                1000.0,
            ),
            (
                "ExecutionTime",
                &[("Alias", "main")],
                Statistic::Average,
                60,
                3,
                100.0,
            ),
            ("ExecutionTime", &[], Statistic::Maximum, 60, 5, 1000.0),
            (
                "ExecutionTime",
                &[("Alias", "main")],
                Statistic::parse_extended("p99").unwrap(),
                60,
                3,
                100.0,
            ),
            (
                "ExecutionTime",
                &[("Version", "1")],
                Statistic::parse_extended("p90").unwrap(),
                300,
                1,
                50.0,
            ),
            (
                "ExecutionsAborted",
                &[("Alias", "main")],
                Statistic::Sum,
                60,
                1,
                1.0,
            ),
        ];
        for (index, (name, extra, statistic, period_s, n, threshold)) in
            shapes.into_iter().enumerate()
        {
            let mut pairs = vec![("StateMachineArn", arn.as_str())];
            pairs.extend_from_slice(extra);
            alarms.push(AlarmConfig {
                name: format!("alarm-{machine}-{index}"),
                metric: MetricId::new("AWS/States", name, Dimensions::new(pairs).unwrap()),
                statistic,
                period_s,
                evaluation_periods: n,
                datapoints_to_alarm: Some(n.div_ceil(2)),
                threshold,
                comparison_operator: ComparisonOperator::GreaterThanOrEqualToThreshold,
                treat_missing_data: TreatMissingData::NotBreaching,
                evaluate_low_sample_count_percentile: LowSampleCount::Evaluate,
                actions_enabled: true,
                unit: None,
            });
        }
    }
    alarms
}

fn bench(c: &mut Criterion) {
    let series = store();
    let alarms = alarms();
    assert_eq!(alarms.len(), 1000);
    let now_ms = T0 + 3_600_000;
    let states: Vec<AlarmState> = alarms.iter().map(|_| AlarmState::initial(T0)).collect();
    c.bench_function("evaluate 1,000 alarms", |b| {
        b.iter(|| {
            for (config, state) in alarms.iter().zip(&states) {
                black_box(evaluate(config, &series, black_box(now_ms), state));
            }
        })
    });

    let arn = arn(0);
    let execution = ExecutionRef {
        state_machine_arn: &arn,
        version: Some("1"),
        alias: Some("main"),
        express: true,
    };
    let mut recording = series.clone();
    let mut at_ms = now_ms;
    c.bench_function("record one execution's metrics", |b| {
        b.iter(|| {
            at_ms += 1;
            for (metric, sample) in
                execution_started(&execution, at_ms)
                    .into_iter()
                    .chain(execution_closed(
                        &execution,
                        ExecutionStatus::Succeeded,
                        at_ms,
                        at_ms + 5,
                        false,
                    ))
            {
                recording.record(&metric, sample).unwrap();
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
