//! Problems found in a template, each pointing at a file, a line and a column.
//!
//! Every stage (loading, the SAM transform, resolution, the typed model) pushes into one
//! [`Diagnostics`] collector instead of stopping at the first problem, so a user sees every
//! mistake of a template at once. A diagnostic is located by a JSON pointer into the document it
//! is about; [`Document::locate`](crate::load::Document::locate) turns the pointer into a line
//! and a column (the nearest located ancestor for values the transform made up).

use std::fmt;

use crate::load::Document;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The template is refused: no plan.
    Error,
    /// The template is planned, but something deserves a look (a YAML caveat, an unmanaged
    /// resource, a property recorded but not enforced).
    Warning,
}

/// A line and a column, both counted from 1 (columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Location {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file the problem is in, as the caller named it (the template or a definition file).
    pub file: String,
    /// Where in the file.
    pub location: Location,
    /// The JSON pointer of the value at fault, such as `/Resources/Machine/Properties/RoleArn`.
    pub pointer: String,
    /// The message, in AWS's or SAM's words where they have some.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            formatter,
            "{}:{}:{}: {severity}: {}",
            self.file, self.location.line, self.location.column, self.message
        )
    }
}

/// The collector every stage writes into.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    pub(crate) items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An error at `pointer` of `document`.
    pub(crate) fn error(&mut self, document: &Document, pointer: &str, message: impl Into<String>) {
        self.push(Severity::Error, document, pointer, message.into());
    }

    /// A warning at `pointer` of `document`.
    pub(crate) fn warning(
        &mut self,
        document: &Document,
        pointer: &str,
        message: impl Into<String>,
    ) {
        self.push(Severity::Warning, document, pointer, message.into());
    }

    fn push(&mut self, severity: Severity, document: &Document, pointer: &str, message: String) {
        let diagnostic = Diagnostic {
            severity,
            file: document.file.clone(),
            location: document.locate(pointer),
            pointer: pointer.to_owned(),
            message,
        };
        // The same reference can be reached twice (a resource and its SAM-generated children
        // share properties); say it once.
        if !self.items.contains(&diagnostic) {
            self.items.push(diagnostic);
        }
    }

    /// Whether any error was reported.
    pub(crate) fn has_errors(&self) -> bool {
        self.items
            .iter()
            .any(|item| item.severity == Severity::Error)
    }

    /// The number of errors so far, to tell whether a step added any.
    pub(crate) fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|item| item.severity == Severity::Error)
            .count()
    }
}

/// Appends `segment` to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub(crate) fn child(pointer: &str, segment: &str) -> String {
    let escaped = segment.replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{escaped}")
}
