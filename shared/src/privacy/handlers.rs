//! The export and erasure routes.

use super::{exports, store, EraseInput, Erased, Export, ExportJobView, ExportStartInput};
use crate::api::json;
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::sql::Scope;

#[utoipa::path(get, path = "/api/v1/users/me/export", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "Everything Herald holds about the caller, across workspaces, as one JSON document (SPEC PL-9); each list at most 1,000 entries, `truncated` naming those cut (POST /api/v1/users/me/exports builds them whole)", body = crate::api::json::Envelope<Export>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn export(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let user_id = call.caller()?.user_id.clone();
    // Every read below names the caller as author, actor, owner or recipient, across the
    // workspaces they are or were in: it spans tenants by design and holds only their rows.
    ctx.db.set_scope(Scope { user_id: Some(user_id.clone()), system: true, ..Scope::default() });
    let answers = ctx.db.reads(&store::reads(&user_id)).await?;
    let mut lists = answers.iter().map(|rows| rows.iter().map(store::entry).collect::<Vec<_>>());
    let user = lists.next().and_then(|mut u| u.pop()).ok_or_else(crate::identity::handlers::gone)?;
    let mut next = || lists.next().unwrap_or_default();
    let mut export = Export {
        exported_at: crate::validate::rfc3339(ctx.clock.now_ms()),
        user,
        memberships: next(),
        posts: next(),
        post_versions: next(),
        comments: next(),
        ideas: next(),
        notifications: next(),
        activity: next(),
        account_activity: next(),
        social_accounts: next(),
        media: next(),
        ai_usage: next(),
        events: next(),
        truncated: Vec::new(),
    };
    for (name, list) in [
        ("memberships", &mut export.memberships),
        ("posts", &mut export.posts),
        ("postVersions", &mut export.post_versions),
        ("comments", &mut export.comments),
        ("ideas", &mut export.ideas),
        ("notifications", &mut export.notifications),
        ("activity", &mut export.activity),
        ("accountActivity", &mut export.account_activity),
        ("socialAccounts", &mut export.social_accounts),
        ("media", &mut export.media),
        ("aiUsage", &mut export.ai_usage),
        ("events", &mut export.events),
    ] {
        if list.len() > store::MAX_ROWS as usize {
            list.truncate(store::MAX_ROWS as usize);
            export.truncated.push(name.to_string());
        }
    }
    Ok(json::ok(200, export))
}

#[utoipa::path(delete, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    request_body = EraseInput,
    responses(
        (status = 200, description = "The account is erased as the privacy policy states (shared work stays, attributed to a \"Deleted user\" tombstone; everything personal goes, every session with it); archived workspaces it alone owned are deleted with their files", body = crate::api::json::Envelope<Erased>),
        (status = 400, description = "VALIDATION_ERROR: password is not the account's", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: the account alone owns active workspaces (the message lists them): make another member an owner, or erase them, first", body = ErrorEnvelope),
    ))]
pub async fn erase(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: EraseInput = json::parse(&call.req.body)?;
    let user_id = call.caller()?.user_id.clone();
    // The account spans workspaces, and so does its erasure: every statement names the user.
    ctx.db.set_scope(Scope { user_id: Some(user_id.clone()), system: true, ..Scope::default() });
    let reads = [
        crate::identity::store::users::by_id_read(&user_id),
        store::erasure_read(&user_id),
        store::all_mine_read(&user_id),
    ];
    let answers = ctx.db.reads(&reads).await?;
    let rows = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let user = crate::identity::store::users::first_of(rows(0))?.ok_or_else(crate::identity::handlers::gone)?;
    crate::identity::handlers::account::check_password(ctx, &user, &input.password, "password").await?;
    let blocking = store::blocking(rows(1));
    if !blocking.is_empty() {
        let list: Vec<String> = blocking.iter().map(|(id, name)| format!("{name} ({id})")).collect();
        return Err(AppError::Conflict(format!(
            "you are the only owner of {}: make another member an owner, or erase the workspace, first",
            list.join(", ")
        )));
    }
    let tomb = store::Tombstone::new(ctx.new_id());
    let now = ctx.clock.now_ms();
    // The exports' files leave storage with the account (their rows go with it).
    let exports = rows(2).iter().map(store::job_of).collect::<Result<Vec<_>, _>>()?;
    let mut batch = store::erase(&user_id, &user.view.email, &user.view.name, &tomb, now);
    batch.extend(store::purge_parts(&exports, now));
    ctx.db.batch(&batch).await.map_err(|e| match e {
        crate::sql::DbError::Constraint(_) => {
            AppError::Conflict("you became the only owner of a workspace meanwhile: look again and try again".into())
        }
        other => other.into(),
    })?;
    // Every workspace the account alone owned was archived (else the erasure was refused).
    let erased = Erased { erased: true, workspaces_deleted: rows(1).len() as u64 };
    Ok(json::ok(200, erased).with_header("set-cookie", crate::identity::sessions::clear_cookie()))
}

#[utoipa::path(post, path = "/api/v1/users/me/exports", tag = "users", security(("bearer" = [])),
    request_body(content = Option<ExportStartInput>, description = "Optional: the workspace whose notifications announce the export too"),
    responses(
        (status = 202, description = "An export of everything Herald holds about the caller, whole (no list cut), is being built in the background; when it is, a link to it (valid 7 days) is mailed to the caller's address", body = crate::api::json::Envelope<ExportJobView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 400, description = "VALIDATION_ERROR: notifyWorkspaceId is not a workspace of the caller's", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: an export of the caller's is still being built", body = ErrorEnvelope),
    ))]
pub async fn start_export(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ExportStartInput = json::parse_optional(&call.req.body)?;
    let user_id = call.caller()?.user_id.clone();
    if let Some(ws) = &input.notify_workspace_id {
        let member =
            crate::api::route::is_id(ws) && crate::api::store::active_role(ctx.db, ws, &user_id).await?.is_some();
        if !member {
            return Err(AppError::field("notifyWorkspaceId", "is not a workspace of yours"));
        }
    }
    let (id, now) = (ctx.new_id(), ctx.clock.now_ms());
    let notify = input.notify_workspace_id.as_deref();
    ctx.db.batch(&store::start(&id, &user_id, notify, now)).await.map_err(|e| match e {
        crate::sql::DbError::Constraint(_) => AppError::Conflict("an export of yours is still being built".into()),
        other => other.into(),
    })?;
    let job = store::Job {
        id,
        user_id,
        status: "pending".into(),
        list: 0,
        cursor_at: -1,
        cursor_key: String::new(),
        parts: 0,
        entries: 0,
        size_bytes: 0,
        created_at: now,
        ready_at: None,
        expires_at: None,
        notify_workspace_id: input.notify_workspace_id,
    };
    Ok(json::ok(202, ExportJobView::from(&job)))
}

#[utoipa::path(get, path = "/api/v1/users/me/exports", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's ten latest exports, newest first", body = crate::api::json::Envelope<Vec<ExportJobView>>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn list_exports(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let read = store::mine_read(&call.caller()?.user_id, 10);
    let rows = ctx.db.query(&read.sql, &read.params).await?;
    let jobs = rows.iter().map(store::job_of).collect::<Result<Vec<_>, _>>()?;
    Ok(json::ok(200, jobs.iter().map(ExportJobView::from).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/users/me/exports/{exportId}/download", tag = "users", security(("bearer" = [])),
    params(("exportId" = String, Path)),
    responses(
        (status = 200, description = "The export as one JSON document (the inline export's shape, every list whole), as a file", content_type = "application/json", body = Object),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: no such export of the caller's, or it expired", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: the export is still being built", body = ErrorEnvelope),
    ))]
pub async fn download_mine(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let user_id = &call.caller()?.user_id;
    let job = store::mine(ctx.db, user_id, call.params.get("exportId")?).await?;
    let job = job.ok_or_else(|| AppError::not_found("export"))?;
    match job.status.as_str() {
        "ready" if job.expires_at.is_some_and(|t| t > ctx.clock.now_ms()) => file(ctx, &job).await,
        "pending" => Err(AppError::Conflict("the export is still being built: its link will be mailed".into())),
        _ => Err(AppError::not_found("export")),
    }
}

#[utoipa::path(get, path = "/api/v1/exports/{token}", tag = "users",
    params(("token" = String, Path, description = "The token of the mailed link")),
    responses(
        (status = 200, description = "The export as one JSON document, as a file, while the mailed link lives (7 days)", content_type = "application/json", body = Object),
        (status = 404, description = "NOT_FOUND: no export has this token, or its link expired", body = ErrorEnvelope),
    ))]
pub async fn download_by_token(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let hash = crate::identity::tokens::token_hash(call.params.get("token")?);
    // The token names its owner's export, whoever holds it: the read spans tenants.
    ctx.db.set_scope(Scope { system: true, ..Scope::default() });
    let job = store::by_token(ctx.db, &hash, ctx.clock.now_ms()).await?;
    file(ctx, &job.ok_or_else(|| AppError::not_found("export"))?).await
}

async fn file(ctx: &Context<'_>, job: &store::Job) -> Result<Response, AppError> {
    let body = exports::assemble(ctx, job).await?;
    Ok(Response::new(200, "application/json", body)
        .with_header("content-disposition", format!("attachment; filename=\"herald-export-{}.json\"", job.id)))
}
