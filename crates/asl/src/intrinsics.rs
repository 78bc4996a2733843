//! The `States.*` intrinsic functions of JSONPath mode.
//!
//! API CONTRACT (other modules rely on exactly these signatures):
//! - `is_call(text)`: does a `.$` value name an intrinsic function?
//! - `Call::parse(text)`: parse and check names and arity;
//! - `Call::eval(&mut resolver)`: run it, reading paths and drawing randomness through `Resolver`;
//! - `Call::paths()`: the path arguments, as written, for the validator.
//!
//! Design decisions:
//! - Parsing is separate from evaluation: a definition is parsed (and its errors reported) once,
//!   at validation time, and evaluated many times. [`parse`] holds the grammar, [`functions`]
//!   the runtime semantics of each function.
//! - Paths are kept as their source text. This module never evaluates JSONPath; the caller does,
//!   through [`Resolver`], so the same call works against state input, the Context object and
//!   variables alike.
//! - Everything a call draws by chance (`States.UUID`, unseeded `States.MathRandom`) comes from
//!   the resolver's [`Entropy`], so replays are deterministic.
//! - Runtime failures are data ([`Failure`] with `States.IntrinsicFailure`), never panics: every
//!   argument comes from user input.

pub(crate) mod functions;
mod parse;

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
    node: parse::Node,
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
    ///
    /// Arguments are string literals in single quotes (with the escapes `\'`, `\{`, `\}` and
    /// `\\`), JSON numbers, `true`, `false`, `null`, paths starting with `$`, and nested calls up
    /// to ten deep in all.
    pub fn parse(source: &str) -> Result<Call, ParseError> {
        let node = parse::parse(source).map_err(|message| ParseError { message })?;
        Ok(Call {
            source: source.to_owned(),
            node,
        })
    }

    /// Every path argument, as written, in this call and the calls nested in it (the validator
    /// checks them with `jsonpath`).
    pub fn paths(&self) -> Vec<&str> {
        let mut paths = Vec::new();
        self.node.collect_paths(&mut paths);
        paths
    }

    /// The call as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates the call. Errors are `States.IntrinsicFailure` with AWS's cause texts (or whatever
    /// the resolver raised for a missing path).
    pub fn eval(&self, resolver: &mut dyn Resolver) -> Result<Value, Failure> {
        functions::eval(&self.node, resolver)
    }
}
