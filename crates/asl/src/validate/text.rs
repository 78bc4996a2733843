//! Text that is not JSON: AWS parses definitions with Jackson and returns Jackson's message, with
//! the `[Source: ...]` part as the diagnostic's location.
//!
//! Recorded: `not a definition` gives `Unrecognized token 'not': was expecting (JSON String,
//! Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)"not a
//! definition"; line: 1, column: 4]`, location `[Source: (String)"not a definition"; line: 1,
//! column: 4]`. Jackson reports the column just after the bad token. Other syntax errors follow
//! Jackson's general shapes (`Unexpected character (...)`, `Unexpected end-of-input`); their
//! exact wording is not recorded.

use super::{Diagnostic, Kind};

/// How much of the text Jackson quotes in `[Source: ...]` before it truncates.
const SOURCE_QUOTE_CHARS: usize = 500;

/// The diagnostic for text serde_json could not parse.
pub(super) fn json_error(text: &str, error: &serde_json::Error) -> Diagnostic {
    let lines: Vec<&str> = text.split('\n').collect();
    let line_idx = error
        .line()
        .saturating_sub(1)
        .min(lines.len().saturating_sub(1));
    let line = lines.get(line_idx).copied().unwrap_or("");
    // serde_json's column counts bytes from 1 and points at (or just past) the offending byte.
    let byte_col = error.column().saturating_sub(1).min(line.len());
    let (message, column) = if error.is_eof() {
        let column = line.chars().count() + 1;
        ("Unexpected end-of-input".to_owned(), column)
    } else {
        describe(line, byte_col)
    };
    let source = source_quote(text, line_idx + 1, column);
    Diagnostic::error(
        Kind::InvalidJsonDescription.code(),
        format!("{message}\n at {source}"),
        Some(source),
    )
}

/// Jackson's message for the token at (or just before) `byte_col`, and the 1-based column just
/// after it.
fn describe(line: &str, byte_col: usize) -> (String, usize) {
    let mut start = floor_char_boundary(line, byte_col);
    let is_token_char =
        |c: char| c.is_alphanumeric() || c == '_' || c == '-' || c == '+' || c == '.';
    // serde_json may point one past the start of a bad word: walk back to its beginning.
    while start > 0 {
        let Some(previous) = line[..start].chars().next_back() else {
            break;
        };
        if previous.is_alphabetic() {
            start -= previous.len_utf8();
        } else {
            break;
        }
    }
    let rest = &line[start..];
    let first = rest.chars().next();
    match first {
        Some(c) if c.is_alphabetic() => {
            let token: String = rest.chars().take_while(|c| is_token_char(*c)).collect();
            let column = line[..start].chars().count() + token.chars().count() + 1;
            (
                format!(
                    "Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
                ),
                column,
            )
        }
        Some(c) => {
            let column = line[..start].chars().count() + 2;
            (
                format!("Unexpected character ('{c}' (code {}))", u32::from(c)),
                column,
            )
        }
        None => (
            "Unexpected end-of-input".to_owned(),
            line.chars().count() + 1,
        ),
    }
}

/// `[Source: (String)"<text>"; line: L, column: C]`, truncating long text as Jackson does.
fn source_quote(text: &str, line: usize, column: usize) -> String {
    let n_chars = text.chars().count();
    let quoted: String = text.chars().take(SOURCE_QUOTE_CHARS).collect();
    let truncated = if n_chars > SOURCE_QUOTE_CHARS {
        format!("[truncated {} chars]", n_chars - SOURCE_QUOTE_CHARS)
    } else {
        String::new()
    };
    format!("[Source: (String)\"{quoted}\"{truncated}; line: {line}, column: {column}]")
}

/// The largest char boundary of `text` at or below `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_definition_matches_the_recording() {
        let error = serde_json::from_str::<serde_json::Value>("not a definition").unwrap_err();
        let diagnostic = json_error("not a definition", &error);
        assert_eq!(
            diagnostic.location.as_deref(),
            Some("[Source: (String)\"not a definition\"; line: 1, column: 4]")
        );
        assert_eq!(
            diagnostic.message,
            "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"not a definition\"; line: 1, column: 4]"
        );
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for text in [
            "{",
            "{\"a\":",
            "[1,",
            "é",
            "{\"é\": ü}",
            "\n\n  x",
            "{}}",
            "\"\\u12\"",
        ] {
            if let Err(error) = serde_json::from_str::<serde_json::Value>(text) {
                let diagnostic = json_error(text, &error);
                assert_eq!(diagnostic.code, "INVALID_JSON_DESCRIPTION");
            }
        }
    }
}
