//! The HTTP Task and Lambda against real endpoints started here: an HTTP API and a server that
//! speaks Lambda's Invoke API, both on 127.0.0.1, driven through the runtime as `serve` runs it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use integrations::{Connections, Functions, Integrations};
use runtime::{Config, Runtime, StartRequest};
use serde_json::{Value, json};
use store::Executions;
use store::mem::MemStore;

#[derive(Clone, Default)]
struct Endpoints {
    flaky_calls: Arc<AtomicUsize>,
    /// The task tokens the `callback` function was given.
    tokens: Arc<Mutex<Vec<String>>>,
    /// The runtime, for the functions that report on their own token before they return.
    runtime: Arc<std::sync::OnceLock<Runtime>>,
    /// What those functions heard back from SendTaskSuccess.
    reports: Arc<Mutex<Vec<String>>>,
}

async fn echo(headers: HeaderMap, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    (
        [("x-served-by", "test")],
        axum::Json(json!({
            "query": query,
            "body": String::from_utf8_lossy(&body),
            "contentType": header("content-type"),
            "apiKey": header("x-api-key"),
            "userAgent": header("user-agent"),
        })),
    )
        .into_response()
}

async fn flaky(State(state): State<Endpoints>) -> Response {
    if state.flaky_calls.fetch_add(1, Ordering::SeqCst) < 2 {
        return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
    }
    "fine".into_response()
}

async fn function(
    State(state): State<Endpoints>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match name.as_str() {
        "add" => axum::Json(json!({
            "sum": payload["a"].as_i64().unwrap_or(0) + payload["b"].as_i64().unwrap_or(0),
            "qualifier": query,
            "invocationType": headers["x-amz-invocation-type"].to_str().unwrap(),
        }))
        .into_response(),
        "raise" => (
            [("X-Amz-Function-Error", "Unhandled")],
            r#"{"errorType": "ValueError", "errorMessage": "a is negative", "trace": []}"#,
        )
            .into_response(),
        "crash" => (
            [("X-Amz-Function-Error", "Unhandled")],
            r#"{"errorMessage": "Process exited before completing request"}"#,
        )
            .into_response(),
        "callback" => {
            state
                .tokens
                .lock()
                .unwrap()
                .push(payload["token"].as_str().unwrap_or_default().to_owned());
            axum::Json(json!({"accepted": true})).into_response()
        }
        // A function that calls SendTaskSuccess with its token before its invocation returns
        // (and, for `eager-raise`, then fails).
        "eager" | "eager-raise" => {
            let token = payload["token"].as_str().unwrap_or_default();
            let runtime = state.runtime.get().unwrap().clone();
            let answer = runtime.send_task_success(token, r#"{"early": true}"#).await;
            state.reports.lock().unwrap().push(format!("{answer:?}"));
            // Twice: the token is spent by the first report.
            let again = runtime.send_task_success(token, r#"{"again": true}"#).await;
            state.reports.lock().unwrap().push(format!("{again:?}"));
            if name == "eager-raise" {
                return (
                    [("X-Amz-Function-Error", "Unhandled")],
                    r#"{"errorType": "ValueError", "errorMessage": "after the report"}"#,
                )
                    .into_response();
            }
            axum::Json(json!({"sent": true})).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"Type": "User", "message": format!("Function not found: {name}")})),
        )
            .into_response(),
    }
}

/// Starts the endpoints; their base URL.
async fn serve(state: Endpoints) -> String {
    let app = Router::new()
        .route("/echo", post(echo).get(echo))
        .route("/flaky", get(flaky))
        .route(
            "/missing",
            get(|| async {
                (
                    StatusCode::NOT_FOUND,
                    axum::Json(json!({"error": "no such item"})),
                )
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/picture",
            get(|| async { ([("content-type", "image/png")], vec![0u8, 1, 2]) }),
        )
        .route("/2015-03-31/functions/{name}/invocations", post(function))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

const CONNECTION: &str = "arn:aws:events:us-east-1:123456789012:connection/orders/1";

struct Harness {
    store: Arc<MemStore>,
    runtime: Runtime,
    base: String,
    endpoints: Endpoints,
}

async fn harness() -> Harness {
    let endpoints = Endpoints::default();
    let base = serve(endpoints.clone()).await;
    let store = Arc::new(MemStore::new());
    let runtime = Runtime::new(
        store.clone(),
        Config {
            time_scale: 100.0,
            ..Config::default()
        },
    );
    let connections = Connections::from_value(&json!({"Connections": {CONNECTION: {
        "AuthorizationType": "API_KEY",
        "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"}}
    }}}))
    .unwrap();
    let functions = Functions::on_endpoint(Some(base.clone()));
    runtime.set_invoker(Arc::new(
        Integrations::new("us-east-1", connections, functions)
            .with_http_timeout(Duration::from_millis(300)),
    ));
    let _ = endpoints.runtime.set(runtime.clone());
    Harness {
        store,
        runtime,
        base,
        endpoints,
    }
}

impl Harness {
    async fn start(&self, definition: Value, input: Value) -> String {
        self.runtime
            .start_execution(StartRequest {
                state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m"
                    .to_owned(),
                state_machine_name: "m".to_owned(),
                definition: definition.to_string(),
                role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
                input: input.to_string(),
                ..StartRequest::default()
            })
            .await
            .unwrap()
            .execution_arn
    }

    /// Runs to the end: the record's status, and its output or error and cause.
    async fn run(&self, definition: Value, input: Value) -> (String, Value) {
        let arn = self.start(definition, input).await;
        let end = self.end(&arn).await;
        let detail = match end.output {
            Some(output) => serde_json::from_str(&output).unwrap(),
            None => json!({"error": end.error, "cause": end.cause}),
        };
        (end.status, detail)
    }

    async fn end(&self, arn: &str) -> store::ExecutionEnd {
        for _ in 0..500 {
            if let Some(end) = self.store.get_execution(arn).await.unwrap().end {
                return end;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{arn} did not end");
    }

    /// Runs to a failure: its error, and whether its cause holds `fragment`.
    async fn fails_with(&self, definition: Value, error: &str, fragment: &str) {
        let (status, failure) = self.run(definition, json!({})).await;
        assert_eq!(status, "FAILED", "{failure}");
        assert_eq!(failure["error"], error, "{failure}");
        let cause = failure["cause"].as_str().unwrap();
        assert!(cause.contains(fragment), "{cause}");
    }

    async fn event_types(&self, arn: &str) -> Vec<String> {
        self.store
            .history(arn, false, Default::default())
            .await
            .unwrap()
            .items
            .iter()
            .map(|event| {
                let value: Value = serde_json::from_str(&event.json).unwrap();
                value["type"].as_str().unwrap().to_owned()
            })
            .collect()
    }
}

fn one_task(resource: &str, parameters: Value, extra: Value) -> Value {
    let mut task = json!({"Type": "Task", "Resource": resource, "End": true});
    if !parameters.is_null() {
        task["Parameters"] = parameters;
    }
    if let (Some(task), Some(extra)) = (task.as_object_mut(), extra.as_object()) {
        task.extend(extra.clone());
    }
    json!({"StartAt": "Call", "States": {"Call": task}})
}

const HTTP: &str = "arn:aws:states:::http:invoke";

#[tokio::test]
async fn an_http_task_calls_the_endpoint_and_returns_its_answer() {
    let h = harness().await;
    let (status, output) = h
        .run(
            one_task(
                HTTP,
                json!({
                    "ApiEndpoint.$": "$.url",
                    "Method": "POST",
                    "Authentication": {"ConnectionArn": CONNECTION},
                    "QueryParameters": {"page": 2},
                    "RequestBody": {"order.$": "$.order"},
                }),
                Value::Null,
            ),
            json!({"url": format!("{}/echo", h.base), "order": 17}),
        )
        .await;
    assert_eq!(status, "SUCCEEDED", "{output}");
    assert_eq!(output["StatusCode"], 200);
    assert_eq!(output["StatusText"], "OK");
    assert_eq!(output["Headers"]["x-served-by"], json!(["test"]));
    let body = &output["ResponseBody"];
    assert_eq!(body["query"], "page=2");
    assert_eq!(body["body"], r#"{"order":17}"#);
    assert_eq!(body["contentType"], "application/json");
    assert_eq!(body["apiKey"], "s3cret");
    assert_eq!(
        body["userAgent"],
        "Amazon|StepFunctions|HttpInvoke|us-east-1"
    );
}

#[tokio::test]
async fn error_statuses_timeouts_and_refusals_are_task_errors() {
    let h = harness().await;
    let call = |path: &str| {
        one_task(
            HTTP,
            json!({"ApiEndpoint": format!("{}{path}", h.base), "Method": "GET"}),
            Value::Null,
        )
    };
    let (status, failure) = h.run(call("/missing"), json!({})).await;
    assert_eq!(status, "FAILED");
    assert_eq!(failure["error"], "States.Http.StatusCode.404");
    let cause: Value = serde_json::from_str(failure["cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["ResponseBody"], json!({"error": "no such item"}));
    assert_eq!(cause["StatusText"], "Not Found");

    h.fails_with(call("/slow"), "States.Http.Socket", "timed out")
        .await;
    h.fails_with(call("/picture"), "States.Runtime", "image/png")
        .await;

    let forbidden = one_task(
        HTTP,
        json!({"ApiEndpoint": format!("{}/echo", h.base), "Method": "GET",
               "Headers": {"Authorization": "Bearer x"}}),
        Value::Null,
    );
    h.fails_with(forbidden, "States.Runtime", "Authorization")
        .await;

    // Nothing listens on port 1.
    let unreachable = one_task(
        HTTP,
        json!({"ApiEndpoint": "http://127.0.0.1:1/", "Method": "GET"}),
        Value::Null,
    );
    h.fails_with(unreachable, "States.Http.Socket", "127.0.0.1:1")
        .await;

    // TLS is spoken: a plain-HTTP server does not pass for an HTTPS one.
    let not_tls = one_task(
        HTTP,
        json!({"ApiEndpoint": format!("{}/echo", h.base.replace("http://", "https://")),
               "Method": "GET"}),
        Value::Null,
    );
    h.fails_with(not_tls, "States.Http.Socket", "https://")
        .await;
}

#[tokio::test]
async fn retries_see_the_status_code_error() {
    let h = harness().await;
    let definition = one_task(
        HTTP,
        json!({"ApiEndpoint": format!("{}/flaky", h.base), "Method": "GET"}),
        json!({"Retry": [{"ErrorEquals": ["States.Http.StatusCode.503"],
                          "IntervalSeconds": 1, "MaxAttempts": 3}]}),
    );
    let arn = h.start(definition, json!({})).await;
    let end = h.end(&arn).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let output: Value = serde_json::from_str(end.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["ResponseBody"], "fine");
    assert_eq!(h.endpoints.flaky_calls.load(Ordering::SeqCst), 3);
    let types = h.event_types(&arn).await;
    assert_eq!(types.iter().filter(|t| *t == "TaskFailed").count(), 2);
}

#[tokio::test]
async fn lambda_functions_by_arn_and_through_lambda_invoke() {
    let h = harness().await;
    let function = "arn:aws:lambda:us-east-1:123456789012:function:add";
    let (status, output) = h
        .run(
            one_task(function, Value::Null, Value::Null),
            json!({"a": 2, "b": 3}),
        )
        .await;
    assert_eq!(status, "SUCCEEDED", "{output}");
    assert_eq!(output["sum"], 5);
    assert_eq!(output["invocationType"], "RequestResponse");

    let (status, output) = h
        .run(
            one_task(
                "arn:aws:states:::lambda:invoke",
                json!({"FunctionName": format!("{function}:live"), "Payload.$": "$"}),
                Value::Null,
            ),
            json!({"a": 1, "b": 1}),
        )
        .await;
    assert_eq!(status, "SUCCEEDED", "{output}");
    assert_eq!(output["Payload"]["sum"], 2);
    assert_eq!(output["Payload"]["qualifier"], "Qualifier=live");
    assert_eq!(output["StatusCode"], 200);
    assert_eq!(output["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert!(output["ExecutedVersion"].is_string());

    let arn = h
        .start(one_task(function, Value::Null, Value::Null), json!({}))
        .await;
    h.end(&arn).await;
    let types = h.event_types(&arn).await;
    assert_eq!(
        types[2..5],
        [
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded"
        ]
    );
}

#[tokio::test]
async fn function_errors_and_missing_functions_get_lambdas_error_names() {
    let h = harness().await;
    let arn_of = |name: &str| format!("arn:aws:lambda:us-east-1:123456789012:function:{name}");
    let (status, failure) = h
        .run(
            one_task(&arn_of("raise"), Value::Null, Value::Null),
            json!({}),
        )
        .await;
    assert_eq!(status, "FAILED");
    assert_eq!(failure["error"], "ValueError");
    let cause: Value = serde_json::from_str(failure["cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["errorMessage"], "a is negative");

    let (_, failure) = h
        .run(
            one_task(
                "arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "crash"}),
                Value::Null,
            ),
            json!({}),
        )
        .await;
    assert_eq!(failure["error"], "Lambda.Unknown");

    h.fails_with(
        one_task(&arn_of("nope"), Value::Null, Value::Null),
        "Lambda.ResourceNotFoundException",
        "Status Code: 404",
    )
    .await;

    // A function error is caught like any other.
    let mut caught = one_task(
        &arn_of("raise"),
        Value::Null,
        json!({"Catch": [{"ErrorEquals": ["ValueError"], "Next": "Handled"}]}),
    );
    caught["States"]["Handled"] = json!({"Type": "Pass", "Result": "handled", "End": true});
    let (status, output) = h.run(caught, json!({})).await;
    assert_eq!((status.as_str(), output), ("SUCCEEDED", json!("handled")));
}

#[tokio::test]
async fn lambda_wait_for_task_token_hands_the_token_and_waits_for_it() {
    let h = harness().await;
    let definition = one_task(
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        json!({"FunctionName": "callback", "Payload": {"token.$": "$$.Task.Token"}}),
        json!({"HeartbeatSeconds": 600}),
    );
    let arn = h.start(definition, json!({})).await;
    let token = loop {
        if let Some(token) = h.endpoints.tokens.lock().unwrap().first().cloned() {
            break token;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    for _ in 0..300 {
        if h.event_types(&arn)
            .await
            .contains(&"TaskSubmitted".to_owned())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.runtime
        .send_task_success(&token, r#"{"approved": true}"#)
        .await
        .unwrap();
    let end = h.end(&arn).await;
    assert_eq!(end.status, "SUCCEEDED");
    assert_eq!(end.output.as_deref(), Some(r#"{"approved":true}"#));
    let types = h.event_types(&arn).await;
    assert_eq!(
        types[3..6],
        ["TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    );

    // Without a heartbeat within HeartbeatSeconds, the task times out (100 times faster here).
    let definition = one_task(
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        json!({"FunctionName": "callback", "Payload": {"token.$": "$$.Task.Token"}}),
        json!({"HeartbeatSeconds": 1}),
    );
    let arn = h.start(definition, json!({})).await;
    let end = h.end(&arn).await;
    // AWS records a missed heartbeat as States.Timeout.
    assert_eq!(end.status, "FAILED");
    assert_eq!(end.error.as_deref(), Some("States.Timeout"));
    assert!(
        h.event_types(&arn)
            .await
            .contains(&"TaskTimedOut".to_owned())
    );
}

#[tokio::test]
async fn a_function_that_reports_before_it_returns_is_submitted_first() {
    let h = harness().await;
    let definition = one_task(
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        json!({"FunctionName": "eager", "Payload": {"token.$": "$$.Task.Token"}}),
        json!({"HeartbeatSeconds": 600}),
    );
    let arn = h.start(definition, json!({})).await;
    let end = h.end(&arn).await;
    assert_eq!(end.status, "SUCCEEDED");
    assert_eq!(end.output.as_deref(), Some(r#"{"early":true}"#));
    // The report was answered while the invocation was still open; the second one was refused.
    assert_eq!(
        *h.endpoints.reports.lock().unwrap(),
        ["Ok(())", "Err(TaskTimedOut)"]
    );
    let types = h.event_types(&arn).await;
    assert_eq!(
        types[2..7],
        [
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited"
        ]
    );

    // The function fails after it reported: the report came first and ends the task.
    h.endpoints.reports.lock().unwrap().clear();
    let definition = one_task(
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        json!({"FunctionName": "eager-raise", "Payload": {"token.$": "$$.Task.Token"}}),
        Value::Null,
    );
    let (status, output) = h.run(definition, json!({})).await;
    assert_eq!(
        (status.as_str(), output),
        ("SUCCEEDED", json!({"early": true}))
    );
    assert_eq!(h.endpoints.reports.lock().unwrap()[0], "Ok(())");
}

#[tokio::test]
async fn without_an_endpoint_a_function_is_not_found_and_says_why() {
    let store = Arc::new(MemStore::new());
    let runtime = Runtime::new(store.clone(), Config::default());
    runtime.set_invoker(Arc::new(Integrations::new(
        "us-east-1",
        Connections::default(),
        Functions::default(),
    )));
    let h = Harness {
        store,
        runtime,
        base: String::new(),
        endpoints: Endpoints::default(),
    };
    h.fails_with(
        one_task(
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            Value::Null,
            Value::Null,
        ),
        "Lambda.ResourceNotFoundException",
        "--lambda-endpoint",
    )
    .await;
}
