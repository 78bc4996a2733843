//! Fuzz target: the SigV4 verifier (`sigv4::Verifier::verify`).
//!
//! The bytes are `control(4) method NUL path NUL query NUL headers NUL body`, the headers one
//! `name:value` per line. The control bytes pick the verifier's options (unsigned payloads
//! allowed or not, regions restricted or not), whether the credentials carry a session token, a
//! clock offset, and which mutation to try. The request is verified against the key
//! `AKIDEXAMPLE` (botocore's fixture secret) at 2026-11-26T12:34:56Z plus the offset. Then:
//! - verification never panics, and a refusal has an AWS type, a message and status 400;
//! - giving the body's SHA-256 instead of its bytes gives the same answer;
//! - when the signature does not match, the verifier's message says what it should have signed
//!   (the string to sign): the target signs that itself (its own key derivation from the secret),
//!   puts the signature into the request, and expects the request to get past the signature
//!   check (unless the signature text is itself signed: an `authorization` signed header);
//! - every request that verifies, as sent or re-signed, is refused once mutated: its signature
//!   bytes changed (one hex digit, case, length), its method, path, host or (when the payload is
//!   signed) body changed, or the key's secret rotated (the verifier caches derived keys).
#![no_main]

use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use sigv4::{Body, Credentials, Error, InvalidReason, Request, Verified, Verifier};

const MAX_INPUT: usize = 64 * 1024;
const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "FQoGZXIvYXdzEXAMPLEsessiontoken//+==";
/// 2026-11-26T12:34:56Z, when botocore signed the fixtures the seeds come from.
const SIGNED_AT: i64 = 1_795_696_496;
const STRING_TO_SIGN_MARKER: &str = "\n\nThe String-to-Sign should have been\n'";

/// A request being checked, owned so that it can be mutated.
#[derive(Clone, Debug)]
struct Owned {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Owned {
    fn verify(
        &self,
        verifier: &Verifier,
        credentials: &Credentials,
        now: i64,
        hashed: bool,
    ) -> Result<Verified, Error> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let digest: [u8; 32] = Sha256::digest(&self.body).into();
        let request = Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: if hashed {
                Body::Sha256(digest)
            } else {
                Body::Bytes(&self.body)
            },
        };
        verifier.verify(&request, credentials, now)
    }

    /// Where the signature the verifier reads is written, as (header index or query, byte range).
    fn signature_slot(&self) -> Option<(Option<usize>, std::ops::Range<usize>)> {
        if let Some(index) = self
            .headers
            .iter()
            .position(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        {
            // The verifier trims the header, skips the algorithm (up to the first whitespace)
            // and reads the last `Signature=` part of the rest, parts being split at commas and
            // whitespace.
            let value = &self.headers[index].1;
            let lead = value.len() - value.trim_start().len();
            let trimmed = value.trim();
            let end = lead + trimmed.len();
            let rest = lead + trimmed.find(|c: char| c.is_ascii_whitespace())?;
            let bytes = value.as_bytes();
            let mut found = None;
            for (start, _) in value[..end].match_indices("Signature=") {
                let boundary = start > rest
                    && (bytes[start - 1] == b',' || bytes[start - 1].is_ascii_whitespace());
                if boundary {
                    let from = start + "Signature=".len();
                    let to = value[from..end]
                        .find(|c: char| c == ',' || c.is_ascii_whitespace())
                        .map_or(end, |offset| from + offset);
                    found = Some(from..to);
                }
            }
            return found.map(|range| (Some(index), range));
        }
        // The verifier reads the first pair whose decoded name is X-Amz-Signature.
        let mut offset = 0;
        for pair in self.query.split('&') {
            let (name, _) = pair.split_once('=').unwrap_or((pair, ""));
            if decode(name) == "X-Amz-Signature" && pair.len() > name.len() {
                let from = offset + name.len() + 1;
                return Some((None, from..offset + pair.len()));
            }
            offset += pair.len() + 1;
        }
        None
    }

    fn signature(&self) -> Option<String> {
        let (slot, range) = self.signature_slot()?;
        Some(match slot {
            Some(index) => self.headers[index].1[range].to_owned(),
            None => self.query[range].to_owned(),
        })
    }

    fn with_signature(&self, signature: &str) -> Option<Owned> {
        let (slot, range) = self.signature_slot()?;
        let mut changed = self.clone();
        match slot {
            Some(index) => changed.headers[index].1.replace_range(range, signature),
            None => changed.query.replace_range(range, signature),
        }
        Some(changed)
    }

    fn signs_authorization(&self) -> bool {
        self.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("authorization")
                && value.to_ascii_lowercase().contains("authorization")
        })
    }
}

/// `+` as a space, then percent-decoding (malformed escapes kept), lossy UTF-8: how the verifier
/// reads query parameter names.
fn decode(raw: &str) -> String {
    let raw = raw.replace('+', " ");
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |byte: u8| char::from(byte).to_digit(16);
        if bytes[index] == b'%'
            && index + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[index + 1]), hex(bytes[index + 2]))
        {
            out.push((high * 16 + low) as u8);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The signature of `string_to_sign` (whose third line is the scope) under `secret`.
fn sign(secret: &str, string_to_sign: &str) -> Option<String> {
    let lines: Vec<&str> = string_to_sign.split('\n').collect();
    let [_, _, scope, _] = lines[..] else {
        return None;
    };
    let parts: Vec<&str> = scope.split('/').collect();
    let [date, region, service, terminator] = parts[..] else {
        return None;
    };
    let key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let key = hmac(&key, region.as_bytes());
    let key = hmac(&key, service.as_bytes());
    let key = hmac(&key, terminator.as_bytes());
    Some(hex(&hmac(&key, string_to_sign.as_bytes())))
}

/// The string to sign the verifier's mismatch message names, when it can be read unambiguously.
fn string_to_sign(message: &str) -> Option<&str> {
    if message.matches(STRING_TO_SIGN_MARKER).count() != 1 {
        return None;
    }
    let start = message.find(STRING_TO_SIGN_MARKER)? + STRING_TO_SIGN_MARKER.len();
    message[start..].strip_suffix("'\n")
}

fn is_mismatch(result: &Result<Verified, Error>) -> bool {
    matches!(
        result,
        Err(Error::InvalidSignature {
            reason: InvalidReason::Mismatch,
            ..
        })
    )
}

fn parse(data: &[u8]) -> Option<([u8; 4], Owned)> {
    let (control, rest) = data.split_first_chunk::<4>()?;
    let mut fields = rest.splitn(5, |byte| *byte == 0);
    let mut text = || String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let method = text();
    let path = text();
    let query = text();
    let headers = text()
        .split('\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect();
    let body = fields.next().unwrap_or_default().to_vec();
    Some((
        *control,
        Owned {
            method,
            path,
            query,
            headers,
            body,
        },
    ))
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Some((control, request)) = parse(data) else {
        return;
    };
    let mut verifier = Verifier::new("states");
    if control[0] & 1 != 0 {
        verifier = verifier.with_unsigned_payload(false);
    }
    if control[0] & 2 != 0 {
        verifier = verifier.with_regions(["us-east-1", "eu-west-1"]);
    }
    let mut credentials = Credentials::new(ACCESS_KEY_ID, SECRET);
    if control[0] & 4 != 0 {
        credentials = credentials.with_session_token(SESSION_TOKEN);
    }
    // Up to about ±21 minutes away from the signing time, past the 15-minute skew.
    let now = SIGNED_AT + i64::from(i8::from_le_bytes([control[1]])) * 10;
    let mutation = control[2];

    let result = request.verify(&verifier, &credentials, now, false);
    if let Err(error) = &result {
        assert!(!error.aws_type().is_empty());
        assert!(!error.aws_message().is_empty());
        assert_eq!(error.http_status(), 400);
    }
    let hashed = request.verify(&verifier, &credentials, now, true);
    assert_eq!(result, hashed, "the body's hash answers as the body does");

    if result.is_ok() {
        check_mutations(&request, &verifier, &credentials, now, mutation);
        return;
    }
    let Err(Error::InvalidSignature { message, .. }) = &result else {
        return;
    };
    if !is_mismatch(&result) {
        return;
    }
    let Some(signature) = string_to_sign(message).and_then(|text| sign(SECRET, text)) else {
        return;
    };
    let Some(signed) = request.with_signature(&signature) else {
        return;
    };
    let resigned = signed.verify(&verifier, &credentials, now, false);
    if !signed.signs_authorization() {
        assert!(
            !is_mismatch(&resigned),
            "signed with the string to sign the verifier named, still a mismatch: {signed:?} {resigned:?}"
        );
    }
    if resigned.is_ok() {
        check_mutations(&signed, &verifier, &credentials, now, mutation);
    }
});

fn refused(
    what: &str,
    request: &Owned,
    verifier: &Verifier,
    credentials: &Credentials,
    now: i64,
) {
    let result = request.verify(verifier, credentials, now, false);
    assert!(result.is_err(), "{what}: accepted {request:?}: {result:?}");
}

fn check_mutations(
    request: &Owned,
    verifier: &Verifier,
    credentials: &Credentials,
    now: i64,
    mutation: u8,
) {
    let verified = request
        .verify(verifier, credentials, now, false)
        .expect("verifies");
    assert_eq!(verified.access_key_id, ACCESS_KEY_ID);
    assert_eq!(verified.service, "states");

    let signature = request.signature().expect("a verified request has a signature");
    // One hex digit changed.
    if !signature.is_empty() {
        let mut chars: Vec<char> = signature.chars().collect();
        let at = usize::from(mutation) % chars.len();
        chars[at] = if chars[at] == '0' { '1' } else { '0' };
        let changed: String = chars.into_iter().collect();
        let mutated = request.with_signature(&changed).expect("a slot");
        refused("a changed digit", &mutated, verifier, credentials, now);
    }
    // Case, length.
    let upper = signature.to_ascii_uppercase();
    if upper != signature {
        let mutated = request.with_signature(&upper).expect("a slot");
        refused("an uppercased signature", &mutated, verifier, credentials, now);
    }
    let mut longer = signature.clone();
    longer.push('0');
    refused(
        "a longer signature",
        &request.with_signature(&longer).expect("a slot"),
        verifier,
        credentials,
        now,
    );
    if !signature.is_empty() {
        let shorter = &signature[..signature.len() - 1];
        refused(
            "a shorter signature",
            &request.with_signature(shorter).expect("a slot"),
            verifier,
            credentials,
            now,
        );
    }
    // What was signed.
    let mut changed = request.clone();
    changed.method.push('X');
    refused("another method", &changed, verifier, credentials, now);
    let mut changed = request.clone();
    changed.path.push('x');
    refused("another path", &changed, verifier, credentials, now);
    if let Some(host) = changed_host(request) {
        refused("another host", &host, verifier, credentials, now);
    }
    if verified.payload_signed {
        let mut changed = request.clone();
        changed.body.push(b' ');
        refused("another body", &changed, verifier, credentials, now);
    }
    // A rotated secret, through the same verifier (and its cache of derived keys).
    let mut rotated = credentials.clone();
    rotated.secret_access_key.push('x');
    refused("a rotated secret", request, verifier, &rotated, now);
    // A session token that is not the credential's.
    let mut other_token = credentials.clone();
    other_token.session_token = Some(match &credentials.session_token {
        Some(token) => format!("{token}x"),
        None => "token".to_owned(),
    });
    refused("another session token", request, verifier, &other_token, now);
}

fn changed_host(request: &Owned) -> Option<Owned> {
    let mut changed = request.clone();
    let (_, value) = changed
        .headers
        .iter_mut()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"))?;
    value.push('x');
    Some(changed)
}
