//! Request validation driven by AWS's own model (`model/stepfunctions-constraints.json`, trimmed
//! from the Step Functions API model): required members, string lengths, number ranges, enums,
//! list sizes and the model's three patterns, reported in Coral's words:
//!
//! `1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member
//! must have value less than or equal to 1000`
//!
//! Several violations are joined with `; ` after `N validation errors detected: `. List members
//! are addressed as `tags.1.member.key` (1-based), as Coral does. Values of the model's sensitive
//! shapes (`Sensitive*`: inputs, outputs, errors, causes) are not quoted back (`Value at 'output'
//! failed ...`), as AWS does. A member of the wrong JSON type is a `SerializationException`.
//! Members the model does not know are ignored, as AWS ignores them.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::error::Error;

/// The trimmed model, compiled into the binary.
const MODEL_JSON: &str = include_str!("../model/stepfunctions-constraints.json");

/// The model's operations and shapes, parsed once.
pub struct Model {
    /// Operation name to its input shape's name.
    inputs: HashMap<String, String>,
    /// Every shape by name.
    shapes: serde_json::Map<String, Value>,
}

/// The model, parsed on first use.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let document: Value = serde_json::from_str(MODEL_JSON).unwrap_or(Value::Null);
        let inputs = document
            .get("operations")
            .and_then(Value::as_object)
            .map(|operations| {
                operations
                    .iter()
                    .filter_map(|(name, operation)| {
                        let input = operation.get("input")?.as_str()?;
                        Some((name.clone(), input.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let shapes = document
            .get("shapes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        Model { inputs, shapes }
    })
}

/// Members whose limits the operation checks itself, with the error AWS names for them
/// (`InvalidExecutionInput` for an execution input over 256 KiB).
const CHECKED_BY_OPERATION: &[(&str, &str)] =
    &[("StartExecution", "input"), ("StartSyncExecution", "input")];

/// Enum value sets in the order AWS prints them, where a recorded message shows an order other
/// than the model's (Coral prints a hash set).
const RECORDED_ENUM_ORDER: &[(&str, &str)] = &[(
    "ExecutionStatus",
    "[SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
)];

impl Model {
    /// Whether the model has this operation.
    pub fn has_operation(&self, operation: &str) -> bool {
        self.inputs.contains_key(operation)
    }

    /// Checks a request body against the operation's input shape.
    pub fn validate(&self, operation: &str, body: &Value) -> Result<(), Error> {
        let Some(input) = self.inputs.get(operation) else {
            return Ok(());
        };
        let mut violations = Vec::new();
        self.check_structure(operation, input, body, "", &mut violations)?;
        refused(&violations)
    }

    fn shape(&self, name: &str) -> &Value {
        self.shapes.get(name).unwrap_or(&Value::Null)
    }

    fn check_structure(
        &self,
        operation: &str,
        shape_name: &str,
        value: &Value,
        path: &str,
        violations: &mut Vec<String>,
    ) -> Result<(), Error> {
        let shape = self.shape(shape_name);
        let Some(object) = value.as_object() else {
            return Err(wrong_type(path, "structure"));
        };
        let Some(members) = shape.get("members").and_then(Value::as_object) else {
            return Ok(());
        };
        let required: Vec<&str> = shape
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (member_name, member) in members {
            let member_path = if path.is_empty() {
                member_name.clone()
            } else {
                format!("{path}.{member_name}")
            };
            let member_shape = member.get("shape").and_then(Value::as_str).unwrap_or("");
            match object.get(member_name) {
                None | Some(Value::Null) => {
                    if required.contains(&member_name.as_str()) {
                        violations.push(format!(
                            "Value null at '{member_path}' failed to satisfy constraint: Member must not be null"
                        ));
                    }
                }
                Some(member_value) => {
                    if path.is_empty()
                        && CHECKED_BY_OPERATION.contains(&(operation, member_name.as_str()))
                    {
                        continue;
                    }
                    self.check_value(
                        operation,
                        member_shape,
                        member_value,
                        &member_path,
                        violations,
                    )?;
                }
            }
        }
        Ok(())
    }

    fn check_value(
        &self,
        operation: &str,
        shape_name: &str,
        value: &Value,
        path: &str,
        violations: &mut Vec<String>,
    ) -> Result<(), Error> {
        let shape = self.shape(shape_name);
        let shape_type = shape.get("type").and_then(Value::as_str).unwrap_or("");
        let min = shape.get("min").and_then(Value::as_f64);
        let max = shape.get("max").and_then(Value::as_f64);
        let shown = |text: &str| {
            if shape_name.starts_with("Sensitive") {
                format!("Value at '{path}'")
            } else {
                format!("Value '{text}' at '{path}'")
            }
        };
        match shape_type {
            "structure" => self.check_structure(operation, shape_name, value, path, violations)?,
            "string" => {
                let Some(text) = value.as_str() else {
                    return Err(wrong_type(path, "string"));
                };
                let length = text.chars().count() as f64;
                if let Some(max) = max
                    && length > max
                {
                    violations.push(format!(
                        "{} failed to satisfy constraint: Member must have length less than or equal to {}",
                        shown(text),
                        bound_text(max)
                    ));
                }
                if let Some(min) = min
                    && length < min
                {
                    violations.push(format!(
                        "{} failed to satisfy constraint: Member must have length greater than or equal to {}",
                        shown(text),
                        bound_text(min)
                    ));
                }
                if let Some(values) = shape.get("enum").and_then(Value::as_array)
                    && !values.iter().any(|allowed| allowed.as_str() == Some(text))
                {
                    violations.push(format!(
                        "{} failed to satisfy constraint: Member must satisfy enum value set: {}",
                        shown(text),
                        enum_set(shape_name, values)
                    ));
                }
                if let Some(pattern) = shape.get("pattern").and_then(Value::as_str)
                    && !matches_pattern(pattern, text)
                {
                    violations.push(format!(
                        "{} failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}",
                        shown(text)
                    ));
                }
            }
            "integer" | "long" | "float" | "double" => {
                let Some(number) = value.as_f64() else {
                    return Err(wrong_type(path, "number"));
                };
                // An integer literal that the member's type holds: a 32-bit `integer` or a 64-bit
                // `long` (a larger one overflows, which the protocol reports as the wrong type).
                // A number written with a fraction or an exponent (`2.0`, `-0.0`, `1e2`) is not
                // an integer literal: the typed input would refuse it, so the model does
                // (found by fuzzing: `-0.0` passed here and failed there).
                let range = match shape_type {
                    "integer" => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
                    "long" => Some((-(2f64.powi(63)), 2f64.powi(63) - 1.0)),
                    _ => None,
                };
                let literal = value.is_i64() || value.is_u64();
                if let Some((low, high)) = range
                    && (!literal || number < low || number > high)
                {
                    return Err(wrong_type(path, shape_type));
                }
                let text = number_text(value);
                if let Some(max) = max
                    && number > max
                {
                    violations.push(format!(
                        "{} failed to satisfy constraint: Member must have value less than or equal to {}",
                        shown(&text),
                        bound_text(max)
                    ));
                }
                if let Some(min) = min
                    && number < min
                {
                    violations.push(format!(
                        "{} failed to satisfy constraint: Member must have value greater than or equal to {}",
                        shown(&text),
                        bound_text(min)
                    ));
                }
            }
            "boolean" if !value.is_boolean() => return Err(wrong_type(path, "boolean")),
            "timestamp" if !value.is_number() => return Err(wrong_type(path, "timestamp")),
            "list" => {
                let Some(items) = value.as_array() else {
                    return Err(wrong_type(path, "list"));
                };
                let length = items.len() as f64;
                if let Some(max) = max
                    && length > max
                {
                    let shown = match self.list_text(shape, items) {
                        Some(text) => format!("Value '{text}' at '{path}'"),
                        None => format!("Value at '{path}'"),
                    };
                    violations.push(format!(
                        "{shown} failed to satisfy constraint: Member must have length less than or equal to {}",
                        bound_text(max)
                    ));
                }
                if let Some(min) = min
                    && length < min
                {
                    violations.push(format!(
                        "Value at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {}",
                        bound_text(min)
                    ));
                }
                let member_shape = shape
                    .get("member")
                    .and_then(|member| member.get("shape"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                for (index, item) in items.iter().enumerate() {
                    let item_path = format!("{path}.{}.member", index + 1);
                    if item.is_null() {
                        continue;
                    }
                    self.check_value(operation, member_shape, item, &item_path, violations)?;
                }
            }
            "map" if !value.is_object() => return Err(wrong_type(path, "map")),
            _ => {}
        }
        Ok(())
    }
}

impl Model {
    /// A list of structures as Coral quotes it (Java's `toString`):
    /// `[RoutingConfigurationListItem(stateMachineVersionArn=arn, weight=50), ...]`. `None` for
    /// other lists, which are not quoted.
    fn list_text(&self, shape: &Value, items: &[Value]) -> Option<String> {
        let member_shape = shape.get("member")?.get("shape")?.as_str()?;
        let members = self.shape(member_shape).get("members")?.as_object()?;
        let rendered: Vec<String> = items
            .iter()
            .map(|item| {
                let fields: Vec<String> = members
                    .keys()
                    .map(|name| {
                        let value = match item.get(name) {
                            None | Some(Value::Null) => "null".to_owned(),
                            Some(Value::String(text)) => text.clone(),
                            Some(other) => other.to_string(),
                        };
                        format!("{name}={value}")
                    })
                    .collect();
                format!("{member_shape}({})", fields.join(", "))
            })
            .collect();
        Some(format!("[{}]", rendered.join(", ")))
    }
}

/// `1000`, not `1000.0`.
fn bound_text(bound: f64) -> String {
    if bound.fract() == 0.0 {
        format!("{}", bound as i64)
    } else {
        bound.to_string()
    }
}

fn number_text(value: &Value) -> String {
    value.to_string()
}

fn enum_set(shape_name: &str, values: &[Value]) -> String {
    if let Some((_, recorded)) = RECORDED_ENUM_ORDER
        .iter()
        .find(|(name, _)| *name == shape_name)
    {
        return (*recorded).to_owned();
    }
    let names: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
    format!("[{}]", names.join(", "))
}

fn wrong_type(path: &str, expected: &str) -> Error {
    let member = if path.is_empty() { "the body" } else { path };
    Error::Serialization(format!("Expected a {expected} for '{member}'"))
}

/// A `ValidationException` naming every violation, in Coral's words; `Ok` without any.
pub(crate) fn refused(violations: &[String]) -> Result<(), Error> {
    match violations.len() {
        0 => Ok(()),
        1 => Err(Error::Validation(format!(
            "1 validation error detected: {}",
            violations[0]
        ))),
        n => Err(Error::Validation(format!(
            "{n} validation errors detected: {}",
            violations.join("; ")
        ))),
    }
}

/// The model's three patterns, checked by hand (no regex engine needed):
/// - `^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$` (alias names): word characters, `-` and `.`, at
///   least one that is not a digit;
/// - `[!-~]+` (client tokens): printable ASCII without space;
/// - `\p{ASCII}*` (trace headers): ASCII.
///
/// An unknown pattern passes: the model would have to grow a new one for that to happen.
pub(crate) fn matches_pattern(pattern: &str, text: &str) -> bool {
    match pattern {
        r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$" => {
            let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
            !text.is_empty()
                && text.chars().all(allowed)
                && text.chars().any(|c| !c.is_ascii_digit())
        }
        "[!-~]+" => !text.is_empty() && text.chars().all(|c| ('!'..='~').contains(&c)),
        r"\p{ASCII}*" => text.is_ascii(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_pattern_of_the_model_is_known() {
        let model = model();
        for shape in model.shapes.values() {
            if let Some(pattern) = shape.get("pattern").and_then(Value::as_str) {
                assert!(
                    [
                        r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$",
                        "[!-~]+",
                        r"\p{ASCII}*"
                    ]
                    .contains(&pattern),
                    "unknown pattern {pattern}"
                );
            }
        }
    }

    #[test]
    fn patterns() {
        let alias = r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$";
        assert!(matches_pattern(alias, "main"));
        assert!(matches_pattern(alias, "v-1.2"));
        assert!(!matches_pattern(alias, "123"));
        assert!(!matches_pattern(alias, "ALIAS@"));
        assert!(!matches_pattern(alias, "INVALID ALIAS"));
        assert!(matches_pattern("[!-~]+", "abc!~"));
        assert!(!matches_pattern("[!-~]+", "a b"));
        assert!(!matches_pattern(r"\p{ASCII}*", "é"));
    }

    #[test]
    fn coral_messages() {
        let model = model();
        let error = model
            .validate("ListStateMachines", &json!({"maxResults": 1001}))
            .unwrap_err();
        assert_eq!(
            error.message(),
            "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"
        );
        let error = model
            .validate("StartExecution", &json!({}))
            .unwrap_err()
            .message();
        assert_eq!(
            error,
            "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null"
        );
        let error = model
            .validate(
                "TagResource",
                &json!({"resourceArn": "a", "tags": [{"key": "k", "value": "v"}, {"key": ""}]}),
            )
            .unwrap_err()
            .message();
        assert_eq!(
            error,
            "1 validation error detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        let error = model
            .validate(
                "SendTaskFailure",
                &json!({"taskToken": "t", "error": "e".repeat(257)}),
            )
            .unwrap_err()
            .message();
        assert_eq!(
            error,
            "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256"
        );
        let error = model
            .validate("CreateStateMachine", &json!({}))
            .unwrap_err()
            .message();
        assert!(error.starts_with("3 validation errors detected: Value null at 'definition'"));
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        let error = model()
            .validate("ListStateMachines", &json!({"maxResults": "ten"}))
            .unwrap_err();
        assert_eq!(error.code(), "SerializationException");
    }

    #[test]
    fn integers_beyond_their_type_overflow_as_serialization_errors() {
        for value in [
            json!(9_223_372_000_000_000_000u64),
            json!(-9.2e18),
            json!(2_147_483_648u64),
            json!(1e40),
            json!(1.5),
        ] {
            let error = model()
                .validate("ListStateMachines", &json!({"maxResults": value}))
                .unwrap_err();
            assert_eq!(error.code(), "SerializationException", "{value}");
        }
        model()
            .validate("ListStateMachines", &json!({"maxResults": 1000}))
            .unwrap();
    }
}
