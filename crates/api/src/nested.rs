//! The API's side of nested executions: a `states:startExecution` task resolves its start with
//! StartExecution's own rules (ARN checks, an alias's draw, name and input checks) and errors.

use async_trait::async_trait;
use runtime::WeakRuntime;
use runtime::nested::{ChildStart, Resolved, ServiceError, Starter};

use crate::AppState;
use crate::executions;

/// Resolves nested starts through [`executions::start_request`]. Holds the runtime weakly:
/// the runtime holds it.
pub(crate) struct ApiStarter {
    runtime: WeakRuntime,
}

impl ApiStarter {
    pub(crate) fn new(runtime: &runtime::Runtime) -> ApiStarter {
        ApiStarter {
            runtime: runtime.downgrade(),
        }
    }
}

#[async_trait]
impl Starter for ApiStarter {
    async fn resolve(&self, start: ChildStart) -> Result<Resolved, ServiceError> {
        let Some(runtime) = self.runtime.upgrade() else {
            return Err(ServiceError {
                code: "ServiceUnavailable".to_owned(),
                message: "The service is shutting down".to_owned(),
            });
        };
        let state = AppState::new(runtime);
        let (request, machine_type) =
            executions::resolve_nested(&state, start)
                .await
                .map_err(|error| ServiceError {
                    code: error.code().to_owned(),
                    message: error.message(),
                })?;
        Ok(Resolved {
            request,
            express: machine_type == "EXPRESS",
        })
    }
}
