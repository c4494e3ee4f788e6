//! The review page (SPEC AG-5): gathers what a link shows — its posts with their files,
//! client-visible comments and review state, and its ideas — and renders it
//! (`approvals::review_page`).

use crate::agency::ideas;
use crate::api::{Call, Context, Response};
use crate::approvals::ideas::{decidable_by_link, waiting_for_team};
use crate::approvals::review_links::{link_stage, Link};
use crate::approvals::review_page::{human_time, render, Comment, IdeaItem, Item, MediaItem, Page};
use crate::approvals::reviewing::{decidable, open_link};
use crate::approvals::store::requests as request_store;
use crate::approvals::store::review_page::{self as store, On};
use crate::content::posts::PostView;
use crate::content::status::PostStatus;
use crate::content::store::posts as post_store;
use crate::error::{AppError, ErrorEnvelope};
use crate::sql::Sql;

/// The post's files, each once, in the order its targets use them.
async fn media_of(db: &dyn Sql, workspace_id: &str, post: &PostView) -> Result<Vec<MediaItem>, AppError> {
    let mut out: Vec<MediaItem> = Vec::new();
    for id in post.targets.iter().flat_map(|t| t.media.iter()) {
        if out.iter().any(|m| m.id == *id) {
            continue;
        }
        if let Some(item) = store::media(db, workspace_id, id).await? {
            out.push(item);
        }
    }
    Ok(out)
}

/// A post's (or an idea's) client-visible comments, oldest first, with times in `tz`.
async fn comments(db: &dyn Sql, workspace_id: &str, on: On, id: &str, tz: &str) -> Result<Vec<Comment>, AppError> {
    Ok(store::client_comments(db, workspace_id, on, id)
        .await?
        .into_iter()
        .map(|(author, body, at)| Comment { author, body, created_at: human_time(at, tz) })
        .collect())
}

/// One post as the page shows it.
async fn item(db: &dyn Sql, link: &Link, post: PostView, tz: &str) -> Result<Item, AppError> {
    let ws = &link.workspace_id;
    let decidable = decidable(db, ws, &post).await?.is_some();
    // Only a post with a client stage ever waits for the link; others are the team's alone.
    let has_client_stage = post.status == PostStatus::InReview
        && link_stage(&crate::workflows::effective(db, ws, post.client_id.as_deref()).await?, post.client_id.is_some())
            .is_some();
    let waiting_for_team =
        !decidable && has_client_stage && request_store::pending_request(db, ws, &post.id).await?.is_some();
    let changes_requested = post.status == PostStatus::Draft
        && request_store::last_status(db, ws, &post.id).await?.is_some_and(|s| s == "rejected");
    let mut accounts = Vec::new();
    for id in post.targets.iter().filter_map(|t| t.account_id.as_ref()) {
        match crate::accounts::store::load(db, ws, id).await {
            Ok(a) => accounts.push((id.clone(), a.view.handle)),
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Item {
        accounts,
        media: media_of(db, ws, &post).await?,
        comments: comments(db, ws, On::Post, &post.id, tz).await?,
        decidable,
        waiting_for_team,
        changes_requested,
        post,
    })
}

#[utoipa::path(get, path = "/review/{token}", tag = "review",
    params(("token" = String, Path, description = "The review link's token")),
    responses((status = 200, description = "The review page: an HTML document (no account, no JavaScript needed)", content_type = "text/html"),
              (status = 404, description = "NOT_FOUND: an unknown, altered, expired or revoked link", body = ErrorEnvelope)))]
pub async fn page(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let link = open_link(ctx, call).await?;
    let timezone = crate::workspaces::store::name_and_timezone(ctx.db, &link.workspace_id)
        .await?
        .map_or_else(|| "UTC".into(), |(_, tz)| tz);
    let mut items = Vec::with_capacity(link.post_ids.len());
    for id in &link.post_ids {
        // A post deleted since the link was made is simply no longer shown.
        match post_store::load(ctx.db, &link.workspace_id, "", id).await {
            Ok(post) => items.push(item(ctx.db, &link, post, &timezone).await?),
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let mut idea_items = Vec::with_capacity(link.idea_ids.len());
    for id in &link.idea_ids {
        match ideas::load_in(ctx.db, &link.workspace_id, "", id).await {
            Ok(idea) => idea_items.push(IdeaItem {
                decidable: decidable_by_link(&idea),
                waiting_for_team: waiting_for_team(&idea),
                comments: comments(ctx.db, &link.workspace_id, On::Idea, &idea.id, &timezone).await?,
                idea,
            }),
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let shared_by = crate::identity::users::by_id(ctx.db, &link.created_by)
        .await?
        .map(|u| u.view.name)
        .unwrap_or_else(|| "the team".into());
    let page = Page {
        token: call.params.get("token")?,
        shared_by,
        reviewer_name: link.reviewer_name.clone(),
        expires_at: link.expires_at,
        timezone,
        items,
        ideas: idea_items,
        decided: call.req.query_param("decided"),
    };
    Ok(Response::new(200, "text/html; charset=utf-8", render(&page).into_bytes())
        .with_header("cache-control", "no-store")
        .with_header("x-robots-tag", "noindex, nofollow"))
}
