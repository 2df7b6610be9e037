//! Errors as HTTP answers: `application/problem+json` (RFC 9457) for the API, that never leaks internals.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kurier_core::FieldError;
use serde::Serialize;

/// An API error. Server-side failures are logged in full and answered with a generic 500.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    detail: String,
    errors: Vec<FieldError>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: Vec<FieldProblem<'a>>,
}

#[derive(Serialize)]
struct FieldProblem<'a> {
    field: &'a str,
    reason: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, title, detail: detail.into(), errors: Vec::new() }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    /// Invalid fields, all named at once.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, title: "Invalid input", detail, errors }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", what)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", detail)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "a valid admin token is required (Authorization: Bearer ...)",
        )
    }

    /// A failure of ours: logged with its cause, answered without it.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "the server could not complete the request")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<kurier_store::StoreError> for ApiError {
    fn from(e: kurier_store::StoreError) -> Self {
        match e {
            kurier_store::StoreError::Conflict(what) => Self::conflict(format!("{what} already exists")),
            kurier_store::StoreError::NotFound(what) => Self::not_found(format!("{what} not found")),
            e if e.is_transient() => {
                tracing::warn!(error = %e, "database busy");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable", "the database is busy; try again")
            }
            e => Self::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: "about:blank",
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            errors: self.errors.iter().map(|e| FieldProblem { field: &e.field, reason: &e.reason }).collect(),
        };
        let mut res = (self.status, Json(body)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}
