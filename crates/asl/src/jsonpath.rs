//! AWS Step Functions' JSONPath dialect (Jayway-like), written by hand because no crate has
//! its semantics (see DEPENDENCIES.md §3).
//!
//! API CONTRACT (other modules rely on exactly these signatures):
//! - `Path::parse("$.a.b")`, `Path::parse("$$.Execution.Id")`, `Path::parse("$var.x")`;
//! - `Path::select(&root_value) -> Option<Value>`: Jayway result shape;
//! - `Path::assign(&mut target, value)`: ResultPath writes.

use serde_json::Value;

/// Which document a path starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's input (or whatever document the caller evaluates against).
    Input,
    /// `$$`: the Context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    root: Root,
    source: String,
}

/// A path that does not parse, with a message saying why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
}

/// A ResultPath that cannot be applied to the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AssignError {
    /// What is wrong.
    pub message: String,
}

impl Path {
    /// Parses a path: `$`, `$$` or `$name`, then segments.
    pub fn parse(source: &str) -> Result<Path, ParseError> {
        Err(ParseError {
            message: format!("JSONPath is not built yet: {source}"),
        })
    }

    /// The document the path starts from.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The path as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the path has only names and single indexes (a "definite" path).
    pub fn is_definite(&self) -> bool {
        false
    }

    /// True when the path is an AWS "reference path": names and single indexes only.
    pub fn is_reference_path(&self) -> bool {
        false
    }

    /// Evaluates the path against the document its root names.
    ///
    /// A definite path gives the bare value, or `None` when it is missing. An indefinite path gives
    /// an array of the matches, possibly empty.
    pub fn select(&self, _document: &Value) -> Option<Value> {
        None
    }

    /// Writes `value` at this (reference) path inside `target`, creating intermediate objects.
    /// `$` replaces the whole document.
    pub fn assign(&self, _target: &mut Value, _value: Value) -> Result<(), AssignError> {
        Err(AssignError {
            message: "JSONPath is not built yet".to_owned(),
        })
    }
}
