//! Task integrations performed outside the runtime: the runtime knows no wire, so whoever
//! calls out over HTTP (the HTTP Task, Lambda functions; crate `integrations`) does it behind
//! [`Invoker`], which `switchback serve` wires in.

use async_trait::async_trait;
use serde_json::Value;

/// A task to perform.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The Task state's `Resource`.
    pub resource: String,
    /// The Task state's name.
    pub state_name: String,
    /// The effective input (the integration's parameters).
    pub input: Value,
    /// The task token of a `.waitForTaskToken` task.
    pub task_token: Option<String>,
    /// The task's TimeoutSeconds, when it has one.
    pub timeout_seconds: Option<u64>,
}

/// How a performed task ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The task's result.
    Succeeded(Value),
    /// A `.waitForTaskToken` call was made; the task now waits for its token
    /// (`TaskSubmitted` with this answer).
    Submitted(Value),
    /// The task failed with this error and cause.
    Failed {
        /// The error name (`States.Http.StatusCode.404`, `Lambda.Unknown`, ...).
        error: String,
        /// The cause.
        cause: String,
    },
}

/// Performs the tasks of some resources.
#[async_trait]
pub trait Invoker: Send + Sync {
    /// Whether it performs tasks of this resource.
    fn performs(&self, resource: &str) -> bool;

    /// Performs one task to its end (or, for `.waitForTaskToken`, to its submission).
    async fn invoke(&self, invocation: Invocation) -> Outcome;

    /// Performs one task and tells what went over the wire, as TestState's `TRACE` level shows
    /// it (`request` and `response`; credentials only when `reveal_secrets`). Integrations
    /// without such a trace answer `None` for it.
    async fn invoke_traced(
        &self,
        invocation: Invocation,
        reveal_secrets: bool,
    ) -> (Outcome, Option<Value>) {
        let _ = reveal_secrets;
        (self.invoke(invocation).await, None)
    }
}
