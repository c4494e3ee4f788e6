//! Post versions (SPEC CT-2): immutable and numbered; list, read one, diff two, and restore one
//! as a new version.

use crate::agency::client_limit;
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::content::diff;
use crate::content::editing::save_edit;
use crate::content::posts::{self, Content};
use crate::content::store::posts as post_store;
use crate::content::store::versions as store;
use crate::content::versions::{TitleChange, VersionDiff, VersionSummary, VersionView};
use crate::error::{AppError, ErrorEnvelope};

/// The post must be visible to the caller before any of its versions is.
async fn post_id(ctx: &Context<'_>, call: &Call<'_>) -> Result<posts::PostView, AppError> {
    let member = call.member()?;
    post_store::load(ctx.db, &member.workspace_id, &client_limit(call, member)?, call.params.get("postId")?).await
}

async fn version(
    ctx: &Context<'_>,
    workspace_id: &str,
    post_id: &str,
    number: &str,
    field: &str,
) -> Result<VersionView, AppError> {
    let n: i64 = number.parse().map_err(|_| AppError::field(field, "must be a version number"))?;
    store::one(ctx.db, workspace_id, post_id, n).await?.ok_or_else(|| AppError::not_found("version"))
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
    let rows = store::summaries(ctx.db, &call.member()?.workspace_id, &post.id, before, paging.limit).await?;
    let (items, next_cursor) = paging::page(&rows, paging.limit, store::summary, |r| {
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
    let before = post_store::load(ctx.db, &member.workspace_id, "", call.params.get("postId")?).await?;
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
