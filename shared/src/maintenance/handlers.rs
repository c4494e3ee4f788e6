//! The tick route, for schedulers without a cron trigger of their own.

use super::{tick, TickReport};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};

#[utoipa::path(post, path = "/api/v1/internal/tick", tag = "platform", security(("bearer" = [])),
    responses(
        (status = 200, description = "Ran the scheduled work once. Authorized by the TICK_SECRET bearer token; the route exists only when TICK_SECRET is set, on hosts without a cron trigger of their own (Spin, the native server): on Cloudflare the publisher Worker's cron does this work and the API Worker has no such route.", body = Envelope<TickReport>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn tick_route(ctx: &Context<'_>, _call: &Call<'_>) -> Result<Response, AppError> {
    Ok(json::ok(200, tick(ctx).await?))
}
