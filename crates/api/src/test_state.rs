//! `TestState` (aws-semantics.md §6.11): one state run on its own through
//! `engine::test_state`, answered as AWS answers it — `output` and each `inspectionData`
//! document as JSON text, `inspectionData` only at the `DEBUG` and `TRACE` levels.
//!
//! A Task state without a mock calls its integration for real, as AWS's TestState does, when
//! Switchback runs it (the HTTP Task, Lambda, `states:startExecution`): the engine stops at the call
//! (`Mock::Capture`), the call is made, and the state is tested again with the answer. At
//! `TRACE`, an HTTP Task's `inspectionData` has the `request` and `response`; the connection's
//! credentials show only with `revealSecrets`.
//!
//! Not served yet, with a clear error: other tasks without a mock, and `stateConfiguration`
//! other than `retrierRetryCount`.

use std::time::Duration;

use engine::test_state::{Mock, TaskCall, TestStateError, TestStateRequest, test_state};
use runtime::invoke::{Invocation, Outcome};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::Error;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MockErrorInput {
    error: Option<String>,
    cause: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MockInput {
    result: Option<String>,
    error_output: Option<MockErrorInput>,
    field_validation_mode: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationInput {
    retrier_retry_count: Option<u64>,
    error_caused_by_state: Option<String>,
    map_iteration_failure_count: Option<u64>,
    map_item_reader_data: Option<String>,
}

/// `TestState`'s members.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestStateInput {
    definition: String,
    role_arn: Option<String>,
    input: Option<String>,
    inspection_level: Option<String>,
    reveal_secrets: Option<bool>,
    variables: Option<String>,
    state_name: Option<String>,
    mock: Option<MockInput>,
    context: Option<String>,
    state_configuration: Option<ConfigurationInput>,
}

fn json_member(text: Option<&str>, member: &str, default: Value) -> Result<Value, Error> {
    match text {
        None => Ok(default),
        Some(text) => serde_json::from_str(text)
            .map_err(|error| Error::InvalidExecutionInput(format!("Invalid {member}: {error}"))),
    }
}

/// `TestState`.
pub async fn test(state: &AppState, input: TestStateInput) -> Result<Value, Error> {
    let reveal_secrets = input.reveal_secrets == Some(true);
    if reveal_secrets && input.inspection_level.as_deref() != Some("TRACE") {
        return Err(Error::Validation(
            "revealSecrets can only be true when inspectionLevel is TRACE".to_owned(),
        ));
    }
    if let Some(configuration) = &input.state_configuration
        && (configuration.error_caused_by_state.is_some()
            || configuration.map_iteration_failure_count.is_some()
            || configuration.map_item_reader_data.is_some())
    {
        return Err(Error::Validation(
            "stateConfiguration supports only retrierRetryCount in Switchback yet".to_owned(),
        ));
    }
    let definition: Value = serde_json::from_str(&input.definition).map_err(|error| {
        Error::InvalidDefinition(format!("Invalid State Machine Definition: '{error}'"))
    })?;
    if let Some(name) = &input.state_name
        && (name.is_empty() || name.len() > 80)
    {
        return Err(Error::Validation(format!(
            "1 validation error detected: Value '{name}' at 'stateName' failed to satisfy \
             constraint: Member must have length between 1 and 80"
        )));
    }
    let level = input.inspection_level.as_deref().unwrap_or("INFO");
    let state_input = json_member(input.input.as_deref(), "input", json!({}))?;
    let variables = match json_member(input.variables.as_deref(), "variables", json!({}))? {
        Value::Object(variables) => variables,
        _ => {
            return Err(Error::Validation(
                "The variables must be a JSON object".to_owned(),
            ));
        }
    };
    let mock = match &input.mock {
        None => Some(Mock::Capture),
        Some(MockInput {
            field_validation_mode: Some(mode),
            ..
        }) if mode != "STRICT" && mode != "PRESENT" && mode != "NONE" => {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value '{mode}' at 'mock.fieldValidationMode' \
                 failed to satisfy constraint: Member must satisfy enum value set: [STRICT, \
                 PRESENT, NONE]"
            )));
        }
        Some(MockInput {
            result: Some(result),
            error_output: None,
            ..
        }) => Some(Mock::Result(json_member(
            Some(result),
            "mock result",
            Value::Null,
        )?)),
        Some(MockInput {
            result: None,
            error_output: Some(error),
            ..
        }) => Some(Mock::Error {
            error: error.error.clone().unwrap_or_default(),
            cause: error.cause.clone().unwrap_or_default(),
        }),
        Some(_) => {
            return Err(Error::Validation(
                "A mock has either a result or an errorOutput".to_owned(),
            ));
        }
    };
    let config = state.runtime.config();
    let name = state.runtime.new_name();
    let machine_arn = format!(
        "arn:aws:states:{}:{}:stateMachine:{name}",
        config.region, config.account_id
    );
    let now_ms = runtime::now_ms();
    let context = match &input.context {
        Some(text) => json_member(Some(text), "context", Value::Null)?,
        None => json!({
            "Execution": {
                "Id": format!("arn:aws:states:{}:{}:express:{name}:{name}:{name}", config.region, config.account_id),
                "Input": state_input,
                "Name": name,
                "RoleArn": input.role_arn,
                "StartTime": iso(now_ms),
            },
            "StateMachine": {"Id": machine_arn, "Name": name},
            "State": {"Name": "StateName", "EnteredTime": iso(now_ms)},
        }),
    };
    let mut request = TestStateRequest {
        definition: &definition,
        state_name: input.state_name.as_deref(),
        input: state_input,
        variables,
        mock,
        retrier_retry_count: input
            .state_configuration
            .as_ref()
            .and_then(|configuration| configuration.retrier_retry_count)
            .unwrap_or(0),
        context,
        now_ms,
    };
    let seed = runtime::now_ms() as u64;
    let refused = |error: TestStateError| match error {
        TestStateError::InvalidDefinition(message) => Error::InvalidDefinition(message),
        TestStateError::Validation(message) => Error::Validation(message),
        TestStateError::Call(call) => Error::Internal(format!(
            "TestState asked twice for the call of {}",
            call.resource
        )),
    };
    let (outcome, trace) = match test_state(&request, &mut asl::SeededEntropy::new(seed)) {
        Err(TestStateError::Call(call)) => {
            let (mock, trace) = perform(state, &call, reveal_secrets).await?;
            request.mock = Some(mock);
            let outcome =
                test_state(&request, &mut asl::SeededEntropy::new(seed)).map_err(refused)?;
            (outcome, trace)
        }
        other => (other.map_err(refused)?, None),
    };
    let mut answer = Map::new();
    if let Some(output) = &outcome.output {
        answer.insert("output".to_owned(), json!(output.to_string()));
    }
    if let Some(error) = &outcome.error {
        answer.insert("error".to_owned(), json!(error));
    }
    if let Some(cause) = &outcome.cause {
        answer.insert("cause".to_owned(), json!(cause));
    }
    if let Some(next) = &outcome.next_state {
        answer.insert("nextState".to_owned(), json!(next));
    }
    answer.insert("status".to_owned(), json!(outcome.status.as_str()));
    if level != "INFO" {
        let mut data = inspection(&outcome.inspection);
        if level == "TRACE"
            && let (Some(trace), Some(data)) = (trace, data.as_object_mut())
        {
            for key in ["request", "response"] {
                if let Some(part) = trace.get(key) {
                    data.insert(key.to_owned(), part.clone());
                }
            }
        }
        answer.insert("inspectionData".to_owned(), data);
    }
    Ok(Value::Object(answer))
}

/// A `states:startExecution` Task tested for real: the child starts (TestState makes the
/// call, as AWS's does), and its start answer is the result; a refused start is the error.
async fn start_child(state: &AppState, call: &TaskCall) -> Result<Mock, Error> {
    let name = state.runtime.new_name();
    let start = match runtime::nested::child_start(&call.parameters, &name, 0) {
        Ok(start) => start,
        Err(cause) => {
            return Ok(Mock::Error {
                error: "States.Runtime".to_owned(),
                cause,
            });
        }
    };
    let refused = |error: Error| {
        let (error, cause) = runtime::nested::ServiceError {
            code: error.code().to_owned(),
            message: error.message(),
        }
        .failure();
        Mock::Error { error, cause }
    };
    let (request, machine_type) = match crate::executions::resolve_nested(state, start).await {
        Ok(resolved) => resolved,
        Err(error) => return Ok(refused(error)),
    };
    let started = if machine_type == "EXPRESS" {
        state.runtime.start_express_execution(request).await
    } else {
        state.runtime.start_execution(request).await
    };
    match started {
        Ok(started) => Ok(Mock::Result(runtime::nested::start_answer(
            &started.execution_arn,
            started.start_ms,
        ))),
        Err(error) => Ok(refused(error.into())),
    }
}

/// How long a TestState call may take (AWS: 5 minutes).
const TEST_STATE_LIMIT: Duration = Duration::from_secs(5 * 60);

/// Makes a Task state's call through the integration Switchback runs for it; its answer as the
/// mock of the second pass, and the wire trace, if the integration keeps one.
async fn perform(
    state: &AppState,
    call: &TaskCall,
    reveal_secrets: bool,
) -> Result<(Mock, Option<Value>), Error> {
    let resource = &call.resource;
    if resource.ends_with(".waitForTaskToken") || resource.contains(".sync") {
        return Err(Error::Validation(format!(
            "TestState cannot wait for the resource '{resource}': the .sync and \
             .waitForTaskToken patterns need a mock (result or errorOutput)"
        )));
    }
    if runtime::nested::pattern(resource) == Some(runtime::nested::Pattern::RequestResponse) {
        return Ok((start_child(state, call).await?, None));
    }
    let Some(invoker) = state.runtime.invoker_for(resource) else {
        return Err(Error::Validation(format!(
            "Switchback runs no task integration for the resource '{resource}' in TestState: \
             give a mock (result or errorOutput)"
        )));
    };
    let invocation = Invocation {
        resource: resource.clone(),
        state_name: "StateName".to_owned(),
        input: call.parameters.clone(),
        task_token: None,
        timeout_seconds: None,
    };
    let (outcome, trace) = tokio::time::timeout(
        TEST_STATE_LIMIT,
        invoker.invoke_traced(invocation, reveal_secrets),
    )
    .await
    .map_err(|_| {
        Error::Validation(format!(
            "The resource '{resource}' did not answer within TestState's 5 minutes"
        ))
    })?;
    let mock = match outcome {
        Outcome::Succeeded(result) | Outcome::Submitted(result) => Mock::Result(result),
        Outcome::Failed { error, cause } => Mock::Error { error, cause },
    };
    Ok((mock, trace))
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|time| time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// `inspectionData`: each document as JSON text, as AWS sends them.
fn inspection(inspection: &engine::test_state::Inspection) -> Value {
    let mut data = Map::new();
    let mut put = |key: &str, value: &Option<Value>| {
        if let Some(value) = value {
            data.insert(key.to_owned(), json!(value.to_string()));
        }
    };
    put("input", &inspection.input);
    put("afterInputPath", &inspection.after_input_path);
    put("afterParameters", &inspection.after_parameters);
    put("afterArguments", &inspection.after_arguments);
    put("result", &inspection.result);
    put("afterResultSelector", &inspection.after_result_selector);
    put("afterResultPath", &inspection.after_result_path);
    if let Some(variables) = &inspection.variables {
        data.insert(
            "variables".to_owned(),
            json!(Value::Object(variables.clone()).to_string()),
        );
    }
    if let Some(details) = &inspection.error_details {
        let mut object = Map::new();
        if let Some(index) = details.catch_index {
            object.insert("catchIndex".to_owned(), json!(index));
        }
        if let Some(index) = details.retry_index {
            object.insert("retryIndex".to_owned(), json!(index));
        }
        if let Some(seconds) = details.retry_backoff_interval_seconds {
            object.insert("retryBackoffIntervalSeconds".to_owned(), json!(seconds));
        }
        data.insert("errorDetails".to_owned(), Value::Object(object));
    }
    Value::Object(data)
}
