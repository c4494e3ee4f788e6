//! The review page (SPEC AG-5): gathers what a link shows — its posts with their files,
//! client-visible comments and review state, and its ideas — and renders it
//! (`approvals::review_page`).

use crate::agency::ideas as idea_store;
use crate::api::{Call, Context, Response};
use crate::approvals::ideas::{decidable_by_link, waiting_for_team};
use crate::approvals::review_links::link_stage;
use crate::approvals::review_page::{human_time, render, Comment, IdeaItem, Item, MediaItem, Page};
use crate::approvals::reviewing::{decidable_from, open_link_with};
use crate::approvals::store::requests as request_store;
use crate::approvals::store::review_links as link_store;
use crate::approvals::store::review_page::{self as store, On};
use crate::content::posts::PostView;
use crate::content::status::PostStatus;
use crate::content::store::posts as post_store;
use crate::error::{AppError, ErrorEnvelope};
use crate::params;
use crate::sql::{Row, Statement, Value};
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
    /// The reads of all of it for the posts and ideas of the link (`values`: the workspace and
    /// the link, `?1` and `?2`), by subqueries on the link's items: a fixed number of statements
    /// however many posts and ideas the link holds.
    fn reads(values: &[Value]) -> Vec<Statement> {
        vec![
            request_store::of_posts_in(link_store::LINK_POSTS, values.to_vec()),
            workflow_store::configs_among_read(link_store::LINK_CLIENTS, values.to_vec()),
            crate::accounts::store::among_in(link_store::LINK_ACCOUNTS, values.to_vec()),
            store::media_in(link_store::LINK_MEDIA, values.to_vec()),
            store::comments_in(On::Post, link_store::LINK_POSTS, values.to_vec()),
            store::comments_in(On::Idea, link_store::LINK_IDEAS, values.to_vec()),
        ]
    }

    /// What [`Around::reads`] found, in its order.
    fn of(answers: &mut impl Iterator<Item = Vec<Row>>) -> Result<Around, AppError> {
        let mut next = || answers.next().unwrap_or_default();
        let requests = next();
        let workflows = workflow_store::configs_of(&next())?;
        let accounts = next().iter().map(crate::accounts::store::decode).collect::<Result<Vec<_>, _>>()?;
        let media = store::media_of(&next())?;
        let (post_comments, idea_comments) = (next(), next());
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
    // The link, then everything the page shows, read by subqueries on the link's items in the
    // round trip that checks it: two round trips however many posts and ideas the link holds
    // (D1 counts them per invocation). A post or idea deleted since the link was made is simply
    // no longer shown.
    let (link, answers) = open_link_with(ctx, call, |link| {
        let values = params![link.workspace_id.as_str(), link.id.as_str()];
        let mut reads = vec![
            crate::workspaces::store::name_and_timezone_read(&link.workspace_id),
            crate::identity::users::by_id_read(&link.created_by),
        ];
        reads.extend(link_store::posts_reads(values.clone()));
        reads.extend(idea_store::among_reads(link_store::LINK_IDEAS, values.clone()));
        reads.extend(Around::reads(&values));
        reads
    })
    .await?;
    let mut answers = answers.into_iter();
    let mut next = || answers.next().unwrap_or_default();
    let workspace = next();
    let timezone = crate::workspaces::store::timezone_of(&workspace)?.unwrap_or_else(|| "UTC".into());
    let (workspace_name, brand) = crate::workspaces::store::brand_of(&workspace)?.unwrap_or_default();
    let shared_by = crate::identity::users::first_of(&next())?.map(|u| u.view.name);
    let (post_rows, targets, media) = (next(), next(), next());
    let mut posts = post_store::where_of(&post_rows, &targets, &media)?;
    posts.sort_by_key(|p| link.post_ids.iter().position(|id| *id == p.id));
    let (idea_rows, decisions) = (next(), next());
    let mut ideas = idea_store::many_of(&idea_rows, &decisions)?;
    ideas.sort_by_key(|i| link.idea_ids.iter().position(|id| *id == i.id));
    let around = Around::of(&mut answers)?;
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
    let shared_by = shared_by.unwrap_or_else(|| "the team".into());
    let page = Page {
        token: call.params.get("token")?,
        shared_by,
        reviewer_name: link.reviewer_name.clone(),
        expires_at: link.expires_at,
        timezone,
        items,
        ideas: idea_items,
        decided: call.req.query_param("decided"),
        brand_name: brand.name_or(&workspace_name).to_string(),
        brand,
    };
    Ok(Response::new(200, "text/html; charset=utf-8", render(&page).into_bytes())
        .with_header("cache-control", "no-store")
        .with_header("x-robots-tag", "noindex, nofollow"))
}
