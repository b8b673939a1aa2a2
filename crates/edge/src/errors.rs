//! The one error shape every JSON answer uses:
//! `{"error":{"code":"...","message":"...","field":"..."|null,"details":[...]}}`.

use kbc_domain::db::DbError;
use kbc_domain::{DomainError, FieldError};
use serde::Serialize;

/// An error on its way to becoming an HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub field: Option<Box<str>>,
    pub details: Box<[FieldError]>,
    /// Seconds, for `Retry-After` on 429.
    pub retry_after: Option<u32>,
    /// Methods, for `Allow` on 405.
    pub allow: Option<&'static str>,
    /// The internal cause, for the worker's log only; never sent to the client.
    pub cause: Option<Box<str>>,
}
// Boxed slices and strings keep this under clippy's large-error threshold: it is the `Err`
// of every handler.

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            details: Box::new([]),
            retry_after: None,
            allow: None,
            cause: None,
        }
    }

    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(400, "bad_request", message)
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} not found"))
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self {
            allow: Some(allow),
            ..Self::new(
                405,
                "method_not_allowed",
                format!("this resource allows only {allow}"),
            )
        }
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "payload_too_large",
            format!("the request body must be at most {limit} bytes"),
        )
    }

    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            415,
            "unsupported_media_type",
            format!("send the body as {expected}"),
        )
    }

    /// Every field problem at once; `field`/`message` describe the first.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let first = errors
            .first()
            .cloned()
            .unwrap_or_else(|| FieldError::new("body", "is invalid"));
        Self {
            field: Some(first.field.as_str().into()),
            details: errors.into(),
            ..Self::new(
                422,
                "validation_failed",
                format!("{} {}", first.field, first.message),
            )
        }
    }

    pub fn internal() -> Self {
        Self::new(
            500,
            "internal_error",
            "something went wrong on our side; please try again shortly",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            503,
            "unavailable",
            "the directory is temporarily unavailable; please try again shortly",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct Inner<'a> {
            code: &'a str,
            message: &'a str,
            field: Option<&'a str>,
            #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
            details: &'a [FieldError],
        }
        serde_json::json!({ "error": Inner {
            code: self.code,
            message: &self.message,
            field: self.field.as_deref(),
            details: &self.details,
        }})
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Invalid(errors) => Self::invalid(errors),
            DomainError::NotFound(what) => Self::not_found(&what),
            DomainError::RateLimited { retry_after } => Self {
                retry_after: Some(u32::try_from(retry_after.max(1)).unwrap_or(u32::MAX)),
                ..Self::new(
                    429,
                    "rate_limited",
                    format!("too many requests; try again in {retry_after} seconds"),
                )
            },
            DomainError::Database(err) => err.into(),
        }
    }
}

impl From<DbError> for ApiError {
    /// The store's own message may hold SQL: it goes to the log, never to the client.
    fn from(err: DbError) -> Self {
        Self {
            cause: Some(err.0.into()),
            ..Self::unavailable()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_name_the_first_field_and_list_all() {
        let err = ApiError::invalid(vec![
            FieldError::new("email", "is required"),
            FieldError::new("phone", "bad"),
        ]);
        assert_eq!(err.status, 422);
        let body = err.body();
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(body["error"]["field"], "email");
        assert_eq!(body["error"]["message"], "email is required");
        assert_eq!(body["error"]["details"][1]["field"], "phone");
    }

    #[test]
    fn errors_without_a_field_carry_a_null_field_and_no_details() {
        let body = ApiError::not_found("business 'x'").body();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "not_found", "message": "business 'x' not found", "field": null}})
        );
    }

    #[test]
    fn database_failures_never_leak_their_message() {
        let err = ApiError::from(DomainError::Database(DbError(
            "no such table: secrets; SELECT *".into(),
        )));
        assert_eq!(err.status, 503);
        assert!(!err.body().to_string().contains("secrets"));
        assert!(err.cause.unwrap().contains("secrets"), "kept for the log");
    }

    #[test]
    fn rate_limits_become_429_with_retry_after() {
        let err = ApiError::from(DomainError::RateLimited { retry_after: 42 });
        assert_eq!((err.status, err.retry_after), (429, Some(42)));
    }

    #[test]
    fn domain_not_found_becomes_404() {
        assert_eq!(
            ApiError::from(DomainError::NotFound("category 'x'".into())).status,
            404
        );
    }
}
