//! `TestState` (aws-semantics.md §6.11): one state run on its own through
//! `engine::test_state`, answered as AWS answers it — `output` and each `inspectionData`
//! document as JSON text, `inspectionData` only at the `DEBUG` and `TRACE` levels.
//!
//! Not served yet, with a clear error: tasks without a mock (Switchback runs no integration in
//! a test), `revealSecrets` (there is no HTTP task to reveal), `stateConfiguration` other than
//! `retrierRetryCount`.

use engine::test_state::{Mock, TestStateError, TestStateRequest, test_state};
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
    if input.reveal_secrets == Some(true) {
        return Err(Error::Validation(
            "revealSecrets is not supported by Switchback yet: there is no HTTP task to reveal"
                .to_owned(),
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
        None => None,
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
    let request = TestStateRequest {
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
    let mut entropy = asl::SeededEntropy::new(runtime::now_ms() as u64);
    let outcome = test_state(&request, &mut entropy).map_err(|error| match error {
        TestStateError::InvalidDefinition(message) => Error::InvalidDefinition(message),
        TestStateError::Validation(message) => Error::Validation(message),
    })?;
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
        answer.insert("inspectionData".to_owned(), inspection(&outcome.inspection));
    }
    Ok(Value::Object(answer))
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
