//! Small pieces of the wire format: timestamps as fractional epoch seconds, and opaque paging
//! tokens.
//!
//! A paging token wraps the store's own token (base64url), so that clients cannot tell how a
//! backend pages and a token that is not ours is refused with `InvalidToken` before it reaches
//! the store.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::error::Error;

/// Epoch milliseconds as AWS's timestamp: epoch seconds, fractional (`1525283875.58`).
pub fn timestamp(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// The client's `nextToken` for a store token.
pub fn encode_token(store_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("sb1:{store_token}"))
}

/// The store token inside a client's `nextToken`.
pub fn decode_token(token: &str) -> Result<String, Error> {
    let invalid = || Error::InvalidToken("Invalid token".to_owned());
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("sb1:")
        .map(str::to_owned)
        .ok_or_else(invalid)
}

/// A store page request from `maxResults` and `nextToken`.
pub fn page_request(
    max_results: Option<u64>,
    next_token: Option<&str>,
) -> Result<store::PageRequest, Error> {
    Ok(store::PageRequest {
        limit: max_results.unwrap_or(0) as usize,
        token: next_token.map(decode_token).transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        let token = encode_token("name\u{0}arn:aws:states:x");
        assert_eq!(decode_token(&token).unwrap(), "name\u{0}arn:aws:states:x");
        assert_eq!(decode_token("garbage!").unwrap_err().code(), "InvalidToken");
        assert_eq!(
            decode_token(&URL_SAFE_NO_PAD.encode("other"))
                .unwrap_err()
                .code(),
            "InvalidToken"
        );
    }

    #[test]
    fn timestamps_are_fractional_seconds() {
        assert_eq!(timestamp(1_525_283_875_580), json!(1_525_283_875.58));
    }
}
