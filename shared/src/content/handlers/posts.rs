//! Post handlers: list, create, read, edit, soft delete, archive (SPEC CT-1, CT-3, CT-7).

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::activity::{self, Change};
use crate::api::documented::{query, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Member, Response};
use crate::content::editing::{create_one, parse_targets, resolve_links, save_edit};
use crate::content::posts::{self, Content, PostFilter, PostInput, PostView};
use crate::content::status::{Event, PostStatus};
use crate::content::store::posts as store;
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::sql::DbError;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostPage {
    pub items: Vec<PostView>,
    /// For cursor paging (sort `newest` or `oldest`): pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
    /// For offset paging: the offset of the next page.
    pub next_offset: Option<i64>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
struct PostQuery {
    /// Full-text search over title, body and tags: every word must match, the last one as a prefix.
    q: Option<String>,
    /// draft, in_review, approved, scheduled, publishing, published, failed or archived
    status: Option<String>,
    campaign_id: Option<String>,
    client_id: Option<String>,
    /// Posts with a target on this platform.
    platform: Option<String>,
    /// A whole tag, matched without case: `%` and `_` are characters like any other.
    tag: Option<String>,
    author_id: Option<String>,
    /// RFC 3339: created at or after.
    from: Option<String>,
    /// RFC 3339: created before.
    to: Option<String>,
    /// newest (default), oldest, updated, title. Cursor paging works with newest and oldest.
    sort: Option<String>,
    cursor: Option<String>,
    /// Offset paging, instead of a cursor.
    #[param(minimum = 0, maximum = 1000000)]
    offset: Option<u32>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), PostQuery),
    responses((status = 200, description = "Posts matching every filter", body = Envelope<PostPage>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let filter = PostFilter::parse(|name| call.req.query_param(name))?;
    // The membership check, the page and its targets: one round trip.
    let workspace_id = call.params.get("workspaceId")?;
    let (membership, items, more) =
        store::list(ctx.db, call.membership_read()?, workspace_id, &call.caller()?.user_id, &filter).await?;
    call.admit(&membership)?;
    let page = PostPage {
        next_cursor: (more && !filter.by_offset).then(|| items.last().map(|p| p.id.clone())).flatten(),
        next_offset: (more && filter.by_offset).then_some(filter.offset + filter.limit),
        items,
    };
    Ok(json::ok(200, page))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = PostInput,
    responses((status = 201, description = "Created as version 1, in draft", body = Envelope<PostView>),
              (status = 400, description = "VALIDATION_ERROR: every field and every platform rule broken, each with its field", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: PostInput = json::parse(&call.req.body)?;
    Ok(json::ok(201, create_one(ctx, call, input).await?))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)),
    responses((status = 200, description = "The post", body = Envelope<PostView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check and the post with its targets: one round trip.
    let (workspace_id, post_id) = (call.params.get("workspaceId")?, call.params.get("postId")?);
    let (membership, post) =
        store::load_after(ctx.db, call.membership_read()?, workspace_id, &call.caller()?.user_id, post_id).await?;
    call.admit(&membership)?;
    Ok(json::ok(200, post.ok_or_else(|| AppError::not_found("post"))?))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)), request_body = PostInput,
    responses((status = 200, description = "Updated; a content change is a new version; a content change or a new client or campaign sends an approved post back to review, and restarts an open review under the workflow that now applies (the message says so)", body = Envelope<PostView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: a stale version, or a post that can no longer be edited", body = ErrorEnvelope)))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (member, before) = admitted_post(ctx, call).await?;
    let member = &member;
    let input: PostInput = json::parse(&call.req.body)?;
    if let Some(v) = input.version {
        if v != before.version {
            return Err(AppError::Conflict(format!("the post is at version {}, not {v}; reload it", before.version)));
        }
    }
    let mut errors = Vec::new();
    let title = match input.title.as_deref().map(posts::parse_title) {
        Some(Ok(t)) => t,
        Some(Err(m)) => {
            errors.push(FieldError::new("title", m));
            before.title.clone()
        }
        None => before.title.clone(),
    };
    // Under privacy mode nothing of the old body is known: an edit sends the whole content.
    let old_body = before.body.clone().unwrap_or_default();
    let body = match input.body.map(posts::parse_body) {
        Some(Ok(b)) => b,
        Some(Err(m)) => {
            errors.push(FieldError::new("body", m));
            old_body.clone()
        }
        None => old_body.clone(),
    };
    let mut after = before.clone();
    if let Some(tags) = input.tags {
        match posts::parse_tags(tags) {
            Ok(t) => after.tags = t,
            Err(m) => errors.push(FieldError::new("tags", m)),
        }
    }
    if input.campaign_id.is_some() || input.client_id.is_some() {
        let campaign = input.campaign_id.or(before.campaign_id.clone());
        let client = input.client_id.or(before.client_id.clone());
        (after.campaign_id, after.client_id) =
            resolve_links(ctx.db, member, call, campaign, client, &mut errors).await?;
    }
    let targets = match input.targets {
        Some(t) => parse_targets(ctx, &member.workspace_id, &body, t, &before.targets, &mut errors).await?,
        None => before.targets.clone(),
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let old = Content { title: before.title.clone(), body: old_body, targets: before.targets.clone() };
    let new = Content { title, body, targets };
    let changed = (new.hash() != before.content_hash && new != old).then_some(new);
    let (view, message) = save_edit(ctx, call, &before, after, changed, None, "post.update", Vec::new()).await?;
    Ok(json::ok_with_message(200, view, message))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)),
    responses((status = 200, description = "Deleted (soft: kept for the activity trail, gone from the API)", body = Envelope<PostView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: the post is being published", body = ErrorEnvelope)))]
pub async fn delete(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (member, before) = admitted_post(ctx, call).await?;
    let member = &member;
    if matches!(before.status, PostStatus::Publishing | PostStatus::Scheduled) {
        return Err(AppError::Conflict(format!(
            "a {} post cannot be deleted; unschedule it first",
            before.status.as_str()
        )));
    }
    let mut writes = store::delete(&member.workspace_id, &before, ctx.clock.now_ms()).to_vec();
    let change = Change {
        action: "post.delete",
        entity_type: "post",
        entity_id: &before.id,
        before: Some(activity::snapshot(&before)),
        after: None,
    };
    writes.push(activity::record(ctx, call, &member.workspace_id, change));
    ctx.db.batch(&writes).await.map_err(|e| match e {
        DbError::Constraint(_) => AppError::Conflict("the post changed while it was being deleted; reload it".into()),
        other => other.into(),
    })?;
    Ok(json::ok(200, before))
}

/// The caller's membership check and the post in the path, with its targets, as the caller may
/// see it: one round trip.
async fn admitted_post(ctx: &Context<'_>, call: &Call<'_>) -> Result<(Member, PostView), AppError> {
    let (workspace_id, id) = (call.params.get("workspaceId")?, call.params.get("postId")?);
    let (membership, post) =
        store::load_after(ctx.db, call.membership_read()?, workspace_id, &call.caller()?.user_id, id).await?;
    let member = call.admit(&membership)?;
    Ok((member, post.ok_or_else(|| AppError::not_found("post"))?))
}

async fn transition(ctx: &Context<'_>, call: &Call<'_>, event: Event, action: &str) -> Result<Response, AppError> {
    let member = call.member()?;
    let before = store::load(ctx.db, &member.workspace_id, "", call.params.get("postId")?).await?;
    let next = before.status.apply(event).map_err(|e| AppError::Conflict(e.to_string()))?;
    let after = PostView { status: next, ..before.clone() };
    let (view, _) = save_edit(ctx, call, &before, after, None, None, action, Vec::new()).await?;
    Ok(json::ok(200, view))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/archive", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)),
    responses((status = 200, description = "Archived", body = Envelope<PostView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: scheduled or publishing posts cannot be archived", body = ErrorEnvelope)))]
pub async fn archive(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    transition(ctx, call, Event::Archive, "post.archive").await
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/unarchive", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)),
    responses((status = 200, description = "Back to draft", body = Envelope<PostView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: the post is not archived", body = ErrorEnvelope)))]
pub async fn unarchive(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    transition(ctx, call, Event::Unarchive, "post.unarchive").await
}

/// What `list` checks of its query, as the OpenAPI document states it (empty means no filter).
pub const DOCUMENTED: &[Documented] = &[
    query(
        "listPosts",
        "status",
        Rule::OneOf(&[
            "",
            "draft",
            "in_review",
            "approved",
            "scheduled",
            "publishing",
            "published",
            "failed",
            "archived",
        ]),
    ),
    query(
        "listPosts",
        "platform",
        Rule::OneOf(&["", "x", "linkedin", "facebook", "instagram", "threads", "tiktok", "bluesky", "mastodon"]),
    ),
    query("listPosts", "from", Rule::DateTime),
    query("listPosts", "to", Rule::DateTime),
    query("listPosts", "sort", Rule::OneOf(&["newest", "oldest", "updated", "title"])),
];
