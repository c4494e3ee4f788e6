//! The health check's handler.

use super::Health;
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::validate::rfc3339;

#[utoipa::path(get, path = "/health", tag = "platform",
    responses(
        (status = 200, description = "Up, database reachable", body = Envelope<Health>),
        (status = 503, description = "SERVICE_UNAVAILABLE: the database does not answer", body = ErrorEnvelope),
    ))]
pub async fn health(ctx: &Context<'_>, _call: &Call<'_>) -> Result<Response, AppError> {
    match crate::api::store::answers(ctx.db).await {
        Ok(true) => {
            Ok(json::ok(200, Health { status: "ok".into(), database: "ok".into(), time: rfc3339(ctx.clock.now_ms()) }))
        }
        Ok(false) => Err(AppError::ServiceUnavailable("database answered unexpectedly".into())),
        Err(e) => {
            tracing::error!(cause = %e, "health check: database unreachable");
            Err(AppError::ServiceUnavailable("database unreachable".into()))
        }
    }
}
