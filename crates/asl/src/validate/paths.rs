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
        Ok(call) => call.paths().iter().all(|path| is_path(path, Roots::Any)),
        Err(_) => false,
    }
}

fn parse(text: &str, roots: Roots) -> Option<Path> {
    if !text.starts_with('$') {
        return None;
    }
    let path = Path::parse(text).ok()?;
    let allowed = match (roots, path.root()) {
        (Roots::Any, _) => true,
        (Roots::InputOnly, Root::Input) => true,
        (Roots::InputOnly, _) => false,
        (Roots::NoContext, Root::Context) => false,
        (Roots::NoContext, _) => true,
    };
    allowed.then_some(path)
}
