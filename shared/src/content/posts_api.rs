//! Post handlers: list, create, read, edit, soft delete, archive (SPEC CT-1, CT-3, CT-7).

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::posts::{self, Content, PostFilter, PostInput, PostView};
use super::status::{Event, PostStatus};
use crate::activity::{self, Change};
use crate::agency::client_limit;
use crate::api::documented::{query, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::params;
use crate::sql::{DbError, Statement};
use crate::workflows::opening::restart;

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
    let member = call.member()?;
    let filter = PostFilter::parse(|name| call.req.query_param(name))?;
    let (items, more) = posts::list(ctx.db, &member.workspace_id, &client_limit(call, member)?, &filter).await?;
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

/// Creates one post as version 1, in draft, with its targets, version and activity entry in
/// one atomic batch. Shared by the API and the CSV import.
pub async fn create_one(ctx: &Context<'_>, call: &Call<'_>, input: PostInput) -> Result<PostView, AppError> {
    let member = call.member()?;
    let author = call.caller()?.user_id.clone();
    let mut errors = Vec::new();
    if input.version.is_some() {
        errors.push(FieldError::new("version", "is only for updates"));
    }
    let title = match input.title.as_deref().map(posts::parse_title) {
        Some(Ok(t)) => t,
        Some(Err(m)) => {
            errors.push(FieldError::new("title", m));
            String::new()
        }
        None => {
            errors.push(FieldError::new("title", "is required"));
            String::new()
        }
    };
    let body = posts::parse_body(input.body.unwrap_or_default()).unwrap_or_else(|m| {
        errors.push(FieldError::new("body", m));
        String::new()
    });
    let tags = posts::parse_tags(input.tags.unwrap_or_default()).unwrap_or_else(|m| {
        errors.push(FieldError::new("tags", m));
        Vec::new()
    });
    let (campaign_id, client_id) =
        posts::resolve_links(ctx.db, member, call, input.campaign_id, input.client_id, &mut errors).await?;
    let targets =
        posts::parse_targets(ctx, &member.workspace_id, &body, input.targets.unwrap_or_default(), &[], &mut errors)
            .await?;
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let private = posts::privacy_mode(ctx.db, &member.workspace_id).await?;
    let keep = !private;
    let content = Content { title, body, targets };
    let now = ctx.clock.now_ms();
    let id = ctx.new_id();
    let view = PostView {
        id: id.clone(),
        title: content.title.clone(),
        body: keep.then(|| content.body.clone()),
        content_hash: content.hash(),
        status: PostStatus::Draft,
        campaign_id,
        client_id,
        tags,
        author_id: author.clone(),
        version: 1,
        private,
        targets: content
            .targets
            .iter()
            .map(|t| posts::TargetView { text: if keep { t.text.clone() } else { None }, ..t.clone() })
            .collect(),
        created_at: crate::validate::rfc3339(now),
        updated_at: crate::validate::rfc3339(now),
    };
    let mut batch = vec![Statement::new(
        "INSERT INTO posts (id, workspace_id, campaign_id, client_id, title, body, content_hash, status, tags, author_id, \
         version, private, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'draft', ?8, ?9, 1, ?10, ?11, ?11)",
        params![
            id.as_str(),
            member.workspace_id.as_str(),
            view.campaign_id.clone(),
            view.client_id.clone(),
            view.title.as_str(),
            view.body.clone(),
            view.content_hash.as_str(),
            serde_json::to_string(&view.tags).unwrap_or_else(|_| "[]".into()),
            author.as_str(),
            i64::from(private),
            now
        ],
    )];
    batch.extend(posts::write_tags(&member.workspace_id, &id, &view.tags));
    batch.extend(posts::write_targets(&member.workspace_id, &id, &content.targets, keep, now));
    batch.push(posts::write_version(ctx, &member.workspace_id, &id, 1, &content, keep, &author, None));
    let change = Change {
        action: "post.create",
        entity_type: "post",
        entity_id: &id,
        before: None,
        after: Some(activity::snapshot(&view)),
    };
    batch.push(activity::record(ctx, call, &member.workspace_id, change));
    ctx.db.batch(&batch).await?;
    Ok(view)
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)),
    responses((status = 200, description = "The post", body = Envelope<PostView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    Ok(json::ok(
        200,
        posts::load(ctx.db, &member.workspace_id, &client_limit(call, member)?, call.params.get("postId")?).await?,
    ))
}

/// Applies a new content and status to a post as the next version, atomically; answers the
/// post as stored and the sentence to tell the user, if any.
pub async fn save_edit(
    ctx: &Context<'_>,
    call: &Call<'_>,
    before: &PostView,
    after: PostView,
    content: Option<Content>,
    note: Option<String>,
    action: &str,
    extra: Vec<Statement>,
) -> Result<(PostView, Option<String>), AppError> {
    let member = call.member()?;
    let now = ctx.clock.now_ms();
    let mut after = after;
    let keep = !after.private;
    let mut message = None;
    let mut batch = Vec::new();
    // The client (and the campaign, which can bring one) selects the workflow: moving a post to
    // another is an edit its approvals must pass again, exactly like new text.
    let relinked = after.client_id != before.client_id || after.campaign_id != before.campaign_id;
    if content.is_some() || relinked {
        let next = before.status.apply(Event::Edit).map_err(|e| AppError::Conflict(e.to_string()))?;
        // A change under review starts the review again, from the first stage of the workflow
        // that governs the post as it will be.
        let (next, restart) = if next == PostStatus::InReview {
            let submitter = call.caller()?.user_id.clone();
            let version = if content.is_some() { before.version + 1 } else { before.version };
            let as_edited = PostView { version, ..after.clone() };
            let restart = restart(ctx, &member.workspace_id, &as_edited.review_subject(), &submitter).await?;
            (if restart.in_review { PostStatus::InReview } else { PostStatus::Approved }, restart.statements)
        } else {
            (next, Vec::new())
        };
        batch.extend(restart);
        if before.status == PostStatus::Scheduled {
            // Approved text is what was scheduled: changed text waits for approval again.
            batch.push(Statement::new(
                "UPDATE publications SET status = 'cancelled', reason = 'the post was edited after it was scheduled', \
                 updated_at = ?3 WHERE workspace_id = ?1 AND post_id = ?2 AND status IN ('scheduled', 'retrying')",
                params![member.workspace_id.as_str(), before.id.as_str(), now],
            ));
        }
        if next != before.status {
            message =
                Some(format!("the post was {}; the edit sent it back to {}", before.status.as_str(), next.as_str()));
        } else if before.status == PostStatus::InReview {
            message = Some("the post was in review; its approvals start again".into());
        }
        after.status = next;
    }
    if let Some(content) = &content {
        after.version = before.version + 1;
        after.title = content.title.clone();
        after.body = keep.then(|| content.body.clone());
        after.content_hash = content.hash();
        after.targets = content
            .targets
            .iter()
            .map(|t| posts::TargetView { text: if keep { t.text.clone() } else { None }, ..t.clone() })
            .collect();
        batch.extend(posts::write_targets(&member.workspace_id, &after.id, &content.targets, keep, now));
        batch.push(posts::write_version(
            ctx,
            &member.workspace_id,
            &after.id,
            after.version,
            content,
            keep,
            &call.caller()?.user_id,
            note,
        ));
    }
    after.updated_at = crate::validate::rfc3339(now);
    // The version and status checks make a concurrent change win and this one lose with 409;
    // the guard aborts the whole batch when the update did not apply.
    let mut head = vec![
        Statement::new(
            "UPDATE posts SET title = ?3, body = ?4, content_hash = ?5, status = ?6, campaign_id = ?7, client_id = ?8, \
             tags = ?9, version = ?10, updated_at = ?11 \
             WHERE workspace_id = ?1 AND id = ?2 AND version = ?12 AND status = ?13 AND deleted_at IS NULL",
            params![
                member.workspace_id.as_str(),
                after.id.as_str(),
                after.title.as_str(),
                after.body.clone(),
                after.content_hash.as_str(),
                after.status.as_str(),
                after.campaign_id.clone(),
                after.client_id.clone(),
                serde_json::to_string(&after.tags).unwrap_or_else(|_| "[]".into()),
                after.version,
                now,
                before.version,
                before.status.as_str()
            ],
        ),
        Statement::guard(
            "SELECT 1 FROM posts WHERE workspace_id = ?1 AND id = ?2 AND version = ?3 AND status = ?4 AND updated_at = ?5",
            params![member.workspace_id.as_str(), after.id.as_str(), after.version, after.status.as_str(), now],
        ),
    ];
    head.append(&mut batch);
    let mut batch = head;
    if after.tags != before.tags {
        batch.extend(posts::write_tags(&member.workspace_id, &after.id, &after.tags));
    }
    batch.extend(extra);
    let change = Change {
        action,
        entity_type: "post",
        entity_id: &after.id,
        before: Some(activity::snapshot(before)),
        after: Some(activity::snapshot(&after)),
    };
    batch.push(activity::record(ctx, call, &member.workspace_id, change));
    ctx.db.batch(&batch).await.map_err(|e| match e {
        DbError::Unique(_) | DbError::Constraint(_) => {
            AppError::Conflict("the post was changed by someone else; reload it".into())
        }
        other => other.into(),
    })?;
    Ok((after, message))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)), request_body = PostInput,
    responses((status = 200, description = "Updated; a content change is a new version; a content change or a new client or campaign sends an approved post back to review, and restarts an open review under the workflow that now applies (the message says so)", body = Envelope<PostView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: a stale version, or a post that can no longer be edited", body = ErrorEnvelope)))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: PostInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let before = posts::load(ctx.db, &member.workspace_id, "", call.params.get("postId")?).await?;
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
            posts::resolve_links(ctx.db, member, call, campaign, client, &mut errors).await?;
    }
    let targets = match input.targets {
        Some(t) => posts::parse_targets(ctx, &member.workspace_id, &body, t, &before.targets, &mut errors).await?,
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
    let member = call.member()?;
    let before = posts::load(ctx.db, &member.workspace_id, "", call.params.get("postId")?).await?;
    if matches!(before.status, PostStatus::Publishing | PostStatus::Scheduled) {
        return Err(AppError::Conflict(format!(
            "a {} post cannot be deleted; unschedule it first",
            before.status.as_str()
        )));
    }
    let now = ctx.clock.now_ms();
    let write = Statement::new(
        "UPDATE posts SET deleted_at = ?3, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL",
        params![member.workspace_id.as_str(), before.id.as_str(), now],
    );
    let change = Change {
        action: "post.delete",
        entity_type: "post",
        entity_id: &before.id,
        before: Some(activity::snapshot(&before)),
        after: None,
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, before))
}

async fn transition(ctx: &Context<'_>, call: &Call<'_>, event: Event, action: &str) -> Result<Response, AppError> {
    let member = call.member()?;
    let before = posts::load(ctx.db, &member.workspace_id, "", call.params.get("postId")?).await?;
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
