//! Lambda functions, invoked on endpoints that speak Lambda's Invoke API
//! (`POST /2015-03-31/functions/{name}/invocations`): a local Lambda runtime emulator, or any
//! server that answers as one.
//!
//! Two resource forms, as in AWS:
//! - a function ARN (`arn:aws:lambda:…:function:NAME[:QUALIFIER]`): the effective input is the
//!   payload and the function's answer is the result;
//! - `arn:aws:states:::lambda:invoke` (and `.waitForTaskToken`): the parameters are
//!   `FunctionName`, `Payload`, `InvocationType`, `Qualifier`, `ClientContext`, `LogType`, and the
//!   result wraps the answer (`Payload`, `StatusCode`, `ExecutedVersion`, `SdkHttpMetadata`,
//!   `SdkResponseMetadata`, and `LogResult` when the log was asked for).
//!
//! A function error (the `X-Amz-Function-Error` header) fails the task with the function's
//! `errorType` (`Lambda.Unknown` when it gives none) and its error document as the cause. The
//! endpoint's own refusals become Lambda's service errors: 404 `Lambda.ResourceNotFoundException`,
//! 429 `Lambda.TooManyRequestsException`, other 4xx `Lambda.AWSLambdaException`, 5xx
//! `Lambda.ServiceException`; an endpoint that cannot be reached `Lambda.SdkClientException`.

use std::time::Duration;

use runtime::invoke::{Invocation, Outcome};
use serde_json::{Map, Value, json};

use crate::Functions;

/// Lambda's own limit on a function's run, plus a margin: the task's TimeoutSeconds, enforced
/// by the engine, is what normally ends a long call.
const TIMEOUT: Duration = Duration::from_secs(15 * 60 + 10);

/// Which form a Lambda task takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A function ARN as the resource.
    Function,
    /// `arn:aws:states:::lambda:invoke`.
    Invoke,
    /// `arn:aws:states:::lambda:invoke.waitForTaskToken`.
    InvokeCallback,
}

/// The form of a Lambda resource, if it is one.
pub fn kind(resource: &str) -> Option<Kind> {
    let parts: Vec<&str> = resource.splitn(7, ':').collect();
    match parts.as_slice() {
        [_, _, "lambda", _, _, "function", _] => Some(Kind::Function),
        [_, _, "states", "", "", "lambda", "invoke"] => Some(Kind::Invoke),
        [_, _, "states", "", "", "lambda", "invoke.waitForTaskToken"] => Some(Kind::InvokeCallback),
        _ => None,
    }
}

/// The Invoke API's URL of a function on an endpoint.
pub fn invoke_url(endpoint: &str, name: &str) -> String {
    format!(
        "{}/2015-03-31/functions/{name}/invocations",
        endpoint.trim_end_matches('/')
    )
}

/// A function name as Lambda takes it (a name, a partial or a full ARN, each with an optional
/// `:qualifier`): the name and the qualifier.
fn split_function(function: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = function.split(':').collect();
    match parts.as_slice() {
        // arn:aws:lambda:region:account:function:name[:qualifier]
        ["arn", _, "lambda", _, _, "function", name, rest @ ..] => {
            ((*name).to_owned(), rest.first().map(|q| (*q).to_owned()))
        }
        // account:function:name[:qualifier]
        [_, "function", name, rest @ ..] => {
            ((*name).to_owned(), rest.first().map(|q| (*q).to_owned()))
        }
        [name, qualifier] => ((*name).to_owned(), Some((*qualifier).to_owned())),
        _ => (function.to_owned(), None),
    }
}

fn failure(error: &str, cause: impl Into<String>) -> Outcome {
    Outcome::Failed {
        error: error.to_owned(),
        cause: cause.into(),
    }
}

/// The service error of an endpoint's refusal, worded as AWS's SDK words it.
fn service_error(status: u16, body: &str, function: &str) -> Outcome {
    let (error, code) = match status {
        404 => (
            "Lambda.ResourceNotFoundException",
            "ResourceNotFoundException",
        ),
        429 => (
            "Lambda.TooManyRequestsException",
            "TooManyRequestsException",
        ),
        500..=599 => ("Lambda.ServiceException", "ServiceException"),
        _ => ("Lambda.AWSLambdaException", "AWSLambdaException"),
    };
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|value| {
            ["message", "Message", "errorMessage"]
                .iter()
                .find_map(|key| value.get(*key)?.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| {
            if status == 404 {
                format!("Function not found: {function}")
            } else {
                body.trim().to_owned()
            }
        });
    failure(
        error,
        format!("{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code})"),
    )
}

struct Call {
    name: String,
    qualifier: Option<String>,
    payload: String,
    invocation_type: String,
    log_type: Option<String>,
    client_context: Option<String>,
}

fn call_of(kind: Kind, invocation: &Invocation) -> Result<Call, String> {
    if kind == Kind::Function {
        let function = invocation
            .resource
            .splitn(7, ':')
            .nth(6)
            .unwrap_or_default();
        let (name, qualifier) = split_function(function);
        return Ok(Call {
            name,
            qualifier,
            payload: invocation.input.to_string(),
            invocation_type: "RequestResponse".to_owned(),
            log_type: None,
            client_context: None,
        });
    }
    let Some(object) = invocation.input.as_object() else {
        return Err(format!(
            "The parameters of lambda:invoke must be an object, not {}",
            invocation.input
        ));
    };
    let function = object
        .get("FunctionName")
        .and_then(Value::as_str)
        .ok_or("The field 'FunctionName' is required by lambda:invoke and must be a string")?;
    let (name, mut qualifier) = split_function(function);
    if let Some(given) = object.get("Qualifier").and_then(Value::as_str) {
        qualifier = Some(given.to_owned());
    }
    let payload = match object.get("Payload") {
        None | Some(Value::Null) => "{}".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    let text = |field: &str| object.get(field).and_then(Value::as_str).map(str::to_owned);
    let invocation_type = text("InvocationType").unwrap_or_else(|| "RequestResponse".to_owned());
    if !["RequestResponse", "Event", "DryRun"].contains(&invocation_type.as_str()) {
        return Err(format!(
            "The InvocationType '{invocation_type}' is not one of RequestResponse, Event, DryRun"
        ));
    }
    Ok(Call {
        name,
        qualifier,
        payload,
        invocation_type,
        log_type: text("LogType"),
        client_context: text("ClientContext"),
    })
}

/// Invokes a function for a task.
pub async fn invoke(
    client: &reqwest::Client,
    functions: &Functions,
    kind: Kind,
    invocation: &Invocation,
) -> Outcome {
    let call = match call_of(kind, invocation) {
        Ok(call) => call,
        Err(cause) => return failure("States.Runtime", cause),
    };
    let Some(url) = functions.url(&call.name) else {
        return failure(
            "Lambda.ResourceNotFoundException",
            format!(
                "Function not found: {} (Switchback has no endpoint for it: start the server with --lambda-endpoint URL, or map the function in --lambda-functions FILE)",
                call.name
            ),
        );
    };
    let mut target = match reqwest::Url::parse(&url) {
        Ok(target) => target,
        Err(error) => {
            return failure(
                "Lambda.SdkClientException",
                format!(
                    "The endpoint '{url}' of the function {} is not a URL: {error}",
                    call.name
                ),
            );
        }
    };
    if let Some(qualifier) = &call.qualifier {
        target.query_pairs_mut().append_pair("Qualifier", qualifier);
    }
    let mut request = client
        .post(target)
        .timeout(TIMEOUT)
        .header("X-Amz-Invocation-Type", &call.invocation_type)
        .header("Content-Type", "application/json")
        .body(call.payload.clone());
    if let Some(log_type) = &call.log_type {
        request = request.header("X-Amz-Log-Type", log_type);
    }
    if let Some(context) = &call.client_context {
        request = request.header("X-Amz-Client-Context", context);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) if error.is_timeout() => {
            return failure(
                "Lambda.ClientExecutionTimeoutException",
                format!("The function {} did not answer in time: {error}", call.name),
            );
        }
        Err(error) => {
            return failure(
                "Lambda.SdkClientException",
                format!("Unable to execute HTTP request to {url}: {error}"),
            );
        }
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let body = match response.text().await {
        Ok(body) => body,
        Err(error) => {
            return failure(
                "Lambda.SdkClientException",
                format!("The answer of {url} was cut short: {error}"),
            );
        }
    };
    if !(200..300).contains(&status) {
        return service_error(status, &body, &call.name);
    }
    if let Some(kind_of_error) = header("x-amz-function-error") {
        let document: Option<Value> = serde_json::from_str(&body).ok();
        let error = document
            .as_ref()
            .and_then(|value| value.get("errorType")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| {
                // A crash, an out-of-memory or a timeout of the function itself.
                let _ = kind_of_error;
                "Lambda.Unknown".to_owned()
            });
        let cause = match (kind, &document) {
            // The optimized integration re-serializes the error document compactly.
            (Kind::Invoke | Kind::InvokeCallback, Some(value)) => value.to_string(),
            _ => body,
        };
        return failure(&error, cause);
    }
    let payload = if body.is_empty() {
        Value::String(String::new())
    } else {
        serde_json::from_str(&body).unwrap_or(Value::String(body))
    };
    if kind == Kind::Function {
        return Outcome::Succeeded(payload);
    }
    let mut all = Map::new();
    let mut single = Map::new();
    for (name, value) in &headers {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        single.insert(name.as_str().to_owned(), json!(text));
        match all.get_mut(name.as_str()) {
            Some(Value::Array(values)) => values.push(json!(text)),
            _ => {
                all.insert(name.as_str().to_owned(), json!([text]));
            }
        }
    }
    let mut output = Map::new();
    output.insert(
        "ExecutedVersion".to_owned(),
        json!(header("x-amz-executed-version").unwrap_or_else(|| "$LATEST".to_owned())),
    );
    if let Some(log) = header("x-amz-log-result") {
        output.insert("LogResult".to_owned(), json!(log));
    }
    output.insert("Payload".to_owned(), payload);
    output.insert(
        "SdkHttpMetadata".to_owned(),
        json!({"AllHttpHeaders": all, "HttpHeaders": single, "HttpStatusCode": status}),
    );
    output.insert(
        "SdkResponseMetadata".to_owned(),
        json!({"RequestId": header("x-amzn-requestid").unwrap_or_default()}),
    );
    output.insert("StatusCode".to_owned(), json!(status));
    let output = Value::Object(output);
    if kind == Kind::InvokeCallback {
        Outcome::Submitted(output)
    } else {
        Outcome::Succeeded(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_forms() {
        assert_eq!(
            kind("arn:aws:lambda:us-east-1:123456789012:function:f"),
            Some(Kind::Function)
        );
        assert_eq!(
            kind("arn:aws:lambda:us-east-1:123456789012:function:f:live"),
            Some(Kind::Function)
        );
        assert_eq!(kind("arn:aws:states:::lambda:invoke"), Some(Kind::Invoke));
        assert_eq!(
            kind("arn:aws:states:::lambda:invoke.waitForTaskToken"),
            Some(Kind::InvokeCallback)
        );
        assert_eq!(kind("arn:aws:states:::lambda:invoke.sync"), None);
        assert_eq!(kind("arn:aws:states:::http:invoke"), None);
    }

    #[test]
    fn function_names_and_qualifiers() {
        assert_eq!(split_function("f"), ("f".to_owned(), None));
        assert_eq!(
            split_function("f:7"),
            ("f".to_owned(), Some("7".to_owned()))
        );
        assert_eq!(
            split_function("arn:aws:lambda:us-east-1:1:function:f:$LATEST"),
            ("f".to_owned(), Some("$LATEST".to_owned()))
        );
        assert_eq!(
            split_function("123456789012:function:f"),
            ("f".to_owned(), None)
        );
        assert_eq!(
            invoke_url("http://127.0.0.1:9001/", "f"),
            "http://127.0.0.1:9001/2015-03-31/functions/f/invocations"
        );
    }
}
