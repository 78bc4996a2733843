//! The aggregation store: per metric, one bucket per base resolution step (1 s by default) with
//! count, sum, minimum, maximum and a percentile [`Digest`](crate::digest). A query for a
//! metric walks only that metric's buckets in the asked range (a `BTreeMap` range), so it never
//! touches other metrics' data and costs one step per non-empty bucket, however many samples
//! the buckets summarise. Buckets older than the retention window are dropped by
//! [`Series::prune`].

use std::collections::{BTreeMap, HashMap};

use crate::digest::Digest;
use crate::{Error, MetricId, Sample, Statistic, Unit};

/// How a [`Series`] keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesOptions {
    /// The width of a bucket, in milliseconds. Query periods and window boundaries are
    /// effectively rounded to it: a sample belongs to the window its bucket starts in.
    pub resolution_ms: i64,
    /// How long buckets are kept, in milliseconds, counting back from `now` at each
    /// [`Series::prune`].
    pub retention_ms: i64,
}

impl Default for SeriesOptions {
    /// One-second buckets kept for one day: enough for every alarm whose
    /// `Period × (EvaluationPeriods + 2)` fits in a day (all alarms with periods under an hour).
    fn default() -> SeriesOptions {
        SeriesOptions {
            resolution_ms: 1000,
            retention_ms: 24 * 3600 * 1000,
        }
    }
}

/// The summary of some samples: what every statistic is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregate {
    count: u64,
    sum: f64,
    minimum: f64,
    maximum: f64,
    digest: Option<Digest>,
}

impl Aggregate {
    fn add(&mut self, value: f64) {
        if self.count == 0 {
            self.minimum = value;
            self.maximum = value;
        } else {
            self.minimum = self.minimum.min(value);
            self.maximum = self.maximum.max(value);
        }
        self.count += 1;
        self.sum += value;
        self.digest.get_or_insert_with(Digest::default).add(value);
    }

    fn add_many(&mut self, value: f64, count: u64) {
        if count == 0 {
            return;
        }
        if self.count == 0 {
            self.minimum = value;
            self.maximum = value;
        } else {
            self.minimum = self.minimum.min(value);
            self.maximum = self.maximum.max(value);
        }
        self.count += count;
        self.sum += value * count as f64;
        self.digest
            .get_or_insert_with(Digest::default)
            .add_many(value, count);
    }

    fn merge(&mut self, other: &Aggregate, with_digest: bool) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            self.minimum = other.minimum;
            self.maximum = other.maximum;
        } else {
            self.minimum = self.minimum.min(other.minimum);
            self.maximum = self.maximum.max(other.maximum);
        }
        self.count += other.count;
        self.sum += other.sum;
        if with_digest && let Some(digest) = &other.digest {
            self.digest
                .get_or_insert_with(Digest::default)
                .merge(digest);
        }
    }

    /// The number of samples.
    pub fn sample_count(&self) -> u64 {
        self.count
    }

    /// The sum of the values.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The smallest value.
    pub fn minimum(&self) -> f64 {
        self.minimum
    }

    /// The largest value.
    pub fn maximum(&self) -> f64 {
        self.maximum
    }

    /// `sum / sample_count`.
    pub fn average(&self) -> f64 {
        self.sum / self.count as f64
    }

    /// A statistic of these samples; `None` when there are none, or for a percentile of an
    /// aggregate built without percentile data (see [`Series::datapoints`]). `p0` and `p100`
    /// are exactly the minimum and maximum; other percentiles are the nearest-rank value (see
    /// the `digest` module for the accuracy).
    pub fn statistic(&self, statistic: &Statistic) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        Some(match statistic {
            Statistic::SampleCount => self.count as f64,
            Statistic::Average => self.average(),
            Statistic::Sum => self.sum,
            Statistic::Minimum => self.minimum,
            Statistic::Maximum => self.maximum,
            Statistic::Percentile(percentile) if percentile.value() <= 0.0 => self.minimum,
            Statistic::Percentile(percentile) if percentile.value() >= 100.0 => self.maximum,
            Statistic::Percentile(percentile) => {
                let value = self
                    .digest
                    .as_ref()?
                    .percentile(percentile.value(), self.count)?;
                value.clamp(self.minimum, self.maximum)
            }
        })
    }
}

/// The samples of one metric in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Datapoint {
    /// The start of the period, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// The samples' summary.
    pub aggregate: Aggregate,
    /// The unit of the metric's latest sample.
    pub unit: Unit,
}

#[derive(Debug, Clone, Default)]
struct MetricSeries {
    unit: Unit,
    buckets: BTreeMap<i64, Aggregate>,
}

/// Every metric's buckets. Not a cache: the source of truth for queries and alarms in memory;
/// a durable store keeps the same buckets (or the raw samples) and rebuilds it.
#[derive(Debug, Clone, Default)]
pub struct Series {
    options: SeriesOptions,
    metrics: HashMap<MetricId, MetricSeries>,
    horizon_ms: Option<i64>,
}

impl Series {
    /// An empty store.
    pub fn new(options: SeriesOptions) -> Series {
        Series {
            options,
            metrics: HashMap::new(),
            horizon_ms: None,
        }
    }

    /// The options it was made with.
    pub fn options(&self) -> SeriesOptions {
        self.options
    }

    /// Records one sample. Refuses a non-finite value, and a sample older than the last
    /// [`Series::prune`] horizon (it would be dropped at once).
    pub fn record(&mut self, metric: &MetricId, sample: Sample) -> Result<(), Error> {
        if !sample.value.is_finite() {
            return Err(Error::NonFiniteValue(sample.value));
        }
        if let Some(horizon_ms) = self.horizon_ms
            && sample.at_ms < horizon_ms
        {
            return Err(Error::OutsideRetention {
                at_ms: sample.at_ms,
                horizon_ms,
            });
        }
        let bucket = floor_to(sample.at_ms, self.options.resolution_ms);
        let series = match self.metrics.get_mut(metric) {
            Some(series) => series,
            None => self.metrics.entry(metric.clone()).or_default(),
        };
        series.unit = sample.unit;
        series.buckets.entry(bucket).or_default().add(sample.value);
        Ok(())
    }

    /// Records `count` samples of the same value, unit and instant at the cost of one: what
    /// [`Series::record`] called `count` times records (for callers that count events first).
    pub fn record_many(
        &mut self,
        metric: &MetricId,
        sample: Sample,
        count: u64,
    ) -> Result<(), Error> {
        if !sample.value.is_finite() {
            return Err(Error::NonFiniteValue(sample.value));
        }
        if let Some(horizon_ms) = self.horizon_ms
            && sample.at_ms < horizon_ms
        {
            return Err(Error::OutsideRetention {
                at_ms: sample.at_ms,
                horizon_ms,
            });
        }
        if count == 0 {
            return Ok(());
        }
        let bucket = floor_to(sample.at_ms, self.options.resolution_ms);
        let series = match self.metrics.get_mut(metric) {
            Some(series) => series,
            None => self.metrics.entry(metric.clone()).or_default(),
        };
        series.unit = sample.unit;
        series
            .buckets
            .entry(bucket)
            .or_default()
            .add_many(sample.value, count);
        Ok(())
    }

    /// Drops every bucket that ends before `now_ms - retention_ms`, and metrics left empty.
    /// Later samples older than that horizon are refused.
    pub fn prune(&mut self, now_ms: i64) {
        let horizon_ms = floor_to(
            now_ms - self.options.retention_ms,
            self.options.resolution_ms,
        );
        self.horizon_ms = Some(
            self.horizon_ms
                .map_or(horizon_ms, |old| old.max(horizon_ms)),
        );
        self.metrics.retain(|_, series| {
            series.buckets = series.buckets.split_off(&horizon_ms);
            !series.buckets.is_empty()
        });
    }

    /// The metrics that have data (for `ListMetrics`).
    pub fn metrics(&self) -> impl Iterator<Item = &MetricId> {
        self.metrics.keys()
    }

    /// The non-empty periods of `metric` between `start_ms` (inclusive) and `end_ms`
    /// (exclusive), periods of `period_ms` counted from `start_ms`, oldest first, as
    /// `GetMetricStatistics` returns them. With `with_percentiles` false the aggregates skip
    /// the percentile data (cheaper; percentile statistics then answer `None`).
    pub fn datapoints(
        &self,
        metric: &MetricId,
        start_ms: i64,
        end_ms: i64,
        period_ms: i64,
        with_percentiles: bool,
    ) -> Vec<Datapoint> {
        let Some(series) = self.metrics.get(metric) else {
            return Vec::new();
        };
        if end_ms <= start_ms || period_ms <= 0 {
            return Vec::new();
        }
        let mut datapoints: Vec<Datapoint> = Vec::new();
        for (bucket_ms, aggregate) in series.buckets.range(start_ms..end_ms) {
            let timestamp_ms = start_ms + (bucket_ms - start_ms) / period_ms * period_ms;
            match datapoints.last_mut() {
                Some(last) if last.timestamp_ms == timestamp_ms => {
                    last.aggregate.merge(aggregate, with_percentiles)
                }
                _ => {
                    let mut fresh = Aggregate::default();
                    fresh.merge(aggregate, with_percentiles);
                    datapoints.push(Datapoint {
                        timestamp_ms,
                        aggregate: fresh,
                        unit: series.unit,
                    });
                }
            }
        }
        datapoints
    }
}

/// `value` rounded down to a multiple of `step` (towards negative infinity).
pub(crate) fn floor_to(value: i64, step: i64) -> i64 {
    value.div_euclid(step) * step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dimensions;

    #[test]
    fn record_many_is_record_called_that_many_times() {
        let metric = MetricId::new("N", "M", Dimensions::none());
        for count in [1_u64, 3, 1000, 1500] {
            let mut one_by_one = Series::new(SeriesOptions::default());
            let mut at_once = Series::new(SeriesOptions::default());
            for (index, value) in [2.5, 7.0].into_iter().enumerate() {
                let sample = Sample {
                    at_ms: 1_000 + index as i64,
                    value,
                    unit: Unit::Milliseconds,
                };
                for _ in 0..count {
                    one_by_one.record(&metric, sample).unwrap();
                }
                at_once.record_many(&metric, sample, count).unwrap();
            }
            let points = |series: &Series| series.datapoints(&metric, 0, 10_000, 10_000, true);
            assert_eq!(points(&one_by_one), points(&at_once), "count {count}");
            let p90 = Statistic::parse_extended("p90").unwrap();
            assert_eq!(
                points(&at_once)[0].aggregate.statistic(&p90),
                points(&one_by_one)[0].aggregate.statistic(&p90)
            );
        }
    }
}
