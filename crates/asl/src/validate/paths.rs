//! JSONPath and intrinsic-function fields of JSONPath mode, checked with the crate's own
//! [`jsonpath`](crate::jsonpath) and [`intrinsics`](crate::intrinsics) parsers so that the
//! validator accepts exactly what the runtime can evaluate.

use crate::intrinsics::{self, Call};
use crate::jsonpath::{Path, Root};

/// Which roots a path may start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Roots {
    /// `$`, `$$` or `$name`.
    Any,
    /// `$` only (ResultPath writes into the state's input).
    InputOnly,
    /// `$` or `$name`, not the Context object (the Map number fields).
    NoContext,
}

/// True when `text` is a JSONPath (any selector allowed) starting from an allowed root.
pub(super) fn is_path(text: &str, roots: Roots) -> bool {
    parse(text, roots).is_some()
}

/// True when `text` is a reference path (names and single indexes only) starting from an allowed
/// root.
pub(super) fn is_reference_path(text: &str, roots: Roots) -> bool {
    parse(text, roots).is_some_and(|path| path.is_reference_path())
}

/// True when `text` is a JSONPath or a well-formed intrinsic function call whose path
/// arguments are JSONPaths: what a field ending in `.$` may hold.
pub(super) fn is_path_or_call(text: &str) -> bool {
    if text.starts_with('$') {
        return is_path(text, Roots::Any);
    }
    is_call(text)
}

/// True when `text` is a well-formed intrinsic function call whose path arguments parse.
///
/// [`intrinsics::is_call`] tolerates leading blanks; AWS (and statelint's
/// `states-array-invocation-leftpad` fixture) does not, so the call must start the text.
pub(super) fn is_call(text: &str) -> bool {
    if !text.starts_with("States.") || !intrinsics::is_call(text) {
        return false;
    }
    match Call::parse(text) {
        Ok(call) => {
            call.paths().iter().all(|path| is_path(path, Roots::Any)) && numeric_arguments_ok(text)
        }
        Err(_) => false,
    }
}

/// The functions whose arguments are all numbers: a string literal there can never work, and
/// AWS refuses it at definition time (asl-validator's `invalid-math-add`:
/// `States.MathAdd(1,'-1')`). [`Call`] keeps its arguments private, so this walks the text.
const NUMERIC_FUNCTIONS: [&str; 3] = ["States.MathAdd", "States.MathRandom", "States.ArrayRange"];

/// False when a numeric-only function gets a string literal argument. Works on text that
/// [`Call::parse`] accepted, so the shape is known to be sound.
fn numeric_arguments_ok(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    // For each open call, whether its arguments must be numbers.
    let mut calls: Vec<bool> = Vec::new();
    let mut name_start = 0;
    let mut index = 0;
    while index < chars.len() {
        match chars[index] {
            '\'' => {
                if calls.last() == Some(&true) {
                    return false;
                }
                index += 1;
                while index < chars.len() && chars[index] != '\'' {
                    if chars[index] == '\\' {
                        index += 1;
                    }
                    index += 1;
                }
            }
            '(' => {
                let name: String = chars[name_start..index].iter().collect();
                calls.push(NUMERIC_FUNCTIONS.contains(&name.trim()));
                name_start = index + 1;
            }
            ')' | ',' => {
                if chars[index] == ')' {
                    calls.pop();
                }
                name_start = index + 1;
            }
            _ => {}
        }
        index += 1;
    }
    true
}

fn parse(text: &str, roots: Roots) -> Option<Path> {
    if !text.starts_with('$') {
        return None;
    }
    let path = Path::parse(text)
        .ok()
        .or_else(|| Path::parse(&without_expressions(text)?).ok())?;
    let allowed = match (roots, path.root()) {
        (Roots::Any, _) => true,
        (Roots::InputOnly, Root::Input) => true,
        (Roots::InputOnly, _) => false,
        (Roots::NoContext, Root::Context) => false,
        (Roots::NoContext, _) => true,
    };
    allowed.then_some(path)
}

/// `text` with the body of every filter `[?(...)]` and script `[(...)]` replaced by a wildcard,
/// or `None` when it has neither.
///
/// Filter and script bodies are evaluated against the data, and the asl-validator corpus
/// accepts bodies our JSONPath parser refuses (`[?(@.OutputKey == FooBar)]`, an unquoted
/// operand; `[(@.length-1)]`, a script). At definition time only the path around them is
/// checked; a body that cannot be evaluated fails at run time with the path's runtime error.
fn without_expressions(text: &str) -> Option<String> {
    if !text.contains("[?(") && !text.contains("[(") {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut index = 0;
    while index < chars.len() {
        let opens_expression = chars[index] == '['
            && (chars.get(index + 1) == Some(&'(')
                || (chars.get(index + 1) == Some(&'?') && chars.get(index + 2) == Some(&'(')));
        if !opens_expression {
            out.push(chars[index]);
            index += 1;
            continue;
        }
        // Skip to the `]` that closes this bracket, minding nesting and quotes.
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        let mut end = None;
        for (offset, c) in chars[index..].iter().enumerate() {
            match (quote, *c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(*c),
                (None, '[' | '(') => depth += 1,
                (None, ']' | ')') => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        end = Some(index + offset);
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push_str("[*]");
        index = end? + 1;
    }
    Some(out)
}
