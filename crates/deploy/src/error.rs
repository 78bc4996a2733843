//! The one error type of the crate. A deployment that fails, rolls back or is stopped is not an
//! error: that is data (a [`Status`](crate::Status) and a message). An `Error` means the
//! caller asked for something impossible: an invalid routing or preference (the API answers
//! `ValidationException`), an input the deployment cannot take in its status, or a stored
//! record this build cannot read.

use crate::Status;

/// A request the crate refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A routing that breaks AWS's rules (one or two distinct versions, weights summing to 100).
    #[error("invalid routing: {0}")]
    InvalidRouting(String),
    /// A preference that breaks the schema: every violation, in Coral's words.
    #[error("{}", coral(.0))]
    Validation(Vec<String>),
    /// An input the deployment cannot take in its status (a tick before the start, anything
    /// after the end, a promote before the start).
    #[error("a deployment in status {status} cannot take {input}")]
    InvalidTransition {
        /// The deployment's status.
        status: Status,
        /// The input's name (`Start`, `Tick`, ...).
        input: &'static str,
    },
    /// A stored deployment or journal entry this build cannot read.
    #[error("unreadable deployment record: {0}")]
    Format(String),
}

/// `2 validation errors detected: A; B`, as AWS's Coral frontend writes them.
fn coral(violations: &[String]) -> String {
    let plural = if violations.len() == 1 { "" } else { "s" };
    format!(
        "{} validation error{plural} detected: {}",
        violations.len(),
        violations.join("; ")
    )
}
