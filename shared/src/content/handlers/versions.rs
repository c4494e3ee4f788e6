//! Post versions (SPEC CT-2): immutable and numbered; list, read one, diff two, and restore one
//! as a new version.

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

async fn version(
    ctx: &Context<'_>,
    workspace_id: &str,
    post_id: &str,
    number: &str,
    field: &str,
) -> Result<VersionView, AppError> {
    let n = self::number(number, field)?;
    store::one(ctx.db, workspace_id, post_id, n).await?.ok_or_else(|| AppError::not_found("version"))
}

/// A version number from the request's `field`.
fn number(text: &str, field: &str) -> Result<i64, AppError> {
    text.parse().map_err(|_| AppError::field(field, "must be a version number"))
}

/// The read that finds the post in the path if the caller may see it, then `reads` of it (given
/// the workspace and the post ids).
fn visible_and(
    call: &Call<'_>,
    reads: impl FnOnce(&str, &str) -> Vec<crate::sql::Statement>,
) -> Result<Vec<crate::sql::Statement>, AppError> {
    let (ws, post) = (call.params.get("workspaceId")?, call.params.get("postId")?);
    let mut all = vec![post_store::visible_read(ws, &call.caller()?.user_id, post)];
    all.extend(reads(ws, post));
    Ok(all)
}

/// Sends the membership check with `reads` ([`visible_and`]'s) in one round trip, admits the
/// caller, answers 404 for a post they do not see, and gives the answers of the reads after it.
async fn admitted(
    ctx: &Context<'_>,
    call: &Call<'_>,
    reads: Vec<crate::sql::Statement>,
) -> Result<Vec<Vec<crate::sql::Row>>, AppError> {
    let (_, mut answers) = call.admitted_reads(ctx.db, reads).await?;
    if answers.is_empty() {
        return Err(AppError::not_found("post"));
    }
    post_store::found(&answers.remove(0))?;
    Ok(answers)
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
    // The membership check, the post behind the caller's wall and the page: one round trip.
    let reads = visible_and(call, |ws, post| vec![store::summaries_read(ws, post, before, paging.limit)])?;
    let answers = admitted(ctx, call, reads).await?;
    let rows = answers.first().map_or(&[][..], Vec::as_slice);
    let (items, next_cursor) = paging::page(rows, paging.limit, store::summary, |r| {
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
    let n = number(call.params.get("number")?, "number")?;
    // The membership check, the post behind the caller's wall and the version: one round trip.
    let reads = visible_and(call, |ws, post| vec![store::one_read(ws, post, n)])?;
    let answers = admitted(ctx, call, reads).await?;
    Ok(json::ok(200, store::one_of(answers.first().map_or(&[][..], Vec::as_slice))?))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/diff", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path),
           ("from" = i64, Query, description = "The older version"), ("to" = i64, Query, description = "The newer version")),
    responses((status = 200, description = "What changed from one version to the other", body = Envelope<VersionDiff>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn compare(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (from, to) = (call.req.query_param("from").unwrap_or_default(), call.req.query_param("to").unwrap_or_default());
    let (from, to) = match (number(&from, "from"), number(&to, "to")) {
        (Ok(from), Ok(to)) => (from, to),
        (from, to) => {
            // Both named at once when both are wrong.
            let errors = [from.err(), to.err()].into_iter().flatten().flat_map(|e| match e {
                AppError::Validation(fields) => fields,
                _ => Vec::new(),
            });
            return Err(AppError::Validation(errors.collect()));
        }
    };
    // The membership check, the post behind the caller's wall and both versions: one round trip.
    let reads = visible_and(call, |ws, post| vec![store::one_read(ws, post, from), store::one_read(ws, post, to)])?;
    let answers = admitted(ctx, call, reads).await?;
    let a = store::one_of(answers.first().map_or(&[][..], Vec::as_slice))?;
    let b = store::one_of(answers.get(1).map_or(&[][..], Vec::as_slice))?;
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
