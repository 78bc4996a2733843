//! Fuzz target: the AWS JSON 1.0 request decoder of the API (`api::model`, `api::arn`,
//! `api::versions`, `api::wire`).
//!
//! The bytes are `operation NUL body`; an operation the model does not know is replaced by one of
//! the served operations (`api::OPERATIONS`), picked by the first byte. The body is read the way
//! the server reads it (whitespace only is `{}`, anything else must be a JSON object: the
//! server's `parse_body` is private, so its two rules are repeated here), then checked against
//! the model (`model().validate`). Then:
//! - a refusal is a `ValidationException` whose message starts `1 validation error detected: ` or
//!   `N validation errors detected: ` (N ≥ 2), or a `SerializationException`; its `body()` is
//!   `{"__type", "message"}`;
//! - the verdict is the same with a member the model does not know added (AWS ignores those);
//! - a body the model accepts for a version or alias operation reads into that operation's typed
//!   input (the model has checked the types);
//! - every string member, read as an ARN (`arn::parse`, `versions::qualified`,
//!   `arn::check_role`), a name (`arn::check_name`) or a paging token (`wire::decode_token`),
//!   never panics; a qualified ARN's unqualified part is an unqualified ARN; a token round-trips
//!   through `wire::encode_token`.
#![no_main]

use api::model::model;
use api::versions::{self, Qualifier};
use api::{Error, OPERATIONS, arn, wire};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

const MAX_INPUT: usize = 64 * 1024;

fn check_refusal(error: &Error) {
    match error {
        Error::Validation(message) => {
            let (count, rest) = message
                .split_once(' ')
                .unwrap_or_else(|| panic!("{message}"));
            let count: usize = count.parse().unwrap_or_else(|_| panic!("{message}"));
            if count == 1 {
                assert!(rest.starts_with("validation error detected: "), "{message}");
            } else {
                assert!(count >= 2, "{message}");
                assert!(rest.starts_with("validation errors detected: "), "{message}");
            }
        }
        Error::Serialization(_) => {}
        other => panic!("validation answered {other:?}"),
    }
    let body = error.body();
    assert_eq!(body["__type"], json!(error.code()));
    assert!(body["message"].is_string());
}

fn typed_input_reads(operation: &str, body: &Value) -> Option<bool> {
    fn reads<T: serde::de::DeserializeOwned>(body: &Value) -> bool {
        serde_json::from_value::<T>(body.clone()).is_ok()
    }
    Some(match operation {
        "PublishStateMachineVersion" => reads::<versions::PublishInput>(body),
        "ListStateMachineVersions" | "ListStateMachineAliases" => {
            reads::<versions::ListInput>(body)
        }
        "DeleteStateMachineVersion" => reads::<versions::DeleteVersionInput>(body),
        "CreateStateMachineAlias" => reads::<versions::CreateAliasInput>(body),
        "UpdateStateMachineAlias" => reads::<versions::UpdateAliasInput>(body),
        "DescribeStateMachineAlias" | "DeleteStateMachineAlias" => {
            reads::<versions::AliasArnInput>(body)
        }
        _ => return None,
    })
}

fn check_strings(body: &Map<String, Value>) {
    for value in body.values() {
        let Some(text) = value.as_str() else {
            continue;
        };
        if let Ok(parsed) = arn::parse(text) {
            assert!(text.starts_with("arn:"));
            assert!(!parsed.parts.is_empty());
        }
        if let Ok(qualified) = versions::qualified(text) {
            let again = versions::qualified(&qualified.machine_arn)
                .unwrap_or_else(|error| panic!("{text}: {error:?}"));
            assert_eq!(again.qualifier, Qualifier::None, "{text}");
            assert_eq!(again.machine_arn, qualified.machine_arn);
        }
        let _ = arn::check_role(text);
        let _ = arn::check_name(text);
        if let Ok(token) = wire::decode_token(text) {
            assert_eq!(wire::decode_token(&wire::encode_token(&token)).ok(), Some(token));
        }
        assert_eq!(
            wire::decode_token(&wire::encode_token(text)).ok().as_deref(),
            Some(text)
        );
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let (operation, bytes) = match data.iter().position(|byte| *byte == 0) {
        Some(split) => (&data[..split], &data[split + 1..]),
        None => (&[][..], data),
    };
    let operation = match std::str::from_utf8(operation) {
        Ok(name) if model().has_operation(name) => name,
        _ => OPERATIONS[usize::from(operation.first().copied().unwrap_or(0)) % OPERATIONS.len()],
    };
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(value) if value.is_object() => value,
            _ => return,
        }
    };

    let verdict = model().validate(operation, &body);
    if let Err(error) = &verdict {
        check_refusal(error);
    }

    let mut extended = body.clone();
    extended.as_object_mut().expect("an object").insert(
        "fuzzMemberTheModelDoesNotKnow".to_owned(),
        json!({"x": [1, null, "y"]}),
    );
    let extended_verdict = model().validate(operation, &extended);
    assert_eq!(
        verdict.as_ref().map_err(Error::message),
        extended_verdict.as_ref().map_err(Error::message),
        "an unknown member changed the verdict"
    );

    if verdict.is_ok()
        && let Some(reads) = typed_input_reads(operation, &body)
    {
        assert!(reads, "{operation}: {body} passed the model but not the typed input");
    }

    check_strings(body.as_object().expect("an object"));
});
