//! Fuzz target: SAM and CloudFormation templates (`template::load`, `template::plan`,
//! `template::diff`).
//!
//! The bytes are `template NUL definition-file`. The template is loaded (`load::load`, YAML or
//! JSON) and planned (`plan`), with every `DefinitionUri` file reading as the definition-file part.
//! Then:
//! - a template that loads re-serialises: its value written as JSON text loads again (through the
//!   JSON reader) to the same value, without errors;
//! - every diagnostic is located at line ≥ 1, column ≥ 1; an error-free plan has no error among
//!   its diagnostics, and a refused one has at least one;
//! - planning is deterministic, and a plan diffed against itself changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use template::{Diagnostic, Options, Severity, diff, load, plan};

const MAX_INPUT: usize = 64 * 1024;

fn check_located(diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        assert!(
            diagnostic.location.line >= 1 && diagnostic.location.column >= 1,
            "{diagnostic:?} is not located"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let (text, definition) = match data.iter().position(|byte| *byte == 0) {
        Some(split) => (&data[..split], &data[split + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let definition = String::from_utf8_lossy(definition).into_owned();

    let (document, diagnostics) = load::load("t.yaml", text);
    check_located(&diagnostics);
    if let Some(document) = &document {
        let json = serde_json::to_string(&document.value).expect("a loaded value serialises");
        let (again, problems) = load::load("t.json", &json);
        assert!(
            problems.iter().all(|problem| problem.severity != Severity::Error),
            "the re-serialised template {json} does not load: {problems:?}"
        );
        let again = again.expect("the re-serialised template loads");
        assert_eq!(again.value, document.value, "{json} loads to another value");
    } else {
        assert!(
            diagnostics.iter().any(|d| d.severity == Severity::Error),
            "a template that does not load says why"
        );
    }

    let files = |_: &std::path::Path| -> Result<String, String> { Ok(definition.clone()) };
    let options = Options::default();
    let (planned, diagnostics) = plan("t.yaml", text, &options, &files);
    check_located(&diagnostics);
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    assert_eq!(
        planned.is_none(),
        has_errors,
        "a plan comes exactly when there is no error: {diagnostics:?}"
    );
    let (replanned, rediagnostics) = plan("t.yaml", text, &options, &files);
    assert_eq!(planned, replanned, "planning is deterministic");
    assert_eq!(diagnostics, rediagnostics, "planning is deterministic");
    if let Some(planned) = &planned {
        let changes = diff(planned, planned);
        assert!(changes.is_empty(), "a plan against itself: {changes:?}");
    }
});
