//! The wire layer: the AWS JSON 1.0 protocol of the Step Functions API, over the runtime.
//!
//! Every request is `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>` and a JSON body
//! (an empty body reads as `{}`). A request goes through four steps, in this order:
//! 1. the body is read, up to [`MAX_BODY_BYTES`] (AWS's 1 MB request limit);
//! 2. the optional [`AppState::authenticate`] hook sees the request head and body (SigV4 plugs in
//!    there);
//! 3. the body is checked against AWS's model of the operation's input ([`model`]), which gives
//!    Coral-style `ValidationException` messages without any code per operation;
//! 4. the operation runs (`state_machines`, `executions`, `activities`, `tags`) and answers JSON.
//!
//! Only this crate knows the wire format: member names, timestamps as fractional epoch seconds,
//! and the error shape, which [`Error`] produces in one `IntoResponse`. Operations of the model
//! that are not built yet (redrive, map runs) answer
//! `UnknownOperationException` with a message that says so.

mod activities;
pub mod arn;
mod auth;
pub mod cloudwatch;
mod console;
pub mod deployments;
mod error;
mod executions;
pub mod limits;
mod logging;
mod map_runs;
pub mod model;
mod nested;
pub mod server;
pub mod stacks;
mod state_machines;
mod tags;
mod test_state;
pub mod versions;
pub mod wire;

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tower_http::trace::TraceLayer;

pub use crate::auth::{DEFAULT_MAX_CLOCK_SKEW_SECONDS, SigningRules, sigv4_authenticator};
pub use crate::error::Error;

/// The error type under the name other crates know it by.
pub type ApiError = Error;

/// The content type of every request and response body.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The `X-Amz-Target` prefix of Step Functions.
pub const TARGET_PREFIX: &str = "AWSStepFunctions.";

/// The largest request body accepted: AWS's 1 MB request limit.
pub const MAX_BODY_BYTES: usize = 1_048_576;

/// A check of each request before it runs (SigV4 verification), given the request head and
/// its body. An `Err` is the response.
pub type Authenticate =
    Arc<dyn Fn(&http::request::Parts, &[u8]) -> Result<(), Error> + Send + Sync>;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The runtime, and through it the store and the settings.
    pub runtime: runtime::Runtime,
    /// Called before dispatch when set; `None` lets every request through.
    pub authenticate: Option<Authenticate>,
    /// What requests may hold at once (shared by the clones of one server's state).
    pub limits: Arc<limits::Limits>,
}

impl AppState {
    /// A state with no request verifier.
    pub fn new(runtime: runtime::Runtime) -> AppState {
        AppState {
            runtime,
            authenticate: None,
            limits: Arc::new(limits::Limits::default()),
        }
    }

    /// The same state with other limits (small ones, in tests).
    pub fn with_limits(mut self, limits: limits::Limits) -> AppState {
        self.limits = Arc::new(limits);
        self
    }
}

/// The router: `POST /` for the API, `GET /health` for probes, `GET /metrics` for Prometheus
/// and `GET /console/` for the web console.
pub fn router(state: AppState) -> Router {
    // `states:startExecution` tasks start their children with StartExecution's rules.
    state
        .runtime
        .set_starter(std::sync::Arc::new(nested::ApiStarter::new(&state.runtime)));
    Router::new()
        .route("/", post(handle).fallback(not_found))
        .route("/health", get(health))
        .route("/metrics", get(prometheus))
        .route("/console", get(console::redirect))
        .route("/console/", get(console::index))
        .route("/console/{*path}", get(console::asset))
        .fallback(not_found)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Anything but `POST /` (and the probes): AWS's JSON front end answers 404 with an
/// `UnknownOperationException`, as it does to a body of another content type.
async fn not_found(State(state): State<AppState>) -> Response {
    unknown_operation(&state)
}

fn unknown_operation(state: &AppState) -> Response {
    let mut response = (
        StatusCode::NOT_FOUND,
        [(http::header::CONTENT_TYPE, CONTENT_TYPE)],
        r#"{"__type":"UnknownOperationException"}"#,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&state.runtime.new_name()) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// Whether a request's body is in a content type the AWS JSON protocol reads:
/// `application/x-amz-json-1.0` (parameters such as `charset` aside) or `application/json`.
fn is_json_request(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::trim)
        .is_some_and(|media| {
            media.eq_ignore_ascii_case(CONTENT_TYPE)
                || media.eq_ignore_ascii_case("application/json")
        })
}

async fn health() -> &'static str {
    "ok"
}

/// `GET /metrics`: the Prometheus text exposition (format 0.0.4) of the execution counters and
/// histograms, the API's requests, store commit latency and open executions.
/// With credentials configured it needs them too: a SigV4 signature, or (what Prometheus can
/// send) a key pair as HTTP Basic credentials.
async fn prometheus(State(state): State<AppState>, request: Request) -> Response {
    if let Some(authenticate) = &state.authenticate {
        let (parts, _) = request.into_parts();
        if let Err(refused) = authenticate(&parts, b"") {
            return refused.into_response();
        }
    }
    let mut text = state.runtime.observer().prometheus(state.runtime.running());
    if let Some(cluster) = state.runtime.cluster() {
        // Which node this is, among several on one database, and whether it leads.
        let _ = write!(
            text,
            "# HELP switchback_node This node's id in the cluster (its value is 1).\n\
             # TYPE switchback_node gauge\n\
             switchback_node{{node=\"{}\"}} 1\n\
             # HELP switchback_node_leads Whether this node evaluates the alarms.\n\
             # TYPE switchback_node_leads gauge\n\
             switchback_node_leads {}\n",
            cluster.node_id(),
            u8::from(state.runtime.evaluates_alarms())
        );
    }
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The operation a request names, for the request counters: one of ours, or `unknown`.
fn operation_label(headers: &HeaderMap) -> &'static str {
    let target = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if let Some(operation) = target.strip_prefix(TARGET_PREFIX)
        && let Some(known) = OPERATIONS.iter().find(|known| **known == operation)
    {
        return known;
    }
    if let Some(operation) = target.strip_prefix(cloudwatch::TARGET_PREFIX)
        && let Some(known) = cloudwatch::OPERATIONS
            .iter()
            .find(|known| **known == operation)
    {
        return known;
    }
    "unknown"
}

async fn handle(State(state): State<AppState>, request: Request) -> Response {
    if !is_json_request(request.headers()) {
        return unknown_operation(&state);
    }
    let request_id = state.runtime.new_name();
    let (parts, body) = request.into_parts();
    let operation = operation_label(&parts.headers);
    let content_length = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let mut response = match state.limits.admit(operation, content_length) {
        Err(refused @ Error::RequestTooLarge(_)) => {
            limits::Limits::drain_refused(body, content_length).await;
            refused.into_response()
        }
        Err(refused) => refused.into_response(),
        // Held until the response is ready: the slot and the body's share of the budget.
        Ok(_admitted) if is_cloudwatch(&parts.headers) => {
            serve_cloudwatch(&state, &parts, body).await
        }
        Ok(_admitted) => match serve(&state, &parts, body).await {
            Ok(output) => ok(output),
            Err(error) => error.into_response(),
        },
    };
    state
        .runtime
        .observer()
        .request(operation, response.status().as_u16());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

async fn serve(
    state: &AppState,
    parts: &http::request::Parts,
    body: Body,
) -> Result<Answer, Error> {
    // Held until the answer is ready: the body's share of the budget.
    let body = state.limits.read_body(body).await?;
    let bytes = &body.bytes;
    if let Some(authenticate) = &state.authenticate {
        authenticate(parts, bytes)?;
    }
    if let Some(operation) = parts
        .headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .and_then(|target| target.strip_prefix(deployments::TARGET_PREFIX))
    {
        let input = parse_body(bytes)?;
        return deployments::dispatch(state, operation, input)
            .await
            .map(Answer::Json);
    }
    let operation = operation(&parts.headers)?;
    let input = parse_body(bytes)?;
    if !model::model().has_operation(operation) {
        return Err(Error::UnknownOperation(format!(
            "Unknown operation: {TARGET_PREFIX}{operation}"
        )));
    }
    if !OPERATIONS.contains(&operation) {
        return Err(Error::UnknownOperation(format!(
            "The operation {operation} is not supported by Switchback yet"
        )));
    }
    model::model().validate(operation, &input)?;
    if operation == "GetExecutionHistory" {
        return executions::history(state, self::input(input)?)
            .await
            .map(Answer::Text);
    }
    dispatch(state, operation, input).await.map(Answer::Json)
}

/// Whether a request is for CloudWatch (`X-Amz-Target: GraniteServiceVersion20100801.*`).
fn is_cloudwatch(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|target| target.starts_with(cloudwatch::TARGET_PREFIX))
}

async fn serve_cloudwatch(state: &AppState, parts: &http::request::Parts, body: Body) -> Response {
    let body = match state.limits.read_body(body).await {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let bytes = &body.bytes;
    if let Some(authenticate) = &state.authenticate
        && let Err(error) = authenticate(parts, bytes)
    {
        return error.into_response();
    }
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .and_then(|target| target.strip_prefix(cloudwatch::TARGET_PREFIX))
        .unwrap_or_default();
    match cloudwatch::serve(state, operation, bytes).await {
        Ok(output) => ok(Answer::Json(output)),
        Err(error) => error.into_response(),
    }
}

fn operation(headers: &HeaderMap) -> Result<&str, Error> {
    let target = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| Error::UnknownOperation("Missing X-Amz-Target header".to_owned()))?;
    target
        .strip_prefix(TARGET_PREFIX)
        .ok_or_else(|| Error::UnknownOperation(format!("Unknown operation: {target}")))
}

fn parse_body(bytes: &[u8]) -> Result<Value, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|error| Error::Serialization(format!("The body is not JSON: {error}")))?;
    if !value.is_object() {
        return Err(Error::Serialization(
            "The body must be a JSON object".to_owned(),
        ));
    }
    Ok(value)
}

/// What an operation answers: a document, or (GetExecutionHistory) its JSON text written
/// directly from the stored events, which are kept as the text the API returns.
enum Answer {
    Json(Value),
    Text(String),
}

fn ok(output: Answer) -> Response {
    let mut response = match output {
        Answer::Json(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Answer::Text(text) => (StatusCode::OK, text).into_response(),
    };
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE),
    );
    response
}

/// Reads a request's members into a typed input. The model has already checked the JSON types,
/// so this fails only on shapes the model does not describe.
fn input<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, Error> {
    serde_json::from_value(body).map_err(|error| Error::Serialization(error.to_string()))
}

/// The operations served; the model's others are not built yet.
pub const OPERATIONS: &[&str] = &[
    "CreateStateMachine",
    "DescribeStateMachine",
    "UpdateStateMachine",
    "DeleteStateMachine",
    "ListStateMachines",
    "ValidateStateMachineDefinition",
    "DescribeStateMachineForExecution",
    "StartExecution",
    "StartSyncExecution",
    "StopExecution",
    "RedriveExecution",
    "DescribeMapRun",
    "ListMapRuns",
    "UpdateMapRun",
    "DescribeExecution",
    "ListExecutions",
    "GetExecutionHistory",
    "CreateActivity",
    "DescribeActivity",
    "ListActivities",
    "DeleteActivity",
    "GetActivityTask",
    "SendTaskSuccess",
    "SendTaskFailure",
    "SendTaskHeartbeat",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "PublishStateMachineVersion",
    "ListStateMachineVersions",
    "DeleteStateMachineVersion",
    "CreateStateMachineAlias",
    "UpdateStateMachineAlias",
    "DescribeStateMachineAlias",
    "ListStateMachineAliases",
    "DeleteStateMachineAlias",
    "TestState",
];

async fn dispatch(state: &AppState, operation: &str, body: Value) -> Result<Value, Error> {
    match operation {
        "CreateStateMachine" => state_machines::create(state, input(body)?).await,
        "DescribeStateMachine" => state_machines::describe(state, input(body)?).await,
        "UpdateStateMachine" => state_machines::update(state, input(body)?).await,
        "DeleteStateMachine" => state_machines::delete(state, input(body)?).await,
        "ListStateMachines" => state_machines::list(state, input(body)?).await,
        "ValidateStateMachineDefinition" => state_machines::validate(input(body)?),
        "DescribeStateMachineForExecution" => {
            executions::describe_state_machine_for(state, input(body)?).await
        }
        "StartExecution" => executions::start(state, input(body)?).await,
        "StartSyncExecution" => executions::start_sync(state, input(body)?).await,
        "StopExecution" => executions::stop(state, input(body)?).await,
        "RedriveExecution" => executions::redrive(state, input(body)?).await,
        "DescribeMapRun" => map_runs::describe(state, input(body)?).await,
        "ListMapRuns" => map_runs::list(state, input(body)?).await,
        "UpdateMapRun" => map_runs::update(state, input(body)?).await,
        "DescribeExecution" => executions::describe(state, input(body)?).await,
        "ListExecutions" => executions::list(state, input(body)?).await,
        // GetExecutionHistory is answered as text, by `serve`.
        "CreateActivity" => activities::create(state, input(body)?).await,
        "DescribeActivity" => activities::describe(state, input(body)?).await,
        "ListActivities" => activities::list(state, input(body)?).await,
        "DeleteActivity" => activities::delete(state, input(body)?).await,
        "GetActivityTask" => activities::get_task(state, input(body)?).await,
        "SendTaskSuccess" => activities::send_success(state, input(body)?).await,
        "SendTaskFailure" => activities::send_failure(state, input(body)?).await,
        "SendTaskHeartbeat" => activities::send_heartbeat(state, input(body)?).await,
        "TagResource" => tags::tag(state, input(body)?).await,
        "UntagResource" => tags::untag(state, input(body)?).await,
        "ListTagsForResource" => tags::list(state, input(body)?).await,
        "PublishStateMachineVersion" => versions::publish(state, input(body)?).await,
        "ListStateMachineVersions" => versions::list_versions(state, input(body)?).await,
        "DeleteStateMachineVersion" => versions::delete_version(state, input(body)?).await,
        "CreateStateMachineAlias" => versions::create_alias(state, input(body)?).await,
        "UpdateStateMachineAlias" => versions::update_alias(state, input(body)?).await,
        "DescribeStateMachineAlias" => versions::describe_alias(state, input(body)?).await,
        "ListStateMachineAliases" => versions::list_aliases(state, input(body)?).await,
        "DeleteStateMachineAlias" => versions::delete_alias(state, input(body)?).await,
        "TestState" => test_state::test(state, input(body)?).await,
        other => Err(Error::UnknownOperation(format!(
            "The operation {other} is not supported by Switchback yet"
        ))),
    }
}

/// The ARN prefix of this service's resources: `arn:aws:states:<region>:<account>:`.
fn arn_prefix(state: &AppState) -> String {
    let config = state.runtime.config();
    format!("arn:aws:states:{}:{}:", config.region, config.account_id)
}
