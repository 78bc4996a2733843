//! Request authentication: with credentials configured, every request must carry a valid AWS
//! Signature Version 4 made with one of them (the `sigv4` crate verifies it).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{AppState, Authenticate, Error};

fn to_api_error(error: sigv4::Error) -> Error {
    let message = error.aws_message().to_owned();
    match error {
        sigv4::Error::MissingAuthenticationToken => Error::MissingAuthenticationToken(message),
        sigv4::Error::IncompleteSignature { .. } => Error::IncompleteSignature(message),
        sigv4::Error::InvalidSignature { .. } => Error::InvalidSignature(message),
        sigv4::Error::UnrecognizedClient { .. } => Error::UnrecognizedClient(message),
    }
}

/// How far a request's signing time may be from the server's clock, either way, by default:
/// the five minutes AWS documents for Signature Version 4 (`switchback serve
/// --max-clock-skew` changes it).
pub const DEFAULT_MAX_CLOCK_SKEW_SECONDS: i64 = 5 * 60;

/// What a signed request must match besides its key.
#[derive(Clone, Debug)]
pub struct SigningRules {
    /// The region its credential scope must name: the server's own.
    pub region: String,
    /// The largest distance between its `X-Amz-Date` and now, in seconds.
    pub max_clock_skew_seconds: i64,
}

/// A hook that accepts only requests signed with one of these access key pairs, for this
/// server's region, within the clock skew; everything else is refused with AWS's error.
pub fn sigv4_authenticator(pairs: Vec<(String, String)>, rules: &SigningRules) -> Authenticate {
    let credentials: HashMap<String, String> = pairs.into_iter().collect();
    let verifier_for = |service: &str| {
        sigv4::Verifier::new(service)
            .with_regions([rules.region.clone()])
            .with_max_skew_seconds(rules.max_clock_skew_seconds)
    };
    let verifier = verifier_for("states");
    // CloudWatch requests are signed for CloudWatch's signing name.
    let monitoring = verifier_for("monitoring");
    Arc::new(move |parts: &http::request::Parts, body: &[u8]| {
        if parts.uri.path() == "/metrics"
            && let Some(basic) = basic_credentials(parts)
        {
            // Prometheus cannot sign requests; it can send a key pair as Basic credentials.
            return match basic {
                Some((id, secret))
                    if credentials.get(&id).is_some_and(|known| {
                        constant_time_eq(known.as_bytes(), secret.as_bytes())
                    }) =>
                {
                    Ok(())
                }
                _ => Err(Error::UnrecognizedClient(
                    "The security token included in the request is invalid.".to_owned(),
                )),
            };
        }
        let verifier = if parts
            .headers
            .get("x-amz-target")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|target| target.starts_with(crate::cloudwatch::TARGET_PREFIX))
        {
            &monitoring
        } else {
            &verifier
        };
        let headers: Vec<(&str, &str)> = parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap_or("")))
            .collect();
        let request = sigv4::Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body: sigv4::Body::Bytes(body),
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs() as i64)
            .unwrap_or(0);
        verifier
            .verify(&request, &credentials, now)
            .map(|_| ())
            .map_err(to_api_error)
    })
}

/// The `Authorization: Basic` pair of a request: `None` when it has none, `Some(None)` when
/// it has one that does not decode to `id:secret`.
fn basic_credentials(parts: &http::request::Parts) -> Option<Option<(String, String)>> {
    use base64::Engine as _;
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    Some(decoded.and_then(|pair| {
        pair.split_once(':')
            .map(|(id, secret)| (id.to_owned(), secret.to_owned()))
    }))
}

/// Compares two secrets in a time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl AppState {
    /// Requires every request to be signed with one of these (access key id, secret) pairs.
    pub fn with_credentials(
        mut self,
        pairs: Vec<(String, String)>,
        rules: &SigningRules,
    ) -> AppState {
        self.authenticate = Some(sigv4_authenticator(pairs, rules));
        self
    }
}
