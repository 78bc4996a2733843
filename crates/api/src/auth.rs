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

/// A hook that accepts only requests signed with one of these access key pairs.
pub fn sigv4_authenticator(pairs: Vec<(String, String)>) -> Authenticate {
    let credentials: HashMap<String, String> = pairs.into_iter().collect();
    let verifier = sigv4::Verifier::new("states");
    // CloudWatch requests are signed for CloudWatch's signing name.
    let monitoring = sigv4::Verifier::new("monitoring");
    Arc::new(move |parts: &http::request::Parts, body: &[u8]| {
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

impl AppState {
    /// Requires every request to be signed with one of these (access key id, secret) pairs.
    pub fn with_credentials(mut self, pairs: Vec<(String, String)>) -> AppState {
        self.authenticate = Some(sigv4_authenticator(pairs));
        self
    }
}
