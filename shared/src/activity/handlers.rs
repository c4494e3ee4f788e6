//! The activity logs as the API reads them: a workspace's, and a user's own.

use super::store;
use super::{AccountEntry, ActivityPage, ActivityQuery};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};

fn time_param(call: &Call<'_>, name: &str, default: i64) -> Result<i64, AppError> {
    match call.req.query_param(name) {
        None => Ok(default),
        Some(t) => t
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .map_err(|_| AppError::field(name, "must be an RFC 3339 time such as 2026-11-23T10:00:00Z")),
    }
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/activity", tag = "activity", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ActivityQuery),
    responses(
        (status = 200, description = "Changes, newest first", body = Envelope<ActivityPage>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: owners and admins only", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let text = |name: &str| call.req.query_param(name).unwrap_or_default();
    let since = time_param(call, "since", 0)?;
    let until = time_param(call, "until", i64::MAX)?;
    let limit = crate::api::paging::limit(call.req)?;
    // Empty text means "no filter": one statement, typed parameters, on every dialect.
    let filter = store::Filter {
        actor_id: &text("actorId"),
        entity_type: &text("entityType"),
        entity_id: &text("entityId"),
        action: &text("action"),
        since,
        until,
    };
    // The membership check (owners and admins only) and the page: one round trip.
    let read = store::page_read(call.params.get("workspaceId")?, &filter, &text("cursor"), limit);
    let (_, mut items) = call.admitted_one(ctx.db, read, store::page_of).await?;
    let next_cursor = crate::api::paging::next_cursor(&mut items, limit, |e| &e.id);
    Ok(json::ok(200, ActivityPage { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/users/me/activity", tag = "users", security(("bearer" = [])),
    params(crate::api::paging::PageQuery),
    responses(
        (status = 200, description = "Changes to the caller's own account (profile, password, address), newest first", body = Envelope<crate::api::paging::Page<AccountEntry>>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn list_account(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let user_id = &call.caller()?.user_id;
    let crate::api::paging::ById { limit, after } = crate::api::paging::by_id(call.req)?;
    let mut items = store::account_page(ctx.db, user_id, &after, limit).await?;
    let next_cursor = crate::api::paging::next_cursor(&mut items, limit, |e| &e.id);
    Ok(json::ok(200, crate::api::paging::Page { items, next_cursor }))
}
