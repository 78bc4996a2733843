//! How CloudWatch writes numbers and instants in alarm reasons: Java's `Double.toString`
//! (`1.0`, `6.046241709654764`, `1.0E7`), `dd/MM/yy HH:mm:ss` in reason texts and
//! `yyyy-MM-dd'T'HH:mm:ss.SSS+0000` in reason data.

use chrono::{DateTime, Utc};

/// A double as Java's `Double.toString` writes it: plain decimal with at least one fractional
/// digit between 10⁻³ and 10⁷, computerized scientific notation (`1.0E7`) outside.
pub(crate) fn java_double(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 || (1e-3..1e7).contains(&magnitude) {
        // Rust's `Debug` is the shortest round-tripping form and keeps a `.0`; in this range
        // it never switches to an exponent.
        return format!("{value:?}");
    }
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".to_owned()
        } else if value > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    if mantissa.contains('.') {
        format!("{mantissa}E{exponent}")
    } else {
        format!("{mantissa}.0E{exponent}")
    }
}

fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

/// `26/11/26 10:00:00`: the instant of a datapoint in a state reason.
pub(crate) fn reason_time(ms: i64) -> String {
    utc(ms).format("%d/%m/%y %H:%M:%S").to_string()
}

/// `2026-11-26T10:00:00.000+0000`: an instant in state reason data.
pub(crate) fn data_time(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_as_java_writes_them() {
        for (value, text) in [
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-2.5, "-2.5"),
            (6.046241709654764, "6.046241709654764"),
            (1e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (-0.00025, "-2.5E-4"),
            (9999999.0, "9999999.0"),
        ] {
            assert_eq!(java_double(value), text, "{value}");
        }
    }

    #[test]
    fn instants_as_cloudwatch_writes_them() {
        // 2026-11-26T10:00:00Z.
        let ms = 1_795_687_200_000;
        assert_eq!(reason_time(ms), "26/11/26 10:00:00");
        assert_eq!(data_time(ms + 5), "2026-11-26T10:00:00.005+0000");
    }
}
