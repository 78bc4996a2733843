//! The one error type of the crate: a sample, a metric identity or an alarm configuration that
//! CloudWatch would refuse. The HTTP layer maps every variant to a `ValidationError` (or
//! `InvalidParameterValue`) response; none of them means the crate itself failed.

/// Something the caller passed in that CloudWatch would refuse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A dimension name or value is empty, too long (255 / 1,024 characters) or not ASCII.
    #[error("invalid dimension {name:?}: {why}")]
    InvalidDimension {
        /// The dimension's name as given.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The same dimension name twice in one set.
    #[error("duplicate dimension name {0:?}")]
    DuplicateDimension(String),
    /// More than 30 dimensions.
    #[error("a metric has at most 30 dimensions, got {0}")]
    TooManyDimensions(usize),
    /// A sample value that is NaN or infinite (CloudWatch refuses them).
    #[error("metric values must be finite numbers, got {0}")]
    NonFiniteValue(f64),
    /// A sample older than what the store still keeps (see `Series::prune`).
    #[error("sample at {at_ms} ms is older than the retention horizon {horizon_ms} ms")]
    OutsideRetention {
        /// The sample's timestamp.
        at_ms: i64,
        /// The oldest timestamp the store still accepts.
        horizon_ms: i64,
    },
    /// A unit name that is not one of CloudWatch's `StandardUnit`s.
    #[error("unknown unit {0:?}")]
    UnknownUnit(String),
    /// A `Statistic` that is not one of the five standard ones.
    #[error("unknown statistic {0:?}: expected SampleCount, Average, Sum, Minimum or Maximum")]
    UnknownStatistic(String),
    /// An `ExtendedStatistic` that is not a percentile `pNN` (`p0` to `p100`).
    #[error("unsupported extended statistic {0:?}: only percentiles p0 to p100 are supported")]
    UnsupportedExtendedStatistic(String),
    /// Both or neither of `Statistic` and `ExtendedStatistic`.
    #[error("exactly one of Statistic and ExtendedStatistic must be specified")]
    StatisticChoice,
    /// A comparison operator that is not one of CloudWatch's.
    #[error("unknown comparison operator {0:?}")]
    UnknownComparisonOperator(String),
    /// One of the anomaly-band operators, which need an anomaly detection model.
    #[error(
        "comparison operator {0} needs an anomaly detection band (ThresholdMetricId), which is not supported"
    )]
    AnomalyDetectionUnsupported(String),
    /// A `TreatMissingData` value other than `missing`, `notBreaching`, `breaching`, `ignore`.
    #[error("unknown TreatMissingData {0:?}: expected missing, notBreaching, breaching or ignore")]
    UnknownTreatMissingData(String),
    /// An `EvaluateLowSampleCountPercentile` value other than `evaluate` or `ignore`.
    #[error("unknown EvaluateLowSampleCountPercentile {0:?}: expected evaluate or ignore")]
    UnknownLowSampleCount(String),
    /// A `StateValue` other than `OK`, `ALARM`, `INSUFFICIENT_DATA`.
    #[error("unknown state value {0:?}: expected OK, ALARM or INSUFFICIENT_DATA")]
    UnknownStateValue(String),
    /// A period that is not 10, 20, 30 or a positive multiple of 60 seconds.
    #[error("period must be 10, 20, 30 or a multiple of 60 seconds, got {0}")]
    InvalidPeriod(u32),
    /// `EvaluationPeriods` below 1.
    #[error("evaluation periods must be at least 1")]
    InvalidEvaluationPeriods,
    /// `DatapointsToAlarm` below 1 or above `EvaluationPeriods`.
    #[error(
        "datapoints to alarm must be between 1 and evaluation periods ({evaluation_periods}), got {datapoints_to_alarm}"
    )]
    InvalidDatapointsToAlarm {
        /// M.
        datapoints_to_alarm: u32,
        /// N.
        evaluation_periods: u32,
    },
    /// `Period × EvaluationPeriods` above one day (for periods under an hour) or seven days.
    #[error(
        "period multiplied by evaluation periods must not exceed {limit_s} seconds, got {total_s}"
    )]
    EvaluationTooLong {
        /// `Period × EvaluationPeriods`.
        total_s: u64,
        /// The limit that applies (86,400 or 604,800).
        limit_s: u64,
    },
    /// A threshold that is NaN or infinite.
    #[error("threshold must be a finite number")]
    NonFiniteThreshold,
}
