//! Notifications (SPEC CO-4, in-app and email): written when a post is submitted, decided or a
//! member is mentioned; listed, counted and marked read by their recipient. A notification is
//! a side effect: it is written after the change it reports, and its failure is logged, never
//! undoing or failing that change.

use serde::Serialize;
use utoipa::ToSchema;

use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::identity::users;
use crate::mail::MailMessage;
use crate::params;
use crate::sql::{Row, Statement};
use crate::validate::rfc3339;

/// One notice to several recipients.
pub struct Notice<'a> {
    /// e.g. `approval.requested`, `approval.approved`, `approval.rejected`, `comment.mention`.
    pub kind: &'a str,
    pub title: String,
    pub body: String,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
}

/// Records `notice` for each recipient (never the actor) and mails it to them.
pub async fn notify(ctx: &Context<'_>, call: &Call<'_>, workspace_id: &str, recipients: &[String], notice: Notice<'_>) {
    let actor = call.caller.as_ref().map(|c| c.user_id.as_str()).unwrap_or_default();
    notify_from(ctx, actor, workspace_id, recipients, notice).await
}

/// [`notify`] for work no request made (the publisher): `actor` is left out of the recipients.
pub async fn notify_from(
    ctx: &Context<'_>,
    actor: &str,
    workspace_id: &str,
    recipients: &[String],
    notice: Notice<'_>,
) {
    let mut to: Vec<&String> = recipients.iter().filter(|r| r.as_str() != actor).collect();
    to.sort();
    to.dedup();
    if to.is_empty() {
        return;
    }
    let now = ctx.clock.now_ms();
    let statements: Vec<Statement> = to
        .iter()
        .map(|user| {
            Statement::new(
                "INSERT INTO notifications (id, workspace_id, user_id, kind, title, body, subject_type, subject_id, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    ctx.new_id(),
                    workspace_id,
                    user.as_str(),
                    notice.kind,
                    notice.title.as_str(),
                    notice.body.as_str(),
                    notice.subject_type,
                    notice.subject_id,
                    now
                ],
            )
        })
        .collect();
    if let Err(e) = ctx.db.batch(&statements).await {
        tracing::error!(cause = %e, kind = notice.kind, "notifications not recorded");
        return;
    }
    for user in to {
        match users::by_id(ctx.db, user).await {
            Ok(Some(u)) => {
                let message =
                    MailMessage { to: u.view.email, subject: notice.title.clone(), text: format!("{}\n", notice.body) };
                if let Err(e) = ctx.mail.send(&message).await {
                    tracing::warn!(cause = %e, kind = notice.kind, "notification mail not sent");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(cause = %e, "notification recipient unreadable"),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationView {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub subject_type: String,
    pub subject_id: String,
    pub read: bool,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub unread: i64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Marked {
    pub marked: u64,
}

fn decode(r: &Row) -> Result<NotificationView, AppError> {
    Ok(NotificationView {
        id: r.text("id")?,
        kind: r.text("kind")?,
        title: r.text("title")?,
        body: r.text("body")?,
        subject_type: r.text("subject_type")?,
        subject_id: r.text("subject_id")?,
        read: r.opt_int("read_at")?.is_some(),
        created_at: rfc3339(r.int("created_at")?),
    })
}

async fn unread(ctx: &Context<'_>, ws: &str, user: &str) -> Result<i64, AppError> {
    let row = ctx
        .db
        .query_one(
            "SELECT COUNT(*) AS n FROM notifications WHERE workspace_id = ?1 AND user_id = ?2 AND read_at IS NULL",
            &params![ws, user],
        )
        .await?;
    Ok(row.map(|r| r.int("n")).transpose()?.unwrap_or(0))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/notifications", tag = "notifications", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("unread" = Option<bool>, Query, description = "Only unread ones"),
           crate::api::paging::PageQuery),
    responses((status = 200, description = "The caller's notifications, newest first, with the unread count", body = Envelope<NotificationPage>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = &call.member()?.workspace_id;
    let me = &call.caller()?.user_id;
    let only_unread = call.req.query_flag("unread")?;
    let crate::api::paging::ById { limit, after } = crate::api::paging::by_id(call.req)?;
    let rows = ctx
        .db
        .query(
            "SELECT id, kind, title, body, subject_type, subject_id, read_at, created_at FROM notifications \
             WHERE workspace_id = ?1 AND user_id = ?2 AND (?3 = 0 OR read_at IS NULL) AND (?4 = '' OR id < ?4) \
             ORDER BY id DESC LIMIT ?5",
            &params![ws.as_str(), me.as_str(), i64::from(only_unread), after, limit + 1],
        )
        .await?;
    let mut items = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = crate::api::paging::next_cursor(&mut items, limit, |n| &n.id);
    Ok(json::ok(200, NotificationPage { items, unread: unread(ctx, ws, me).await?, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/notifications/{notificationId}/read", tag = "notifications", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("notificationId" = String, Path)),
    responses((status = 200, description = "Marked read (again is harmless)", body = Envelope<Marked>),
              (status = 404, description = "NOT_FOUND: also another member's notification", body = ErrorEnvelope)))]
pub async fn mark_read(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = &call.member()?.workspace_id;
    let me = &call.caller()?.user_id;
    let id = call.params.get("notificationId")?;
    let exists = ctx
        .db
        .query_one(
            "SELECT id FROM notifications WHERE workspace_id = ?1 AND user_id = ?2 AND id = ?3",
            &params![ws.as_str(), me.as_str(), id],
        )
        .await?;
    if exists.is_none() {
        return Err(AppError::not_found("notification"));
    }
    let marked = ctx
        .db
        .execute(
            "UPDATE notifications SET read_at = ?4 WHERE workspace_id = ?1 AND user_id = ?2 AND id = ?3 AND read_at IS NULL",
            &params![ws.as_str(), me.as_str(), id, ctx.clock.now_ms()],
        )
        .await?;
    Ok(json::ok(200, Marked { marked }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "Every unread notification of the caller marked read", body = Envelope<Marked>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn mark_all_read(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = &call.member()?.workspace_id;
    let me = &call.caller()?.user_id;
    let marked = ctx
        .db
        .execute(
            "UPDATE notifications SET read_at = ?3 WHERE workspace_id = ?1 AND user_id = ?2 AND read_at IS NULL",
            &params![ws.as_str(), me.as_str(), ctx.clock.now_ms()],
        )
        .await?;
    Ok(json::ok(200, Marked { marked }))
}
