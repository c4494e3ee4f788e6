//! Post versions (SPEC CT-2): immutable and numbered; list, read one, diff two, and restore one
//! as a new version.

use serde::Serialize;
use utoipa::ToSchema;

use super::diff::{self, Chunk};
use super::posts::{self, Content, TargetView};
use super::posts_api::save_edit;
use crate::agency::client_limit;
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::params;
use crate::sql::Row;
use crate::validate::rfc3339;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionSummary {
    pub number: i64,
    pub title: String,
    pub content_hash: String,
    pub author_id: String,
    /// e.g. "restored from version 2".
    pub note: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    #[serde(flatten)]
    pub summary: VersionSummary,
    /// Null under privacy mode.
    pub body: Option<String>,
    pub targets: Vec<TargetView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TitleChange {
    pub from: String,
    pub to: String,
    pub changed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionDiff {
    pub from: i64,
    pub to: i64,
    pub title: TitleChange,
    /// Word-level chunks turning the older body into the newer (empty under privacy mode).
    pub body: Vec<Chunk>,
    pub targets_changed: bool,
    pub from_targets: Vec<TargetView>,
    pub to_targets: Vec<TargetView>,
}

fn decode(r: &Row) -> Result<VersionView, AppError> {
    Ok(VersionView {
        summary: summary(r)?,
        body: r.opt_text("body")?,
        targets: serde_json::from_value(r.json("targets")?).unwrap_or_default(),
    })
}

/// The post must be visible to the caller before any of its versions is.
async fn post_id(ctx: &Context<'_>, call: &Call<'_>) -> Result<posts::PostView, AppError> {
    let member = call.member()?;
    posts::load(ctx.db, &member.workspace_id, &client_limit(call, member)?, call.params.get("postId")?).await
}

async fn version(
    ctx: &Context<'_>,
    workspace_id: &str,
    post_id: &str,
    number: &str,
    field: &str,
) -> Result<VersionView, AppError> {
    let n: i64 = number.parse().map_err(|_| AppError::field(field, "must be a version number"))?;
    let row = ctx
        .db
        .query_one(
            "SELECT number, title, body, targets, content_hash, author_id, note, created_at FROM post_versions \
             WHERE workspace_id = ?1 AND post_id = ?2 AND number = ?3",
            &params![workspace_id, post_id, n],
        )
        .await?
        .ok_or_else(|| AppError::not_found("version"))?;
    decode(&row)
}

fn summary(r: &Row) -> Result<VersionSummary, AppError> {
    Ok(VersionSummary {
        number: r.int("number")?,
        title: r.text("title")?,
        content_hash: r.text("content_hash")?,
        author_id: r.text("author_id")?,
        note: r.opt_text("note")?,
        created_at: rfc3339(r.int("created_at")?),
    })
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), PageQuery),
    responses((status = 200, description = "Versions, newest first, without their bodies", body = Envelope<Page<VersionSummary>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_key(call.req)?;
    let before = match &paging.after {
        Some((number, _)) => paging::int_key(number)?,
        None => i64::MAX,
    };
    let post = post_id(ctx, call).await?;
    // Summaries only: a body (up to a post's whole text, per version) is read one at a time.
    let rows = ctx
        .db
        .query(
            "SELECT id, number, title, content_hash, author_id, note, created_at FROM post_versions \
             WHERE workspace_id = ?1 AND post_id = ?2 AND number < ?3 ORDER BY number DESC LIMIT ?4",
            &params![call.member()?.workspace_id.as_str(), post.id.as_str(), before, paging.limit + 1],
        )
        .await?;
    let (items, next_cursor) = paging::page(&rows, paging.limit, summary, |r| {
        Ok(paging::keyed(&r.int("number")?.to_string(), &r.text("id")?))
    })?;
    Ok(json::ok(200, Page { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/{number}", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), ("number" = i64, Path)),
    responses((status = 200, description = "One version, whole", body = Envelope<VersionView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let post = post_id(ctx, call).await?;
    let v = version(ctx, &call.member()?.workspace_id, &post.id, call.params.get("number")?, "number").await?;
    Ok(json::ok(200, v))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/diff", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path),
           ("from" = i64, Query, description = "The older version"), ("to" = i64, Query, description = "The newer version")),
    responses((status = 200, description = "What changed from one version to the other", body = Envelope<VersionDiff>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn compare(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let post = post_id(ctx, call).await?;
    let ws = &call.member()?.workspace_id;
    let (from, to) = (call.req.query_param("from").unwrap_or_default(), call.req.query_param("to").unwrap_or_default());
    let a = version(ctx, ws, &post.id, &from, "from").await?;
    let b = version(ctx, ws, &post.id, &to, "to").await?;
    let body = diff::diff(a.body.as_deref().unwrap_or_default(), b.body.as_deref().unwrap_or_default());
    Ok(json::ok(
        200,
        VersionDiff {
            from: a.summary.number,
            to: b.summary.number,
            title: TitleChange {
                changed: a.summary.title != b.summary.title,
                from: a.summary.title,
                to: b.summary.title,
            },
            body,
            targets_changed: a.targets != b.targets,
            from_targets: a.targets,
            to_targets: b.targets,
        },
    ))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/{number}/restore", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), ("number" = i64, Path)),
    responses((status = 200, description = "The old content is now the newest version; the history keeps everything", body = Envelope<posts::PostView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: the post can no longer be edited, or the version has no body (privacy mode)", body = ErrorEnvelope)))]
pub async fn restore(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let before = posts::load(ctx.db, &member.workspace_id, "", call.params.get("postId")?).await?;
    let old = version(ctx, &member.workspace_id, &before.id, call.params.get("number")?, "number").await?;
    let Some(body) = old.body.clone() else {
        return Err(AppError::Conflict("this version's body was never stored (privacy mode)".into()));
    };
    let content = Content { title: old.summary.title.clone(), body, targets: old.targets.clone() };
    let note = Some(format!("restored from version {}", old.summary.number));
    let (view, message) =
        save_edit(ctx, call, &before, before.clone(), Some(content), note, "post.restore", Vec::new()).await?;
    Ok(json::ok_with_message(200, view, message))
}
