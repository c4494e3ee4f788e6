//! `GET /health`: the service answers and its database does (SPEC PL-7).

use serde::Serialize;
use utoipa::ToSchema;

use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::validate::rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
    pub time: String,
}

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

use crate::route;

/// The health check.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "health",
    routes: &[route!(GET "/health", health, Public, health).unlimited()],
    inputs: &[],
};
