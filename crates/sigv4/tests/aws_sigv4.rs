//! Round trips against `aws-sigv4` 1.6, the SDK's signer: requests it signs verify, and every
//! way of breaking one gets AWS's error.

mod common;

use std::collections::HashMap;

use common::{
    ACCESS_KEY_ID, Options, Received, SECRET, SIGNED_AT, known_credentials, sdk_call, sign_request,
    verify_with,
};
use sigv4::{Credentials, Error, InvalidReason, Verifier};

const LIST: &[u8] = br#"{"maxResults":10}"#;

fn verify(received: &Received) -> Result<sigv4::Verified, Error> {
    verify_with(
        &Verifier::new("states"),
        received,
        &known_credentials(),
        SIGNED_AT,
    )
}

fn invalid_reason(result: Result<sigv4::Verified, Error>) -> InvalidReason {
    match result {
        Err(Error::InvalidSignature { reason, .. }) => reason,
        other => panic!("expected InvalidSignatureException, got {other:?}"),
    }
}

#[test]
fn an_sdk_call_verifies() {
    let received = sdk_call("ListStateMachines", LIST, &Options::default());
    let verified = verify(&received).expect("verifies");
    assert_eq!(verified.access_key_id, ACCESS_KEY_ID);
    assert_eq!(verified.region, "us-east-1");
    assert_eq!(verified.service, "states");
    assert_eq!(verified.signed_at, SIGNED_AT);
    assert!(verified.payload_signed);
}

#[test]
fn the_free_function_and_every_provider_agree() {
    let received = sdk_call("ListStateMachines", LIST, &Options::default());
    let headers = received.header_refs();
    let request = sigv4::Request {
        method: &received.method,
        path: &received.path,
        query: &received.query,
        headers: &headers,
        body: sigv4::Body::Sha256(sha256(LIST)),
    };
    let secrets = HashMap::from([(ACCESS_KEY_ID.to_owned(), SECRET.to_owned())]);
    let by_id = HashMap::from([(
        ACCESS_KEY_ID.to_owned(),
        Credentials::new(ACCESS_KEY_ID, SECRET),
    )]);
    let single = Credentials::new(ACCESS_KEY_ID, SECRET);
    assert!(sigv4::verify(&request, &secrets, SIGNED_AT).is_ok());
    assert!(sigv4::verify(&request, &by_id, SIGNED_AT).is_ok());
    assert!(sigv4::verify(&request, &single, SIGNED_AT).is_ok());
    assert!(sigv4::verify(&request, known_credentials().as_slice(), SIGNED_AT).is_ok());
}

#[test]
fn a_signed_user_agent_verifies() {
    let options = Options {
        sign_all_headers: true,
        ..Options::default()
    };
    let received = sdk_call("ListStateMachines", LIST, &options);
    let authorization = &received
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .unwrap()
        .1;
    assert!(authorization.contains("user-agent;"), "{authorization}");
    assert!(verify(&received).is_ok());

    let mut tampered = received.clone();
    tampered.set_header("user-agent", "proxy/1.0");
    assert_eq!(invalid_reason(verify(&tampered)), InvalidReason::Mismatch);
}

#[test]
fn an_unsigned_user_agent_may_change() {
    let mut received = sdk_call("ListStateMachines", LIST, &Options::default());
    received.set_header("user-agent", "rewritten by a proxy");
    assert!(verify(&received).is_ok());
}

#[test]
fn queries_with_reserved_characters_verify() {
    for path_and_query in [
        "/?b=2&a=1",
        "/?a=2&a=1&a=10",
        "/?reserved=%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D",
        "/?space=x%20y&tilde=~&unicode=%C3%A9",
        "/?flag&empty=",
        "/?arn=arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3AstateMachine%3Ahello",
    ] {
        let received = sign_request("GET", path_and_query, &[], b"", &Options::default());
        assert!(
            verify(&received).is_ok(),
            "{path_and_query}: {:?}",
            verify(&received)
        );
    }
}

#[test]
fn paths_with_spaces_and_reserved_characters_verify() {
    for path in [
        "/my%20path",
        "/a%20b/c%2Bd/e=f:g",
        "/state%20machines/./x/../hello%21",
        "/trailing/",
        "/%C3%A9t%C3%A9",
    ] {
        let received = sign_request("GET", path, &[], b"", &Options::default());
        assert!(verify(&received).is_ok(), "{path}: {:?}", verify(&received));
    }
}

#[test]
fn repeated_headers_and_messy_whitespace_verify() {
    let received = sign_request(
        "POST",
        "/",
        &[
            ("x-amz-target", "AWSStepFunctions.ListStateMachines"),
            ("x-custom", "  lots   of   spaces  "),
            ("X-Repeated", "one"),
            ("x-repeated", " two  three "),
        ],
        LIST,
        &Options::default(),
    );
    assert!(verify(&received).is_ok(), "{:?}", verify(&received));
}

#[test]
fn a_session_token_verifies_only_with_its_credentials() {
    let options = Options {
        session_token: Some("session-token-example"),
        ..Options::default()
    };
    let received = sdk_call("ListStateMachines", LIST, &options);
    let with_token =
        vec![Credentials::new(ACCESS_KEY_ID, SECRET).with_session_token("session-token-example")];
    assert!(verify_with(&Verifier::new("states"), &received, &with_token, SIGNED_AT).is_ok());

    let other_token = vec![Credentials::new(ACCESS_KEY_ID, SECRET).with_session_token("other")];
    let error =
        verify_with(&Verifier::new("states"), &received, &other_token, SIGNED_AT).unwrap_err();
    assert_eq!(error.aws_type(), "UnrecognizedClientException");
    assert_eq!(
        error.aws_message(),
        "The security token included in the request is invalid"
    );

    // Long-term credentials never come with a token.
    let error = verify(&received).unwrap_err();
    assert_eq!(error.aws_type(), "UnrecognizedClientException");

    // And temporary ones always do.
    let mut without = received.clone();
    without.remove_header("x-amz-security-token");
    assert!(verify_with(&Verifier::new("states"), &without, &with_token, SIGNED_AT).is_err());
}

#[test]
fn a_wrong_secret_is_invalid_signature() {
    let options = Options {
        secret: "not the secret",
        ..Options::default()
    };
    let error = verify(&sdk_call("ListStateMachines", LIST, &options)).unwrap_err();
    assert_eq!(error.aws_type(), "InvalidSignatureException");
    assert_eq!(error.http_status(), 400);
    assert!(error.aws_message().starts_with(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/\n\ncontent-length:17\ncontent-type:application/x-amz-json-1.0\nhost:states.us-east-1.amazonaws.com\n"
    ), "{}", error.aws_message());
    assert!(error.aws_message().contains(
        "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261126T123456Z\n20261126/us-east-1/states/aws4_request\n"
    ));
}

#[test]
fn an_unknown_key_is_unrecognized_client() {
    let received = sdk_call("ListStateMachines", LIST, &Options::default());
    let nobody: HashMap<String, String> = HashMap::new();
    let error = verify_with(&Verifier::new("states"), &received, &nobody, SIGNED_AT).unwrap_err();
    assert_eq!(error.aws_type(), "UnrecognizedClientException");
    assert_eq!(
        error.aws_message(),
        "The security token included in the request is invalid."
    );
    assert_eq!(error.http_status(), 400);
}

#[test]
fn no_authorization_is_missing_authentication_token() {
    let mut received = sdk_call("ListStateMachines", LIST, &Options::default());
    received.remove_header("authorization");
    let error = verify(&received).unwrap_err();
    assert_eq!(error, Error::MissingAuthenticationToken);
    assert_eq!(error.aws_type(), "MissingAuthenticationTokenException");
    assert_eq!(
        error.aws_message(),
        "Request is missing Authentication Token"
    );

    received
        .headers
        .push(("Authorization".into(), "Bearer abc".into()));
    assert_eq!(
        verify(&received).unwrap_err(),
        Error::MissingAuthenticationToken
    );
}

#[test]
fn malformed_authorization_is_incomplete_signature() {
    let mut received = sdk_call("ListStateMachines", LIST, &Options::default());
    let cases = [
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/states/aws4_request",
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/states/aws4_request",
        ),
        (
            "AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20261126/us-east-1/states/aws4_request, SignedHeaders=host, Signature=abc",
            "'AKIDEXAMPLE/20261126/us-east-1/states/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20261126/us-east-1/states/aws4_request, SignedHeaders=host, Signature=abc'.",
        ),
        (
            "AWS4-HMAC-SHA512 Credential=AKIDEXAMPLE/20261126/us-east-1/states/aws4_request, SignedHeaders=host, Signature=abc",
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now).",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/aws4_request, SignedHeaders=host, Signature=abc",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20261126/us-east-1/aws4_request'",
        ),
    ];
    for (authorization, message) in cases {
        received.set_header("authorization", authorization);
        let error = verify(&received).unwrap_err();
        assert_eq!(
            error.aws_type(),
            "IncompleteSignatureException",
            "{authorization}"
        );
        assert_eq!(error.aws_message(), message);
        assert_eq!(error.http_status(), 400);
    }

    let mut no_date = sdk_call("ListStateMachines", LIST, &Options::default());
    no_date.remove_header("x-amz-date");
    let error = verify(&no_date).unwrap_err();
    assert!(error.aws_message().starts_with(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential="
    ), "{}", error.aws_message());

    let mut bad_date = sdk_call("ListStateMachines", LIST, &Options::default());
    bad_date.set_header("x-amz-date", "Thu, 26 Nov 2026 12:34:56 GMT");
    assert_eq!(
        verify(&bad_date).unwrap_err().aws_message(),
        "Date must be in ISO-8601 'basic format'. Got 'Thu, 26 Nov 2026 12:34:56 GMT'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
}

#[test]
fn clock_skew_beyond_fifteen_minutes_is_rejected() {
    let received = sdk_call("ListStateMachines", LIST, &Options::default());
    let verifier = Verifier::new("states");
    let credentials = known_credentials();
    assert!(verify_with(&verifier, &received, &credentials, SIGNED_AT + 15 * 60).is_ok());
    assert!(verify_with(&verifier, &received, &credentials, SIGNED_AT - 15 * 60).is_ok());

    let late =
        verify_with(&verifier, &received, &credentials, SIGNED_AT + 15 * 60 + 1).unwrap_err();
    assert_eq!(late.aws_type(), "InvalidSignatureException");
    assert_eq!(
        late.aws_message(),
        "Signature expired: 20261126T123456Z is now earlier than 20261126T123457Z (20261126T124957Z - 15 min.)"
    );
    let early = verify_with(&verifier, &received, &credentials, SIGNED_AT - 3600).unwrap_err();
    assert_eq!(
        early.aws_message(),
        "Signature not yet current: 20261126T123456Z is still later than 20261126T114956Z (20261126T113456Z + 15 min.)"
    );
    assert_eq!(invalid_reason(Err(early)), InvalidReason::NotYetCurrent);
}

#[test]
fn a_tampered_body_or_header_is_a_mismatch() {
    let received = sdk_call("ListStateMachines", LIST, &Options::default());

    let mut body = received.clone();
    body.body = br#"{"maxResults":1000}"#.to_vec();
    assert_eq!(invalid_reason(verify(&body)), InvalidReason::Mismatch);

    let mut target = received.clone();
    target.set_header("x-amz-target", "AWSStepFunctions.DeleteStateMachine");
    assert_eq!(invalid_reason(verify(&target)), InvalidReason::Mismatch);

    let mut path = received.clone();
    path.path = "/other".into();
    assert_eq!(invalid_reason(verify(&path)), InvalidReason::Mismatch);

    let mut query = received.clone();
    query.query = "a=1".into();
    assert_eq!(invalid_reason(verify(&query)), InvalidReason::Mismatch);

    let mut method = received.clone();
    method.method = "PUT".into();
    assert_eq!(invalid_reason(verify(&method)), InvalidReason::Mismatch);

    let mut signature = received.clone();
    let authorization = signature
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .unwrap()
        .1
        .clone();
    let flipped = if authorization.ends_with('0') {
        "1"
    } else {
        "0"
    };
    let forged = format!("{}{flipped}", &authorization[..authorization.len() - 1]);
    signature.set_header("authorization", &forged);
    assert_eq!(invalid_reason(verify(&signature)), InvalidReason::Mismatch);
}

#[test]
fn host_must_be_signed() {
    let mut received = sdk_call("ListStateMachines", LIST, &Options::default());
    let authorization = received
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .unwrap()
        .1
        .clone();
    received.set_header("authorization", &authorization.replace("host;", ""));
    let error = verify(&received).unwrap_err();
    assert_eq!(
        error.aws_message(),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
    assert_eq!(invalid_reason(Err(error)), InvalidReason::HostNotSigned);
}

#[test]
fn the_credential_scope_must_match() {
    let options = Options {
        service: "lambda",
        region: "eu-west-1",
        ..Options::default()
    };
    let received = sdk_call("ListStateMachines", LIST, &options);
    let verifier = Verifier::new("states").with_regions(["us-east-1"]);
    let error = verify_with(&verifier, &received, &known_credentials(), SIGNED_AT).unwrap_err();
    assert_eq!(
        error.aws_message(),
        "Credential should be scoped to a valid region, not 'eu-west-1'. Credential should be scoped to correct service: 'states'."
    );

    let mut wrong_date = sdk_call("ListStateMachines", LIST, &Options::default());
    let authorization = wrong_date
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .unwrap()
        .1
        .clone();
    wrong_date.set_header(
        "authorization",
        &authorization.replace("/20261126/", "/20261125/"),
    );
    assert_eq!(
        verify(&wrong_date).unwrap_err().aws_message(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261125' != '20261126', from '20261126T123456Z'."
    );
}

#[test]
fn unsigned_payload_verifies_unless_refused() {
    let options = Options {
        unsigned_payload: true,
        ..Options::default()
    };
    let mut received = sdk_call("ListStateMachines", LIST, &options);
    let verified = verify(&received).expect("verifies");
    assert!(!verified.payload_signed);
    // The body is not covered.
    received.body = b"anything".to_vec();
    assert!(verify(&received).is_ok());

    let strict = Verifier::new("states").with_unsigned_payload(false);
    let error = verify_with(&strict, &received, &known_credentials(), SIGNED_AT).unwrap_err();
    assert_eq!(invalid_reason(Err(error)), InvalidReason::PayloadHash);
}

#[test]
fn a_content_sha256_header_must_match_the_body() {
    let options = Options {
        content_sha256_header: true,
        ..Options::default()
    };
    let received = sdk_call("ListStateMachines", LIST, &options);
    assert!(
        received
            .headers
            .iter()
            .any(|(name, _)| name == "x-amz-content-sha256")
    );
    assert!(verify(&received).unwrap().payload_signed);

    let mut tampered = received.clone();
    tampered.body = b"{}".to_vec();
    assert_eq!(
        invalid_reason(verify(&tampered)),
        InvalidReason::PayloadHash
    );
}

#[test]
fn presigned_requests_verify_until_they_expire() {
    let options = Options {
        presign_seconds: Some(300),
        ..Options::default()
    };
    let received = sign_request(
        "GET",
        "/?Action=ListStateMachines&x=a%20b",
        &[],
        b"",
        &options,
    );
    assert!(
        received.query.contains("X-Amz-Signature="),
        "{}",
        received.query
    );
    let verifier = Verifier::new("states");
    let credentials = known_credentials();
    assert!(verify_with(&verifier, &received, &credentials, SIGNED_AT).is_ok());
    assert!(verify_with(&verifier, &received, &credentials, SIGNED_AT + 300).is_ok());

    let expired = verify_with(&verifier, &received, &credentials, SIGNED_AT + 301).unwrap_err();
    assert_eq!(
        expired.aws_message(),
        "Signature expired: 20261126T123956Z is now earlier than 20261126T123957Z"
    );

    let mut tampered = received.clone();
    tampered.query = tampered.query.replace("x=a%20b", "x=a%20c");
    assert_eq!(
        invalid_reason(verify_with(&verifier, &tampered, &credentials, SIGNED_AT)),
        InvalidReason::Mismatch
    );

    let mut both = received.clone();
    both.headers.push((
        "Authorization".into(),
        "AWS4-HMAC-SHA256 Credential=x".into(),
    ));
    assert_eq!(
        invalid_reason(verify_with(&verifier, &both, &credentials, SIGNED_AT)),
        InvalidReason::BothAuthMethods
    );

    let mut missing = received.clone();
    missing.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261126T123456Z".into();
    assert_eq!(
        verify_with(&verifier, &missing, &credentials, SIGNED_AT)
            .unwrap_err()
            .aws_message(),
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
    );
}

#[test]
fn a_rotated_secret_stops_verifying_despite_the_key_cache() {
    let received = sdk_call("ListStateMachines", LIST, &Options::default());
    let verifier = Verifier::new("states");
    assert!(verify_with(&verifier, &received, &known_credentials(), SIGNED_AT).is_ok());
    let rotated = vec![Credentials::new(ACCESS_KEY_ID, "rotated")];
    assert!(verify_with(&verifier, &received, &rotated, SIGNED_AT).is_err());
    assert!(verify_with(&verifier, &received, &known_credentials(), SIGNED_AT).is_ok());
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

#[test]
fn a_presigned_unsigned_payload_is_reported() {
    let options = Options {
        presign_seconds: Some(60),
        unsigned_payload: true,
        ..Options::default()
    };
    let received = sign_request("GET", "/", &[], b"", &options);
    assert!(!verify(&received).expect("verifies").payload_signed);

    let strict = Verifier::new("states").with_unsigned_payload(false);
    let error = verify_with(&strict, &received, &known_credentials(), SIGNED_AT).unwrap_err();
    assert_eq!(invalid_reason(Err(error)), InvalidReason::Mismatch);

    let signed = Options {
        presign_seconds: Some(60),
        ..Options::default()
    };
    assert!(
        verify(&sign_request("GET", "/", &[], b"", &signed))
            .unwrap()
            .payload_signed
    );
}
