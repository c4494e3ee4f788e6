//! Notification handlers: the caller's own notifications, listed and marked read, in one
//! workspace or across all of theirs.

use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::collab::model::{Inbox, Marked, NotificationPage};
use crate::collab::store;
use crate::error::{AppError, ErrorEnvelope};

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/notifications", tag = "notifications", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("unread" = Option<bool>, Query, description = "Only unread ones"),
           crate::api::paging::PageQuery),
    responses((status = 200, description = "The caller's notifications, newest first, with the unread count", body = Envelope<NotificationPage>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.params.get("workspaceId")?;
    let me = &call.caller()?.user_id;
    let only_unread = call.req.query_flag("unread")?;
    let crate::api::paging::ById { limit, after } = crate::api::paging::by_id(call.req)?;
    // The membership check, the page and the unread count: one round trip.
    let reads = store::notifications::list_reads(ws, me, only_unread, &after, limit);
    let (_, answers) = call.admitted_reads(ctx.db, reads.into()).await?;
    let (mut items, unread) = store::notifications::list_of(&answers)?;
    let next_cursor = crate::api::paging::next_cursor(&mut items, limit, |n| &n.id);
    Ok(json::ok(200, NotificationPage { items, unread, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/notifications/{notificationId}/read", tag = "notifications", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("notificationId" = String, Path)),
    responses((status = 200, description = "Marked read (again is harmless)", body = Envelope<Marked>),
              (status = 404, description = "NOT_FOUND: also another member's notification", body = ErrorEnvelope)))]
pub async fn mark_read(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = &call.member()?.workspace_id;
    let me = &call.caller()?.user_id;
    let id = call.params.get("notificationId")?;
    if !store::notifications::exists(ctx.db, ws, me, id).await? {
        return Err(AppError::not_found("notification"));
    }
    let marked = store::notifications::mark_read(ctx.db, ws, me, id, ctx.clock.now_ms()).await?;
    Ok(json::ok(200, Marked { marked }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "Every unread notification of the caller marked read", body = Envelope<Marked>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn mark_all_read(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = &call.member()?.workspace_id;
    let me = &call.caller()?.user_id;
    let marked = store::notifications::mark_all_read(ctx.db, ws, me, ctx.clock.now_ms()).await?;
    Ok(json::ok(200, Marked { marked }))
}

#[utoipa::path(get, path = "/api/v1/users/me/notifications", tag = "notifications", security(("bearer" = [])),
    params(("unread" = Option<bool>, Query, description = "Only unread ones"), crate::api::paging::PageQuery),
    responses((status = 200, description = "The caller's notifications in every workspace they are a member of (not archived ones), newest first, each with its workspace; the unread count of each workspace that has any, and their sum", body = Envelope<Inbox>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope)))]
pub async fn inbox(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let me = &call.caller()?.user_id;
    let only_unread = call.req.query_flag("unread")?;
    let crate::api::paging::ById { limit, after } = crate::api::paging::by_id(call.req)?;
    // The page and every workspace's unread count: one round trip.
    let answers = ctx.db.reads(&store::notifications::inbox_reads(me, only_unread, &after, limit)).await?;
    let (mut items, workspaces) = store::notifications::inbox_of(&answers)?;
    let next_cursor = crate::api::paging::next_cursor(&mut items, limit, |n| &n.notification.id);
    let unread = workspaces.iter().map(|w| w.unread).sum();
    Ok(json::ok(200, Inbox { items, unread, workspaces, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/users/me/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, description = "Every unread notification of the caller marked read, in every workspace they are a member of", body = Envelope<Marked>),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope)))]
pub async fn mark_inbox_read(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let me = &call.caller()?.user_id;
    let marked = store::notifications::mark_inbox_read(ctx.db, me, ctx.clock.now_ms()).await?;
    Ok(json::ok(200, Marked { marked }))
}
