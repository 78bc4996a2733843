//! Validation of a whole definition, reporting every problem at once as AWS's
//! `ValidateStateMachineDefinition` does.
//!
//! API CONTRACT (other modules rely on exactly these signatures):
//! - `validate(text, &Options) -> Vec<Diagnostic>`;
//! - `validate_value(&value, &Options) -> Vec<Diagnostic>`.
//!
//! The checks live in submodules: `text` turns unreadable text into AWS's Jackson-style
//! diagnostic, `machine` walks the definition (top level, states, nested Parallel branches and
//! Map processors) and `rules`, `paths` and `jsonata` check Choice rules, JSONPath/intrinsic
//! fields and `{% %}` expressions. Every message is AWS's wording where AWS's wording is known
//! (recorded responses, `/work/shared/spec/aws-semantics.md` §6.12); where it is not, the
//! message says so in the [`Kind`] documentation.
//!
//! Locations are AWS's JSON pointers: `/` for the root, `/States/<name>/<Field>` for a field,
//! and `[i]` (not `/i`) for an array element, as in `/States/C/Choices[0]/Next`. State names are
//! not escaped.
//!
//! The validator never panics: every field is read defensively, recursion is bounded by
//! [`MAX_DEPTH`], and a definition too deep to walk gets `TOO_DEEPLY_NESTED`.

use serde_json::Value;

mod jsonata;
mod machine;
mod paths;
mod rules;
mod text;

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

impl Diagnostic {
    /// An error diagnostic.
    pub fn error(code: &'static str, message: impl Into<String>, location: Option<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location,
        }
    }

    /// The text AWS puts in an `InvalidDefinition` error at create/update time for this one
    /// diagnostic: `<CODE>: <message> at <location>` (`at null` without a location).
    pub fn create_time_text(&self) -> String {
        format!(
            "{}: {} at {}",
            self.code,
            self.message,
            self.location.as_deref().unwrap_or("null")
        )
    }
}

/// The full `InvalidDefinition` message for a refused definition, as CreateStateMachine and
/// UpdateStateMachine word it: `Invalid State Machine Definition: '<d1>, <d2>'` over the errors.
pub fn invalid_definition_message(diagnostics: &[Diagnostic]) -> String {
    let parts: Vec<String> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .map(Diagnostic::create_time_text)
        .collect();
    format!("Invalid State Machine Definition: '{}'", parts.join(", "))
}

/// Every diagnostic code the validator emits, with a tiny definition that triggers it.
///
/// The codes are AWS's documented ones (`ValidateStateMachineDefinition`). Diagnostics carry the
/// code as a `&'static str` (the contract); this enum is the catalogue and the way code inside
/// the validator names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The text is not JSON: `not a definition` gives a Jackson-style message and a
    /// `[Source: (String)"..."; line: 1, column: 4]` location.
    InvalidJsonDescription,
    /// The definition breaks the schema, for example `{}` (`These fields are required:
    /// [States, StartAt]`), `{"StartAt":"A","States":{"A":{"Type":"Nope","End":true}}}` (the
    /// Type message) or `"Branches": []` (`Value cannot be empty`). Messages AWS never recorded
    /// for us (type mismatches: `The field 'End' should be of type Boolean`; pairs:
    /// `There should only be one of the following fields: [Error, ErrorPath]`) follow the
    /// recorded ones' style.
    SchemaValidationFailed,
    /// A Task's `Resource` is not a URI, or a Lambda ARN is malformed:
    /// `{"Type":"Task","Resource":"${lambdaArn","End":true}`.
    InvalidResource,
    /// No state of a (sub-)machine ends it: `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}`
    /// gives `Workflow has no terminal state`, without location.
    MissingEndState,
    /// A state name appears twice in the whole machine, for example once at the top and once
    /// inside a Map's `ItemProcessor`.
    DuplicateStateName,
    /// A state name is longer than 80 characters (or empty).
    InvalidStateName,
    /// A Map's `Label` is empty, longer than 40 characters or holds a forbidden character:
    /// `"Label": "a b"`.
    InvalidLabelName,
    /// A transition names a state that does not exist in its container (`"Next": "Nope"` gives
    /// `Missing 'Next' target: Nope`), or a state cannot be reached (`State "C" is not
    /// reachable.`).
    MissingTransitionTarget,
    /// A `{% %}` expression does not parse: `"Output": "{% 1 + %}"` gives JSONata's own
    /// `Unexpected end of expression` (code and wording measured against AWS by others; not in
    /// AWS's documented list).
    InvalidJsonataExpression,
    /// The definition is nested deeper than the validator walks (see [`MAX_DEPTH`]).
    TooDeeplyNested,
    /// Warning: a payload-template value reads like a path but its key lacks `.$`, so it is a
    /// literal: `"Parameters": {"id": "$.id"}`.
    NoDollar,
    /// Warning: a Pass state's `Result` has keys ending in `.$`, which are never evaluated:
    /// `{"Type": "Pass", "Result": {"id.$": "$.id"}, "End": true}`.
    PassResultIsStatic,
}

impl Kind {
    /// AWS's code for this kind.
    pub fn code(self) -> &'static str {
        match self {
            Kind::InvalidJsonDescription => "INVALID_JSON_DESCRIPTION",
            Kind::SchemaValidationFailed => "SCHEMA_VALIDATION_FAILED",
            Kind::InvalidResource => "INVALID_RESOURCE",
            Kind::MissingEndState => "MISSING_END_STATE",
            Kind::DuplicateStateName => "DUPLICATE_STATE_NAME",
            Kind::InvalidStateName => "INVALID_STATE_NAME",
            Kind::InvalidLabelName => "INVALID_LABEL_NAME",
            Kind::MissingTransitionTarget => "MISSING_TRANSITION_TARGET",
            Kind::InvalidJsonataExpression => "INVALID_JSONATA_EXPRESSION",
            Kind::TooDeeplyNested => "TOO_DEEPLY_NESTED",
            Kind::NoDollar => "NO_DOLLAR",
            Kind::PassResultIsStatic => "PASS_RESULT_IS_STATIC",
        }
    }
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

/// The longest definition AWS accepts, in characters.
pub const MAX_DEFINITION_CHARS: usize = 1_048_576;

/// How deep the validator follows JSON nesting (objects, arrays and nested state machines)
/// before it reports `TOO_DEEPLY_NESTED`. serde_json refuses deeper text anyway (its recursion
/// limit is 128), so this bounds only values built in memory.
pub const MAX_DEPTH: usize = 128;

/// Validates a definition given as text.
pub fn validate(text: &str, options: &Options) -> Vec<Diagnostic> {
    if text.trim().is_empty() {
        return vec![definition_not_an_object()];
    }
    let n_chars = text.chars().count();
    if n_chars > MAX_DEFINITION_CHARS {
        return vec![Diagnostic::error(
            Kind::SchemaValidationFailed.code(),
            format!(
                "Definition is {n_chars} characters long; the maximum is {MAX_DEFINITION_CHARS}"
            ),
            None,
        )];
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) => validate_value(&value, options),
        // serde_json stops at 128 levels of nesting; Jackson has no such limit, but a
        // definition that deep is refused by AWS's own limits anyway.
        Err(error) if error.to_string().starts_with("recursion limit exceeded") => {
            vec![Diagnostic::error(
                Kind::TooDeeplyNested.code(),
                format!("The definition is nested more than {MAX_DEPTH} levels deep"),
                None,
            )]
        }
        Err(error) => vec![text::json_error(text, &error)],
    }
}

/// Validates a definition already parsed as JSON.
pub fn validate_value(definition: &Value, options: &Options) -> Vec<Diagnostic> {
    if !definition.is_object() {
        return vec![definition_not_an_object()];
    }
    machine::check_definition(definition, options)
}

/// The recorded answer for an empty (or blank) definition, or JSON that is not an object.
fn definition_not_an_object() -> Diagnostic {
    Diagnostic::error(
        Kind::SchemaValidationFailed.code(),
        "Definition must be a valid JSON object",
        None,
    )
}
