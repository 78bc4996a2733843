//! Choice rules in JSONPath mode: comparison operators, `Is*` type tests and `And`/`Or`/`Not`.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::Failure;
use crate::dataflow::{Env, bracket_form};
use crate::jsonpath::Path;
use crate::model::{Condition, Operand, Operator};

/// Evaluates a condition against the state's (effective) input.
///
/// A missing `Variable` is a `States.Runtime` failure, except under `IsPresent`, which is what it
/// tests. JSONata conditions are not evaluated here.
pub fn evaluate(condition: &Condition, env: &Env<'_>) -> Result<bool, Failure> {
    match condition {
        Condition::And(rules) => {
            for rule in rules {
                if !evaluate(rule, env)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Or(rules) => {
            for rule in rules {
                if evaluate(rule, env)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(rule) => Ok(!evaluate(rule, env)?),
        Condition::Compare {
            variable,
            operator,
            operand,
        } => compare(variable, *operator, operand, env),
        Condition::Jsonata(_) => Err(Failure::new(
            "States.Runtime",
            "JSONata Choice conditions are not supported yet",
        )),
    }
}

fn missing(path: &Path) -> Failure {
    Failure::new(
        "States.Runtime",
        format!(
            "Invalid path '{}' : No results for path: {}",
            path.source(),
            bracket_form(path.source())
        ),
    )
}

fn compare(
    variable: &Path,
    operator: Operator,
    operand: &Operand,
    env: &Env<'_>,
) -> Result<bool, Failure> {
    let value = env.select(variable);
    if operator == Operator::IsPresent {
        return Ok(value.is_some() == expected_bool(operand));
    }
    let value = value.ok_or_else(|| missing(variable))?;
    let expected = match operand {
        Operand::Value(expected) => std::borrow::Cow::Borrowed(expected),
        Operand::Path(path) => {
            std::borrow::Cow::Owned(env.select(path).ok_or_else(|| missing(path))?)
        }
    };
    let expected = expected.as_ref();
    use Operator as O;
    let result = match operator {
        O::IsPresent => unreachable_present(),
        O::IsNull => value.is_null() == expected_bool(operand),
        O::IsNumeric => value.is_number() == expected_bool(operand),
        O::IsString => value.is_string() == expected_bool(operand),
        O::IsBoolean => value.is_boolean() == expected_bool(operand),
        O::IsTimestamp => {
            value.as_str().and_then(parse_timestamp).is_some() == expected_bool(operand)
        }
        O::StringEquals
        | O::StringLessThan
        | O::StringGreaterThan
        | O::StringLessThanEquals
        | O::StringGreaterThanEquals => match (value.as_str(), expected.as_str()) {
            (Some(left), Some(right)) => ordering_holds(operator, left.cmp(right)),
            _ => false,
        },
        O::StringMatches => match (value.as_str(), expected.as_str()) {
            (Some(text), Some(pattern)) => string_matches(text, pattern),
            _ => false,
        },
        O::NumericEquals
        | O::NumericLessThan
        | O::NumericGreaterThan
        | O::NumericLessThanEquals
        | O::NumericGreaterThanEquals => match (value.as_f64(), expected.as_f64()) {
            (Some(left), Some(right)) if value.is_number() && expected.is_number() => left
                .partial_cmp(&right)
                .is_some_and(|ordering| ordering_holds(operator, ordering)),
            _ => false,
        },
        O::BooleanEquals => match (value.as_bool(), expected.as_bool()) {
            (Some(left), Some(right)) => left == right,
            _ => false,
        },
        O::TimestampEquals
        | O::TimestampLessThan
        | O::TimestampGreaterThan
        | O::TimestampLessThanEquals
        | O::TimestampGreaterThanEquals => {
            match (
                value.as_str().and_then(parse_timestamp),
                expected.as_str().and_then(parse_timestamp),
            ) {
                (Some(left), Some(right)) => ordering_holds(operator, left.cmp(&right)),
                _ => false,
            }
        }
    };
    Ok(result)
}

/// `IsPresent` is answered before the variable is required; this arm cannot be reached.
fn unreachable_present() -> bool {
    false
}

fn expected_bool(operand: &Operand) -> bool {
    matches!(operand, Operand::Value(Value::Bool(true)))
}

fn ordering_holds(operator: Operator, ordering: std::cmp::Ordering) -> bool {
    use Operator as O;
    use std::cmp::Ordering::{Equal, Greater, Less};
    match operator {
        O::StringEquals | O::NumericEquals | O::TimestampEquals => ordering == Equal,
        O::StringLessThan | O::NumericLessThan | O::TimestampLessThan => ordering == Less,
        O::StringGreaterThan | O::NumericGreaterThan | O::TimestampGreaterThan => {
            ordering == Greater
        }
        O::StringLessThanEquals | O::NumericLessThanEquals | O::TimestampLessThanEquals => {
            ordering != Greater
        }
        O::StringGreaterThanEquals
        | O::NumericGreaterThanEquals
        | O::TimestampGreaterThanEquals => ordering != Less,
        _ => false,
    }
}

/// Parses an RFC 3339 timestamp as Step Functions accepts it (an uppercase `T` and an offset or
/// `Z` are required).
pub fn parse_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    if !text.contains('T') {
        return None;
    }
    DateTime::parse_from_rfc3339(text).ok()
}

/// `StringMatches`: `*` matches any run of characters; `\*` is a literal star and `\\` a
/// literal backslash.
pub fn string_matches(text: &str, pattern: &str) -> bool {
    enum Token {
        Literal(char),
        Star,
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => tokens.push(Token::Literal(escaped)),
                None => tokens.push(Token::Literal('\\')),
            },
            '*' => tokens.push(Token::Star),
            other => tokens.push(Token::Literal(other)),
        }
    }
    // Iterative wildcard matching with one backtrack point: linear in practice, no recursion.
    let text: Vec<char> = text.chars().collect();
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Literal(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Token::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| matches!(token, Token::Star))
}

#[cfg(test)]
mod tests {
    use super::string_matches;

    #[test]
    fn wildcards() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("anything", "*"));
        assert!(!string_matches("log.csv", "log-*.txt"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("", "*"));
        assert!(string_matches("abcabc", "*abc"));
    }
}
