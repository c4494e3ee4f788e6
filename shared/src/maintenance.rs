//! Scheduled work: what the Worker's cron trigger runs every minute, and what any other
//! scheduler runs through `POST /api/v1/internal/tick` (Spin has no cron of its own).

use serde::Serialize;
use utoipa::ToSchema;

use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::params;
use crate::sql::Scope;

/// Spent or expired refresh tokens are kept this long, so a replay is still recognised
/// as reuse (and revokes its family) rather than as an unknown token.
const REFRESH_GRACE_MS: i64 = 7 * 24 * 3600 * 1000;
/// Expired, unaccepted invitations are kept this long for the activity trail.
const INVITE_GRACE_MS: i64 = 30 * 24 * 3600 * 1000;

#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TickReport {
    pub refresh_tokens_purged: u64,
    pub invites_purged: u64,
    pub idempotency_keys_purged: u64,
    /// What the publishing engine did this tick.
    pub publishing: crate::publishing::engine::PublishReport,
}

pub async fn tick(ctx: &Context<'_>) -> Result<TickReport, AppError> {
    let now = ctx.clock.now_ms();
    // Maintenance spans every tenant.
    ctx.db.set_scope(Scope { system: true, ..Scope::default() });
    let refresh_tokens_purged =
        ctx.db.execute("DELETE FROM refresh_tokens WHERE expires_at < ?1", &params![now - REFRESH_GRACE_MS]).await?;
    let invites_purged = ctx
        .db
        .execute("DELETE FROM invites WHERE accepted_at IS NULL AND expires_at < ?1", &params![now - INVITE_GRACE_MS])
        .await?;
    let idempotency_keys_purged = ctx
        .db
        .execute("DELETE FROM idempotency_keys WHERE created_at < ?1", &params![now - crate::api::IDEMPOTENCY_TTL_MS])
        .await?;
    // Mailed tokens live a day at most and count towards the hour's mail limit: a day later
    // nobody needs them. A session whose refresh tokens are all purged is gone.
    ctx.db.execute("DELETE FROM email_tokens WHERE expires_at < ?1", &params![now - 24 * 3600 * 1000]).await?;
    ctx.db
        .execute(
            "DELETE FROM sessions WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = sessions.id)",
            &[],
        )
        .await?;
    // OAuth states live ten minutes; a day later nobody needs them.
    ctx.db.execute("DELETE FROM oauth_states WHERE expires_at < ?1", &params![now - 24 * 3600 * 1000]).await?;
    let publishing = crate::publishing::engine::tick(ctx).await?;
    Ok(TickReport { refresh_tokens_purged, invites_purged, idempotency_keys_purged, publishing })
}

#[utoipa::path(post, path = "/api/v1/internal/tick", tag = "platform", security(("bearer" = [])),
    responses(
        (status = 200, description = "Ran the scheduled work once. Authorized by the TICK_SECRET bearer token; the route exists only when TICK_SECRET is set.", body = Envelope<TickReport>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn tick_route(ctx: &Context<'_>, _call: &Call<'_>) -> Result<Response, AppError> {
    Ok(json::ok(200, tick(ctx).await?))
}

use crate::route;

/// The scheduler's tick.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "maintenance",
    routes: &[route!(POST "/api/v1/internal/tick", tick, Scheduler, tick_route)],
    inputs: &[],
};
