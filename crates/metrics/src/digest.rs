//! What a bucket keeps to answer percentile statistics: the raw values while there are few of
//! them, a log-scale histogram (a DDSketch) past that.
//!
//! Accuracy: exact (nearest rank over the raw values) as long as a bucket, or the union of the
//! buckets a datapoint covers, holds at most [`EXACT_LIMIT`] values. Past that, every value is
//! counted in a bin `(γ^(k-1), γ^k]` with `γ = 1.02 / 0.98`, and a percentile is answered with
//! the bin's midpoint: within **2 % of the true value** (relative), whatever the distribution.
//! Zero has its own bin and negative values mirror the positive ones. Memory is bounded by the
//! number of bins in use (about 115 per factor of 10 of the values' range).

use std::collections::BTreeMap;

/// Values kept raw per digest before switching to the sketch.
pub const EXACT_LIMIT: usize = 1024;

/// The relative accuracy of the sketch.
const ALPHA: f64 = 0.01;

/// Raw values or a sketch of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Digest {
    /// The values as recorded, unsorted.
    Exact(Vec<f64>),
    /// The values binned.
    Sketch(Sketch),
}

impl Default for Digest {
    fn default() -> Digest {
        Digest::Exact(Vec::new())
    }
}

impl Digest {
    /// Adds one value.
    pub(crate) fn add(&mut self, value: f64) {
        match self {
            Digest::Exact(values) if values.len() < EXACT_LIMIT => values.push(value),
            Digest::Exact(values) => {
                let mut sketch = Sketch::from_values(values);
                sketch.add(value, 1);
                *self = Digest::Sketch(sketch);
            }
            Digest::Sketch(sketch) => sketch.add(value, 1),
        }
    }

    /// Adds one value `count` times (as `count` calls of [`Digest::add`] would).
    pub(crate) fn add_many(&mut self, value: f64, count: u64) {
        match self {
            Digest::Exact(values) if values.len() as u64 + count <= EXACT_LIMIT as u64 => {
                values.extend(std::iter::repeat_n(value, count as usize))
            }
            Digest::Exact(values) => {
                let mut sketch = Sketch::from_values(values);
                sketch.add(value, count);
                *self = Digest::Sketch(sketch);
            }
            Digest::Sketch(sketch) => sketch.add(value, count),
        }
    }

    /// Adds everything another digest holds.
    pub(crate) fn merge(&mut self, other: &Digest) {
        match (&mut *self, other) {
            (Digest::Exact(values), Digest::Exact(more))
                if values.len() + more.len() <= EXACT_LIMIT =>
            {
                values.extend_from_slice(more)
            }
            (Digest::Exact(values), _) => {
                let mut sketch = Sketch::from_values(values);
                sketch.merge_digest(other);
                *self = Digest::Sketch(sketch);
            }
            (Digest::Sketch(sketch), other) => sketch.merge_digest(other),
        }
    }

    /// The `percentile` (0–100) of `count` values: the nearest-rank value, the smallest value
    /// that at least `percentile` % of the values are less than or equal to.
    pub(crate) fn percentile(&self, percentile: f64, count: u64) -> Option<f64> {
        if count == 0 {
            return None;
        }
        let rank = nearest_rank(percentile, count);
        match self {
            Digest::Exact(values) => {
                let mut sorted = values.clone();
                sorted.sort_by(f64::total_cmp);
                sorted.get(usize::try_from(rank - 1).ok()?).copied()
            }
            Digest::Sketch(sketch) => sketch.value_at_rank(rank),
        }
    }
}

/// The 1-based nearest rank of a percentile among `count` values.
fn nearest_rank(percentile: f64, count: u64) -> u64 {
    // Integer arithmetic on hundredths of a percent avoids 0.95 * 100 = 94.999… surprises.
    let hundredths = (percentile * 100.0).round() as u64;
    (hundredths * count).div_ceil(10_000).clamp(1, count)
}

/// A DDSketch with a fixed γ: counts per logarithmic bin, for positive and negative values.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sketch {
    positive: BTreeMap<i32, u64>,
    negative: BTreeMap<i32, u64>,
    zero: u64,
}

impl Sketch {
    fn from_values(values: &[f64]) -> Sketch {
        let mut sketch = Sketch::default();
        for value in values {
            sketch.add(*value, 1);
        }
        sketch
    }

    fn gamma_ln() -> f64 {
        ((1.0 + ALPHA) / (1.0 - ALPHA)).ln()
    }

    fn key(magnitude: f64) -> i32 {
        (magnitude.ln() / Sketch::gamma_ln()).ceil() as i32
    }

    fn bin_value(key: i32) -> f64 {
        let gamma = (1.0 + ALPHA) / (1.0 - ALPHA);
        2.0 * gamma.powi(key) / (gamma + 1.0)
    }

    fn add(&mut self, value: f64, count: u64) {
        // Magnitudes below 1e-300 are counted as zero; CloudWatch itself refuses values
        // smaller than 8.5e-109.
        if value.abs() < 1e-300 {
            self.zero += count;
        } else if value > 0.0 {
            *self.positive.entry(Sketch::key(value)).or_default() += count;
        } else {
            *self.negative.entry(Sketch::key(-value)).or_default() += count;
        }
    }

    fn merge_digest(&mut self, other: &Digest) {
        match other {
            Digest::Exact(values) => {
                for value in values {
                    self.add(*value, 1);
                }
            }
            Digest::Sketch(other) => {
                for (key, count) in &other.positive {
                    *self.positive.entry(*key).or_default() += count;
                }
                for (key, count) in &other.negative {
                    *self.negative.entry(*key).or_default() += count;
                }
                self.zero += other.zero;
            }
        }
    }

    fn value_at_rank(&self, rank: u64) -> Option<f64> {
        let mut seen = 0;
        // Most negative first: the largest magnitudes of the negative side.
        for (key, count) in self.negative.iter().rev() {
            seen += count;
            if seen >= rank {
                return Some(-Sketch::bin_value(*key));
            }
        }
        seen += self.zero;
        if seen >= rank {
            return Some(0.0);
        }
        for (key, count) in &self.positive {
            seen += count;
            if seen >= rank {
                return Some(Sketch::bin_value(*key));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_is_the_smallest_value_covering_the_percentile() {
        assert_eq!(nearest_rank(50.0, 4), 2);
        assert_eq!(nearest_rank(50.0, 5), 3);
        assert_eq!(nearest_rank(0.0, 5), 1);
        assert_eq!(nearest_rank(100.0, 5), 5);
        assert_eq!(nearest_rank(99.0, 100), 99);
        assert_eq!(nearest_rank(99.9, 1000), 999);
        assert_eq!(nearest_rank(95.0, 20), 19);
    }

    #[test]
    fn the_sketch_is_within_two_percent() {
        let mut digest = Digest::default();
        let values: Vec<f64> = (1..=10_000).map(|i| f64::from(i) * 1.5 - 3000.0).collect();
        for value in &values {
            digest.add(*value);
        }
        assert!(matches!(digest, Digest::Sketch(_)));
        for percentile in [1.0, 10.0, 50.0, 90.0, 99.0, 99.9] {
            let exact = Digest::Exact(values.clone())
                .percentile(percentile, 10_000)
                .unwrap();
            let approx = digest.percentile(percentile, 10_000).unwrap();
            assert!(
                (approx - exact).abs() <= 0.02 * exact.abs() + 1e-9,
                "p{percentile}: {approx} vs {exact}"
            );
        }
    }
}
