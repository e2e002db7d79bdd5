//! Stripe's error object: `{"error": {"type", "code", "param", "message", ...}}` with the
//! status Stripe gives each kind.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value, json};

/// An error answer, as Stripe shapes it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// `invalid_request_error`, `card_error`, `idempotency_error`, `api_error`.
    pub kind: &'static str,
    pub code: Option<&'static str>,
    /// Boxed: the error travels through every `Result` of the stub.
    details: Box<Details>,
}

#[derive(Debug, Clone)]
struct Details {
    param: Option<String>,
    message: String,
    /// More fields (`decline_code`, `payment_intent`, `charge`, ...).
    extra: Map<String, Value>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            code: None,
            details: Box::new(Details {
                param: None,
                message: message.into(),
                extra: Map::new(),
            }),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_request_error", message)
    }

    pub fn idempotency(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "idempotency_error", message)
    }

    pub fn card(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYMENT_REQUIRED, "card_error", message).code(code)
    }

    /// `No such <what>: '<id>'` (404 `resource_missing`).
    pub fn missing(what: &str, id: &str, param: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!("No such {what}: '{id}'"),
        )
        .code("resource_missing")
        .param(param)
    }

    pub fn unknown_parameter(name: &str) -> Self {
        Self::invalid(format!("Received unknown parameter: {name}"))
            .code("parameter_unknown")
            .param(name)
    }

    pub fn missing_parameter(name: &str) -> Self {
        Self::invalid(format!("Missing required param: {name}."))
            .code("parameter_missing")
            .param(name)
    }

    #[must_use]
    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    #[must_use]
    pub fn param(mut self, param: &str) -> Self {
        self.details.param = Some(param.to_owned());
        self
    }

    #[must_use]
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.details.extra.insert(key.to_owned(), value);
        self
    }

    pub fn message(&self) -> &str {
        &self.details.message
    }

    /// The `error` object's fields.
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        if let Some(code) = self.code {
            error.insert("code".into(), json!(code));
            error.insert(
                "doc_url".into(),
                json!(format!(
                    "https://stripe.com/docs/error-codes/{}",
                    code.replace('_', "-")
                )),
            );
        }
        error.insert("message".into(), json!(self.details.message));
        if let Some(param) = &self.details.param {
            error.insert("param".into(), json!(param));
        }
        error.insert("type".into(), json!(self.kind));
        error.extend(self.details.extra.clone());
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}
