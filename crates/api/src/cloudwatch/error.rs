//! CloudWatch's errors, in the shape its AWS JSON 1.0 protocol answers them for an
//! `awsQueryCompatible` service: the query protocol's code in `x-amzn-query-error`, and a JSON
//! body with `__type` and `message`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Everything a CloudWatch request can fail with, named after the query code CloudWatch
/// answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A required member is missing (`MissingRequiredParameterException`).
    #[error("{0}")]
    MissingParameter(String),
    /// A member has a value CloudWatch refuses (`InvalidParameterValueException`).
    #[error("{0}")]
    InvalidParameterValue(String),
    /// Members that do not go together (`InvalidParameterCombinationException`).
    #[error("{0}")]
    InvalidParameterCombination(String),
    /// A configuration CloudWatch refuses as a whole (unmodelled `ValidationError`).
    #[error("{0}")]
    ValidationError(String),
    /// `SetAlarmState` reason data that is not JSON (`InvalidFormatFault`).
    #[error("{0}")]
    InvalidFormat(String),
    /// A paging token that is not ours.
    #[error("{0}")]
    InvalidNextToken(String),
    /// No alarm with this name (`ResourceNotFound`).
    #[error("{0}")]
    ResourceNotFound(String),
    /// A body that is not JSON, or a member of the wrong JSON type.
    #[error("{0}")]
    SerializationException(String),
    /// An operation CloudWatch has but Switchback does not serve.
    #[error("{0}")]
    InvalidAction(String),
    /// Switchback failed.
    #[error("{0}")]
    InternalServiceError(String),
}

impl Error {
    /// (query code, JSON `__type`, HTTP status).
    fn parts(&self) -> (&'static str, &'static str, StatusCode) {
        match self {
            Error::MissingParameter(_) => (
                "MissingParameter",
                "MissingRequiredParameterException",
                StatusCode::BAD_REQUEST,
            ),
            Error::InvalidParameterValue(_) => (
                "InvalidParameterValue",
                "InvalidParameterValueException",
                StatusCode::BAD_REQUEST,
            ),
            Error::InvalidParameterCombination(_) => (
                "InvalidParameterCombination",
                "InvalidParameterCombinationException",
                StatusCode::BAD_REQUEST,
            ),
            Error::ValidationError(_) => (
                "ValidationError",
                "ValidationError",
                StatusCode::BAD_REQUEST,
            ),
            Error::InvalidFormat(_) => (
                "InvalidFormat",
                "InvalidFormatFault",
                StatusCode::BAD_REQUEST,
            ),
            Error::InvalidNextToken(_) => (
                "InvalidNextToken",
                "InvalidNextToken",
                StatusCode::BAD_REQUEST,
            ),
            Error::ResourceNotFound(_) => (
                "ResourceNotFound",
                "ResourceNotFound",
                StatusCode::NOT_FOUND,
            ),
            Error::SerializationException(_) => (
                "SerializationException",
                "SerializationException",
                StatusCode::BAD_REQUEST,
            ),
            Error::InvalidAction(_) => ("InvalidAction", "InvalidAction", StatusCode::BAD_REQUEST),
            Error::InternalServiceError(_) => (
                "InternalServiceError",
                "InternalServiceFault",
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        }
    }

    /// The query code (`ResourceNotFound`).
    pub fn code(&self) -> &'static str {
        self.parts().0
    }
}

impl From<store::Error> for Error {
    fn from(error: store::Error) -> Error {
        match error {
            store::Error::NotFound(name) => {
                Error::ResourceNotFound(format!("Alarm {name} does not exist"))
            }
            other => {
                tracing::error!(error = %other, "a CloudWatch request failed in the store");
                Error::InternalServiceError("Internal service error".to_owned())
            }
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (code, shape, status) = self.parts();
        let fault = if status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        };
        let mut response = (
            status,
            Json(json!({
                "__type": format!("com.amazonaws.cloudwatch#{shape}"),
                "message": self.to_string(),
            })),
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(crate::CONTENT_TYPE),
        );
        if let Ok(value) = HeaderValue::from_str(&format!("{code};{fault}")) {
            headers.insert("x-amzn-query-error", value);
        }
        response
    }
}
