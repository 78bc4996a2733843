//! The test harness: a router over an in-memory store, called with `oneshot` (no socket).

#![allow(dead_code)] // Each test file uses a different part of the harness.

use std::sync::Arc;
use std::time::Duration;

use api::{AppState, router};
use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use runtime::{Config, Runtime};
use serde_json::{Value, json};
use store::mem::MemStore;
use tower::ServiceExt;

/// The role every test machine runs as.
pub const ROLE: &str = "arn:aws:iam::111111111111:role/switchback-sfn";

/// The `pass_result` template of the LocalStack corpus, as Python's `json.dumps` writes it.
pub const PASS_RESULT: &str = r#"{"Comment": "BASE_PASS_RESULT", "StartAt": "State_1", "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": true}}}"#;

/// An answer: status, headers and JSON body (`Null` for an empty body).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `__type` of an error answer.
    pub fn error_type(&self) -> &str {
        self.body["__type"].as_str().unwrap_or("")
    }

    /// The `message` of an error answer.
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }

    /// Asserts a success and returns the body.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        self.body
    }

    /// Asserts an AWS error and returns its message.
    #[track_caller]
    pub fn err(&self, error_type: &str) -> &str {
        assert_eq!(self.error_type(), error_type, "{}", self.body);
        assert_eq!(
            self.headers["x-amzn-errortype"].to_str().unwrap(),
            error_type
        );
        self.message()
    }
}

/// A router over a fresh in-memory store.
pub struct Api {
    pub app: Router,
    pub state: AppState,
}

impl Api {
    pub fn new() -> Api {
        Api::over(Runtime::new(Arc::new(MemStore::new()), Config::default()))
    }

    /// A router over this runtime.
    pub fn over(runtime: Runtime) -> Api {
        let state = AppState::new(runtime);
        Api {
            app: router(state.clone()),
            state,
        }
    }

    /// Sends a raw request.
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Calls an operation with a JSON body.
    pub async fn call(&self, operation: &str, body: Value) -> Answer {
        let request = Request::post("/")
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("AWSStepFunctions.{operation}"))
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }

    /// Creates a state machine and returns its ARN.
    pub async fn create_machine(&self, name: &str, definition: &str, machine_type: &str) -> String {
        let body = self
            .call(
                "CreateStateMachine",
                json!({"name": name, "definition": definition, "roleArn": ROLE, "type": machine_type}),
            )
            .await
            .ok();
        body["stateMachineArn"].as_str().unwrap().to_owned()
    }

    /// Starts an execution and returns its ARN.
    pub async fn start(&self, machine_arn: &str, input: Value) -> String {
        let body = self
            .call(
                "StartExecution",
                json!({"stateMachineArn": machine_arn, "input": input.to_string()}),
            )
            .await
            .ok();
        body["executionArn"].as_str().unwrap().to_owned()
    }

    /// Waits until an execution is no longer RUNNING and returns its description.
    pub async fn wait_end(&self, execution_arn: &str) -> Value {
        for _ in 0..500 {
            let body = self
                .call("DescribeExecution", json!({"executionArn": execution_arn}))
                .await
                .ok();
            if body["status"] != "RUNNING" {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{execution_arn} did not end");
    }

    /// The whole history of an execution.
    pub async fn history(&self, execution_arn: &str) -> Vec<Value> {
        let body = self
            .call(
                "GetExecutionHistory",
                json!({"executionArn": execution_arn}),
            )
            .await
            .ok();
        body["events"].as_array().unwrap().clone()
    }
}

/// The ARN of a state machine of the test account.
pub fn machine_arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}")
}
