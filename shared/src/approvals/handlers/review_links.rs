//! Review links (SPEC AG-5): made and revoked by Editors and above, and the decisions and
//! files their page serves to whoever holds one (see `approvals::review_links`).

use serde_json::json;

use crate::activity::{self, Change};
use crate::agency::ideas;
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::approvals::review_links::{
    acting, decision_form, distinct, link_stage, public_origin, vote_comment, Link, ReviewDecisionForm,
    ReviewLinkCreated, ReviewLinkInput, ReviewLinkView, DEFAULT_HOURS, MAX_HOURS, MAX_MINUTES, MAX_POSTS,
};
use crate::approvals::reviewing::{decidable_from, open_link_with};
use crate::approvals::store::{requests as request_store, review_links as store};
use crate::collab::notifications::{self, Notice};
use crate::content::editing::save_edit;
use crate::content::posts::PostView;
use crate::content::status::Event;
use crate::content::store::posts as post_store;
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::identity::model::Email;
use crate::identity::tokens;
use crate::sql::DbError;
use crate::validate;
use crate::workflows::{self as workflow, store as workflow_store};

// ── Management (signed-in Editors and above) ────────────────────────────────────────────

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/review-links", tag = "review", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = ReviewLinkInput,
    responses((status = 201, description = "The link, with its token and address: the only time the token is shown", body = Envelope<ReviewLinkCreated>),
              (status = 400, description = "VALIDATION_ERROR: unknown or deleted posts, expiry out of range", body = ErrorEnvelope),
              (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's plan allows no more live review links (revoke or let one expire); `limit` says which limit, the plan, the limit and the usage", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners, admins and editors only", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ReviewLinkInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let me = call.caller()?.user_id.clone();
    let mut errors = Vec::new();
    let post_ids = distinct(&input.post_ids);
    let idea_ids = distinct(&input.idea_ids);
    if post_ids.is_empty() && idea_ids.is_empty() {
        errors.push(FieldError::new("postIds", "name at least one post or idea"));
    } else if post_ids.len() + idea_ids.len() > MAX_POSTS {
        errors.push(FieldError::new("postIds", format!("at most {MAX_POSTS} posts and ideas per link")));
    } else {
        // Only team roles manage links (the permission table): no Client limit applies. The
        // posts and ideas are read in a fixed number of round trips, however many.
        let posts = post_store::load_many(ctx.db, &member.workspace_id, &post_ids).await?;
        for (i, id) in post_ids.iter().enumerate() {
            if !posts.iter().any(|p| p.id == *id) {
                errors.push(FieldError::new(format!("postIds[{i}]"), "is not a post of this workspace"));
            }
        }
        let found = ideas::load_many(ctx.db, &member.workspace_id, &idea_ids).await?;
        for (i, id) in idea_ids.iter().enumerate() {
            if !found.iter().any(|idea| idea.id == *id) {
                errors.push(FieldError::new(format!("ideaIds[{i}]"), "is not an idea of this workspace"));
            }
        }
    }
    let minutes = match (input.expires_in_hours, input.expires_in_minutes) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new("expiresInMinutes", "give expiresInHours or expiresInMinutes, not both"));
            0
        }
        (Some(h), None) if !(1..=MAX_HOURS).contains(&h) => {
            errors.push(FieldError::new("expiresInHours", format!("must be 1 to {MAX_HOURS}")));
            0
        }
        (Some(h), None) => h * 60,
        (None, Some(m)) if !(1..=MAX_MINUTES).contains(&m) => {
            errors.push(FieldError::new("expiresInMinutes", format!("must be 1 to {MAX_MINUTES}")));
            0
        }
        (None, Some(m)) => m,
        (None, None) => DEFAULT_HOURS * 60,
    };
    let reviewer_name = match input.reviewer_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => validate::name(n).map_err(|m| errors.push(FieldError::new("reviewerName", m))).ok(),
        None => None,
    };
    let reviewer_email = match input.reviewer_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Email::parse(e)
            .map(|e| e.as_str().to_string())
            .map_err(|m| errors.push(FieldError::new("reviewerEmail", m)))
            .ok(),
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let token = tokens::opaque_token(ctx.random.bytes());
    let now = ctx.clock.now_ms();
    let link = Link {
        id: ctx.new_id(),
        workspace_id: member.workspace_id.clone(),
        reviewer_name,
        reviewer_email,
        created_by: me,
        created_at: now,
        expires_at: now + minutes * 60_000,
        revoked_at: None,
        post_ids,
        idea_ids,
    };
    let mut statements = store::insert(&link, &tokens::token_hash(&token));
    let view = link.view(now);
    let change = Change {
        action: "review_link.create",
        entity_type: "review_link",
        entity_id: &link.id,
        before: None,
        after: serde_json::to_value(&view).ok(),
    };
    statements.push(activity::record(ctx, call, &link.workspace_id, change));
    // The plan's live links, held inside the batch that adds one (SPEC BI-2).
    use crate::plans::{store as plans, Metric};
    statements.insert(0, plans::hold(&link.workspace_id));
    statements.push(plans::within(&ctx.config.plans, &link.workspace_id, Metric::ReviewLinks, now));
    if let Err(e) = ctx.db.batch(&statements).await {
        return Err(match e {
            crate::sql::DbError::Constraint(_) => {
                crate::plans::explain(ctx, &link.workspace_id, Metric::ReviewLinks, 1, e.into()).await
            }
            other => other.into(),
        });
    }
    let path = format!("/review/{token}");
    let url = format!("{}{path}", public_origin(ctx.config));
    Ok(json::ok(201, ReviewLinkCreated { link: view, token, path, url }))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/review-links", tag = "review", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "The workspace's review links, newest first (at most 200); never their tokens", body = Envelope<Vec<ReviewLinkView>>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let now = ctx.clock.now_ms();
    // The membership check (owners, admins and editors) and the links with their items: one
    // round trip.
    let (_, answers) = call.admitted_reads(ctx.db, store::newest_reads(call.params.get("workspaceId")?).into()).await?;
    let out: Vec<ReviewLinkView> = store::newest_of(&answers)?.iter().map(|l| l.view(now)).collect();
    Ok(json::ok(200, out))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/review-links/{linkId}", tag = "review", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("linkId" = String, Path)),
    responses((status = 200, description = "Revoked: the link opens nothing from now on", body = Envelope<ReviewLinkView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: already revoked", body = ErrorEnvelope)))]
pub async fn revoke(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.member()?.workspace_id.clone();
    let me = call.caller()?.user_id.clone();
    let before =
        store::one(ctx.db, &ws, call.params.get("linkId")?).await?.ok_or_else(|| AppError::not_found("review link"))?;
    if before.revoked_at.is_some() {
        return Err(AppError::Conflict("this review link is already revoked".into()));
    }
    let now = ctx.clock.now_ms();
    let after = Link { revoked_at: Some(now), ..before.clone() };
    let change = Change {
        action: "review_link.revoke",
        entity_type: "review_link",
        entity_id: &before.id,
        before: serde_json::to_value(before.view(now)).ok(),
        after: serde_json::to_value(after.view(now)).ok(),
    };
    let [update, guard] = store::revoke(&ws, &before.id, now, &me);
    let statements = [update, guard, activity::record(ctx, call, &ws, change)];
    ctx.db.batch(&statements).await.map_err(|e| match e {
        DbError::Constraint(_) | DbError::Unique(_) => AppError::Conflict("this review link is already revoked".into()),
        other => other.into(),
    })?;
    Ok(json::ok(200, after.view(now)))
}

// ── Decisions and files through a link ──────────────────────────────────────────────────

#[utoipa::path(post, path = "/review/{token}/posts/{postId}/approve", tag = "review",
    params(("token" = String, Path, description = "The review link's token"), ("postId" = String, Path)),
    request_body(content = ReviewDecisionForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Approved: back to the review page (Location)"),
              (status = 400, description = "VALIDATION_ERROR: the version is missing, or the comment too long", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: an unknown, altered, expired or revoked link, or a post it does not show", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: the post changed since the page showed it, or is not waiting for this review", body = ErrorEnvelope)))]
pub async fn approve(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    decide(ctx, call, true).await
}

#[utoipa::path(post, path = "/review/{token}/posts/{postId}/request-changes", tag = "review",
    params(("token" = String, Path, description = "The review link's token"), ("postId" = String, Path)),
    request_body(content = ReviewDecisionForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Changes requested: the post is back in draft with the comment; back to the review page (Location)"),
              (status = 400, description = "VALIDATION_ERROR: a comment is required", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT", body = ErrorEnvelope)))]
pub async fn request_changes(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    decide(ctx, call, false).await
}

/// Forms need no CSRF token here. A CSRF attack borrows a credential the browser attaches by
/// itself (a cookie); this page has none — the credential is the token in the URL, and a
/// third-party page can only aim a form at it by knowing the token, in which case it needs no
/// browser at all. A token derived from the link token would be known to exactly the same
/// people, so it would add nothing. What the hidden field does carry is the post `version` the
/// page showed: a decision on any other version is refused, so nobody approves text they were
/// not shown (a stale tab, an edit in between). The page's policy adds `form-action 'self'`,
/// and `Referrer-Policy: no-referrer` keeps the token out of Referer headers.
async fn decide(ctx: &Context<'_>, call: &Call<'_>, approve: bool) -> Result<Response, AppError> {
    let post_id = call.params.get("postId")?;
    // The link's checks, the post, its pending request, whether the link's creator voted on it
    // already, the workflows that say which stage links decide and the addresses its notices go
    // to: one round trip after the link's own.
    let (link, answers) = open_link_with(ctx, call, |link| {
        let ws = link.workspace_id.as_str();
        let mut reads = post_store::held_reads(ws, post_id).to_vec();
        reads.push(request_store::pending_read(ws, post_id));
        reads.push(request_store::voted_on_pending_read(ws, post_id, &link.created_by));
        reads.push(workflow_store::configs_of_post_read(ws, post_id));
        reads.push(request_store::link_decision_addresses_read(ws, post_id, &link.created_by));
        reads
    })
    .await?;
    if !link.post_ids.iter().any(|p| p == post_id) {
        return Err(AppError::not_found("post"));
    }
    let (comment, version) =
        decision_form(&call.req.body, approve, "version", "the post version the page showed", |v| {
            v.parse::<i64>().is_ok()
        })?;
    let version = version.parse::<i64>().ok();
    let ws = link.workspace_id.clone();
    let part = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let post = post_store::one_of(answers.get(..3).unwrap_or_default())?;
    if Some(post.version) != version {
        return Err(AppError::Conflict("the post changed since the page showed it: reload the page".into()));
    }
    let pending = request_store::pending_of(part(3))?;
    let wf = workflow::effective_among(&workflow_store::configs_of(part(5))?, post.client_id.as_deref())?;
    let Some((request_id, _, _)) =
        pending.filter(|p| decidable_from(&post, Some(p), link_stage(&wf, post.client_id.is_some())))
    else {
        return Err(AppError::Conflict("this post is not waiting for your review".into()));
    };
    if !part(4).is_empty() {
        // One vote per user and request: the creator voted on this stage in person already.
        return Err(AppError::Conflict("the link's creator has already decided on this review".into()));
    }
    let addresses = notifications::addresses_of(part(6))?;
    let decision = if approve { "approve" } else { "reject" };
    let stored_comment = vote_comment(link.reviewer_name.as_deref(), comment.as_deref());
    let now = ctx.clock.now_ms();
    let closed = if approve { "approved" } else { "rejected" };
    let acting = acting(call, &link);
    let [close, guard] = request_store::close(&ws, &request_id, closed, now);
    let vote = request_store::vote(
        ctx.new_id(),
        &ws,
        &request_id,
        &link.created_by,
        decision,
        Some(stored_comment),
        now,
        Some(&link.id),
    );
    // The vote closes the request whatever its rule; the guard fails the batch when someone
    // closed it first.
    let statements = vec![
        vote,
        close,
        guard,
        activity::record(
            ctx,
            &acting,
            &ws,
            Change {
                action: if approve { "approval.approve" } else { "approval.reject" },
                entity_type: "approval",
                entity_id: &request_id,
                before: None,
                after: Some(json!({
                    "via": "review_link",
                    "reviewLinkId": link.id,
                    "reviewer": link.reviewer_name,
                    "userId": link.created_by,
                    "comment": comment,
                    "stageDone": true,
                })),
            },
        ),
    ];
    let event = if approve { Event::Approve } else { Event::Reject };
    let status = post.status.apply(event).map_err(|e| AppError::Conflict(e.to_string()))?;
    let after = PostView { status, ..post.clone() };
    let action = if approve { "post.approve" } else { "post.reject" };
    save_edit(ctx, &acting, &post, after, None, None, action, statements).await.map_err(|e| match e {
        AppError::Conflict(_) => {
            AppError::Conflict("someone decided on this post at the same time: reload the page".into())
        }
        other => other,
    })?;
    let who = link.reviewer_name.clone().unwrap_or_else(|| "The client".into());
    let notice = if approve {
        Notice {
            kind: "approval.approved",
            title: format!("\"{}\" is approved", post.title),
            body: format!("{who} approved \"{}\" through a review link.", post.title),
            subject_type: "post",
            subject_id: &post.id,
        }
    } else {
        Notice {
            kind: "approval.rejected",
            title: format!("Changes requested on \"{}\"", post.title),
            body: format!("{who} through a review link: {}", comment.unwrap_or_default()),
            subject_type: "post",
            subject_id: &post.id,
        }
    };
    let to = addresses.among(|id| id == post.author_id || id == link.created_by);
    notifications::notify_addressed(ctx, &acting, &ws, &to, notice).await;
    let token = call.params.get("token")?;
    Ok(Response::empty(303)
        .with_header("location", format!("/review/{token}?decided={}", post.id))
        .with_header("cache-control", "no-store"))
}

#[utoipa::path(get, path = "/review/{token}/media/{mediaId}", tag = "review",
    params(("token" = String, Path, description = "The review link's token"), ("mediaId" = String, Path)),
    responses((status = 200, description = "The file, when one of the link's posts uses it (files up to 20 MiB)", content_type = "application/octet-stream", body = Vec<u8>),
              (status = 302, description = "Larger files: a presigned GET URL in Location"),
              (status = 404, description = "NOT_FOUND: an unknown, altered, expired or revoked link, or a file none of its posts uses", body = ErrorEnvelope)))]
pub async fn media(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The link's checks and the file: two round trips.
    let media_id = call.params.get("mediaId")?;
    let (_, answers) = open_link_with(ctx, call, |link| {
        vec![
            store::media_read(link, media_id),
            crate::workspaces::store::name_and_timezone_read(&link.workspace_id),
            store::logo_read(link, media_id),
        ]
    })
    .await?;
    let answer = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    // A file of the link's posts, or the image the workspace's brand shows as its logo.
    let is_logo = crate::workspaces::store::brand_of(answer(1))?
        .is_some_and(|(_, brand)| brand.logo_media_id.as_deref() == Some(media_id));
    let found = match store::media_from(answer(0))? {
        Some(file) => Some(file),
        None if is_logo => store::media_from(answer(2))?,
        None => None,
    };
    let (key, content_type, size) = found.ok_or_else(|| AppError::not_found("media"))?;
    let no_store = "private, no-store";
    if size > crate::media::handlers::SERVE_MAX_BYTES {
        let url = ctx.blobs.presign_get(&key, 5 * 60, ctx.clock.now_ms())?;
        return Ok(Response::empty(302).with_header("location", url).with_header("cache-control", no_store));
    }
    let bytes =
        ctx.blobs.get(&key).await?.ok_or_else(|| AppError::Internal(format!("media object {key} is missing")))?;
    Ok(Response::new(200, &content_type, bytes).with_header("cache-control", no_store))
}
