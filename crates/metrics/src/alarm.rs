//! CloudWatch metric alarms: the configuration `PutMetricAlarm` takes ([`AlarmConfig`]), the
//! state an alarm is in ([`AlarmState`]), and one evaluation ([`evaluate`] = [`evaluation_range`]
//! then [`decide`]) following `spec/aws-semantics.md` §5.
//!
//! # The evaluation, step by step
//!
//! 1. **Range.** The alarm looks at `R = N + 2` consecutive periods (`N` = `EvaluationPeriods`),
//!    the *evaluation range*. The newest period ends at `now` rounded down to the evaluation
//!    cadence: one minute for periods of 60 s or more, the period itself for 10/20/30 s. A
//!    period with no samples (or whose samples have another unit than the alarm's `Unit`) is
//!    *missing*; the others are *real* datapoints, *breaching* when
//!    `value <ComparisonOperator> Threshold`.
//! 2. **Enough real data.** With at least `N` real datapoints in the range, the `N` most recent
//!    ones are evaluated: `ALARM` when at least `M` (`DatapointsToAlarm`, default `N`) breach,
//!    `OK` otherwise. `TreatMissingData` plays no part.
//! 3. **Too few.** Otherwise the `N − real` gaps are filled according to `TreatMissingData`:
//!    * `breaching` / `notBreaching`: the fill-ins count as breaching / good, and M of N
//!      decides;
//!    * `ignore` / `missing`: only the real datapoints count. `ALARM` if at least `M` of them
//!      breach; `OK` if any of them is good (no set of fill-ins could reach `M` breaching ones
//!      the docs' tables count as `OK`: `0 - X - -` with 2 of 3 is `OK`); otherwise the state
//!      cannot be decided: `ignore` keeps the current state; `missing` goes to
//!      `INSUFFICIENT_DATA` when the whole range is missing, to `ALARM` by the
//!      **premature-alarm rule** when the oldest breaching datapoint among the latest `N`
//!      periods is at least `M` periods old (the newest period is 1 period old), and keeps the
//!      current state otherwise (a good datapoint may still arrive).
//! 4. **Low sample counts.** With a percentile and `EvaluateLowSampleCountPercentile=ignore`,
//!    when an evaluated datapoint has fewer than `⌈100 / (100 − p)⌉` samples (p99: 100, p90: 10,
//!    p50: 2) the state does not change (UNVERIFIED threshold: CloudWatch only says "too few
//!    data points to be statistically significant").
//!
//! An unchanged state keeps its reason and timestamp (CloudWatch's `StateReason` is that of
//! the last transition); a change gets a new reason, reason data and a `StateUpdate` history
//! item, and fires the actions when `ActionsEnabled`.
//!
//! # Reasons
//!
//! As CloudWatch writes them (recorded from alarm notifications):
//! `Threshold Crossed: 1 out of the last 1 datapoints [1.0 (26/11/26 10:00:00)] was greater than
//! or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).` for alarms
//! with an explicit `DatapointsToAlarm`, the shorter `Threshold Crossed: 1 datapoint [...] was
//! greater than ... the threshold (1.0).` without it. Datapoints are listed newest first,
//! numbers as Java writes doubles. For an `OK` transition the good datapoints are listed with
//! `was not greater than ...` and `(minimum N−M+1 datapoints for ALARM -> OK transition)`.
//! Fill-ins: `Threshold Crossed: no datapoints were received for 3 periods and 3 missing
//! datapoints were treated as [Breaching].` (`1 datapoint was received ...` when some were).
//! All missing: `Insufficient Data: 3 datapoints were unknown.` The last two, with counts
//! other than one, follow CloudWatch's pattern but were not recorded.
//!
//! Reason data (`StateReasonData`) is CloudWatch's JSON, keys in its order: `version`,
//! `queryDate`, `startDate`, `statistic` (or `extendedStatistic`), `period`,
//! `recentDatapoints` (the range's real values, oldest first), `threshold`,
//! `evaluatedDatapoints` (the evaluated real datapoints, newest first, with `timestamp`,
//! `sampleCount` and `value`).

use std::fmt;
use std::str::FromStr;

use serde_json::{Value, json};

use crate::format::{data_time, java_double, reason_time};
use crate::series::floor_to;
use crate::{Error, MetricId, Series, Statistic, Unit};

/// How the statistic is compared with the threshold; the statistic is the left operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComparisonOperator {
    /// `value >= threshold`.
    GreaterThanOrEqualToThreshold,
    /// `value > threshold`.
    GreaterThanThreshold,
    /// `value < threshold`.
    LessThanThreshold,
    /// `value <= threshold`.
    LessThanOrEqualToThreshold,
}

impl ComparisonOperator {
    /// Whether `value` breaches `threshold`.
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
            ComparisonOperator::GreaterThanThreshold => value > threshold,
            ComparisonOperator::LessThanThreshold => value < threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    /// The name as CloudWatch writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            ComparisonOperator::GreaterThanThreshold => "GreaterThanThreshold",
            ComparisonOperator::LessThanThreshold => "LessThanThreshold",
            ComparisonOperator::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
        }
    }

    /// The words of a state reason: `greater than or equal to`.
    fn phrase(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "greater than or equal to",
            ComparisonOperator::GreaterThanThreshold => "greater than",
            ComparisonOperator::LessThanThreshold => "less than",
            ComparisonOperator::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }
}

impl FromStr for ComparisonOperator {
    type Err = Error;

    /// Parses one of the four threshold operators; the three anomaly-band operators are
    /// refused with [`Error::AnomalyDetectionUnsupported`].
    fn from_str(text: &str) -> Result<ComparisonOperator, Error> {
        Ok(match text {
            "GreaterThanOrEqualToThreshold" => ComparisonOperator::GreaterThanOrEqualToThreshold,
            "GreaterThanThreshold" => ComparisonOperator::GreaterThanThreshold,
            "LessThanThreshold" => ComparisonOperator::LessThanThreshold,
            "LessThanOrEqualToThreshold" => ComparisonOperator::LessThanOrEqualToThreshold,
            "LessThanLowerOrGreaterThanUpperThreshold"
            | "LessThanLowerThreshold"
            | "GreaterThanUpperThreshold" => {
                return Err(Error::AnomalyDetectionUnsupported(text.to_owned()));
            }
            _ => return Err(Error::UnknownComparisonOperator(text.to_owned())),
        })
    }
}

/// How missing datapoints are treated when the range has fewer than `N` real ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TreatMissingData {
    /// `missing` (the default): all missing gives `INSUFFICIENT_DATA`.
    #[default]
    Missing,
    /// `notBreaching`: missing is good.
    NotBreaching,
    /// `breaching`: missing is bad.
    Breaching,
    /// `ignore`: the current state is kept when nothing can be decided.
    Ignore,
}

impl TreatMissingData {
    /// The name as CloudWatch writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TreatMissingData::Missing => "missing",
            TreatMissingData::NotBreaching => "notBreaching",
            TreatMissingData::Breaching => "breaching",
            TreatMissingData::Ignore => "ignore",
        }
    }
}

impl FromStr for TreatMissingData {
    type Err = Error;

    fn from_str(text: &str) -> Result<TreatMissingData, Error> {
        Ok(match text {
            "missing" => TreatMissingData::Missing,
            "notBreaching" => TreatMissingData::NotBreaching,
            "breaching" => TreatMissingData::Breaching,
            "ignore" => TreatMissingData::Ignore,
            _ => return Err(Error::UnknownTreatMissingData(text.to_owned())),
        })
    }
}

/// `EvaluateLowSampleCountPercentile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LowSampleCount {
    /// `evaluate` (the default): percentiles are evaluated however few samples they have.
    #[default]
    Evaluate,
    /// `ignore`: the state does not change while a percentile has too few samples.
    Ignore,
}

impl FromStr for LowSampleCount {
    type Err = Error;

    fn from_str(text: &str) -> Result<LowSampleCount, Error> {
        match text {
            "evaluate" => Ok(LowSampleCount::Evaluate),
            "ignore" => Ok(LowSampleCount::Ignore),
            _ => Err(Error::UnknownLowSampleCount(text.to_owned())),
        }
    }
}

/// `StateValue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateValue {
    /// `OK`.
    Ok,
    /// `ALARM`.
    Alarm,
    /// `INSUFFICIENT_DATA`.
    InsufficientData,
}

impl StateValue {
    /// The name as CloudWatch writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            StateValue::Ok => "OK",
            StateValue::Alarm => "ALARM",
            StateValue::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

impl fmt::Display for StateValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StateValue {
    type Err = Error;

    fn from_str(text: &str) -> Result<StateValue, Error> {
        match text {
            "OK" => Ok(StateValue::Ok),
            "ALARM" => Ok(StateValue::Alarm),
            "INSUFFICIENT_DATA" => Ok(StateValue::InsufficientData),
            _ => Err(Error::UnknownStateValue(text.to_owned())),
        }
    }
}

/// The fields of `PutMetricAlarm` that evaluation uses (actions themselves are the caller's).
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmConfig {
    /// `AlarmName`, used in history items.
    pub name: String,
    /// `Namespace`, `MetricName` and `Dimensions`.
    pub metric: MetricId,
    /// `Statistic` or `ExtendedStatistic`.
    pub statistic: Statistic,
    /// `Period`, seconds.
    pub period_s: u32,
    /// `EvaluationPeriods` (N).
    pub evaluation_periods: u32,
    /// `DatapointsToAlarm` (M) as given; `None` means N.
    pub datapoints_to_alarm: Option<u32>,
    /// `Threshold`.
    pub threshold: f64,
    /// `ComparisonOperator`.
    pub comparison_operator: ComparisonOperator,
    /// `TreatMissingData`.
    pub treat_missing_data: TreatMissingData,
    /// `EvaluateLowSampleCountPercentile`.
    pub evaluate_low_sample_count_percentile: LowSampleCount,
    /// `ActionsEnabled` (default true).
    pub actions_enabled: bool,
    /// `Unit`: when set, only samples of this unit count.
    pub unit: Option<Unit>,
}

impl AlarmConfig {
    /// Checks the limits of §5: a period of 10, 20, 30 or a multiple of 60 s; N ≥ 1;
    /// 1 ≤ M ≤ N; `Period × N` at most 86,400 s when the period is under an hour, 604,800 s
    /// otherwise; a finite threshold.
    pub fn validate(&self) -> Result<(), Error> {
        let period_s = self.period_s;
        if !(matches!(period_s, 10 | 20 | 30) || (period_s > 0 && period_s.is_multiple_of(60))) {
            return Err(Error::InvalidPeriod(period_s));
        }
        if self.evaluation_periods < 1 {
            return Err(Error::InvalidEvaluationPeriods);
        }
        let m = self.datapoints_to_alarm();
        if m < 1 || m > self.evaluation_periods {
            return Err(Error::InvalidDatapointsToAlarm {
                datapoints_to_alarm: m,
                evaluation_periods: self.evaluation_periods,
            });
        }
        let total_s = u64::from(period_s) * u64::from(self.evaluation_periods);
        let limit_s = if period_s < 3600 { 86_400 } else { 604_800 };
        if total_s > limit_s {
            return Err(Error::EvaluationTooLong { total_s, limit_s });
        }
        if !self.threshold.is_finite() {
            return Err(Error::NonFiniteThreshold);
        }
        Ok(())
    }

    /// M: `DatapointsToAlarm`, or N when it was not given.
    pub fn datapoints_to_alarm(&self) -> u32 {
        self.datapoints_to_alarm.unwrap_or(self.evaluation_periods)
    }

    /// R, the number of periods an evaluation fetches: `N + 2` (§5: the docs' example has
    /// R = 5 for N = 3; the exact rule is unpublished).
    pub fn evaluation_range_periods(&self) -> u32 {
        self.evaluation_periods + 2
    }

    fn period_ms(&self) -> i64 {
        i64::from(self.period_s) * 1000
    }
}

/// An alarm's state, as `DescribeAlarms` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmState {
    /// `StateValue`.
    pub value: StateValue,
    /// `StateReason`.
    pub reason: String,
    /// `StateReasonData`: JSON text, absent for the initial state and `SetAlarmState` without
    /// data.
    pub reason_data: Option<String>,
    /// `StateUpdatedTimestamp`, milliseconds since the epoch.
    pub timestamp_ms: i64,
}

impl AlarmState {
    /// The state of a new alarm: `INSUFFICIENT_DATA`, `Unchecked: Initial alarm creation`.
    pub fn initial(now_ms: i64) -> AlarmState {
        AlarmState {
            value: StateValue::InsufficientData,
            reason: "Unchecked: Initial alarm creation".to_owned(),
            reason_data: None,
            timestamp_ms: now_ms,
        }
    }
}

/// One entry of `DescribeAlarmHistory`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    /// `AlarmName`.
    pub alarm_name: String,
    /// `Timestamp`, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// `HistoryItemType`: `StateUpdate`.
    pub item_type: &'static str,
    /// `HistorySummary`: `Alarm updated from OK to ALARM`.
    pub summary: String,
    /// `HistoryData`: `{"version":"1.0","oldState":{...},"newState":{...}}`.
    pub data: String,
}

impl HistoryItem {
    /// The `StateUpdate` item of a change from `old` to `new` (also what `SetAlarmState`
    /// records).
    pub fn state_update(alarm_name: &str, old: &AlarmState, new: &AlarmState) -> HistoryItem {
        let state_json = |state: &AlarmState| {
            let mut object = json!({
                "stateValue": state.value.as_str(),
                "stateReason": state.reason,
            });
            if let Some(data) = &state.reason_data
                && let Ok(data) = serde_json::from_str::<Value>(data)
            {
                object["stateReasonData"] = data;
            }
            object
        };
        let data = json!({
            "version": "1.0",
            "oldState": state_json(old),
            "newState": state_json(new),
        });
        HistoryItem {
            alarm_name: alarm_name.to_owned(),
            timestamp_ms: new.timestamp_ms,
            item_type: "StateUpdate",
            summary: format!("Alarm updated from {} to {}", old.value, new.value),
            data: data.to_string(),
        }
    }
}

/// One period of the evaluation range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeDatapoint {
    /// The start of the period, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// The statistic's value; `None` when the period is missing.
    pub value: Option<f64>,
    /// The number of samples in the period.
    pub sample_count: u64,
}

/// The `R` periods an evaluation looks at, oldest first, and when it looked.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationRange {
    /// The evaluation instant (`queryDate`).
    pub query_ms: i64,
    /// Exactly `R` periods, consecutive, oldest first.
    pub datapoints: Vec<RangeDatapoint>,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The state after the evaluation (the previous one, untouched, when it did not change).
    pub state: AlarmState,
    /// Whether the state value changed.
    pub changed: bool,
    /// Whether the caller should run the new state's actions (`changed` and `ActionsEnabled`).
    pub fire_actions: bool,
    /// The `StateUpdate` history item of a change.
    pub history_item: Option<HistoryItem>,
}

/// Fetches the evaluation range of `config` at `now_ms` from `series` (see the module docs for
/// the alignment).
pub fn evaluation_range(config: &AlarmConfig, series: &Series, now_ms: i64) -> EvaluationRange {
    let period_ms = config.period_ms();
    let cadence_ms = if config.period_s >= 60 {
        60_000
    } else {
        period_ms
    };
    let end_ms = floor_to(now_ms, cadence_ms);
    let periods = i64::from(config.evaluation_range_periods());
    let start_ms = end_ms - periods * period_ms;
    let found = series.datapoints(
        &config.metric,
        start_ms,
        end_ms,
        period_ms,
        config.statistic.is_extended(),
    );
    let mut found = found.into_iter().peekable();
    let datapoints = (0..periods)
        .map(|index| {
            let timestamp_ms = start_ms + index * period_ms;
            let datapoint = found.next_if(|datapoint| datapoint.timestamp_ms == timestamp_ms);
            let datapoint =
                datapoint.filter(|datapoint| config.unit.is_none_or(|unit| unit == datapoint.unit));
            RangeDatapoint {
                timestamp_ms,
                value: datapoint
                    .as_ref()
                    .and_then(|datapoint| datapoint.aggregate.statistic(&config.statistic)),
                sample_count: datapoint.map_or(0, |datapoint| datapoint.aggregate.sample_count()),
            }
        })
        .collect();
    EvaluationRange {
        query_ms: now_ms,
        datapoints,
    }
}

/// Evaluates `config` on the data of `series` at `now_ms`, from the `previous` state.
pub fn evaluate(
    config: &AlarmConfig,
    series: &Series,
    now_ms: i64,
    previous: &AlarmState,
) -> Evaluation {
    decide(
        config,
        &evaluation_range(config, series, now_ms),
        previous,
        now_ms,
    )
}

/// A real datapoint of the range: its position, the datapoint, whether it breaches.
#[derive(Clone, Copy)]
struct Real<'a> {
    index: usize,
    datapoint: &'a RangeDatapoint,
    value: f64,
    breaching: bool,
}

/// Decides the state from an evaluation range (the pure heart of [`evaluate`]; the module docs
/// give the rules).
pub fn decide(
    config: &AlarmConfig,
    range: &EvaluationRange,
    previous: &AlarmState,
    now_ms: i64,
) -> Evaluation {
    let n = config.evaluation_periods as usize;
    let m = config.datapoints_to_alarm() as usize;
    let reals: Vec<Real<'_>> = range
        .datapoints
        .iter()
        .enumerate()
        .filter_map(|(index, datapoint)| {
            let value = datapoint.value?;
            let breaching = config.comparison_operator.breaches(value, config.threshold);
            Some(Real {
                index,
                datapoint,
                value,
                breaching,
            })
        })
        .collect();
    let evaluated = &reals[reals.len().saturating_sub(n)..];
    if low_sample_count(config, evaluated) {
        return unchanged(previous);
    }
    let breaching = evaluated.iter().filter(|real| real.breaching).count();
    let texts = Texts { config, n, m };

    let decision = if reals.len() >= n {
        Some(texts.by_threshold(evaluated, breaching >= m))
    } else {
        let fills = n - reals.len();
        match config.treat_missing_data {
            TreatMissingData::Breaching => {
                Some(texts.by_fill_ins(breaching + fills >= m, evaluated.len(), fills, "Breaching"))
            }
            TreatMissingData::NotBreaching => {
                Some(texts.by_fill_ins(breaching >= m, evaluated.len(), fills, "NonBreaching"))
            }
            TreatMissingData::Ignore | TreatMissingData::Missing => {
                if breaching >= m {
                    Some(texts.by_threshold(evaluated, true))
                } else if breaching < evaluated.len() {
                    Some(texts.by_threshold(evaluated, false))
                } else if config.treat_missing_data == TreatMissingData::Ignore {
                    None
                } else if reals.is_empty() {
                    Some((
                        StateValue::InsufficientData,
                        format!(
                            "Insufficient Data: {} {} unknown.",
                            count_of(n, "datapoint"),
                            was_were(n)
                        ),
                    ))
                } else if premature_alarm(&reals, range.datapoints.len(), n, m) {
                    Some(texts.by_threshold(evaluated, true))
                } else {
                    None
                }
            }
        }
    };
    let Some((value, reason)) = decision else {
        return unchanged(previous);
    };
    if value == previous.value {
        return unchanged(previous);
    }
    let state = AlarmState {
        value,
        reason,
        reason_data: Some(reason_data(config, range, &reals, evaluated, now_ms)),
        timestamp_ms: now_ms,
    };
    let history_item = HistoryItem::state_update(&config.name, previous, &state);
    Evaluation {
        state,
        changed: true,
        fire_actions: config.actions_enabled,
        history_item: Some(history_item),
    }
}

fn unchanged(previous: &AlarmState) -> Evaluation {
    Evaluation {
        state: previous.clone(),
        changed: false,
        fire_actions: false,
        history_item: None,
    }
}

/// Whether a percentile alarm with `EvaluateLowSampleCountPercentile=ignore` has an evaluated
/// datapoint with too few samples to be significant.
fn low_sample_count(config: &AlarmConfig, evaluated: &[Real<'_>]) -> bool {
    let Statistic::Percentile(percentile) = &config.statistic else {
        return false;
    };
    if config.evaluate_low_sample_count_percentile != LowSampleCount::Ignore {
        return false;
    }
    let tail = 100.0 - percentile.value();
    let needed = if tail <= 0.0 {
        u64::MAX
    } else {
        (100.0 / tail).ceil() as u64
    };
    evaluated
        .iter()
        .any(|real| real.datapoint.sample_count < needed)
}

/// The premature-alarm rule (§5 step 6): the oldest breaching datapoint among the latest `n`
/// periods is at least `m` periods old, and every newer one is breaching or missing.
fn premature_alarm(reals: &[Real<'_>], range_len: usize, n: usize, m: usize) -> bool {
    let window_start = range_len.saturating_sub(n);
    let mut in_window = reals.iter().filter(|real| real.index >= window_start);
    let Some(oldest) = in_window.clone().find(|real| real.breaching) else {
        return false;
    };
    let age = range_len - oldest.index;
    age >= m && in_window.all(|real| real.index < oldest.index || real.breaching)
}

/// The words of the reasons of one alarm.
struct Texts<'a> {
    config: &'a AlarmConfig,
    n: usize,
    m: usize,
}

impl Texts<'_> {
    /// `ALARM` or `OK` decided by the real datapoints `evaluated`.
    fn by_threshold(&self, evaluated: &[Real<'_>], alarm: bool) -> (StateValue, String) {
        let listed: Vec<&Real<'_>> = evaluated
            .iter()
            .rev()
            .filter(|real| real.breaching == alarm)
            .collect();
        let list = listed
            .iter()
            .map(|real| {
                format!(
                    "{} ({})",
                    java_double(real.value),
                    reason_time(real.datapoint.timestamp_ms)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let not = if alarm { "" } else { "not " };
        let phrase = self.config.comparison_operator.phrase();
        let threshold = java_double(self.config.threshold);
        let count = listed.len();
        let reason = if self.config.datapoints_to_alarm.is_some() {
            let (minimum, transition) = if alarm {
                (self.m, "OK -> ALARM")
            } else {
                (self.n - self.m + 1, "ALARM -> OK")
            };
            format!(
                "Threshold Crossed: {count} out of the last {} datapoints [{list}] {} {not}{phrase} the threshold ({threshold}) (minimum {} for {transition} transition).",
                self.n,
                was_were(count),
                count_of(minimum, "datapoint"),
            )
        } else {
            format!(
                "Threshold Crossed: {} [{list}] {} {not}{phrase} the threshold ({threshold}).",
                count_of(count, "datapoint"),
                was_were(count),
            )
        };
        (
            if alarm {
                StateValue::Alarm
            } else {
                StateValue::Ok
            },
            reason,
        )
    }

    /// `ALARM` or `OK` decided with `fills` fill-ins of kind `treated_as`.
    fn by_fill_ins(
        &self,
        alarm: bool,
        received: usize,
        fills: usize,
        treated_as: &str,
    ) -> (StateValue, String) {
        let received_text = if received == 0 {
            "no datapoints were".to_owned()
        } else {
            format!("{} {}", count_of(received, "datapoint"), was_were(received))
        };
        let reason = format!(
            "Threshold Crossed: {received_text} received for {} and {} {} treated as [{treated_as}].",
            count_of(self.n, "period"),
            count_of(fills, "missing datapoint"),
            was_were(fills),
        );
        (
            if alarm {
                StateValue::Alarm
            } else {
                StateValue::Ok
            },
            reason,
        )
    }
}

/// `1 datapoint`, `3 datapoints`.
fn count_of(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn was_were(count: usize) -> &'static str {
    if count == 1 { "was" } else { "were" }
}

/// CloudWatch's `StateReasonData`.
fn reason_data(
    config: &AlarmConfig,
    range: &EvaluationRange,
    reals: &[Real<'_>],
    evaluated: &[Real<'_>],
    now_ms: i64,
) -> String {
    let mut data = serde_json::Map::new();
    data.insert("version".into(), json!("1.0"));
    data.insert("queryDate".into(), json!(data_time(now_ms)));
    if let Some(first) = range.datapoints.first() {
        data.insert("startDate".into(), json!(data_time(first.timestamp_ms)));
    }
    if let Some(unit) = config.unit {
        data.insert("unit".into(), json!(unit.as_str()));
    }
    let statistic_key = if config.statistic.is_extended() {
        "extendedStatistic"
    } else {
        "statistic"
    };
    data.insert(statistic_key.into(), json!(config.statistic.as_str()));
    data.insert("period".into(), json!(config.period_s));
    data.insert(
        "recentDatapoints".into(),
        Value::Array(reals.iter().map(|real| json!(real.value)).collect()),
    );
    data.insert("threshold".into(), json!(config.threshold));
    if !evaluated.is_empty() {
        let points = evaluated
            .iter()
            .rev()
            .map(|real| {
                json!({
                    "timestamp": data_time(real.datapoint.timestamp_ms),
                    "sampleCount": real.datapoint.sample_count as f64,
                    "value": real.value,
                })
            })
            .collect();
        data.insert("evaluatedDatapoints".into(), Value::Array(points));
    }
    Value::Object(data).to_string()
}
