//! JSONPath Choice rules (`Variable` + one comparison, or `And`/`Or`/`Not`) and the RFC 3339
//! timestamps they and Wait states compare against.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::machine::{Checker, field_at, type_name};
use super::paths::{self, Roots};
use super::{Kind, MAX_DEPTH};

/// What the right-hand side of a comparison must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    String,
    Number,
    Boolean,
    Timestamp,
    Path,
}

/// Every comparison operator and its operand.
const COMPARISONS: [(&str, Operand); 39] = [
    ("StringEquals", Operand::String),
    ("StringLessThan", Operand::String),
    ("StringGreaterThan", Operand::String),
    ("StringLessThanEquals", Operand::String),
    ("StringGreaterThanEquals", Operand::String),
    ("StringMatches", Operand::String),
    ("NumericEquals", Operand::Number),
    ("NumericLessThan", Operand::Number),
    ("NumericGreaterThan", Operand::Number),
    ("NumericLessThanEquals", Operand::Number),
    ("NumericGreaterThanEquals", Operand::Number),
    ("BooleanEquals", Operand::Boolean),
    ("TimestampEquals", Operand::Timestamp),
    ("TimestampLessThan", Operand::Timestamp),
    ("TimestampGreaterThan", Operand::Timestamp),
    ("TimestampLessThanEquals", Operand::Timestamp),
    ("TimestampGreaterThanEquals", Operand::Timestamp),
    ("StringEqualsPath", Operand::Path),
    ("StringLessThanPath", Operand::Path),
    ("StringGreaterThanPath", Operand::Path),
    ("StringLessThanEqualsPath", Operand::Path),
    ("StringGreaterThanEqualsPath", Operand::Path),
    ("NumericEqualsPath", Operand::Path),
    ("NumericLessThanPath", Operand::Path),
    ("NumericGreaterThanPath", Operand::Path),
    ("NumericLessThanEqualsPath", Operand::Path),
    ("NumericGreaterThanEqualsPath", Operand::Path),
    ("BooleanEqualsPath", Operand::Path),
    ("TimestampEqualsPath", Operand::Path),
    ("TimestampLessThanPath", Operand::Path),
    ("TimestampGreaterThanPath", Operand::Path),
    ("TimestampLessThanEqualsPath", Operand::Path),
    ("TimestampGreaterThanEqualsPath", Operand::Path),
    ("IsNull", Operand::Boolean),
    ("IsPresent", Operand::Boolean),
    ("IsNumeric", Operand::Boolean),
    ("IsString", Operand::Boolean),
    ("IsBoolean", Operand::Boolean),
    ("IsTimestamp", Operand::Boolean),
];

const LOGIC: [&str; 3] = ["And", "Or", "Not"];

/// True for a field that only a JSONPath Choice rule has (so a JSONata rule reports the
/// query-language mismatch rather than an unknown field).
pub(super) fn is_jsonpath_rule_field(field: &str) -> bool {
    field == "Variable" || LOGIC.contains(&field) || comparison(field).is_some()
}

fn comparison(field: &str) -> Option<Operand> {
    COMPARISONS
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, operand)| *operand)
}

impl Checker<'_> {
    /// One JSONPath Choice rule; `top` for the rules directly under `Choices` (which alone may
    /// have `Next` and `Assign`).
    pub(super) fn rule(&mut self, object: &Map<String, Value>, top: bool, at: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.push(
                Kind::TooDeeplyNested,
                format!("The definition is nested more than {MAX_DEPTH} levels deep"),
                Some(at.to_owned()),
            );
            return;
        }
        let mut operators: Vec<&str> = Vec::new();
        for key in object.keys() {
            let key = key.as_str();
            if LOGIC.contains(&key) || comparison(key).is_some() {
                operators.push(key);
            } else if !(matches!(key, "Variable" | "Comment")
                || (top && matches!(key, "Next" | "Assign")))
            {
                self.unsupported(key, at);
            }
        }
        self.string_field(object, "Comment", at);
        match operators.as_slice() {
            [] => self.schema(
                "A Choice rule must have exactly one of And, Or, Not or a comparison operator",
                super::machine::here(at),
            ),
            [operator] => {
                let operator = *operator;
                if LOGIC.contains(&operator) {
                    if object.contains_key("Variable") {
                        self.unsupported("Variable", at);
                    }
                    self.logic(object, operator, at, depth);
                } else {
                    self.comparison(object, operator, at);
                }
            }
            several => self.schema(
                format!(
                    "There should only be one of the following fields: [{}]",
                    several.join(", ")
                ),
                super::machine::here(at),
            ),
        }
    }

    fn logic(&mut self, object: &Map<String, Value>, operator: &str, at: &str, depth: usize) {
        let Some(value) = object.get(operator) else {
            return;
        };
        let location = field_at(at, operator);
        if operator == "Not" {
            match value.as_object() {
                Some(inner) => self.rule(inner, false, &location, depth + 1),
                None => self.wrong_type("Object", location),
            }
            return;
        }
        match value.as_array() {
            None => self.wrong_type("Array", location),
            Some(rules) if rules.is_empty() => self.schema("Value cannot be empty", location),
            Some(rules) => {
                for (index, rule) in rules.iter().enumerate() {
                    let rule_at = format!("{location}[{index}]");
                    match rule.as_object() {
                        Some(inner) => self.rule(inner, false, &rule_at, depth + 1),
                        None => self.wrong_type("Object", rule_at),
                    }
                }
            }
        }
    }

    fn comparison(&mut self, object: &Map<String, Value>, operator: &str, at: &str) {
        self.require(object, &["Variable"], at);
        if let Some(variable) = self.string_field(object, "Variable", at)
            && !paths::is_path(variable, Roots::Any)
        {
            self.schema(
                "The value for the field 'Variable' must be a valid JSONPath",
                field_at(at, "Variable"),
            );
        }
        let Some(value) = object.get(operator) else {
            return;
        };
        let Some(operand) = comparison(operator) else {
            return;
        };
        let location = field_at(at, operator);
        let expected = match operand {
            Operand::String | Operand::Timestamp | Operand::Path => "String",
            Operand::Number => "Number",
            Operand::Boolean => "Boolean",
        };
        if type_name(value) != expected {
            self.wrong_type(expected, location);
            return;
        }
        match (operand, value.as_str()) {
            (Operand::Timestamp, Some(text)) if !is_rfc3339(text) => {
                self.schema("String does not match RFC3339 timestamp", location);
            }
            (Operand::Path, Some(text)) if !paths::is_path(text, Roots::Any) => {
                self.schema(
                    format!("The value for the field '{operator}' must be a valid JSONPath"),
                    location,
                );
            }
            _ => {}
        }
    }
}

/// True when `text` is an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with
/// a real calendar date. The `T` and the zone are required (AWS refuses timestamps without
/// either, recorded as `String does not match RFC3339 timestamp`).
pub(super) fn is_rfc3339(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let slice = bytes.get(range)?;
        if slice.is_empty() || !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(slice).ok()?.parse().ok()
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    if bytes.get(4) != Some(&b'-')
        || bytes.get(7) != Some(&b'-')
        || !matches!(bytes.get(10), Some(b'T' | b't'))
        || bytes.get(13) != Some(&b':')
        || bytes.get(16) != Some(&b':')
    {
        return false;
    }
    if NaiveDate::from_ymd_opt(year as i32, month, day).is_none()
        || hour > 23
        || minute > 59
        || second > 60
    {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n_digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n_digits == 0 {
            return false;
        }
        rest = &fraction[n_digits..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit())
                && (h1 - b'0') * 10 + (h2 - b'0') < 24
                && (m1 - b'0') * 10 + (m2 - b'0') < 60
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert!(is_rfc3339("2016-03-14T01:59:00Z"));
        assert!(is_rfc3339("2016-03-14T01:59:00.123+01:00"));
        assert!(!is_rfc3339("2016-03-14 01:59:00Z"));
        assert!(!is_rfc3339("2016-03-14T01:59:00"));
        assert!(!is_rfc3339("2016-02-30T01:59:00Z"));
        assert!(!is_rfc3339("2016-03-14T01:59:00+0100"));
        assert!(!is_rfc3339("é"));
        assert!(!is_rfc3339(""));
    }
}
