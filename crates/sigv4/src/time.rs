//! ISO-8601 basic-format timestamps (`20261126T123456Z`), the only form SigV4 signs, to and from
//! epoch seconds. Hand-written so the crate needs no date library.

/// Parses `YYYYMMDDTHHMMSSZ` (UTC) into epoch seconds; `None` for anything else.
pub(crate) fn parse_basic(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        bytes[range].iter().try_fold(0i64, |acc, &byte| {
            byte.is_ascii_digit()
                .then(|| acc * 10 + i64::from(byte - b'0'))
        })
    };
    let (year, month, day) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    // A leap second (`60`) is accepted, as ISO-8601 allows; it reads as the next second.
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Formats epoch seconds as `YYYYMMDDTHHMMSSZ`.
pub(crate) fn format_basic(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400);
    let seconds_of_day = epoch_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        seconds_of_day / 3_600,
        seconds_of_day % 3_600 / 60,
        seconds_of_day % 60
    )
}

// Howard Hinnant's `days_from_civil` / `civil_from_days` (proleptic Gregorian calendar).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (text, epoch) in [
            ("19700101T000000Z", 0),
            ("20261126T123456Z", 1_795_696_496),
            ("20240229T235959Z", 1_709_251_199),
            ("19691231T235959Z", -1),
        ] {
            assert_eq!(parse_basic(text), Some(epoch), "{text}");
            assert_eq!(format_basic(epoch), text);
        }
    }

    #[test]
    fn rejects_other_forms() {
        for text in [
            "",
            "201",
            "2026-11-26T12:34:56Z",
            "20261126T123456",
            "20230229T000000Z",
            "20261326T000000Z",
            "20261126T243456Z",
            "2026112６T12345Z",
            "+0261126T123456Z",
        ] {
            assert_eq!(parse_basic(text), None, "{text}");
        }
    }
}
