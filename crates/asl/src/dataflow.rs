//! Input and output processing in JSONPath mode: InputPath, Parameters and the other payload
//! templates, ResultPath and OutputPath (see the ASL spec's "Input and Output Processing").
//!
//! Failures come back as [`Failure`] values with AWS's error names and the part of the cause
//! that follows AWS's `An error occurred while executing the state '…' (entered at the event id
//! #…).` prefix; the engine adds that prefix because only it knows the event id.

use serde_json::{Map, Value};

use crate::intrinsics::{self, Call};
use crate::jsonpath::{Path, Root};
use crate::model::{Expression, ResultPath, Selector, Template};
use crate::{Entropy, Failure};

/// What a path or intrinsic may read: the state's input, the Context object (built only when a
/// `$$` path asks for it) and the workflow variables.
pub struct Env<'a> {
    /// The document `$` names.
    pub input: &'a Value,
    /// Builds the Context object on demand.
    pub context: &'a dyn Fn() -> Value,
    /// The variables in scope, innermost last.
    pub variables: &'a [&'a Map<String, Value>],
    /// Where `States.UUID` and `States.MathRandom` draw from.
    pub entropy: &'a mut dyn Entropy,
}

impl Env<'_> {
    /// The value a path names, or `None` when it is missing.
    pub fn select(&self, path: &Path) -> Option<Value> {
        match path.root() {
            Root::Input => path.select(self.input),
            Root::Context => path.select(&(self.context)()),
            Root::Variable(name) => {
                let value = self
                    .variables
                    .iter()
                    .rev()
                    .find_map(|scope| scope.get(name))?;
                path.select(value)
            }
        }
    }
}

/// A Fail state's `Error` or `Cause`: the fixed text, or what its `…Path` gives (a string as
/// it is, anything else as JSON text), or nothing.
pub fn fail_field(
    fixed: &Option<String>,
    path: &Option<Expression>,
    field: &str,
    env: &mut Env<'_>,
) -> Result<Option<String>, Failure> {
    match (fixed, path) {
        (Some(text), _) => Ok(Some(text.clone())),
        (None, Some(expression)) => Ok(Some(match evaluate_expression(expression, field, env)? {
            Value::String(text) => text,
            other => other.to_string(),
        })),
        (None, None) => Ok(None),
    }
}

/// Applies InputPath or OutputPath. `field` names it for the error message.
pub fn apply_selector(selector: &Selector, env: &Env<'_>) -> Result<Value, Failure> {
    match selector {
        Selector::Whole => Ok(env.input.clone()),
        Selector::Empty => Ok(Value::Object(Map::new())),
        Selector::Path(path) => env.select(path).ok_or_else(|| {
            Failure::new(
                "States.Runtime",
                format!(
                    "Invalid path '{}' : No results for path: {}",
                    path.source(),
                    bracket_form(path.source())
                ),
            )
        }),
    }
}

/// Evaluates a payload template (Parameters, ResultSelector, ItemSelector).
pub fn evaluate_template(template: &Template, env: &mut Env<'_>) -> Result<Value, Failure> {
    match template {
        Template::Literal(value) => Ok(value.clone()),
        Template::Array(items) => items
            .iter()
            .map(|item| evaluate_template(item, env))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Template::Object(fields) => {
            let mut object = Map::with_capacity(fields.len());
            for (key, field) in fields {
                object.insert(key.clone(), evaluate_template(field, env)?);
            }
            Ok(Value::Object(object))
        }
        Template::Dynamic { field, expression } => evaluate_expression(expression, field, env),
    }
}

/// Evaluates a path or intrinsic found in the field `field` (as written, e.g. `x.$`).
pub fn evaluate_expression(
    expression: &Expression,
    field: &str,
    env: &mut Env<'_>,
) -> Result<Value, Failure> {
    match expression {
        Expression::Path(path) => env
            .select(path)
            .ok_or_else(|| missing_path(path.source(), field, env)),
        Expression::Call(call) => evaluate_call(call, field, env),
    }
}

fn evaluate_call(call: &Call, field: &str, env: &mut Env<'_>) -> Result<Value, Failure> {
    struct Resolver<'e, 'a> {
        env: &'e mut Env<'a>,
        field: &'e str,
    }
    impl intrinsics::Resolver for Resolver<'_, '_> {
        fn resolve(&mut self, text: &str) -> Result<Value, Failure> {
            let path = Path::parse(text).map_err(|problem| {
                Failure::new(
                    "States.IntrinsicFailure",
                    format!("invalid path '{text}' in an intrinsic function: {problem}"),
                )
            })?;
            self.env
                .select(&path)
                .ok_or_else(|| missing_path(text, self.field, self.env))
        }

        fn entropy(&mut self) -> &mut dyn Entropy {
            self.env.entropy
        }
    }
    call.eval(&mut Resolver { env, field })
}

fn missing_path(path: &str, field: &str, env: &Env<'_>) -> Failure {
    let document = match Path::parse(path).map(|parsed| parsed.root().clone()) {
        Ok(Root::Context) => (env.context)(),
        _ => env.input.clone(),
    };
    Failure::new(
        "States.Runtime",
        format!(
            "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{}'",
            to_json(&document)
        ),
    )
}

/// Merges a result into the state's raw input as ResultPath says.
pub fn apply_result_path(
    result_path: &ResultPath,
    input: &Value,
    result: Value,
) -> Result<Value, Failure> {
    match result_path {
        ResultPath::Replace => Ok(result),
        ResultPath::Discard => Ok(input.clone()),
        ResultPath::Path(path) => {
            let mut merged = input.clone();
            path.assign(&mut merged, result).map_err(|problem| {
                Failure::new(
                    "States.ResultPathMatchFailure",
                    format!(
                        "Unable to apply ResultPath \"{}\" to input \"{}\": {problem}",
                        path.source(),
                        to_json(input)
                    ),
                )
            })?;
            Ok(merged)
        }
    }
}

/// A document as compact JSON text, as AWS writes documents inside messages.
pub fn to_json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A simple path (`$.a.b[0]`) written the way AWS's messages write it (`$['a']['b'][0]`); other
/// paths are returned as written.
pub fn bracket_form(source: &str) -> String {
    let Some(rest) = source.strip_prefix('$') else {
        return source.to_owned();
    };
    let mut out = String::from("$");
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut name = String::new();
                while let Some(&next) = chars.peek() {
                    if next == '.' || next == '[' {
                        break;
                    }
                    name.push(next);
                    chars.next();
                }
                if name.is_empty() || name == "*" {
                    return source.to_owned();
                }
                out.push_str(&format!("['{name}']"));
            }
            '[' => {
                let mut inner = String::new();
                for next in chars.by_ref() {
                    if next == ']' {
                        break;
                    }
                    inner.push(next);
                }
                if inner.parse::<i64>().is_ok() || inner.starts_with('\'') {
                    out.push_str(&format!("[{inner}]"));
                } else {
                    return source.to_owned();
                }
            }
            _ => return source.to_owned(),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::bracket_form;

    #[test]
    fn bracket_forms() {
        assert_eq!(bracket_form("$.NoSuchInputPath"), "$['NoSuchInputPath']");
        assert_eq!(bracket_form("$.a.b[0]"), "$['a']['b'][0]");
        assert_eq!(bracket_form("$..a"), "$..a");
    }
}
