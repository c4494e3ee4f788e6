//! The caller's sessions: list them, revoke one or all (SPEC IAM-1). A revoked session's
//! refresh token no longer works; access tokens it already holds end with their short life.

use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::identity::model::{SessionView, SessionsRevoked};
use crate::identity::sessions;

#[utoipa::path(get, path = "/api/v1/users/me/sessions", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's live sessions (signed-in devices), most recently used first; `current` marks the caller's own", body = Envelope<Vec<SessionView>>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let caller = call.caller()?;
    Ok(json::ok(200, sessions::list(ctx, &caller.user_id, caller.session_id.as_deref()).await?))
}

#[utoipa::path(delete, path = "/api/v1/users/me/sessions/{sessionId}", tag = "users", security(("bearer" = [])),
    params(("sessionId" = String, Path)),
    responses(
        (status = 200, description = "The session is revoked: its refresh token no longer works (the cookie is cleared when it is the caller's own)", body = Envelope<SessionsRevoked>),
        (status = 400, description = "VALIDATION_ERROR: not an id", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: no live session of the caller's with this id", body = ErrorEnvelope),
    ))]
pub async fn revoke(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let caller = call.caller()?;
    let session_id = call.params.get("sessionId")?;
    if !sessions::revoke(ctx, &caller.user_id, session_id).await? {
        return Err(AppError::not_found("session"));
    }
    let response = json::ok(200, SessionsRevoked { revoked: 1 });
    Ok(if caller.session_id.as_deref() == Some(session_id) {
        response.with_header("set-cookie", sessions::clear_cookie())
    } else {
        response
    })
}

#[utoipa::path(delete, path = "/api/v1/users/me/sessions", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every session of the caller is revoked, its own included (sign out everywhere); the cookie is cleared", body = Envelope<SessionsRevoked>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn revoke_all(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let caller = call.caller()?;
    let live = sessions::list(ctx, &caller.user_id, None).await?.len() as u64;
    ctx.db.batch(&[sessions::revoke_all(&caller.user_id, None, ctx.clock.now_ms())]).await?;
    Ok(json::ok(200, SessionsRevoked { revoked: live }).with_header("set-cookie", sessions::clear_cookie()))
}
