//! The wire protocol itself: targets, bodies, error shapes, headers, limits and the
//! `authenticate` hook.

mod common;

use std::sync::Arc;

use api::{AppState, Error, router};
use axum::body::Body;
use common::Api;
use http::{Request, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn health_answers_ok() {
    let api = Api::new();
    let answer = api
        .send(Request::get("/health").body(Body::empty()).unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn an_empty_body_reads_as_an_empty_object() {
    let api = Api::new();
    let request = Request::post("/")
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
        .body(Body::empty())
        .unwrap();
    let answer = api.send(request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "application/x-amz-json-1.0");
    assert!(answer.headers.contains_key("x-amzn-requestid"));
    assert_eq!(answer.body, json!({"stateMachines": []}));
}

#[tokio::test]
async fn errors_have_aws_shape_and_headers() {
    let api = Api::new();
    let answer = api
        .call(
            "DescribeStateMachine",
            json!({"stateMachineArn": "not_a_valid_arn"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.body,
        json!({"__type": "InvalidArn", "message": "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"})
    );
    assert_eq!(answer.headers["x-amzn-errortype"], "InvalidArn");
    assert_eq!(answer.headers["content-type"], "application/x-amz-json-1.0");
    assert!(answer.headers.contains_key("x-amzn-requestid"));
}

#[tokio::test]
async fn unknown_targets_are_unknown_operations() {
    let api = Api::new();
    let answer = api.call("FlyToTheMoon", json!({})).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    answer.err("UnknownOperationException");

    let request = Request::post("/")
        .header("content-type", "application/x-amz-json-1.0")
        .body(Body::from("{}"))
        .unwrap();
    api.send(request).await.err("UnknownOperationException");

    let request = Request::post("/")
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "AmazonSQS.ListQueues")
        .body(Body::from("{}"))
        .unwrap();
    api.send(request).await.err("UnknownOperationException");
}

#[tokio::test]
async fn every_operation_of_the_model_is_served() {
    let api = Api::new();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/spec/stepfunctions-service-2.json"
    );
    let model: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let operations = model["operations"].as_object().unwrap();
    assert!(operations.len() > 30);
    for operation in operations.keys() {
        assert!(api::OPERATIONS.contains(&operation.as_str()), "{operation}");
        let answer = api.call(operation, json!({})).await;
        assert_ne!(
            answer.error_type(),
            "UnknownOperationException",
            "{operation}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn bodies_that_are_not_json_objects_are_refused() {
    let api = Api::new();
    for body in ["{", "[]", "12"] {
        let request = Request::post("/")
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
            .body(Body::from(body))
            .unwrap();
        api.send(request).await.err("SerializationException");
    }
    api.call("ListStateMachines", json!({"maxResults": "ten"}))
        .await
        .err("SerializationException");
}

#[tokio::test]
async fn bodies_over_one_megabyte_are_refused() {
    let api = Api::new();
    let definition = "x".repeat(api::MAX_BODY_BYTES);
    let answer = api
        .call(
            "ValidateStateMachineDefinition",
            json!({"definition": definition}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    answer.err("RequestEntityTooLargeException");
}

#[tokio::test]
async fn the_authenticate_hook_runs_before_dispatch() {
    let runtime = runtime::Runtime::new(
        Arc::new(store::mem::MemStore::new()),
        runtime::Config::default(),
    );
    let mut state = AppState::new(runtime);
    state.authenticate = Some(Arc::new(|parts: &http::request::Parts, body: &[u8]| {
        if parts.headers.contains_key("authorization") {
            assert_eq!(body, b"{}");
            Ok(())
        } else {
            Err(Error::MissingAuthenticationToken(
                "Missing Authentication Token".to_owned(),
            ))
        }
    }));
    let api = Api {
        app: router(state.clone()),
        state,
    };
    let answer = api.call("ListActivities", json!({})).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    answer.err("MissingAuthenticationTokenException");

    let request = Request::post("/")
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "AWSStepFunctions.ListActivities")
        .header("authorization", "AWS4-HMAC-SHA256 ...")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(api.send(request).await.ok(), json!({"activities": []}));
}

#[tokio::test]
async fn validation_messages_follow_coral() {
    let api = Api::new();
    let answer = api
        .call("ListStateMachines", json!({"maxResults": 1001}))
        .await;
    assert_eq!(
        answer.err("ValidationException"),
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"
    );
    let answer = api
        .call("ListStateMachines", json!({"nextToken": "x".repeat(1025)}))
        .await;
    assert_eq!(
        answer.err("ValidationException"),
        format!(
            "1 validation error detected: Value '{}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024",
            "x".repeat(1025)
        )
    );
    let answer = api.call("DescribeExecution", json!({})).await;
    assert_eq!(
        answer.err("ValidationException"),
        "1 validation error detected: Value null at 'executionArn' failed to satisfy constraint: Member must not be null"
    );
    let answer = api
        .call(
            "CreateStateMachine",
            json!({"name": "a".repeat(81), "definition": common::PASS_RESULT, "roleArn": common::ROLE, "type": "FAST"}),
        )
        .await;
    assert_eq!(
        answer.err("ValidationException"),
        format!(
            "2 validation errors detected: Value '{}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80; Value 'FAST' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]",
            "a".repeat(81)
        )
    );
}

#[tokio::test]
async fn invalid_paging_tokens_are_invalid_tokens() {
    let api = Api::new();
    let answer = api
        .call("ListStateMachines", json!({"nextToken": "not-a-token"}))
        .await;
    assert_eq!(answer.err("InvalidToken"), "Invalid Token: 'Invalid token'");
}
