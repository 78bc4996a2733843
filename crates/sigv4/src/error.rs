//! Why a request failed verification, and how AWS says so on the wire.
//!
//! Each variant is one AWS error code. The variant carries the exact message AWS sends (recorded
//! from Coral-based awsJson services such as DynamoDB and Kinesis, which share their
//! authentication layer with Step Functions); [`Error::aws_message`] returns it verbatim and
//! [`Error::aws_type`] the `__type`. Every one of these errors is HTTP 400 for awsJson services:
//! the 403s in the generic "Common Errors" pages belong to the Query protocol's codes
//! (`MissingAuthenticationToken`, `InvalidClientTokenId`, `SignatureDoesNotMatch`).

/// A request that failed SigV4 verification. See the module documentation for the wire form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `MissingAuthenticationTokenException`: no `Authorization` header and no presigned query,
    /// or an `Authorization` header that is not SigV4 (does not start with `AWS4-`).
    #[error("request is missing an authentication token")]
    MissingAuthenticationToken,
    /// `IncompleteSignatureException`: the signature's parts are missing or malformed (a missing
    /// `Credential`, a date that is not ISO-8601 basic format, an unsupported algorithm, ...).
    #[error("incomplete signature: {message}")]
    IncompleteSignature {
        /// AWS's message, verbatim.
        message: String,
    },
    /// `InvalidSignatureException`: the signature is well formed but does not authenticate the
    /// request (wrong secret, tampered request, expired, wrong scope).
    #[error("invalid signature ({reason:?}): {message}")]
    InvalidSignature {
        /// Which check failed; AWS sends only the message.
        reason: InvalidReason,
        /// AWS's message, verbatim.
        message: String,
    },
    /// `UnrecognizedClientException`: the access key id is unknown, or the session token does
    /// not belong to it.
    #[error("unrecognized client: {message}")]
    UnrecognizedClient {
        /// AWS's message, verbatim.
        message: String,
    },
}

/// Why a well-formed signature was rejected ([`Error::InvalidSignature`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidReason {
    /// The recomputed signature differs: wrong secret, or the request changed after signing.
    Mismatch,
    /// The request was signed more than the allowed skew ago, or a presigned URL expired.
    Expired,
    /// The request is dated more than the allowed skew in the future.
    NotYetCurrent,
    /// The credential scope names another region, service, terminator or date.
    Scope,
    /// `host` is not among the signed headers.
    HostNotSigned,
    /// Both an `Authorization` header and `X-Amz-Algorithm` in the query.
    BothAuthMethods,
    /// `x-amz-content-sha256` is not the body's hash, or is a value this verifier refuses.
    PayloadHash,
}

impl Error {
    /// The AWS error code, as sent in `__type` and `X-Amzn-ErrorType`.
    pub fn aws_type(&self) -> &'static str {
        match self {
            Error::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Error::IncompleteSignature { .. } => "IncompleteSignatureException",
            Error::InvalidSignature { .. } => "InvalidSignatureException",
            Error::UnrecognizedClient { .. } => "UnrecognizedClientException",
        }
    }

    /// The message AWS sends with this error, verbatim.
    pub fn aws_message(&self) -> &str {
        match self {
            Error::MissingAuthenticationToken => "Request is missing Authentication Token",
            Error::IncompleteSignature { message }
            | Error::InvalidSignature { message, .. }
            | Error::UnrecognizedClient { message } => message,
        }
    }

    /// The HTTP status AWS answers with: 400 for all four codes on awsJson services.
    pub fn http_status(&self) -> u16 {
        400
    }

    pub(crate) fn incomplete(message: impl Into<String>) -> Error {
        Error::IncompleteSignature {
            message: message.into(),
        }
    }

    pub(crate) fn invalid(reason: InvalidReason, message: impl Into<String>) -> Error {
        Error::InvalidSignature {
            reason,
            message: message.into(),
        }
    }
}
