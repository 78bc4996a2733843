//! The canonical request, built the way AWS builds it for every service except S3:
//!
//! ```text
//! METHOD \n canonical path \n canonical query \n canonical headers \n \n signed headers \n payload hash
//! ```
//!
//! * **Path.** The path as received (already percent-encoded once by the client) has its dot
//!   segments and empty segments removed (RFC 3986 §5.2.4, as botocore and aws-sigv4 do), and
//!   is then percent-encoded *again*: every byte except the unreserved set and `/`. So a space
//!   travels as `%20` and is signed as `%2520`.
//! * **Query.** Each `&`-separated pair is split at its first `=`, percent-decoded (`+` reads as
//!   a space, as aws-sigv4 parses it), re-encoded with only the unreserved set left bare, and the
//!   pairs are sorted by encoded name, then encoded value. Empty pairs are dropped.
//! * **Headers.** Only the signed headers, in `SignedHeaders` order, each as
//!   `name:value` with the name lowercased; the values of a repeated header are joined with `,`;
//!   each value is trimmed and its runs of spaces collapsed to one. botocore also collapses tabs
//!   ([`Whitespace::Any`]); aws-sigv4 and the AWS documentation only spaces
//!   ([`Whitespace::Spaces`]). The verifier tries the second when the first fails.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, percent_encode};

/// Everything but the RFC 3986 unreserved characters is encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The path set: unreserved characters and `/` stay as they are.
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Which whitespace a header value's trim-and-collapse treats as space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Whitespace {
    /// Only ` ` (AWS documentation, aws-sigv4, the Java and Go SDKs).
    Spaces,
    /// Any ASCII whitespace (botocore's `' '.join(value.split())`).
    Any,
}

/// Removes dot segments and empty segments, keeping a trailing slash; then encodes the result a
/// second time.
pub(crate) fn path(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = String::with_capacity(raw_path.len() + 1);
    for segment in &segments {
        normalized.push('/');
        normalized.push_str(segment);
    }
    let ends_with_slash = ["/", "/.", "/.."].iter().any(|end| raw_path.ends_with(end));
    if normalized.is_empty() || (ends_with_slash && !segments.is_empty()) {
        normalized.push('/');
    }
    percent_encode(normalized.as_bytes(), PATH).to_string()
}

/// The canonical query string, leaving out the parameters named in `skip` (compared exactly:
/// `X-Amz-Signature` for presigned requests).
pub(crate) fn query(raw_query: &str, skip: &[&str]) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = encode_query_component(name);
            if skip.iter().any(|skipped| *skipped == name) {
                return None;
            }
            Some((name, encode_query_component(value)))
        })
        .collect();
    pairs.sort();
    let mut canonical = String::with_capacity(raw_query.len() + 8);
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            canonical.push('&');
        }
        canonical.push_str(name);
        canonical.push('=');
        canonical.push_str(value);
    }
    canonical
}

fn encode_query_component(raw: &str) -> String {
    let plus_as_space = raw.replace('+', " ");
    let decoded: Vec<u8> = percent_decode(plus_as_space.as_bytes()).collect();
    percent_encode(&decoded, UNRESERVED).to_string()
}

/// The value AWS signs for one header: all its values trimmed, collapsed and joined with `,`.
/// `None` when the request has no such header.
pub(crate) fn header_value(
    headers: &[(&str, &str)],
    lowercase_name: &str,
    whitespace: Whitespace,
) -> Option<String> {
    let mut joined: Option<String> = None;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(lowercase_name) {
            let trimmed = trim_all(value, whitespace);
            match &mut joined {
                None => joined = Some(trimmed),
                Some(joined) => {
                    joined.push(',');
                    joined.push_str(&trimmed);
                }
            }
        }
    }
    joined
}

fn trim_all(value: &str, whitespace: Whitespace) -> String {
    let is_space = |character: char| match whitespace {
        Whitespace::Spaces => character == ' ',
        Whitespace::Any => character.is_ascii_whitespace(),
    };
    let mut trimmed = String::with_capacity(value.len());
    for word in value.split(is_space).filter(|word| !word.is_empty()) {
        if !trimmed.is_empty() {
            trimmed.push(' ');
        }
        trimmed.push_str(word);
    }
    trimmed
}

/// Whether any signed header's value has whitespace other than spaces, so that the two
/// [`Whitespace`] modes can give different canonical requests.
pub(crate) fn has_other_whitespace(headers: &[(&str, &str)], signed: &[String]) -> bool {
    headers.iter().any(|(name, value)| {
        signed
            .iter()
            .any(|signed| name.eq_ignore_ascii_case(signed))
            && value
                .chars()
                .any(|character| character != ' ' && character.is_ascii_whitespace())
    })
}

/// Assembles the canonical request. `signed_headers` is the `SignedHeaders` list as sent.
pub(crate) fn request(
    method: &str,
    canonical_path: &str,
    canonical_query: &str,
    headers: &[(&str, &str)],
    signed_headers: &str,
    payload_hash: &str,
    whitespace: Whitespace,
) -> String {
    let mut canonical = String::with_capacity(256);
    canonical.push_str(method);
    canonical.push('\n');
    canonical.push_str(canonical_path);
    canonical.push('\n');
    canonical.push_str(canonical_query);
    canonical.push('\n');
    for name in signed_headers.split(';') {
        let name = name.to_ascii_lowercase();
        let value = header_value(headers, &name, whitespace).unwrap_or_default();
        canonical.push_str(&name);
        canonical.push(':');
        canonical.push_str(&value);
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(signed_headers);
    canonical.push('\n');
    canonical.push_str(payload_hash);
    canonical
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_then_encoded_again() {
        for (raw, canonical) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/a/b", "/a/b"),
            ("/a/b/", "/a/b/"),
            ("/a/./b/../c", "/a/c"),
            ("/a/..", "/"),
            ("/a/b/..", "/a/"),
            ("/../..", "/"),
            ("/a//b", "/a/b"),
            ("/my%20path", "/my%2520path"),
            ("/a+b=c:d", "/a%2Bb%3Dc%3Ad"),
            ("/~user/-_.", "/~user/-_."),
            ("/é", "/%C3%A9"),
        ] {
            assert_eq!(path(raw), canonical, "{raw:?}");
        }
    }

    #[test]
    fn queries_are_decoded_encoded_and_sorted() {
        for (raw, canonical) in [
            ("", ""),
            ("b=2&a=1", "a=1&b=2"),
            ("a=2&a=1&a=10", "a=1&a=10&a=2"),
            ("flag&x=", "flag=&x="),
            ("&&a=1&", "a=1"),
            ("s=x%20y&p=x+y", "p=x%20y&s=x%20y"),
            ("r=!*'()", "r=%21%2A%27%28%29"),
            ("r=%21%2a", "r=%21%2A"),
            ("k=a=b", "k=a%3Db"),
            ("bad=%zz%", "bad=%25zz%25"),
            ("t=~-._", "t=~-._"),
        ] {
            assert_eq!(query(raw, &[]), canonical, "{raw:?}");
        }
        assert_eq!(
            query("X-Amz-Signature=abc&a=1", &["X-Amz-Signature"]),
            "a=1"
        );
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let headers = [
            ("X-Multi", "  one   two "),
            ("x-other", "x"),
            ("x-multi", "three"),
            ("x-tab", "a\t\tb"),
        ];
        assert_eq!(
            header_value(&headers, "x-multi", Whitespace::Spaces).as_deref(),
            Some("one two,three")
        );
        assert_eq!(
            header_value(&headers, "x-tab", Whitespace::Spaces).as_deref(),
            Some("a\t\tb")
        );
        assert_eq!(
            header_value(&headers, "x-tab", Whitespace::Any).as_deref(),
            Some("a b")
        );
        assert_eq!(header_value(&headers, "absent", Whitespace::Any), None);
    }
}
