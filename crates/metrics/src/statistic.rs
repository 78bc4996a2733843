//! The statistics an alarm or a query can ask for: CloudWatch's five `Statistic`s and the
//! percentile `ExtendedStatistic`s (`p99`, `p99.9`, ...).

use std::fmt;

use crate::Error;

/// A statistic of the samples in one period.
#[derive(Debug, Clone, PartialEq)]
pub enum Statistic {
    /// The number of samples.
    SampleCount,
    /// `Sum / SampleCount`.
    Average,
    /// The sum of the values.
    Sum,
    /// The smallest value.
    Minimum,
    /// The largest value.
    Maximum,
    /// A percentile, `p0` to `p100` (an `ExtendedStatistic`).
    Percentile(Percentile),
}

/// A percentile statistic as the caller wrote it (`p99.9`) and its value (99.9).
#[derive(Debug, Clone, PartialEq)]
pub struct Percentile {
    text: String,
    value: f64,
}

impl Percentile {
    /// Parses `pNN` or `pNN.NN` (at most two decimals, 0 to 100), as CloudWatch accepts them.
    pub fn parse(text: &str) -> Result<Percentile, Error> {
        let refuse = || Error::UnsupportedExtendedStatistic(text.to_owned());
        let number = text.strip_prefix('p').ok_or_else(refuse)?;
        let (whole, decimals) = number.split_once('.').unwrap_or((number, ""));
        let digits_ok = !whole.is_empty()
            && whole.len() <= 3
            && whole.bytes().all(|b| b.is_ascii_digit())
            && decimals.len() <= 2
            && decimals.bytes().all(|b| b.is_ascii_digit())
            && number.contains('.') != decimals.is_empty();
        if !digits_ok {
            return Err(refuse());
        }
        let value: f64 = number.parse().map_err(|_| refuse())?;
        if !(0.0..=100.0).contains(&value) {
            return Err(refuse());
        }
        Ok(Percentile {
            text: text.to_owned(),
            value,
        })
    }

    /// The percentile, 0 to 100.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The name as given (`p99`).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Statistic {
    /// Parses a standard `Statistic` (`SampleCount`, `Average`, `Sum`, `Minimum`, `Maximum`).
    pub fn parse_standard(text: &str) -> Result<Statistic, Error> {
        Ok(match text {
            "SampleCount" => Statistic::SampleCount,
            "Average" => Statistic::Average,
            "Sum" => Statistic::Sum,
            "Minimum" => Statistic::Minimum,
            "Maximum" => Statistic::Maximum,
            _ => return Err(Error::UnknownStatistic(text.to_owned())),
        })
    }

    /// Parses an `ExtendedStatistic`; only percentiles are supported.
    pub fn parse_extended(text: &str) -> Result<Statistic, Error> {
        Percentile::parse(text).map(Statistic::Percentile)
    }

    /// The statistic of `PutMetricAlarm`'s `Statistic` and `ExtendedStatistic` fields, exactly
    /// one of which must be given.
    pub fn from_fields(
        statistic: Option<&str>,
        extended_statistic: Option<&str>,
    ) -> Result<Statistic, Error> {
        match (statistic, extended_statistic) {
            (Some(standard), None) => Statistic::parse_standard(standard),
            (None, Some(extended)) => Statistic::parse_extended(extended),
            _ => Err(Error::StatisticChoice),
        }
    }

    /// Whether this is an `ExtendedStatistic`.
    pub fn is_extended(&self) -> bool {
        matches!(self, Statistic::Percentile(_))
    }

    /// The name as CloudWatch writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Statistic::SampleCount => "SampleCount",
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
            Statistic::Percentile(percentile) => percentile.as_str(),
        }
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_parse_like_cloudwatch() {
        for (text, value) in [
            ("p0", 0.0),
            ("p50", 50.0),
            ("p99", 99.0),
            ("p99.9", 99.9),
            ("p100", 100.0),
            ("p99.99", 99.99),
        ] {
            assert_eq!(Percentile::parse(text).unwrap().value(), value, "{text}");
        }
        for text in [
            "p", "p100.1", "p101", "P99", "p99.", "p.5", "p99.999", "tm99", "p-1", "p 9",
        ] {
            assert!(Percentile::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn exactly_one_of_statistic_and_extended_statistic() {
        assert_eq!(
            Statistic::from_fields(Some("Sum"), None),
            Ok(Statistic::Sum)
        );
        assert_eq!(
            Statistic::from_fields(None, None),
            Err(Error::StatisticChoice)
        );
        assert_eq!(
            Statistic::from_fields(Some("Sum"), Some("p9")),
            Err(Error::StatisticChoice)
        );
        assert!(matches!(
            Statistic::from_fields(Some("sum"), None),
            Err(Error::UnknownStatistic(_))
        ));
        assert_eq!(
            Statistic::from_fields(None, Some("p90")).unwrap().as_str(),
            "p90"
        );
    }
}
