//! The `States.*` intrinsic functions of JSONPath mode.
//!
//! API CONTRACT (other modules rely on exactly these signatures):
//! - `is_call(text)`: does a `.$` value name an intrinsic function?
//! - `Call::parse(text)`: parse and check names and arity;
//! - `Call::eval(&mut resolver)`: run it, reading paths and drawing randomness through `Resolver`;
//! - `Call::paths()`: the path arguments, as written, for the validator.

use serde_json::Value;

use crate::{Entropy, Failure};

/// Everything a call needs from its surroundings.
pub trait Resolver {
    /// The value a path argument names (`$.x`, `$$.Execution.Id`, `$var`), given as written. The
    /// caller parses and evaluates it with `jsonpath`; the failure is what it wants raised when
    /// the path is missing or malformed.
    fn resolve(&mut self, path: &str) -> Result<Value, Failure>;

    /// Where `States.UUID` and unseeded `States.MathRandom` draw from.
    fn entropy(&mut self) -> &mut dyn Entropy;
}

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    source: String,
}

/// A call that does not parse or has the wrong arity, with a message saying why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
}

/// True when `text` is written as an intrinsic function call (`States.Name(...)`).
pub fn is_call(text: &str) -> bool {
    text.trim_start().starts_with("States.")
}

impl Call {
    /// Parses a call, checking the function name and its arity.
    pub fn parse(source: &str) -> Result<Call, ParseError> {
        Err(ParseError {
            message: format!("intrinsic functions are not built yet: {source}"),
        })
    }

    /// Every path argument, as written, in this call and the calls nested in it (the validator
    /// checks them with `jsonpath`).
    pub fn paths(&self) -> Vec<&str> {
        Vec::new()
    }

    /// The call as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates the call. Errors are `States.IntrinsicFailure` with AWS's cause texts (or whatever
    /// the resolver raised for a missing path).
    pub fn eval(&self, _resolver: &mut dyn Resolver) -> Result<Value, Failure> {
        Err(Failure::new(
            "States.IntrinsicFailure",
            "intrinsic functions are not built yet",
        ))
    }
}
