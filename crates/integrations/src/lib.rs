//! Task integrations that call out over HTTP, behind the runtime's [`Invoker`]: the HTTP Task
//! (`arn:aws:states:::http:invoke`, [`http`]) and Lambda functions (`arn:aws:lambda:…:function:…`
//! and `arn:aws:states:::lambda:invoke`, [`lambda`]) on endpoints that speak Lambda's Invoke API.
//!
//! What AWS keeps elsewhere comes from files here (docs/integrations.md): the credentials of an
//! EventBridge connection ([`Connections`]) and where each function runs ([`Functions`]).
//!
//! HTTPS goes through rustls with the ring provider, checking certificates against the
//! system's trust store (rustls-platform-verifier).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use runtime::invoke::{Invocation, Invoker, Outcome};
use serde_json::Value;

pub mod http;
pub mod lambda;

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not what it should hold.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn read_json(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|error| Error::Invalid {
        path: path.display().to_string(),
        message: format!("not JSON: {error}"),
    })
}

/// The credentials and parameters of EventBridge connections, by connection ARN (the HTTP
/// Task's `Authentication.ConnectionArn` / `InvocationConfig.ConnectionArn`).
///
/// The file is `{"Connections": {"<arn>": <connection>}}`, each connection shaped as
/// EventBridge's `CreateConnection` takes it: `AuthorizationType` (`API_KEY` or `BASIC`) and
/// `AuthParameters` (`ApiKeyAuthParameters`, `BasicAuthParameters`, `InvocationHttpParameters`).
#[derive(Debug, Clone, Default)]
pub struct Connections {
    by_arn: HashMap<String, Value>,
    /// Whether a file was given: without one, a connection ARN adds no credentials.
    configured: bool,
}

impl Connections {
    /// Reads a connections file.
    pub fn from_file(path: &Path) -> Result<Connections, Error> {
        let value = read_json(path)?;
        Connections::from_value(&value).map_err(|message| Error::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    /// Reads the file's JSON.
    pub fn from_value(value: &Value) -> Result<Connections, String> {
        let Some(entries) = value.get("Connections").and_then(Value::as_object) else {
            return Err(
                "the file must hold {\"Connections\": {\"<connection ARN>\": {...}}}".to_owned(),
            );
        };
        for (arn, connection) in entries {
            http::check_connection(connection).map_err(|message| format!("{arn}: {message}"))?;
        }
        Ok(Connections {
            by_arn: entries.clone().into_iter().collect(),
            configured: true,
        })
    }
}

/// Where Lambda functions run: one endpoint for all (`--lambda-endpoint`, as Step Functions
/// Local's `LAMBDA_ENDPOINT`) and per-function URLs (`--lambda-functions FILE`).
///
/// The file is `{"Functions": {"<name>": "<url>"}}`. A URL with a path is called as it is (a
/// Lambda runtime emulator listens on `/2015-03-31/functions/function/invocations`); one without
/// gets the Invoke API's path for the function.
#[derive(Debug, Clone, Default)]
pub struct Functions {
    /// The endpoint every function without a URL of its own is invoked on.
    pub endpoint: Option<String>,
    by_name: HashMap<String, String>,
}

impl Functions {
    /// Functions on one endpoint.
    pub fn on_endpoint(endpoint: Option<String>) -> Functions {
        Functions {
            endpoint,
            by_name: HashMap::new(),
        }
    }

    /// Adds the functions of a file.
    pub fn with_file(mut self, path: &Path) -> Result<Functions, Error> {
        let value = read_json(path)?;
        self = self.with_value(&value).map_err(|message| Error::Invalid {
            path: path.display().to_string(),
            message,
        })?;
        Ok(self)
    }

    /// Adds the functions of the file's JSON.
    pub fn with_value(mut self, value: &Value) -> Result<Functions, String> {
        let Some(entries) = value.get("Functions").and_then(Value::as_object) else {
            return Err(
                "the file must hold {\"Functions\": {\"<function name>\": \"<url>\"}}".to_owned(),
            );
        };
        for (name, url) in entries {
            let Some(url) = url.as_str() else {
                return Err(format!("the URL of the function '{name}' must be a string"));
            };
            reqwest::Url::parse(url).map_err(|error| {
                format!("the URL of the function '{name}' is not a URL: {error}")
            })?;
            self.by_name.insert(name.clone(), url.to_owned());
        }
        Ok(self)
    }

    /// The URL a function is invoked on, if any.
    pub fn url(&self, name: &str) -> Option<String> {
        if let Some(url) = self.by_name.get(name) {
            let has_path = reqwest::Url::parse(url).is_ok_and(|parsed| parsed.path() != "/");
            return Some(if has_path {
                url.clone()
            } else {
                lambda::invoke_url(url, name)
            });
        }
        self.endpoint
            .as_deref()
            .map(|endpoint| lambda::invoke_url(endpoint, name))
    }
}

/// The HTTP Task and Lambda, as one [`Invoker`].
pub struct Integrations {
    client: reqwest::Client,
    region: String,
    connections: Connections,
    functions: Functions,
    /// How long an HTTP Task request may take (AWS: 60 s).
    http_timeout: Duration,
}

impl Integrations {
    /// Integrations in `region` (the HTTP Task's `User-Agent` names it).
    pub fn new(region: &str, connections: Connections, functions: Functions) -> Integrations {
        // reqwest is built without a crypto provider of its own (aws-lc would cost a C build
        // in every CI run): ring is the process's. Installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Integrations {
            client: reqwest::Client::new(),
            region: region.to_owned(),
            connections,
            functions,
            http_timeout: http::TIMEOUT,
        }
    }

    /// Changes the HTTP Task's request timeout (tests).
    pub fn with_http_timeout(mut self, timeout: Duration) -> Integrations {
        self.http_timeout = timeout;
        self
    }
}

#[async_trait]
impl Invoker for Integrations {
    fn performs(&self, resource: &str) -> bool {
        http::is_http_task(resource) || lambda::kind(resource).is_some()
    }

    async fn invoke_traced(
        &self,
        invocation: Invocation,
        reveal_secrets: bool,
    ) -> (Outcome, Option<Value>) {
        if http::is_http_task(&invocation.resource) {
            return http::invoke_traced(
                &self.client,
                &self.region,
                &self.connections,
                self.http_timeout,
                &invocation,
                reveal_secrets,
            )
            .await;
        }
        (self.invoke(invocation).await, None)
    }

    async fn invoke(&self, invocation: Invocation) -> Outcome {
        if http::is_http_task(&invocation.resource) {
            return http::invoke(
                &self.client,
                &self.region,
                &self.connections,
                self.http_timeout,
                &invocation,
            )
            .await;
        }
        match lambda::kind(&invocation.resource) {
            Some(kind) => lambda::invoke(&self.client, &self.functions, kind, &invocation).await,
            None => Outcome::Failed {
                error: "States.Runtime".to_owned(),
                cause: format!(
                    "The resource '{}' is not an HTTP or Lambda task",
                    invocation.resource
                ),
            },
        }
    }
}
