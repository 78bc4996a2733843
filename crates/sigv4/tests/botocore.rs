//! Requests signed by botocore's `SigV4Auth` and `SigV4QueryAuth` (boto3's signer), recorded in
//! `fixtures/botocore_signed.json` by `fixtures/make_botocore_fixture.py`, verify; so no Python
//! is needed to run this test.

use serde_json::Value;
use sigv4::{Body, Credentials, Request, Verifier};

const FIXTURE: &str = include_str!("fixtures/botocore_signed.json");

struct Case {
    name: String,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    session_token: Option<String>,
}

fn load() -> (Value, Vec<Case>) {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("fixture is JSON");
    let text = |value: &Value| value.as_str().expect("a string").to_owned();
    let cases = fixture["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| Case {
            name: text(&case["name"]),
            method: text(&case["method"]),
            path: text(&case["path"]),
            query: text(&case["query"]),
            headers: case["headers"]
                .as_array()
                .expect("headers")
                .iter()
                .map(|pair| (text(&pair[0]), text(&pair[1])))
                .collect(),
            body: text(&case["body"]).into_bytes(),
            session_token: case["session_token"].as_str().map(str::to_owned),
        })
        .collect();
    (fixture, cases)
}

fn verify(
    case: &Case,
    credentials: &Credentials,
    now: i64,
) -> Result<sigv4::Verified, sigv4::Error> {
    let headers: Vec<(&str, &str)> = case
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let request = Request {
        method: &case.method,
        path: &case.path,
        query: &case.query,
        headers: &headers,
        body: Body::Bytes(&case.body),
    };
    Verifier::new("states").verify(&request, credentials, now)
}

#[test]
fn botocore_signed_requests_verify() {
    let (fixture, cases) = load();
    let now = fixture["signed_at_epoch"]
        .as_i64()
        .expect("signed_at_epoch");
    let access_key_id = fixture["access_key_id"].as_str().expect("access_key_id");
    let secret = fixture["secret_access_key"]
        .as_str()
        .expect("secret_access_key");
    assert_eq!(cases.len(), 5);
    for case in &cases {
        let mut credentials = Credentials::new(access_key_id, secret);
        if let Some(token) = &case.session_token {
            credentials = credentials.with_session_token(token.clone());
        }
        let verified = verify(case, &credentials, now + 60)
            .unwrap_or_else(|error| panic!("{}: {error}", case.name));
        assert_eq!(verified.access_key_id, access_key_id);
        assert_eq!(verified.region, "us-east-1");
        assert_eq!(verified.service, "states");
        assert_eq!(verified.signed_at, now);

        let wrong = Credentials {
            secret_access_key: "wrong".into(),
            ..credentials.clone()
        };
        let error = verify(case, &wrong, now).expect_err(&case.name);
        assert_eq!(
            error.aws_type(),
            "InvalidSignatureException",
            "{}",
            case.name
        );
    }
}

#[test]
fn botocore_tampered_body_is_rejected() {
    let (fixture, mut cases) = load();
    let now = fixture["signed_at_epoch"]
        .as_i64()
        .expect("signed_at_epoch");
    let credentials = Credentials::new(
        fixture["access_key_id"].as_str().expect("access_key_id"),
        fixture["secret_access_key"]
            .as_str()
            .expect("secret_access_key"),
    );
    let case = &mut cases[0];
    case.body = br#"{"maxResults": 11}"#.to_vec();
    assert!(verify(case, &credentials, now).is_err());
}
