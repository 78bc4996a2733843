//! Fuzz target: `asl::jsonpath`.
//!
//! The bytes are `path NUL document`. The path goes through `Path::parse`; when it parses:
//! - it parses again from its own `source()` to the same `Path`;
//! - a reference path is definite (the two are what ResultPath and the selectors rely on);
//! - `select` on the document (any JSON; `{}` when the bytes are not JSON) does not panic, and
//!   gives an array for an indefinite path;
//! - a reference path assigned into a copy of the document (`assign`), when that succeeds, selects
//!   what was written from the result (for `$`-rooted paths: the others name other documents).
#![no_main]

use asl::jsonpath::{Path, Root};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// Inputs larger than this are skipped (the parser and evaluator are linear in it).
const MAX_INPUT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let (path, document) = match data.iter().position(|byte| *byte == 0) {
        Some(split) => (&data[..split], &data[split + 1..]),
        None => (data, &[][..]),
    };
    let Ok(source) = std::str::from_utf8(path) else {
        return;
    };
    let Ok(path) = Path::parse(source) else {
        return;
    };
    assert_eq!(path.source(), source);
    let again = Path::parse(path.source()).expect("a path that parsed parses again");
    assert_eq!(again, path, "parsing is deterministic");
    if path.is_reference_path() {
        assert!(path.is_definite(), "a reference path is definite: {source}");
    }

    let document: Value = serde_json::from_slice(document).unwrap_or_else(|_| json!({}));
    let selected = path.select(&document);
    if !path.is_definite() {
        // An indefinite path gives an array of matches, or nothing when it ran out of steps.
        if let Some(selected) = &selected {
            assert!(selected.is_array(), "{source} gave {selected}");
        }
    }

    if path.is_reference_path() && *path.root() == Root::Input {
        let marker = json!({"fuzz-marker": [1, 2, 3]});
        let mut target = document.clone();
        if path.assign(&mut target, marker.clone()).is_ok() {
            assert_eq!(
                path.select(&target),
                Some(marker),
                "{source}: what was assigned is selected back"
            );
        }
    } else if !path.is_reference_path() {
        let mut target = document;
        assert!(
            path.assign(&mut target, Value::Null).is_err(),
            "{source}: only reference paths can be assigned"
        );
    }
});
