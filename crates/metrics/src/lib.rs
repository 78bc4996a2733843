//! Metrics and CloudWatch metric alarms, pure: samples with dimensions, their aggregation by
//! period, and alarm evaluation exactly as CloudWatch does it (`spec/aws-semantics.md` §4–§5).
//!
//! The crate never reads the clock, does no I/O and depends on no async runtime, HTTP stack or
//! database (`scripts/check-purity`): `now_ms` is an argument, and the caller (the runtime)
//! records samples, schedules evaluations, keeps alarm states and history durably, and runs
//! actions.
//!
//! * [`metric`] — [`MetricId`] (namespace, name, exact [`Dimensions`]), [`Sample`], [`Unit`].
//! * [`series`] — [`Series`], the aggregation store: per metric, buckets of a base resolution
//!   (1 s by default) holding count, sum, minimum, maximum and percentile data, pruned to a
//!   retention window. A query walks only the asked metric's buckets in the asked range: cheap
//!   by construction, never a rescan of raw samples.
//! * [`statistic`] — [`Statistic`]: `SampleCount`, `Average`, `Sum`, `Minimum`, `Maximum` and
//!   percentiles `pNN` (exact up to 1,024 values per datapoint, within 2 % past that; see the
//!   `digest` module).
//! * [`alarm`] — [`AlarmConfig`], [`AlarmState`], [`evaluate`]: evaluation range, M of N, the
//!   four `TreatMissingData` modes, the premature-alarm rule, CloudWatch's reason texts and
//!   reason data, `StateUpdate` history items.
//! * [`stepfunctions`] — what Step Functions emits in `AWS/States`, as pure functions of an
//!   execution's or a task's events. **The decisions on §4's unverified formats are written
//!   there**: unqualified `StateMachineArn`, bare version number, alias name, and every
//!   applicable dimension set.
//!
//! # Example
//!
//! ```
//! use metrics::{alarm, stepfunctions, AlarmConfig, AlarmState, ComparisonOperator, Dimensions,
//!     MetricId, Series, SeriesOptions, StateValue, Statistic, TreatMissingData};
//!
//! let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:Orders";
//! let execution = stepfunctions::ExecutionRef {
//!     state_machine_arn: arn, version: Some("2"), alias: Some("main"), express: true,
//! };
//! let mut series = Series::new(SeriesOptions::default());
//! let t0 = 1_795_687_200_000; // 2026-11-26T10:00:00Z
//! for (metric, sample) in stepfunctions::execution_started(&execution, t0)
//!     .into_iter()
//!     .chain(stepfunctions::execution_closed(
//!         &execution, stepfunctions::ExecutionStatus::Failed, t0, t0 + 40, false))
//! {
//!     series.record(&metric, sample).unwrap();
//! }
//!
//! let config = AlarmConfig {
//!     name: "main-failures".into(),
//!     metric: MetricId::new("AWS/States", "ExecutionsFailed",
//!         Dimensions::new([("StateMachineArn", arn), ("Alias", "main")]).unwrap()),
//!     statistic: Statistic::Sum,
//!     period_s: 300,
//!     evaluation_periods: 1,
//!     datapoints_to_alarm: Some(1),
//!     threshold: 1.0,
//!     comparison_operator: ComparisonOperator::GreaterThanOrEqualToThreshold,
//!     treat_missing_data: TreatMissingData::NotBreaching,
//!     evaluate_low_sample_count_percentile: Default::default(),
//!     actions_enabled: true,
//!     unit: None,
//! };
//! config.validate().unwrap();
//! let evaluation = alarm::evaluate(&config, &series, t0 + 60_000, &AlarmState::initial(t0));
//! assert_eq!(evaluation.state.value, StateValue::Alarm);
//! assert_eq!(evaluation.state.reason, "Threshold Crossed: 1 out of the last 1 datapoints \
//!     [1.0 (26/11/26 09:56:00)] was greater than or equal to the threshold (1.0) \
//!     (minimum 1 datapoint for OK -> ALARM transition).");
//! ```

pub mod alarm;
mod digest;
mod error;
mod format;
pub mod metric;
pub mod series;
pub mod statistic;
pub mod stepfunctions;

pub use alarm::{
    AlarmConfig, AlarmState, ComparisonOperator, Evaluation, EvaluationRange, HistoryItem,
    LowSampleCount, RangeDatapoint, StateValue, TreatMissingData, evaluate,
};
pub use digest::EXACT_LIMIT;
pub use error::Error;
pub use metric::{Dimensions, MetricId, Sample, Unit};
pub use series::{Aggregate, Datapoint, Series, SeriesOptions};
pub use statistic::{Percentile, Statistic};
