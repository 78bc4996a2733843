//! Whatever a client sends, verification answers with a result and never panics.

use proptest::prelude::*;
use sigv4::{Body, Credentials, Request, Verifier};

const NOW: i64 = 1_795_696_496;

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,80}",
        // Pieces of real signatures, so that parsing gets past its first checks.
        prop::collection::vec(
            prop_oneof![
                Just("AWS4-HMAC-SHA256".to_owned()),
                Just("AWS4-".to_owned()),
                Just("Credential=".to_owned()),
                Just("AKIDEXAMPLE/20261126/us-east-1/states/aws4_request".to_owned()),
                Just("SignedHeaders=".to_owned()),
                Just("host;x-amz-date".to_owned()),
                Just("Signature=".to_owned()),
                Just("X-Amz-Algorithm=".to_owned()),
                Just("X-Amz-Expires=".to_owned()),
                Just("20261126T123456Z".to_owned()),
                Just("UNSIGNED-PAYLOAD".to_owned()),
                Just("%".to_owned()),
                Just("/".to_owned()),
                Just("..".to_owned()),
                Just(",".to_owned()),
                Just(" ".to_owned()),
                Just("=".to_owned()),
                Just("&".to_owned()),
                Just("\t".to_owned()),
                Just("é".to_owned()),
                "[ -~]{0,12}",
            ],
            0..12,
        )
        .prop_map(|pieces| pieces.concat()),
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Authorization".to_owned()),
        Just("authorization".to_owned()),
        Just("host".to_owned()),
        Just("x-amz-date".to_owned()),
        Just("date".to_owned()),
        Just("x-amz-content-sha256".to_owned()),
        Just("x-amz-security-token".to_owned()),
        any_text(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn verification_never_panics(
        method in any_text(),
        path in any_text(),
        query in any_text(),
        headers in prop::collection::vec((header_name(), any_text()), 0..8),
        body in prop::collection::vec(any::<u8>(), 0..64),
        now in prop_oneof![Just(NOW), any::<i64>()],
        skew in prop_oneof![Just(900i64), any::<i64>()],
    ) {
        let headers: Vec<(&str, &str)> =
            headers.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        let request = Request { method: &method, path: &path, query: &query, headers: &headers, body: Body::Bytes(&body) };
        let credentials = Credentials::new("AKIDEXAMPLE", "secret");
        let verifier = Verifier::new("states").with_max_skew_seconds(skew);
        if let Err(error) = verifier.verify(&request, &credentials, now) {
            prop_assert!(!error.aws_type().is_empty());
            prop_assert_eq!(error.http_status(), 400);
            let _ = error.to_string();
        }
    }
}

mod common;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// A validly signed request with one header replaced or added: verification goes all the
    /// way to the signature, never panics, and never accepts a changed signed header.
    #[test]
    fn mutated_signed_requests_never_panic(
        index in 0usize..16,
        replace in any::<bool>(),
        name in header_name(),
        value in any_text(),
    ) {
        let options = common::Options { sign_all_headers: true, ..common::Options::default() };
        let mut received = common::sdk_call("ListStateMachines", b"{}", &options);
        let original = received.clone();
        if replace && !received.headers.is_empty() {
            let index = index % received.headers.len();
            received.headers[index].1 = value.clone();
        } else {
            received.headers.push((name, value));
        }
        let result = common::verify_with(
            &Verifier::new("states"),
            &received,
            &common::known_credentials(),
            common::SIGNED_AT,
        );
        if result.is_ok() && replace {
            // Only a value that canonicalizes to the same text may still verify.
            let index = index % original.headers.len();
            let trim = |text: &str| text.split_ascii_whitespace().filter(|word| !word.is_empty()).collect::<Vec<_>>().join(" ");
            prop_assert_eq!(trim(&received.headers[index].1), trim(&original.headers[index].1));
        }
    }
}
