//! The one error type of the wire layer, and the one place where it becomes AWS's error shape:
//! `{"__type": "<Code>", "message": "<text>"}` with the `x-amzn-ErrorType` header and the HTTP
//! status the model gives (400 for every Step Functions error but `ConflictException` 409 and
//! `ServiceQuotaExceededException` 402).
//!
//! Messages are AWS's recorded wording where it is known (`State Machine Does Not Exist: '<arn>'`,
//! `Invalid Arn: 'Invalid ARN prefix: <arn>'`, ...). Internal failures are logged with their
//! details and answered with a bare `InternalFailure`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// Everything a request can fail with, named after AWS's `__type`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A member breaks the model's constraints (Coral-style message).
    #[error("{0}")]
    Validation(String),
    /// A member the operation needs is missing (`UpdateStateMachine` with nothing to update).
    #[error("{0}")]
    MissingRequiredParameter(String),
    /// The body is not a JSON object, or a member has the wrong JSON type.
    #[error("{0}")]
    Serialization(String),
    /// The body is larger than the service accepts.
    #[error("request body is larger than {0} bytes")]
    RequestTooLarge(usize),
    /// The body did not arrive in time (`crate::limits::BODY_READ_TIMEOUT`).
    #[error("The request body did not arrive within {0} seconds")]
    RequestTimeout(u64),
    /// `X-Amz-Target` names no operation of ours, or one not built yet.
    #[error("{0}")]
    UnknownOperation(String),
    /// A malformed ARN, or one of the wrong resource type; the text goes inside `Invalid Arn: '…'`.
    #[error("Invalid Arn: '{0}'")]
    InvalidArn(String),
    /// A name that breaks AWS's naming rules.
    #[error("Invalid Name: '{0}'")]
    InvalidName(String),
    /// A refused definition; the full message (`Invalid State Machine Definition: '…'`).
    #[error("{0}")]
    InvalidDefinition(String),
    /// A `loggingConfiguration` AWS refuses (no destination while logging, a bad log group
    /// ARN); the full message.
    #[error("{0}")]
    InvalidLoggingConfiguration(String),
    /// `StartExecution` input that is not JSON or too large; the text inside the quotes.
    #[error("Invalid State Machine Execution Input: '{0}'")]
    InvalidExecutionInput(String),
    /// `SendTaskSuccess` output that is not JSON; the text inside the quotes.
    #[error("Invalid Output: '{0}'")]
    InvalidOutput(String),
    /// A paging token or task token that is not one of ours; the text inside the quotes.
    #[error("Invalid Token: '{0}'")]
    InvalidToken(String),
    /// No state machine with this ARN.
    #[error("State Machine Does Not Exist: '{0}'")]
    StateMachineDoesNotExist(String),
    /// A state machine of this name exists with another configuration.
    #[error("State Machine Already Exists: '{0}'")]
    StateMachineAlreadyExists(String),
    /// The operation does not apply to this type of state machine.
    #[error("{0}")]
    StateMachineTypeNotSupported(String),
    /// No execution with this ARN.
    #[error("Execution Does Not Exist: '{0}'")]
    ExecutionDoesNotExist(String),
    /// `RedriveExecution` of an execution that cannot be redriven.
    #[error("{0}")]
    ExecutionNotRedrivable(String),
    /// An execution of this name exists with another input, or has ended.
    #[error("Execution Already Exists: '{0}'")]
    ExecutionAlreadyExists(String),
    /// No activity with this ARN.
    #[error("Activity Does Not Exist: '{0}'")]
    ActivityDoesNotExist(String),
    /// The task of a token has ended (or timed out); the full message.
    #[error("{0}")]
    TaskTimedOut(String),
    /// A resource to tag that does not exist.
    #[error("Resource not found: '{0}'")]
    ResourceNotFound(String),
    /// A version or alias that does not exist; the ARN (`resourceName`).
    #[error("Request references a resource that does not exist.")]
    ResourceDoesNotExist(String),
    /// The request conflicts with the resource's state (a stale revision, an alias in use); the
    /// full message.
    #[error("{0}")]
    Conflict(String),
    /// A quota (versions or aliases per state machine) would be exceeded; the full message.
    #[error("{0}")]
    ServiceQuotaExceeded(String),
    /// More than 50 tags on a resource; the ARN.
    #[error("Too many tags: the maximum is 50 per resource: '{0}'")]
    TooManyTags(String),
    /// A request whose signature is missing (for the `authenticate` hook).
    #[error("{0}")]
    MissingAuthenticationToken(String),
    /// A request whose signature is malformed (for the `authenticate` hook).
    #[error("{0}")]
    IncompleteSignature(String),
    /// A request signed with a wrong signature (for the `authenticate` hook).
    #[error("{0}")]
    InvalidSignature(String),
    /// A request signed with an unknown access key (for the `authenticate` hook).
    #[error("{0}")]
    UnrecognizedClient(String),
    /// A request the caller may not make (for the `authenticate` hook).
    #[error("{0}")]
    AccessDenied(String),
    /// CloudFormation's `ValidationError`: a bad stack request, a missing stack, a stack
    /// another deploy holds (Switchback's stack operations).
    #[error("{0}")]
    StackValidation(String),
    /// No deployment with this id (Switchback's own operations).
    #[error("Deployment Does Not Exist: '{0}'")]
    DeploymentDoesNotExist(String),
    /// Too many requests at once (the server's own limits, see `crate::limits`); the full
    /// message. SDKs retry it with back-off.
    #[error("{0}")]
    Throttling(String),
    /// The store cannot take writes now (a full disk, a read-only data directory, an I/O
    /// error): nothing of the request was written, and the same request may succeed later.
    /// The details are logged; the message says what to retry.
    #[error("service unavailable: {0}")]
    ServiceUnavailable(String),
    /// Switchback itself failed; the details are logged, not returned.
    #[error("internal failure: {0}")]
    Internal(String),
}

impl Error {
    /// AWS's `__type`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => "ValidationException",
            Error::MissingRequiredParameter(_) => "MissingRequiredParameter",
            Error::Serialization(_) => "SerializationException",
            Error::RequestTooLarge(_) => "RequestEntityTooLargeException",
            Error::RequestTimeout(_) => "RequestTimeoutException",
            Error::UnknownOperation(_) => "UnknownOperationException",
            Error::InvalidArn(_) => "InvalidArn",
            Error::InvalidName(_) => "InvalidName",
            Error::InvalidDefinition(_) => "InvalidDefinition",
            Error::InvalidLoggingConfiguration(_) => "InvalidLoggingConfiguration",
            Error::InvalidExecutionInput(_) => "InvalidExecutionInput",
            Error::InvalidOutput(_) => "InvalidOutput",
            Error::InvalidToken(_) => "InvalidToken",
            Error::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            Error::StateMachineAlreadyExists(_) => "StateMachineAlreadyExists",
            Error::StateMachineTypeNotSupported(_) => "StateMachineTypeNotSupported",
            Error::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            Error::ExecutionNotRedrivable(_) => "ExecutionNotRedrivable",
            Error::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            Error::ActivityDoesNotExist(_) => "ActivityDoesNotExist",
            Error::TaskTimedOut(_) => "TaskTimedOut",
            Error::ResourceNotFound(_) | Error::ResourceDoesNotExist(_) => "ResourceNotFound",
            Error::Conflict(_) => "ConflictException",
            Error::ServiceQuotaExceeded(_) => "ServiceQuotaExceededException",
            Error::TooManyTags(_) => "TooManyTags",
            Error::MissingAuthenticationToken(_) => "MissingAuthenticationTokenException",
            Error::IncompleteSignature(_) => "IncompleteSignatureException",
            Error::InvalidSignature(_) => "InvalidSignatureException",
            Error::UnrecognizedClient(_) => "UnrecognizedClientException",
            Error::AccessDenied(_) => "AccessDeniedException",
            Error::DeploymentDoesNotExist(_) => "DeploymentDoesNotExist",
            Error::StackValidation(_) => "ValidationError",
            Error::Throttling(_) => "ThrottlingException",
            Error::ServiceUnavailable(_) => "ServiceUnavailable",
            Error::Internal(_) => "InternalFailure",
        }
    }

    /// The HTTP status: 400 for every client error of the model, and for the authentication
    /// errors too (a Coral JSON service answers them 400, unlike REST services' 403).
    pub fn status(&self) -> StatusCode {
        match self {
            Error::RequestTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::ServiceQuotaExceeded(_) => StatusCode::PAYMENT_REQUIRED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The `message` member.
    pub fn message(&self) -> String {
        match self {
            Error::Internal(_) => "An internal error occurred".to_owned(),
            Error::ServiceUnavailable(_) => {
                "The service cannot store requests at the moment; nothing of this one was \
                 written. Retry later"
                    .to_owned()
            }
            other => other.to_string(),
        }
    }

    /// The JSON body AWS sends: `__type`, `message`, and `resourceName` for the errors that
    /// carry it.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("__type".to_owned(), Value::String(self.code().to_owned()));
        body.insert("message".to_owned(), Value::String(self.message()));
        if let Error::ResourceNotFound(arn)
        | Error::ResourceDoesNotExist(arn)
        | Error::TooManyTags(arn) = self
        {
            body.insert("resourceName".to_owned(), Value::String(arn.clone()));
        }
        Value::Object(body)
    }
}

impl From<store::Error> for Error {
    fn from(error: store::Error) -> Error {
        match error {
            // Another node took the execution over while this one worked on it: try again.
            store::Error::Unavailable(_) | store::Error::NotOwner(_) => {
                Error::ServiceUnavailable(error.to_string())
            }
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<runtime::Error> for Error {
    fn from(error: runtime::Error) -> Error {
        match error {
            runtime::Error::ExecutionDoesNotExist(arn) => Error::ExecutionDoesNotExist(arn),
            runtime::Error::ExecutionAlreadyExists(arn) => Error::ExecutionAlreadyExists(arn),
            runtime::Error::ExecutionNotRedrivable(reason) => Error::ExecutionNotRedrivable(reason),
            runtime::Error::MapRunDoesNotExist(arn) => Error::ResourceNotFound(arn),
            error @ runtime::Error::MapRunNotRunning(_) => Error::Validation(error.to_string()),
            runtime::Error::ActivityDoesNotExist(arn) => Error::ActivityDoesNotExist(arn),
            runtime::Error::InvalidToken(text) => Error::InvalidToken(text),
            error @ runtime::Error::TaskTimedOut => Error::TaskTimedOut(error.to_string()),
            runtime::Error::InvalidOutput(text) => Error::InvalidOutput(text),
            error @ runtime::Error::InvalidDefinition(_) => Error::Internal(error.to_string()),
            runtime::Error::Store(error) => error.into(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Internal(details) | Error::ServiceUnavailable(details) = &self {
            tracing::error!(%details, "request failed");
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(crate::CONTENT_TYPE),
        );
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.code()));
        response
    }
}
