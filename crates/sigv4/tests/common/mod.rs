//! Signs requests with `aws-sigv4`, the signer inside the AWS Rust SDK, and turns them into
//! what the server receives.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;

pub const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2026-11-26T12:34:56Z.
pub const SIGNED_AT: i64 = 1_795_696_496;
pub const HOST: &str = "states.us-east-1.amazonaws.com";

/// How to sign.
#[derive(Clone)]
pub struct Options {
    pub region: &'static str,
    pub service: &'static str,
    pub secret: &'static str,
    pub session_token: Option<&'static str>,
    /// Sign every header, `user-agent` included (aws-sigv4 leaves it out by default).
    pub sign_all_headers: bool,
    /// Presign for this many seconds instead of adding an `Authorization` header.
    pub presign_seconds: Option<u64>,
    /// Sign `UNSIGNED-PAYLOAD` and send it in `x-amz-content-sha256`.
    pub unsigned_payload: bool,
    /// Send `x-amz-content-sha256` with the body's hash.
    pub content_sha256_header: bool,
    pub signed_at: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            region: "us-east-1",
            service: "states",
            secret: SECRET,
            session_token: None,
            sign_all_headers: false,
            presign_seconds: None,
            unsigned_payload: false,
            content_sha256_header: false,
            signed_at: SIGNED_AT,
        }
    }
}

/// A request as it reaches the server.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        for header in &mut self.headers {
            if header.0.eq_ignore_ascii_case(name) {
                header.1 = value.to_owned();
            }
        }
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers
            .retain(|(header, _)| !header.eq_ignore_ascii_case(name));
    }
}

/// Verifies `received` with `verifier` at `now`.
pub fn verify_with(
    verifier: &sigv4::Verifier,
    received: &Received,
    provider: &(impl sigv4::CredentialProvider + ?Sized),
    now: i64,
) -> Result<sigv4::Verified, sigv4::Error> {
    let headers = received.header_refs();
    let request = sigv4::Request {
        method: &received.method,
        path: &received.path,
        query: &received.query,
        headers: &headers,
        body: sigv4::Body::Bytes(&received.body),
    };
    verifier.verify(&request, provider, now)
}

/// The credentials the signer used, as the server knows them.
pub fn known_credentials() -> Vec<sigv4::Credentials> {
    vec![sigv4::Credentials::new(ACCESS_KEY_ID, SECRET)]
}

/// Signs `method path_and_query` with `headers` and `body`, and returns what the server gets:
/// the SDK's headers plus `Host` (which the HTTP client adds) and the signing headers.
pub fn sign_request(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    options: &Options,
) -> Received {
    let identity = Credentials::new(
        ACCESS_KEY_ID,
        options.secret,
        options.session_token.map(str::to_owned),
        None,
        "test",
    )
    .into();
    let mut settings = SigningSettings::default();
    if options.sign_all_headers {
        settings.excluded_headers = Some(Vec::<Cow<'static, str>>::new());
    }
    if let Some(seconds) = options.presign_seconds {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(seconds));
    }
    let body_hash = sha256_hex(body);
    let mut sent_headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let signable_body = if options.unsigned_payload {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        SignableBody::UnsignedPayload
    } else {
        if options.content_sha256_header {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        SignableBody::Precomputed(body_hash)
    };
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(options.signed_at as u64);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(options.region)
        .name(options.service)
        .time(time)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let uri = format!("https://{HOST}{path_and_query}");
    let signable = SignableRequest::new(method, uri, headers.iter().copied(), signable_body)
        .expect("signable request");
    let (instructions, _signature) = sign(signable, &params).expect("signing").into_parts();

    let (path, mut query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (path_and_query.to_owned(), String::new()),
    };
    for (name, value) in instructions.headers() {
        sent_headers.push((name.to_owned(), value.to_owned()));
    }
    for (name, value) in instructions.params() {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&format!("{name}={}", encode(value)));
    }
    sent_headers.insert(0, ("Host".to_owned(), HOST.to_owned()));
    Received {
        method: method.to_owned(),
        path,
        query,
        headers: sent_headers,
        body: body.to_vec(),
    }
}

/// An SDK call: `POST /` with awsJson 1.0 headers for `AWSStepFunctions.<operation>`.
pub fn sdk_call(operation: &str, body: &[u8], options: &Options) -> Received {
    let target = format!("AWSStepFunctions.{operation}");
    let content_length = body.len().to_string();
    sign_request(
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", &target),
            ("content-length", &content_length),
            ("user-agent", "aws-sdk-rust/1.3.9 os/linux lang/rust/1.95.0"),
            ("x-amz-user-agent", "aws-sdk-rust/1.3.9 api/sfn/1.125.0"),
        ],
        body,
        options,
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Percent-encodes a query value the way a URL builder does (everything but unreserved).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
