//! Comment handlers, on posts and on ideas (SPEC AP-3): the idea routes answer as the post
//! routes do, the subject read from the path.

use serde_json::json;

use crate::activity::{self, Change};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::permissions::Role;
use crate::api::{Call, Context, Response};
use crate::collab::model::{CommentInput, CommentView, SubjectKind};
use crate::collab::notifications::{self, Notice};
use crate::collab::{comments, store};
use crate::error::{AppError, ErrorEnvelope};
use crate::validate::rfc3339;

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), PageQuery),
    responses((status = 200, description = "Comments, oldest first; a Client member gets only client-visible ones", body = Envelope<Page<CommentView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_id(call.req)?;
    let (kind, subject) = match call.params.get("postId") {
        Ok(post) => (SubjectKind::Post, post),
        Err(_) => (SubjectKind::Idea, call.params.get("ideaId")?),
    };
    // The membership check, the subject behind the caller's wall and the page: one round trip.
    let ws = call.params.get("workspaceId")?;
    let reads = store::comments::page_reads(ws, &call.caller()?.user_id, kind, subject, &paging);
    let (_, answers) = call.admitted_reads(ctx.db, reads.into()).await?;
    Ok(json::ok(200, store::comments::page_of(kind, &answers, &paging)?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)), request_body = CommentInput,
    responses((status = 201, description = "Posted; mentioned members are notified in the app and by mail", body = Envelope<CommentView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: CommentInput = json::parse(&call.req.body)?;
    let me = call.caller()?.user_id.clone();
    let mentioned = input.mentions.clone().unwrap_or_default();
    let (on, found, from) = comments::subject_and_mentioned(ctx, call, &mentioned).await?;
    let member = call.member()?;
    let (new, addresses) = comments::parse(member, &on, input, &found)?;
    let now = ctx.clock.now_ms();
    let view = CommentView {
        id: ctx.new_id(),
        subject_type: on.kind.as_str().to_string(),
        subject_id: on.id.clone(),
        author_id: me,
        body: new.body,
        visibility: new.visibility,
        mentions: new.mentions,
        created_at: rfc3339(now),
    };
    let insert = store::comments::insert(&member.workspace_id, &on, &view, now);
    let change = Change {
        action: "comment.create",
        entity_type: "comment",
        entity_id: &view.id,
        before: None,
        after: Some(json!({
            "on": on.kind.as_str(),
            "id": on.id,
            "visibility": view.visibility.as_str(),
            "mentions": view.mentions
        })),
    };
    ctx.db.batch(&[insert, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    let notice = Notice {
        kind: "comment.mention",
        title: format!("You were mentioned on \"{}\"", on.title),
        body: view.body.clone(),
        subject_type: on.kind.as_str(),
        subject_id: &on.id,
    };
    let recipients = notifications::Recipients { people: addresses, from };
    notifications::notify_addressed(ctx, call, &member.workspace_id, &recipients, notice).await;
    Ok(json::ok(201, view))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments/{commentId}", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), ("commentId" = String, Path)),
    responses((status = 200, description = "Deleted", body = Envelope<CommentView>),
              (status = 403, description = "FORBIDDEN: only its author, an owner or an admin", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn delete(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let me = &call.caller()?.user_id;
    let on = comments::subject(ctx, call).await?;
    let client_only = member.role == Role::Client;
    let id = call.params.get("commentId")?;
    let comment = store::comments::visible(ctx.db, &member.workspace_id, &on, id, client_only).await?;
    if comment.author_id != *me && !matches!(member.role, Role::Owner | Role::Admin) {
        return Err(AppError::Forbidden("only its author, an owner or an admin may delete a comment".into()));
    }
    let write = store::comments::delete(&member.workspace_id, on.kind, &comment.id, ctx.clock.now_ms());
    let change = Change {
        action: "comment.delete",
        entity_type: "comment",
        entity_id: &comment.id,
        before: serde_json::to_value(&comment).ok(),
        after: None,
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, comment))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path), PageQuery),
    responses((status = 200, description = "Comments on the idea, oldest first; a Client member gets only client-visible ones", body = Envelope<Page<CommentView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list_on_idea(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    list(ctx, call).await
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path)), request_body = CommentInput,
    responses((status = 201, description = "Posted; mentioned members are notified", body = Envelope<CommentView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create_on_idea(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    create(ctx, call).await
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments/{commentId}", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path), ("commentId" = String, Path)),
    responses((status = 200, description = "Deleted", body = Envelope<CommentView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn delete_on_idea(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    delete(ctx, call).await
}
