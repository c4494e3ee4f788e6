//! The one error type of the API and its mapping onto the envelope's codes (SPEC PL-1).
//! Internal causes are logged with the request id and never sent to the caller.

use serde::Serialize;
use utoipa::ToSchema;

use crate::sql::DbError;

/// One problem with one input field (SPEC PL-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field in the request body or query, or `body`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Why a write was refused by the workspace's plan (SPEC BI-2): the limit it would pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimitReached {
    /// `members`, `accounts`, `scheduledPosts`, `aiCredits` or `reviewLinks`.
    pub metric: String,
    /// `free`, `pro`, `agency` or `enterprise`.
    pub plan: String,
    pub limit: i64,
    /// What the workspace uses now (of this period, for a metered limit).
    pub used: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// The account has not proved its address yet, and this needs it (SPEC IAM-1).
    #[error("{0}")]
    EmailNotVerified(String),
    /// The workspace is suspended: it can be read but not changed (SPEC IAM-5).
    #[error("{0}")]
    Suspended(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The path exists under other methods: the `Allow` header lists them.
    #[error("this path does not take this method; it takes {0}")]
    MethodNotAllowed(String),
    /// The Idempotency-Key was first used for another request or by another principal.
    #[error("this Idempotency-Key was used for a different request or by a different caller")]
    IdempotencyKeyReused,
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    RateLimited(String),
    /// The workspace's plan does not allow more of this (SPEC BI-2).
    #[error("your plan allows {} {}; upgrade to add more", .0.limit, .0.metric)]
    PlanLimit(Box<LimitReached>),
    /// The message is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
    /// The message is for the log only.
    #[error("external service failed: {0}")]
    ExternalApi(String),
    #[error("{0}")]
    ServiceUnavailable(String),
    #[error("{0}")]
    Timeout(String),
}

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::EmailNotVerified(_) => 403,
            AppError::Suspended(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::IdempotencyKeyReused => 422,
            AppError::MethodNotAllowed(_) => 405,
            AppError::PayloadTooLarge(_) => 413,
            AppError::RateLimited(_) => 429,
            AppError::PlanLimit(_) => 402,
            AppError::Internal(_) => 500,
            AppError::ExternalApi(_) => 502,
            AppError::ServiceUnavailable(_) => 503,
            AppError::Timeout(_) => 504,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "VALIDATION_ERROR",
            AppError::Unauthorized(_) => "UNAUTHORIZED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::EmailNotVerified(_) => "EMAIL_NOT_VERIFIED",
            AppError::Suspended(_) => "WORKSPACE_SUSPENDED",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict(_) => "CONFLICT",
            AppError::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            AppError::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            AppError::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            AppError::RateLimited(_) => "RATE_LIMITED",
            AppError::PlanLimit(_) => "PLAN_LIMIT_REACHED",
            AppError::Internal(_) => "INTERNAL_ERROR",
            AppError::ExternalApi(_) => "EXTERNAL_API_ERROR",
            AppError::ServiceUnavailable(_) => "SERVICE_UNAVAILABLE",
            AppError::Timeout(_) => "TIMEOUT",
        }
    }

    /// What the caller may read. Internal and upstream causes stay on the server.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Validation(_) => "the request is invalid".into(),
            AppError::Internal(_) => "an internal error occurred".into(),
            AppError::ExternalApi(_) => "an external service failed".into(),
            other => other.to_string(),
        }
    }

    pub fn envelope(&self, request_id: &str) -> ErrorEnvelope {
        ErrorEnvelope {
            success: false,
            error: self.public_message(),
            code: self.code().to_string(),
            details: match self {
                AppError::Validation(fields) => Some(fields.clone()),
                _ => None,
            },
            limit: match self {
                AppError::PlanLimit(reached) => Some((**reached).clone()),
                _ => None,
            },
            request_id: request_id.to_string(),
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unique(_) => AppError::Conflict("resource already exists".into()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// `{"success":false,"error":…,"code":…,"details"?,"requestId":…}`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope {
    pub success: bool,
    pub error: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<FieldError>>,
    /// PLAN_LIMIT_REACHED: which limit, on which plan, and what the workspace uses of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitReached>,
    pub request_id: String,
}
