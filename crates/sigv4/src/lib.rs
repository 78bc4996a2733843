//! Server-side verification of AWS Signature Version 4, the way AWS's awsJson services (Step
//! Functions among them) check the requests an SDK signs.
//!
//! The crate is pure: it takes the request as plain strings and the body (or its SHA-256), the
//! current time as an argument, and a [`CredentialProvider`] that maps access key ids to secrets.
//! It never reads the clock, does no I/O and depends on no HTTP framework. The HTTP layer turns
//! an [`Error`] into AWS's error response with [`Error::aws_type`], [`Error::aws_message`] and
//! [`Error::http_status`].
//!
//! # What is checked, in AWS's order
//!
//! 1. An `Authorization` header and a presigned query (`X-Amz-Algorithm`) together are refused;
//!    neither, or an `Authorization` header that is not `AWS4-…`, is
//!    `MissingAuthenticationTokenException`.
//! 2. The header's `key=value` parts, then `Credential`, `Signature`, `SignedHeaders` and an
//!    `X-Amz-Date` or `Date` header must all be there (`IncompleteSignatureException`, one
//!    message listing everything missing). Presigned requests need `X-Amz-Algorithm`,
//!    `X-Amz-Credential`, `X-Amz-Signature`, `X-Amz-SignedHeaders` and `X-Amz-Date`.
//! 3. The date must be ISO-8601 basic format (`20261126T123456Z`) and within the clock skew
//!    (±15 minutes by default) of `now`; a presigned request must also be within
//!    `X-Amz-Expires` (at most 7 days) of its date.
//! 4. `host` must be a signed header; the algorithm must be `AWS4-HMAC-SHA256`; the credential
//!    must be `keyid/date/region/service/aws4_request` with this verifier's service, an
//!    accepted region and the request's date.
//! 5. The access key id must be known (`UnrecognizedClientException`).
//! 6. The signature is recomputed from the canonical request (see the `canonical` module for
//!    its rules; non-S3: paths encoded twice) and compared in constant time. A
//!    `x-amz-content-sha256` header, when present, is the payload hash that was signed: it must
//!    be the body's hash, or `UNSIGNED-PAYLOAD` when the verifier allows unsigned payloads.
//! 7. `x-amz-security-token` (or `X-Amz-Security-Token` in a presigned query) must be the
//!    credential's session token, and absent when it has none.
//!
//! Messages are AWS's own where they were recorded from live services (missing token,
//! incomplete signature, expiry, scope, mismatch, unknown key). Those for presigned expiry,
//! `X-Amz-Expires` and refused payload hashes are ours (AWS's are unrecorded).
//!
//! Derived signing keys are cached per access key, date, region and service in the
//! [`Verifier`], so a long-lived verifier does four HMACs less per request.
//!
//! # Example
//!
//! ```
//! use std::collections::HashMap;
//!
//! let secrets = HashMap::from([("AKIDEXAMPLE".to_owned(), "secret".to_owned())]);
//! let verifier = sigv4::Verifier::new("states");
//! let headers = [("Host", "localhost:8083"), ("X-Amz-Target", "AWSStepFunctions.ListStateMachines")];
//! let request = sigv4::Request {
//!     method: "POST",
//!     path: "/",
//!     query: "",
//!     headers: &headers,
//!     body: sigv4::Body::Bytes(b"{}"),
//! };
//! let error = verifier.verify(&request, &secrets, 1_795_696_496).unwrap_err();
//! assert_eq!(error.aws_type(), "MissingAuthenticationTokenException");
//! assert_eq!(error.aws_message(), "Request is missing Authentication Token");
//! assert_eq!(error.http_status(), 400);
//! ```

mod canonical;
mod error;
mod key;
mod time;

use std::collections::HashMap;

use subtle::ConstantTimeEq;

pub use error::{Error, InvalidReason};

use canonical::Whitespace;
use key::KeyCache;

/// The only algorithm SigV4 verification supports.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The payload hash a client signs when it does not sign the body.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// AWS's limit on `X-Amz-Expires`: one week.
const MAX_EXPIRES_SECONDS: i64 = 604_800;
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_KEY: &str = "The security token included in the request is invalid.";
// AWS sends this one without the final period (recorded from DynamoDB).
const INVALID_TOKEN: &str = "The security token included in the request is invalid";

/// One access key: its id, secret and, for temporary credentials, its session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id (`AKID…`), as it appears in the credential scope.
    pub access_key_id: String,
    /// The secret access key the client signs with.
    pub secret_access_key: String,
    /// The session token requests must carry in `x-amz-security-token`, if any.
    pub session_token: Option<String>,
}

impl Credentials {
    /// Long-term credentials: no session token.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// The same credentials, which requests must now present with this session token.
    pub fn with_session_token(mut self, session_token: impl Into<String>) -> Self {
        self.session_token = Some(session_token.into());
        self
    }
}

/// Looks up the credentials of an access key id; `None` when it is unknown.
pub trait CredentialProvider {
    /// The credentials whose id is `access_key_id`.
    fn credentials_for(&self, access_key_id: &str) -> Option<Credentials>;
}

/// Access key id to secret access key; no session tokens.
impl CredentialProvider for HashMap<String, String> {
    fn credentials_for(&self, access_key_id: &str) -> Option<Credentials> {
        self.get(access_key_id)
            .map(|secret| Credentials::new(access_key_id, secret.clone()))
    }
}

/// Access key id to credentials.
impl CredentialProvider for HashMap<String, Credentials> {
    fn credentials_for(&self, access_key_id: &str) -> Option<Credentials> {
        self.get(access_key_id).cloned()
    }
}

impl CredentialProvider for [Credentials] {
    fn credentials_for(&self, access_key_id: &str) -> Option<Credentials> {
        self.iter()
            .find(|credentials| credentials.access_key_id == access_key_id)
            .cloned()
    }
}

impl CredentialProvider for Vec<Credentials> {
    fn credentials_for(&self, access_key_id: &str) -> Option<Credentials> {
        self.as_slice().credentials_for(access_key_id)
    }
}

/// A single credential.
impl CredentialProvider for Credentials {
    fn credentials_for(&self, access_key_id: &str) -> Option<Credentials> {
        (self.access_key_id == access_key_id).then(|| self.clone())
    }
}

/// The request body, or its SHA-256 when the caller has hashed it already (or streams it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    /// The body's bytes.
    Bytes(&'a [u8]),
    /// The SHA-256 of the body's bytes.
    Sha256([u8; 32]),
}

/// A request as it arrived, before any decoding.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method, as sent (`POST`).
    pub method: &'a str,
    /// The path as sent, still percent-encoded, without the query (`/`, `/my%20path`).
    pub path: &'a str,
    /// The query string as sent, still percent-encoded, without the `?` (empty if none).
    pub query: &'a str,
    /// Every header as received, in order, names in any case. Repeated headers appear once per
    /// value. Must include `host` (under HTTP/2, the `:authority`). Values that are not UTF-8
    /// can be passed lossily converted: a signed one then fails to verify.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: Body<'a>,
}

/// Who signed a request that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// The region of the credential scope.
    pub region: String,
    /// The service of the credential scope.
    pub service: String,
    /// When the client signed the request (epoch seconds).
    pub signed_at: i64,
    /// Whether the body was signed (false for `UNSIGNED-PAYLOAD`).
    pub payload_signed: bool,
}

/// Verifies requests for one service, and caches the signing keys it derives.
#[derive(Debug)]
pub struct Verifier {
    service: String,
    regions: Option<Vec<String>>,
    max_skew_seconds: i64,
    allow_unsigned_payload: bool,
    keys: KeyCache,
}

impl Verifier {
    /// A verifier for `service` (the signing name, `states` for Step Functions) that accepts any
    /// well-formed region, ±15 minutes of clock skew, and `UNSIGNED-PAYLOAD`.
    pub fn new(service: impl Into<String>) -> Self {
        Verifier {
            service: service.into(),
            regions: None,
            max_skew_seconds: 15 * 60,
            allow_unsigned_payload: true,
            keys: KeyCache::default(),
        }
    }

    /// Accepts only credential scopes in these regions.
    pub fn with_regions<I: IntoIterator<Item = S>, S: Into<String>>(mut self, regions: I) -> Self {
        self.regions = Some(regions.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the allowed clock skew (default 900 seconds, as AWS).
    pub fn with_max_skew_seconds(mut self, seconds: i64) -> Self {
        self.max_skew_seconds = seconds;
        self
    }

    /// Whether `x-amz-content-sha256: UNSIGNED-PAYLOAD` is accepted (default yes).
    pub fn with_unsigned_payload(mut self, allowed: bool) -> Self {
        self.allow_unsigned_payload = allowed;
        self
    }

    /// Verifies `request` at `now_epoch_seconds` against the credentials `provider` knows.
    pub fn verify<P: CredentialProvider + ?Sized>(
        &self,
        request: &Request<'_>,
        provider: &P,
        now_epoch_seconds: i64,
    ) -> Result<Verified, Error> {
        let auth = Auth::parse(request)?;

        // The date and the clock.
        let signed_at = time::parse_basic(&auth.date).ok_or_else(|| {
            Error::incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
                auth.date
            ))
        })?;
        self.check_time(signed_at, auth.expires_seconds, now_epoch_seconds)?;

        // The shape of the signature.
        let signed_headers: Vec<String> = auth
            .signed_headers
            .split(';')
            .map(str::to_ascii_lowercase)
            .collect();
        if !signed_headers.iter().any(|name| name == "host") {
            return Err(Error::invalid(
                InvalidReason::HostNotSigned,
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            ));
        }
        if auth.algorithm != ALGORITHM {
            return Err(Error::incomplete(format!(
                "Unsupported AWS 'algorithm': '{}' (only AWS4-HMAC-SHA256 for now).",
                auth.algorithm
            )));
        }
        let scope = self.check_scope(&auth.credential, &auth.date)?;

        // The secret.
        let credentials = provider
            .credentials_for(scope.access_key_id)
            .ok_or_else(|| Error::UnrecognizedClient {
                message: INVALID_KEY.to_owned(),
            })?;
        let Some(signing_key) = self.keys.get(
            scope.access_key_id,
            &credentials.secret_access_key,
            scope.date,
            scope.region,
            scope.service,
        ) else {
            return Err(Error::invalid(InvalidReason::Mismatch, MISMATCH));
        };

        // The signature.
        let payload_hashes = self.payload_hashes(request, auth.presigned)?;
        let signed_payload_hash = self.check_signature(
            request,
            &auth,
            &signed_headers,
            &payload_hashes,
            &signing_key,
        )?;
        let payload_signed = signed_payload_hash != UNSIGNED_PAYLOAD;

        // The session token, which AWS checks last.
        let token_matches = match (&auth.security_token, &credentials.session_token) {
            (None, None) => true,
            (Some(sent), Some(expected)) => bool::from(sent.as_bytes().ct_eq(expected.as_bytes())),
            _ => false,
        };
        if !token_matches {
            return Err(Error::UnrecognizedClient {
                message: INVALID_TOKEN.to_owned(),
            });
        }

        Ok(Verified {
            access_key_id: scope.access_key_id.to_owned(),
            region: scope.region.to_owned(),
            service: scope.service.to_owned(),
            signed_at,
            payload_signed,
        })
    }

    fn check_time(
        &self,
        signed_at: i64,
        expires_seconds: Option<i64>,
        now: i64,
    ) -> Result<(), Error> {
        let skew = self.max_skew_seconds;
        let minutes = skew / 60;
        let latest = now.saturating_add(skew);
        if signed_at > latest {
            return Err(Error::invalid(
                InvalidReason::NotYetCurrent,
                format!(
                    "Signature not yet current: {} is still later than {} ({} + {minutes} min.)",
                    time::format_basic(signed_at),
                    time::format_basic(latest),
                    time::format_basic(now),
                ),
            ));
        }
        match expires_seconds {
            None => {
                let earliest = now.saturating_sub(skew);
                if signed_at < earliest {
                    return Err(Error::invalid(
                        InvalidReason::Expired,
                        format!(
                            "Signature expired: {} is now earlier than {} ({} - {minutes} min.)",
                            time::format_basic(signed_at),
                            time::format_basic(earliest),
                            time::format_basic(now),
                        ),
                    ));
                }
            }
            Some(expires) => {
                let expiry = signed_at.saturating_add(expires);
                if now > expiry {
                    return Err(Error::invalid(
                        InvalidReason::Expired,
                        format!(
                            "Signature expired: {} is now earlier than {}",
                            time::format_basic(expiry),
                            time::format_basic(now),
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_scope<'a>(&self, credential: &'a str, date: &str) -> Result<Scope<'a>, Error> {
        let parts: Vec<&str> = credential.trim_end_matches('/').split('/').collect();
        let [access_key_id, scope_date, region, service, terminator] = parts[..] else {
            return Err(Error::incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
            )));
        };
        let mut problems = Vec::new();
        let region_ok = match &self.regions {
            Some(regions) => regions.iter().any(|accepted| accepted == region),
            None => {
                !region.is_empty()
                    && region.bytes().all(|byte| {
                        byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-'
                    })
            }
        };
        if !region_ok {
            problems.push(format!(
                "Credential should be scoped to a valid region, not '{region}'."
            ));
        }
        if service != self.service {
            problems.push(format!(
                "Credential should be scoped to correct service: '{}'.",
                self.service
            ));
        }
        if terminator != "aws4_request" {
            problems.push(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            ));
        }
        // The date parsed as ISO-8601 basic format, so it is ASCII and its first 8 bytes are the day.
        let day = date.get(..8).unwrap_or(date);
        if scope_date != day {
            problems.push(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{day}', from '{date}'."
            ));
        }
        if !problems.is_empty() {
            return Err(Error::invalid(InvalidReason::Scope, problems.join(" ")));
        }
        Ok(Scope {
            access_key_id,
            date: scope_date,
            region,
            service,
        })
    }

    /// The payload hashes the client may have signed, most likely first.
    fn payload_hashes(&self, request: &Request<'_>, presigned: bool) -> Result<Vec<String>, Error> {
        let body_hash = key::hex(&match request.body {
            Body::Bytes(bytes) => key::sha256(bytes),
            Body::Sha256(hash) => hash,
        });
        let declared = request
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-content-sha256"))
            .map(|(_, value)| value.trim());
        match declared {
            None if presigned && self.allow_unsigned_payload => {
                // botocore presigns non-S3 requests with the body's hash, aws-sigv4 (like S3)
                // with UNSIGNED-PAYLOAD; neither says which in the URL.
                Ok(vec![body_hash, UNSIGNED_PAYLOAD.to_owned()])
            }
            None => Ok(vec![body_hash]),
            Some(UNSIGNED_PAYLOAD) if self.allow_unsigned_payload => {
                Ok(vec![UNSIGNED_PAYLOAD.to_owned()])
            }
            Some(UNSIGNED_PAYLOAD) => Err(Error::invalid(
                InvalidReason::PayloadHash,
                "UNSIGNED-PAYLOAD is not accepted: the payload must be signed.",
            )),
            Some(hash) if hash.len() == 64 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()) => {
                if hash.eq_ignore_ascii_case(&body_hash) {
                    Ok(vec![hash.to_owned()])
                } else {
                    Err(Error::invalid(
                        InvalidReason::PayloadHash,
                        "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    ))
                }
            }
            Some(_) => Err(Error::invalid(
                InvalidReason::PayloadHash,
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.",
            )),
        }
    }

    /// Recomputes the signature for each candidate payload hash (and whitespace rule) and
    /// returns the payload hash that matched.
    fn check_signature<'h>(
        &self,
        request: &Request<'_>,
        auth: &Auth,
        signed_headers: &[String],
        payload_hashes: &'h [String],
        signing_key: &[u8; 32],
    ) -> Result<&'h str, Error> {
        let canonical_path = canonical::path(request.path);
        let skip: &[&str] = if auth.presigned {
            &["X-Amz-Signature"]
        } else {
            &[]
        };
        let canonical_query = canonical::query(request.query, skip);
        let mut modes = vec![Whitespace::Spaces];
        if canonical::has_other_whitespace(request.headers, signed_headers) {
            modes.push(Whitespace::Any);
        }
        let scope = auth.credential.trim_end_matches('/');
        let scope = scope.split_once('/').map_or(scope, |(_, scope)| scope);

        let mut first_attempt: Option<(String, String)> = None;
        for payload_hash in payload_hashes {
            for &mode in &modes {
                let canonical_request = canonical::request(
                    request.method,
                    &canonical_path,
                    &canonical_query,
                    request.headers,
                    &auth.signed_headers,
                    payload_hash,
                    mode,
                );
                let string_to_sign = format!(
                    "{ALGORITHM}\n{}\n{scope}\n{}",
                    auth.date,
                    key::hex(&key::sha256(canonical_request.as_bytes()))
                );
                if let Some(signature) = key::hmac(signing_key, string_to_sign.as_bytes()) {
                    let expected = key::hex(&signature);
                    if bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
                        return Ok(payload_hash);
                    }
                }
                first_attempt.get_or_insert((canonical_request, string_to_sign));
            }
        }
        let (canonical_request, string_to_sign) = first_attempt.unwrap_or_default();
        Err(Error::invalid(
            InvalidReason::Mismatch,
            format!(
                "{MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            ),
        ))
    }
}

/// Verifies a Step Functions request (service `states`) with a fresh [`Verifier`]. Servers keep
/// one [`Verifier`] instead, so that derived keys are cached.
pub fn verify<P: CredentialProvider + ?Sized>(
    request: &Request<'_>,
    provider: &P,
    now_epoch_seconds: i64,
) -> Result<Verified, Error> {
    Verifier::new("states").verify(request, provider, now_epoch_seconds)
}

/// The parts of a credential scope that passed [`Verifier::check_scope`].
struct Scope<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
}

/// The signature's parts, from the `Authorization` header or the presigned query.
#[derive(Debug)]
struct Auth {
    algorithm: String,
    credential: String,
    signed_headers: String,
    signature: String,
    date: String,
    presigned: bool,
    expires_seconds: Option<i64>,
    security_token: Option<String>,
}

impl Auth {
    fn parse(request: &Request<'_>) -> Result<Auth, Error> {
        let authorization = header(request.headers, "authorization");
        let presigned = query_param(request.query, "X-Amz-Algorithm").is_some();
        match (authorization, presigned) {
            (Some(_), true) => Err(Error::invalid(
                InvalidReason::BothAuthMethods,
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
            )),
            (Some(authorization), false) => Auth::from_header(request, authorization),
            (None, true) => Auth::from_query(request.query),
            (None, false) => Err(Error::MissingAuthenticationToken),
        }
    }

    fn from_header(request: &Request<'_>, authorization: &str) -> Result<Auth, Error> {
        let trimmed = authorization.trim();
        if !trimmed.starts_with("AWS4-") {
            return Err(Error::MissingAuthenticationToken);
        }
        let (algorithm, rest) = trimmed
            .split_once(|character: char| character.is_ascii_whitespace())
            .unwrap_or((trimmed, ""));
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        for part in rest
            .split(|character: char| character == ',' || character.is_ascii_whitespace())
            .filter(|part| !part.is_empty())
        {
            let Some((name, value)) = part.split_once('=') else {
                return Err(Error::incomplete(format!(
                    "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."
                )));
            };
            match name {
                "Credential" => credential = Some(value),
                "SignedHeaders" => signed_headers = Some(value),
                "Signature" => signature = Some(value),
                _ => {}
            }
        }
        let date =
            header(request.headers, "x-amz-date").or_else(|| header(request.headers, "date"));

        let mut missing = String::new();
        for (name, value) in [
            ("Credential", credential),
            ("Signature", signature),
            ("SignedHeaders", signed_headers),
        ] {
            if value.is_none_or(str::is_empty) {
                missing.push_str(&format!(
                    "Authorization header requires '{name}' parameter. "
                ));
            }
        }
        if date.is_none() {
            missing.push_str(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
            );
        }
        if !missing.is_empty() {
            return Err(Error::incomplete(format!(
                "{missing}Authorization={authorization}"
            )));
        }

        Ok(Auth {
            algorithm: algorithm.to_owned(),
            credential: credential.unwrap_or_default().to_owned(),
            signed_headers: signed_headers.unwrap_or_default().to_owned(),
            signature: signature.unwrap_or_default().to_owned(),
            date: date.unwrap_or_default().trim().to_owned(),
            presigned: false,
            expires_seconds: None,
            security_token: header(request.headers, "x-amz-security-token")
                .map(|token| token.trim().to_owned()),
        })
    }

    fn from_query(query: &str) -> Result<Auth, Error> {
        let mut missing = String::new();
        let mut required = |name: &str| {
            let value = query_param(query, name).filter(|value| !value.is_empty());
            if value.is_none() {
                missing.push_str(&format!(
                    "AWS query-string parameters must include '{name}'. "
                ));
            }
            value.unwrap_or_default()
        };
        let algorithm = required("X-Amz-Algorithm");
        let credential = required("X-Amz-Credential");
        let signature = required("X-Amz-Signature");
        let signed_headers = required("X-Amz-SignedHeaders");
        let date = required("X-Amz-Date");
        if !missing.is_empty() {
            return Err(Error::incomplete(format!(
                "{missing}Re-examine the query-string parameters."
            )));
        }
        let expires_seconds = match query_param(query, "X-Amz-Expires") {
            // Without X-Amz-Expires, the request is good for the clock skew, like a header.
            None => None,
            Some(expires) => match expires.parse::<i64>() {
                Ok(seconds) if (0..=MAX_EXPIRES_SECONDS).contains(&seconds) => Some(seconds),
                Ok(_) => {
                    return Err(Error::incomplete(
                        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
                    ));
                }
                Err(_) => return Err(Error::incomplete("X-Amz-Expires should be a number")),
            },
        };
        Ok(Auth {
            algorithm,
            credential,
            signed_headers,
            signature,
            date,
            presigned: true,
            expires_seconds,
            security_token: query_param(query, "X-Amz-Security-Token"),
        })
    }
}

/// The first value of a header, by lowercase name.
fn header<'a>(headers: &[(&'a str, &'a str)], lowercase_name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(lowercase_name))
        .map(|(_, value)| *value)
}

/// The first value of a query parameter, percent-decoded (`+` as a space). Names compare
/// exactly, after decoding.
fn query_param(raw_query: &str, name: &str) -> Option<String> {
    raw_query.split('&').find_map(|pair| {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(raw_name) == name).then(|| decode(raw_value))
    })
}

fn decode(raw: &str) -> String {
    let plus_as_space = raw.replace('+', " ");
    percent_encoding::percent_decode(plus_as_space.as_bytes())
        .decode_utf8_lossy()
        .into_owned()
}
