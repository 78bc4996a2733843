//! What a metric is: a namespace, a name and an exact set of dimensions ([`MetricId`]), and the
//! samples recorded for it ([`Sample`], with a CloudWatch [`Unit`]).

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The most dimensions one metric may have.
pub const MAX_DIMENSIONS: usize = 30;

/// A set of `Name=Value` dimensions, kept sorted by name so that two sets given in different
/// orders are the same metric (CloudWatch identifies a metric by its exact dimension set).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dimensions(Vec<(String, String)>);

impl Dimensions {
    /// No dimensions (an account-level metric).
    pub fn none() -> Dimensions {
        Dimensions(Vec::new())
    }

    /// Checks the pairs as CloudWatch does (at most 30; names 1–255 and values 1–1,024 ASCII
    /// characters, not all blank, no control characters; names unique and not starting with
    /// `:`) and sorts them by name.
    pub fn new<I, N, V>(pairs: I) -> Result<Dimensions, Error>
    where
        I: IntoIterator<Item = (N, V)>,
        N: Into<String>,
        V: Into<String>,
    {
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(name, value)| (name.into(), value.into()))
            .collect();
        if pairs.len() > MAX_DIMENSIONS {
            return Err(Error::TooManyDimensions(pairs.len()));
        }
        for (name, value) in &pairs {
            let invalid = |why| {
                Err(Error::InvalidDimension {
                    name: name.clone(),
                    why,
                })
            };
            if let Some(why) = check_text(name, 255) {
                return invalid(why);
            }
            if name.starts_with(':') {
                return invalid("a name must not start with a colon");
            }
            if let Some(why) = check_text(value, 1024) {
                return invalid(why);
            }
        }
        let dimensions = Dimensions::sorted(pairs);
        if let Some(pair) = dimensions.0.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(Error::DuplicateDimension(pair[0].0.clone()));
        }
        Ok(dimensions)
    }

    /// Sorts pairs the caller knows to be valid (the Step Functions emitters).
    pub(crate) fn sorted(mut pairs: Vec<(String, String)>) -> Dimensions {
        pairs.sort();
        Dimensions(pairs)
    }

    /// The pairs, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The value of one dimension.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value)
    }

    /// The number of dimensions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a dimension name or value is refused, if it is.
fn check_text(text: &str, max_len: usize) -> Option<&'static str> {
    if text.trim().is_empty() {
        Some("must contain a non-whitespace character")
    } else if text.len() > max_len {
        Some("too long")
    } else if !text.is_ascii() || text.chars().any(|c| c.is_ascii_control()) {
        Some("must be ASCII without control characters")
    } else {
        None
    }
}

/// One metric: namespace, name and exact dimension set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricId {
    /// For example `AWS/States`.
    pub namespace: String,
    /// For example `ExecutionsFailed`.
    pub name: String,
    /// The exact dimension set.
    pub dimensions: Dimensions,
}

impl MetricId {
    /// A metric id from its parts.
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        dimensions: Dimensions,
    ) -> MetricId {
        MetricId {
            namespace: namespace.into(),
            name: name.into(),
            dimensions,
        }
    }
}

/// One value of a metric at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The value; finite.
    pub value: f64,
    /// Its unit.
    pub unit: Unit,
}

macro_rules! units {
    ($($variant:ident = $text:literal,)*) => {
        /// CloudWatch's `StandardUnit`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub enum Unit {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )*
            /// `None`: no unit.
            #[default]
            None,
        }

        impl Unit {
            /// The name as CloudWatch writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Unit::$variant => $text,)*
                    Unit::None => "None",
                }
            }
        }

        impl FromStr for Unit {
            type Err = Error;

            fn from_str(text: &str) -> Result<Unit, Error> {
                match text {
                    $($text => Ok(Unit::$variant),)*
                    "None" => Ok(Unit::None),
                    _ => Err(Error::UnknownUnit(text.to_owned())),
                }
            }
        }
    };
}

units! {
    Seconds = "Seconds",
    Microseconds = "Microseconds",
    Milliseconds = "Milliseconds",
    Bytes = "Bytes",
    Kilobytes = "Kilobytes",
    Megabytes = "Megabytes",
    Gigabytes = "Gigabytes",
    Terabytes = "Terabytes",
    Bits = "Bits",
    Kilobits = "Kilobits",
    Megabits = "Megabits",
    Gigabits = "Gigabits",
    Terabits = "Terabits",
    Percent = "Percent",
    Count = "Count",
    BytesPerSecond = "Bytes/Second",
    KilobytesPerSecond = "Kilobytes/Second",
    MegabytesPerSecond = "Megabytes/Second",
    GigabytesPerSecond = "Gigabytes/Second",
    TerabytesPerSecond = "Terabytes/Second",
    BitsPerSecond = "Bits/Second",
    KilobitsPerSecond = "Kilobits/Second",
    MegabitsPerSecond = "Megabits/Second",
    GigabitsPerSecond = "Gigabits/Second",
    TerabitsPerSecond = "Terabits/Second",
    CountPerSecond = "Count/Second",
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
