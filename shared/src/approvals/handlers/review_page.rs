//! The review page (SPEC AG-5): gathers what a link shows — its posts with their files,
//! client-visible comments and review state, and its ideas — and renders it
//! (`approvals::review_page`).

use crate::agency::ideas;
use crate::api::{Call, Context, Response};
use crate::approvals::ideas::{decidable_by_link, waiting_for_team};
use crate::approvals::review_links::link_stage;
use crate::approvals::review_page::{human_time, render, Comment, IdeaItem, Item, MediaItem, Page};
use crate::approvals::reviewing::{decidable_from, open_link};
use crate::approvals::store::requests as request_store;
use crate::approvals::store::review_page::{self as store, On};
use crate::content::posts::PostView;
use crate::content::status::PostStatus;
use crate::content::store::posts as post_store;
use crate::error::{AppError, ErrorEnvelope};
use crate::sql::{Row, Sql, Statement};
use crate::workflows::store as workflow_store;

/// What the page shows beside its posts and ideas, read for all of them in one round trip.
struct Around {
    requests: Vec<Row>,
    workflows: Vec<(String, String)>,
    accounts: Vec<crate::accounts::Account>,
    media: Vec<MediaItem>,
    post_comments: Vec<Row>,
    idea_comments: Vec<Row>,
}

impl Around {
    async fn read(
        db: &dyn Sql,
        workspace_id: &str,
        posts: &[PostView],
        idea_ids: &[String],
    ) -> Result<Around, AppError> {
        let post_ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
        let mut clients: Vec<String> = posts.iter().filter_map(|p| p.client_id.clone()).collect();
        clients.sort();
        clients.dedup();
        let mut account_ids: Vec<String> =
            posts.iter().flat_map(|p| p.targets.iter().filter_map(|t| t.account_id.clone())).collect();
        account_ids.sort();
        account_ids.dedup();
        let mut media_ids: Vec<String> =
            posts.iter().flat_map(|p| p.targets.iter().flat_map(|t| t.media.clone())).collect();
        media_ids.sort();
        media_ids.dedup();
        // Each kind of read is a list of statements (empty when there is nothing to ask).
        let kinds: Vec<Vec<Statement>> = vec![
            request_store::of_posts(workspace_id, &post_ids),
            workflow_store::configs_reads(workspace_id, &clients),
            crate::accounts::store::among(workspace_id, &account_ids),
            store::media_reads(workspace_id, &media_ids),
            store::comments_reads(workspace_id, On::Post, &post_ids),
            store::comments_reads(workspace_id, On::Idea, &idea_ids),
        ];
        let sizes: Vec<usize> = kinds.iter().map(Vec::len).collect();
        let answers = db.reads(&kinds.into_iter().flatten().collect::<Vec<_>>()).await?;
        let mut answers = answers.into_iter();
        let mut next = |n: usize| -> Vec<Row> { answers.by_ref().take(n).flatten().collect() };
        let requests = next(sizes[0]);
        let workflows = workflow_store::configs_of(&next(sizes[1]))?;
        let accounts = next(sizes[2]).iter().map(crate::accounts::store::decode).collect::<Result<Vec<_>, _>>()?;
        let media = store::media_of(&next(sizes[3]))?;
        let post_comments = next(sizes[4]);
        let idea_comments = next(sizes[5]);
        Ok(Around { requests, workflows, accounts, media, post_comments, idea_comments })
    }
}

/// Comments as the page shows them, with times in `tz`.
fn shown(comments: Vec<(String, String, i64)>, tz: &str) -> Vec<Comment> {
    comments.into_iter().map(|(author, body, at)| Comment { author, body, created_at: human_time(at, tz) }).collect()
}

/// One post as the page shows it.
fn item(around: &Around, post: PostView, tz: &str) -> Result<Item, AppError> {
    let (pending, last_status) = request_store::latest_of(&around.requests, &post.id)?;
    let wf = crate::workflows::effective_among(&around.workflows, post.client_id.as_deref())?;
    let stage = link_stage(&wf, post.client_id.is_some());
    let decidable = decidable_from(&post, pending.as_ref(), stage);
    // Only a post with a client stage ever waits for the link; others are the team's alone.
    let has_client_stage = post.status == PostStatus::InReview && stage.is_some();
    let waiting_for_team = !decidable && has_client_stage && pending.is_some();
    let changes_requested = post.status == PostStatus::Draft && last_status.is_some_and(|s| s == "rejected");
    let accounts = post
        .targets
        .iter()
        .filter_map(|t| t.account_id.as_ref())
        .filter_map(|id| around.accounts.iter().find(|a| a.view.id == *id).map(|a| (id.clone(), a.view.handle.clone())))
        .collect();
    // The post's files, each once, in the order its targets use them.
    let mut media: Vec<MediaItem> = Vec::new();
    for id in post.targets.iter().flat_map(|t| t.media.iter()) {
        if media.iter().any(|m| m.id == *id) {
            continue;
        }
        if let Some(found) = around.media.iter().find(|m| m.id == *id) {
            media.push(found.clone());
        }
    }
    Ok(Item {
        accounts,
        media,
        comments: shown(store::comments_of(&around.post_comments, &post.id)?, tz),
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
    // The posts, then all that the page shows beside them: a fixed number of round trips
    // however many posts and ideas the link holds (D1 counts them per invocation). A post or
    // idea deleted since the link was made is simply no longer shown.
    let mut posts = post_store::load_many(ctx.db, &link.workspace_id, &link.post_ids).await?;
    posts.sort_by_key(|p| link.post_ids.iter().position(|id| *id == p.id));
    let mut ideas = ideas::load_many(ctx.db, &link.workspace_id, &link.idea_ids).await?;
    ideas.sort_by_key(|i| link.idea_ids.iter().position(|id| *id == i.id));
    let idea_ids: Vec<String> = ideas.iter().map(|i| i.id.clone()).collect();
    let around = Around::read(ctx.db, &link.workspace_id, &posts, &idea_ids).await?;
    let items = posts.into_iter().map(|post| item(&around, post, &timezone)).collect::<Result<Vec<_>, _>>()?;
    let idea_items = ideas
        .into_iter()
        .map(|idea| {
            Ok(IdeaItem {
                decidable: decidable_by_link(&idea),
                waiting_for_team: waiting_for_team(&idea),
                comments: shown(store::comments_of(&around.idea_comments, &idea.id)?, &timezone),
                idea,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
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
