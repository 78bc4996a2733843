//! The HTTP Task: `arn:aws:states:::http:invoke`.
//!
//! The parameters are AWS's: `ApiEndpoint`, `Method`, `Authentication` or `InvocationConfig`
//! (`ConnectionArn`), `Headers`, `QueryParameters`, `RequestBody` and `Transform`
//! (`RequestBodyEncoding` `NONE` or `URL_ENCODED`, `RequestEncodingOptions.ArrayFormat`). A 2xx
//! answer is the task's result — `Headers` (lower-case names, each value a list), `ResponseBody`
//! (parsed when the content type is JSON), `StatusCode`, `StatusText`; any other status fails the
//! task with `States.Http.StatusCode.<code>` and that same object, as JSON text, for the cause.
//! A request that gets no answer within 60 s, or cannot be sent, fails with
//! `States.Http.Socket`. A forbidden header, a bad parameter, or an answer that is not text
//! (`application/octet-stream`, `image/*`, `audio/*`, `video/*`) fails with `States.Runtime`.

use std::time::Duration;

use base64::Engine;
use runtime::invoke::{Invocation, Outcome};
use serde_json::{Map, Value, json};

use crate::Connections;

/// How long a request may take, as AWS allows.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The headers a task may not set (AWS's list; `x-forwarded-*`, `x-amz-*` and `x-amzn-*` too).
const FORBIDDEN_HEADERS: &[&str] = &[
    "a-im",
    "accept-charset",
    "accept-datetime",
    "accept-encoding",
    "authorization",
    "cache-control",
    "connection",
    "content-encoding",
    "content-md5",
    "date",
    "expect",
    "forwarded",
    "from",
    "host",
    "http2-settings",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "origin",
    "pragma",
    "proxy-authorization",
    "referer",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "warning",
];

const FORBIDDEN_PREFIXES: &[&str] = &["x-forwarded-", "x-amz-", "x-amzn-"];

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

/// Whether a resource is the HTTP Task.
pub fn is_http_task(resource: &str) -> bool {
    resource
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(_, rest)| rest == "states:::http:invoke")
}

fn runtime_error(cause: impl Into<String>) -> Outcome {
    Outcome::Failed {
        error: "States.Runtime".to_owned(),
        cause: cause.into(),
    }
}

fn socket_error(cause: impl Into<String>) -> Outcome {
    Outcome::Failed {
        error: "States.Http.Socket".to_owned(),
        cause: cause.into(),
    }
}

/// Checks a connection of the connections file.
pub(crate) fn check_connection(connection: &Value) -> Result<(), String> {
    let kind = connection
        .get("AuthorizationType")
        .and_then(Value::as_str)
        .ok_or("a connection needs an AuthorizationType (API_KEY or BASIC)")?;
    let parameters = connection.get("AuthParameters").unwrap_or(&Value::Null);
    match kind {
        "API_KEY" => {
            let key = &parameters["ApiKeyAuthParameters"];
            if !key["ApiKeyName"].is_string() || !key["ApiKeyValue"].is_string() {
                return Err("API_KEY needs AuthParameters.ApiKeyAuthParameters with ApiKeyName and ApiKeyValue".to_owned());
            }
        }
        "BASIC" => {
            let basic = &parameters["BasicAuthParameters"];
            if !basic["Username"].is_string() || !basic["Password"].is_string() {
                return Err(
                    "BASIC needs AuthParameters.BasicAuthParameters with Username and Password"
                        .to_owned(),
                );
            }
        }
        "OAUTH_CLIENT_CREDENTIALS" => {
            return Err(
                "OAUTH_CLIENT_CREDENTIALS connections are not supported by Switchback yet"
                    .to_owned(),
            );
        }
        other => return Err(format!("unknown AuthorizationType '{other}'")),
    }
    Ok(())
}

/// A connection's `InvocationHttpParameters` list (`HeaderParameters`, ...) as pairs.
fn connection_pairs(connection: &Value, list: &str) -> Vec<(String, Value)> {
    connection["AuthParameters"]["InvocationHttpParameters"][list]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter_map(|entry| {
                    Some((
                        entry.get("Key")?.as_str()?.to_owned(),
                        entry.get("Value").cloned().unwrap_or(Value::Null),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn is_forbidden(header: &str) -> bool {
    let lower = header.to_ascii_lowercase();
    FORBIDDEN_HEADERS.contains(&lower.as_str())
        || FORBIDDEN_PREFIXES
            .iter()
            .any(|prefix| lower.starts_with(prefix))
}

/// A value as the text a header, a query or a form field carries.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// How arrays are written into a URL-encoded form.
#[derive(Clone, Copy)]
enum ArrayFormat {
    Indices,
    Repeat,
    Commas,
    Brackets,
}

/// Writes `value` under `key` into a URL-encoded form, nested keys as `a[b]`.
fn encode_form(
    form: &mut form_urlencoded::Serializer<'_, String>,
    key: &str,
    value: &Value,
    arrays: ArrayFormat,
) {
    match value {
        Value::Object(object) => {
            for (name, inner) in object {
                let nested = if key.is_empty() {
                    name.clone()
                } else {
                    format!("{key}[{name}]")
                };
                encode_form(form, &nested, inner, arrays);
            }
        }
        Value::Array(items) => match arrays {
            ArrayFormat::Commas => {
                let joined: Vec<String> = items.iter().map(as_text).collect();
                form.append_pair(key, &joined.join(","));
            }
            _ => {
                for (index, item) in items.iter().enumerate() {
                    let name = match arrays {
                        ArrayFormat::Indices => format!("{key}[{index}]"),
                        ArrayFormat::Brackets => format!("{key}[]"),
                        _ => key.to_owned(),
                    };
                    encode_form(form, &name, item, arrays);
                }
            }
        },
        other => {
            form.append_pair(key, &as_text(other));
        }
    }
}

/// The request a task's parameters describe.
#[derive(Debug)]
struct Request {
    method: reqwest::Method,
    url: reqwest::Url,
    headers: Vec<(String, String)>,
    body: Option<String>,
    /// The headers that carry the connection's credentials and parameters (hidden from a
    /// TestState trace unless `revealSecrets`).
    secret: Vec<String>,
    /// The query parameters and body fields the connection added (hidden likewise).
    secret_fields: Vec<String>,
}

fn build_request(
    parameters: &Value,
    region: &str,
    connections: &Connections,
) -> Result<Request, String> {
    let Some(object) = parameters.as_object() else {
        return Err(format!(
            "The parameters of an HTTP Task must be an object, not {parameters}"
        ));
    };
    let endpoint = object
        .get("ApiEndpoint")
        .and_then(Value::as_str)
        .ok_or("The field 'ApiEndpoint' is required by an HTTP Task and must be a string")?;
    let method = object
        .get("Method")
        .and_then(Value::as_str)
        .ok_or("The field 'Method' is required by an HTTP Task and must be a string")?;
    if !METHODS.contains(&method) {
        return Err(format!(
            "The Method '{method}' is not one of {}",
            METHODS.join(", ")
        ));
    }
    let mut url = reqwest::Url::parse(endpoint)
        .map_err(|error| format!("The ApiEndpoint '{endpoint}' is not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "The ApiEndpoint's scheme '{}' is not http or https",
            url.scheme()
        ));
    }
    let connection_arn = ["InvocationConfig", "Authentication"]
        .iter()
        .find_map(|field| object.get(*field)?.get("ConnectionArn")?.as_str());
    let connection = match connection_arn {
        Some(arn) => match connections.by_arn.get(arn) {
            Some(connection) => Some(connection),
            None if connections.configured => {
                return Err(format!(
                    "The connection '{arn}' is not in the connections file (--connections)"
                ));
            }
            None => None,
        },
        None => None,
    };

    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(given) = object.get("Headers") {
        let Some(given) = given.as_object() else {
            return Err("The field 'Headers' must be an object".to_owned());
        };
        for (name, value) in given {
            if is_forbidden(name) {
                return Err(format!(
                    "The header '{name}' is not allowed in an HTTP Task"
                ));
            }
            headers.push((name.clone(), as_text(value)));
        }
    }
    let mut query: Vec<(String, Value)> = match object.get("QueryParameters") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(pairs)) => pairs.clone().into_iter().collect(),
        Some(_) => return Err("The field 'QueryParameters' must be an object".to_owned()),
    };
    let mut body = object.get("RequestBody").cloned();
    let mut secret = Vec::new();
    let mut secret_fields = Vec::new();
    if let Some(connection) = connection {
        // The connection's values win over the task's.
        for (name, value) in connection_pairs(connection, "HeaderParameters") {
            headers.retain(|(given, _)| !given.eq_ignore_ascii_case(&name));
            secret.push(name.clone());
            headers.push((name, as_text(&value)));
        }
        for (name, value) in connection_pairs(connection, "QueryStringParameters") {
            query.retain(|(given, _)| *given != name);
            secret_fields.push(name.clone());
            query.push((name, value));
        }
        let extra = connection_pairs(connection, "BodyParameters");
        if !extra.is_empty() {
            let mut merged = match body.take() {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(object)) => object,
                Some(_) => {
                    return Err("A string RequestBody cannot be merged with the connection's body parameters".to_owned());
                }
            };
            for (name, value) in extra {
                secret_fields.push(name.clone());
                merged.insert(name, value);
            }
            body = Some(Value::Object(merged));
        }
        let parameters = &connection["AuthParameters"];
        match connection["AuthorizationType"].as_str() {
            Some("API_KEY") => {
                let key = &parameters["ApiKeyAuthParameters"];
                secret.push(as_text(&key["ApiKeyName"]));
                headers.push((as_text(&key["ApiKeyName"]), as_text(&key["ApiKeyValue"])));
            }
            Some("BASIC") => {
                let basic = &parameters["BasicAuthParameters"];
                let pair = format!(
                    "{}:{}",
                    as_text(&basic["Username"]),
                    as_text(&basic["Password"])
                );
                secret.push("Authorization".to_owned());
                headers.push((
                    "Authorization".to_owned(),
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    ),
                ));
            }
            _ => {}
        }
    }
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in &query {
            pairs.append_pair(name, &as_text(value));
        }
    }
    let transform = object.get("Transform").unwrap_or(&Value::Null);
    let encoding = transform["RequestBodyEncoding"].as_str().unwrap_or("NONE");
    let arrays = match transform["RequestEncodingOptions"]["ArrayFormat"]
        .as_str()
        .unwrap_or("INDICES")
    {
        "INDICES" => ArrayFormat::Indices,
        "REPEAT" => ArrayFormat::Repeat,
        "COMMAS" => ArrayFormat::Commas,
        "BRACKETS" => ArrayFormat::Brackets,
        other => {
            return Err(format!(
                "The ArrayFormat '{other}' is not one of BRACKETS, COMMAS, INDICES, REPEAT"
            ));
        }
    };
    let body = match (body, encoding) {
        (None | Some(Value::Null), _) => None,
        (Some(Value::String(text)), _) => Some(text),
        (Some(value), "NONE") => Some(value.to_string()),
        (Some(value), "URL_ENCODED") => {
            let mut form = form_urlencoded::Serializer::new(String::new());
            encode_form(&mut form, "", &value, arrays);
            Some(form.finish())
        }
        (Some(_), other) => {
            return Err(format!(
                "The RequestBodyEncoding '{other}' is not one of NONE, URL_ENCODED"
            ));
        }
    };
    if body.is_some()
        && !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        let content_type = if encoding == "URL_ENCODED" {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        headers.push(("Content-Type".to_owned(), content_type.to_owned()));
    }
    headers.push((
        "User-Agent".to_owned(),
        format!("Amazon|StepFunctions|HttpInvoke|{region}"),
    ));
    headers.push(("Range".to_owned(), "bytes=0-262144".to_owned()));
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("The Method '{method}' is not an HTTP method"))?;
    Ok(Request {
        method,
        url,
        headers,
        body,
        secret,
        secret_fields,
    })
}

/// Whether a content type is not text (AWS refuses such answers).
fn is_binary(content_type: &str) -> bool {
    let lower = content_type.to_ascii_lowercase();
    lower.starts_with("application/octet-stream")
        || ["image/", "video/", "audio/"]
            .iter()
            .any(|prefix| lower.starts_with(prefix))
}

/// The URL and body without the query parameters and body fields the connection added.
fn redacted(request: &Request) -> (String, String) {
    let hidden = |name: &str| request.secret_fields.iter().any(|secret| secret == name);
    let mut url = request.url.clone();
    let kept: Vec<(String, String)> = request
        .url
        .query_pairs()
        .filter(|(name, _)| !hidden(name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    url.set_query(None);
    if !kept.is_empty() {
        url.query_pairs_mut().extend_pairs(kept);
    }
    let body = request.body.clone().unwrap_or_default();
    let body = match serde_json::from_str::<Value>(&body) {
        Ok(Value::Object(mut object)) => {
            object.retain(|name, _| !hidden(name));
            Value::Object(object).to_string()
        }
        _ if body.contains('=') && !body.trim_start().starts_with(['{', '[', '"']) => {
            let kept: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
                .filter(|(name, _)| !hidden(name))
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect();
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish()
        }
        _ => body,
    };
    (url.to_string(), body)
}

/// Headers as TestState's trace prints them: `[name: value, ...]`.
fn header_text<'a>(headers: impl Iterator<Item = (&'a str, String)>) -> String {
    let pairs: Vec<String> = headers
        .map(|(name, value)| format!("{name}: {value}"))
        .collect();
    format!("[{}]", pairs.join(", "))
}

/// Performs an HTTP Task.
pub async fn invoke(
    client: &reqwest::Client,
    region: &str,
    connections: &Connections,
    timeout: Duration,
    invocation: &Invocation,
) -> Outcome {
    invoke_traced(client, region, connections, timeout, invocation, false)
        .await
        .0
}

/// Performs an HTTP Task, and tells the request and the response as TestState's `TRACE`
/// shows them (`inspectionData.request` and `.response`, every value a string).
pub async fn invoke_traced(
    client: &reqwest::Client,
    region: &str,
    connections: &Connections,
    timeout: Duration,
    invocation: &Invocation,
    reveal_secrets: bool,
) -> (Outcome, Option<Value>) {
    let request = match build_request(&invocation.input, region, connections) {
        Ok(request) => request,
        Err(cause) => return (runtime_error(cause), None),
    };
    let url = request.url.to_string();
    let protocol = request.url.scheme().to_owned();
    let shown = request.headers.iter().filter(|(name, _)| {
        reveal_secrets
            || !request
                .secret
                .iter()
                .any(|secret| secret.eq_ignore_ascii_case(name))
    });
    let (shown_url, shown_body) = if reveal_secrets {
        (url.clone(), request.body.clone().unwrap_or_default())
    } else {
        redacted(&request)
    };
    let mut trace = json!({"request": {
        "protocol": protocol,
        "method": request.method.as_str(),
        "url": shown_url,
        "headers": header_text(shown.map(|(name, value)| (name.as_str(), value.clone()))),
        "body": shown_body,
    }});
    let outcome = send(client, request, &url, timeout, &mut trace).await;
    (outcome, Some(trace))
}

async fn send(
    client: &reqwest::Client,
    request: Request,
    url: &str,
    timeout: Duration,
    trace: &mut Value,
) -> Outcome {
    let mut builder = client.request(request.method, request.url).timeout(timeout);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = request.body {
        builder = builder.body(body);
    }
    let response = match builder.send().await {
        Ok(response) => response,
        Err(error) if error.is_timeout() => {
            return socket_error(format!(
                "The HTTP request to {url} timed out after {} seconds",
                timeout.as_secs()
            ));
        }
        Err(error) => return socket_error(format!("The HTTP request to {url} failed: {error}")),
    };
    let status = response.status();
    trace["response"] = json!({
        "protocol": trace["request"]["protocol"].clone(),
        "statusCode": status.as_u16().to_string(),
        "statusMessage": status.canonical_reason().unwrap_or(""),
        "headers": header_text(response.headers().iter().map(|(name, value)| {
            (name.as_str(), String::from_utf8_lossy(value.as_bytes()).into_owned())
        })),
    });
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        let value = Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned());
        match headers.get_mut(name.as_str()) {
            Some(Value::Array(values)) => values.push(value),
            _ => {
                headers.insert(name.as_str().to_owned(), Value::Array(vec![value]));
            }
        }
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if is_binary(&content_type) {
        return runtime_error(format!(
            "The HTTP Task cannot use an answer of content type '{content_type}'"
        ));
    }
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(error) if error.is_timeout() => {
            return socket_error(format!(
                "The HTTP request to {url} timed out after {} seconds",
                timeout.as_secs()
            ));
        }
        Err(error) => return socket_error(format!("The answer of {url} was cut short: {error}")),
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return runtime_error(format!("The answer of {url} is not valid text"));
    };
    trace["response"]["body"] = json!(text);
    let is_json = content_type.to_ascii_lowercase().contains("json");
    let body = if is_json {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    } else {
        Value::String(text)
    };
    let result = json!({
        "Headers": headers,
        "ResponseBody": body,
        "StatusCode": status.as_u16(),
        "StatusText": status.canonical_reason().unwrap_or(""),
    });
    if status.is_success() {
        Outcome::Succeeded(result)
    } else {
        Outcome::Failed {
            error: format!("States.Http.StatusCode.{}", status.as_u16()),
            cause: result.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(parameters: Value) -> Result<Request, String> {
        build_request(&parameters, "us-east-1", &Connections::default())
    }

    #[test]
    fn the_resource_is_recognised() {
        assert!(is_http_task("arn:aws:states:::http:invoke"));
        assert!(is_http_task("arn:aws-cn:states:::http:invoke"));
        assert!(!is_http_task("arn:aws:states:::http:invoke.sync"));
        assert!(!is_http_task("arn:aws:states:::lambda:invoke"));
    }

    #[test]
    fn required_fields_and_forbidden_headers_are_refused() {
        assert!(
            request(json!({"Method": "GET"}))
                .unwrap_err()
                .contains("ApiEndpoint")
        );
        assert!(
            request(json!({"ApiEndpoint": "http://h/"}))
                .unwrap_err()
                .contains("Method")
        );
        assert!(
            request(json!({"ApiEndpoint": "http://h/", "Method": "BREW"}))
                .unwrap_err()
                .contains("BREW")
        );
        for header in ["Authorization", "x-amz-date", "Host", "X-Forwarded-For"] {
            let error = request(json!({"ApiEndpoint": "http://h/", "Method": "GET",
                                       "Headers": {header: "v"}}))
            .unwrap_err();
            assert!(error.contains(header), "{error}");
        }
        assert!(request(json!({"ApiEndpoint": "https://h/", "Method": "GET"})).is_ok());
        assert!(
            request(json!({"ApiEndpoint": "ftp://h/", "Method": "GET"}))
                .unwrap_err()
                .contains("ftp")
        );
    }

    #[test]
    fn query_parameters_and_url_encoded_bodies() {
        let built = request(json!({
            "ApiEndpoint": "http://h/p", "Method": "POST",
            "QueryParameters": {"q": "a b", "n": 1},
            "RequestBody": {"array": ["a", "b"], "o": {"k": "v"}},
            "Transform": {"RequestBodyEncoding": "URL_ENCODED"}
        }))
        .unwrap();
        assert_eq!(built.url.as_str(), "http://h/p?q=a+b&n=1");
        assert_eq!(
            built.body.as_deref(),
            Some("array%5B0%5D=a&array%5B1%5D=b&o%5Bk%5D=v")
        );
        let formats = [
            ("REPEAT", "array=a&array=b"),
            ("COMMAS", "array=a%2Cb"),
            ("BRACKETS", "array%5B%5D=a&array%5B%5D=b"),
        ];
        for (format, expected) in formats {
            let built = request(json!({
                "ApiEndpoint": "http://h/", "Method": "POST",
                "RequestBody": {"array": ["a", "b"]},
                "Transform": {"RequestBodyEncoding": "URL_ENCODED",
                              "RequestEncodingOptions": {"ArrayFormat": format}}
            }))
            .unwrap();
            assert_eq!(built.body.as_deref(), Some(expected), "{format}");
        }
        let json_body = request(json!({"ApiEndpoint": "http://h/", "Method": "PUT",
                                       "RequestBody": {"a": 1}}))
        .unwrap();
        assert_eq!(json_body.body.as_deref(), Some(r#"{"a":1}"#));
        assert!(
            json_body
                .headers
                .contains(&("Content-Type".to_owned(), "application/json".to_owned()))
        );
    }

    #[test]
    fn a_connection_adds_its_credentials_and_wins() {
        let connections = Connections::from_value(&json!({"Connections": {
            "arn:aws:events:us-east-1:123456789012:connection/api/1": {
                "AuthorizationType": "API_KEY",
                "AuthParameters": {
                    "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"},
                    "InvocationHttpParameters": {
                        "HeaderParameters": [{"Key": "x-team", "Value": "ops"}],
                        "QueryStringParameters": [{"Key": "q", "Value": "conn"}],
                        "BodyParameters": [{"Key": "from", "Value": "conn"}]
                    }
                }
            }
        }}))
        .unwrap();
        let built = build_request(
            &json!({"ApiEndpoint": "http://h/", "Method": "POST",
                    "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/api/1"},
                    "Headers": {"X-Team": "dev"}, "QueryParameters": {"q": "task"},
                    "RequestBody": {"from": "task", "n": 1}}),
            "us-east-1",
            &connections,
        )
        .unwrap();
        assert!(
            built
                .headers
                .contains(&("x-api-key".to_owned(), "s3cret".to_owned()))
        );
        assert!(
            built
                .headers
                .contains(&("x-team".to_owned(), "ops".to_owned()))
        );
        assert!(!built.headers.iter().any(|(_, value)| value == "dev"));
        assert_eq!(built.url.query(), Some("q=conn"));
        assert_eq!(built.body.as_deref(), Some(r#"{"from":"conn","n":1}"#));
        let (url, body) = redacted(&built);
        assert_eq!(url, "http://h/");
        assert_eq!(body, r#"{"n":1}"#);
        let unknown = build_request(
            &json!({"ApiEndpoint": "http://h/", "Method": "GET",
                    "InvocationConfig": {"ConnectionArn": "arn:other"}}),
            "us-east-1",
            &connections,
        );
        assert!(unknown.unwrap_err().contains("arn:other"));
        assert!(
            Connections::from_value(
                &json!({"Connections": {"a": {"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS"}}})
            )
            .unwrap_err()
            .contains("not supported")
        );
    }
}
