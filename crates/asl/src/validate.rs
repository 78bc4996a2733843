//! Validation of a whole definition, reporting every problem at once as AWS's
//! `ValidateStateMachineDefinition` does.
//!
//! API CONTRACT (other modules rely on exactly these signatures):
//! - `validate(text, &Options) -> Vec<Diagnostic>`;
//! - `validate_value(&value, &Options) -> Vec<Diagnostic>`.

use serde_json::Value;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The definition is refused.
    Error,
    /// The definition is accepted, but something looks wrong.
    Warning,
}

impl Severity {
    /// The name AWS uses: `ERROR` or `WARNING`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        }
    }
}

/// One problem in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// AWS's code, such as `SCHEMA_VALIDATION_FAILED`.
    pub code: &'static str,
    /// AWS's message.
    pub message: String,
    /// A JSON pointer such as `/States/Basic Choice/Next`; `None` where AWS gives none.
    pub location: Option<String>,
}

/// What kind of state machine the definition is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MachineType {
    /// Durable, long-running executions.
    #[default]
    Standard,
    /// Short, in-memory executions.
    Express,
}

/// Validation settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// STANDARD or EXPRESS: some integrations are refused for EXPRESS.
    pub machine_type: MachineType,
}

/// Validates a definition given as text.
pub fn validate(text: &str, options: &Options) -> Vec<Diagnostic> {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => validate_value(&value, options),
        Err(error) => vec![Diagnostic {
            severity: Severity::Error,
            code: "INVALID_JSON_DESCRIPTION",
            message: error.to_string(),
            location: None,
        }],
    }
}

/// Validates a definition already parsed as JSON.
pub fn validate_value(_definition: &Value, _options: &Options) -> Vec<Diagnostic> {
    Vec::new()
}
