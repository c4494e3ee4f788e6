//! The prompt template routes: a workspace's and a member's own templates with their versions,
//! sharing to the catalogue, the catalogue itself and its ratings.

use crate::ai::store::templates as store;
use crate::ai::templates::{self as t, TemplateView, SYSTEM};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::permissions::Role;
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::sql::{Row, Scope, Statement};
use crate::validate::{self, rfc3339};

const SYSTEM_MAX: usize = 4_000;
const PROMPT_MAX: usize = 8_000;

/// Whether the caller may change `template`: their own, or the workspace's when they are an
/// owner or admin.
fn may_change(call: &Call<'_>, template: &TemplateView) -> Result<(), AppError> {
    let member = call.member()?;
    match template.scope.as_str() {
        "user" => Ok(()),
        _ if member.role.rank() >= Role::Admin.rank() => Ok(()),
        _ => Err(AppError::Forbidden("owners and admins change the workspace's templates".into())),
    }
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ai/templates", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), PageQuery),
    responses((status = 200, description = "The built-in templates (first), the workspace's and the caller's own, by id", body = Envelope<Page<TemplateView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_id(call.req)?;
    let read = store::list_read(call.params.get("workspaceId")?, &call.caller()?.user_id, &paging.after, paging.limit);
    let (_, rows) =
        call.admitted_one(ctx.db, read, |rows| rows.iter().map(store::decode).collect::<Result<Vec<_>, _>>()).await?;
    // The built-in ones' ids sort before every other: they open the first page.
    let mut items: Vec<TemplateView> =
        SYSTEM.iter().filter(|t| t.id > paging.after.as_str()).map(TemplateView::from).collect();
    items.extend(rows);
    let next_cursor = paging::next_cursor(&mut items, paging.limit, |t| t.id.as_str());
    Ok(json::ok(200, Page { items, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ai/templates", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = t::TemplateInput,
    responses((status = 201, description = "Created as version 1", body = Envelope<TemplateView>),
              (status = 400, description = "VALIDATION_ERROR: a variable that is no template variable, an include, lengths", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: the workspace's templates are its owners' and admins'", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: t::TemplateInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let caller = call.caller()?.user_id.clone();
    let mut errors = Vec::new();
    let name = validate::line(&input.name, 100).map_err(|e| errors.push(FieldError::new("name", &e))).ok();
    let kind = input.kind.unwrap_or_else(|| "post".into());
    if kind != "post" && kind != "reel" {
        errors.push(FieldError::new("kind", "must be post or reel"));
    }
    let system = t::check(&input.system, "system", SYSTEM_MAX, &mut errors);
    let prompt = t::check(&input.prompt, "prompt", PROMPT_MAX, &mut errors);
    let scope = input.scope.unwrap_or_else(|| "workspace".into());
    if scope != "workspace" && scope != "user" {
        errors.push(FieldError::new("scope", "must be workspace or user"));
    }
    let (Some(name), Some(system), Some(prompt)) = (name, system, prompt) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = ctx.clock.now_ms();
    let view = TemplateView {
        id: ctx.new_id(),
        scope: scope.clone(),
        kind,
        name,
        version: 1,
        system,
        prompt,
        shared: false,
        author: None,
        created_at: Some(rfc3339(now)),
        updated_at: Some(rfc3339(now)),
    };
    may_change(call, &view)?;
    let owner = if scope == "user" { caller.as_str() } else { "" };
    ctx.db.batch(&store::insert(&member.workspace_id, owner, &view, &caller, now)).await?;
    Ok(json::ok(201, view))
}

/// The template of the path the caller may see in this workspace (a built-in one, its own, or a
/// shared one of any workspace), and whether it is this workspace's own.
async fn visible(ctx: &Context<'_>, call: &Call<'_>) -> Result<(TemplateView, bool), AppError> {
    let (template, own, _) = visible_with(ctx, call, Vec::new()).await?;
    Ok((template, own))
}

/// [`visible`], with `more` reads sent in the same round trip as the membership check and the
/// template (keyed on the path alone: they cannot depend on what the template is); answers
/// what they found, in order.
async fn visible_with(
    ctx: &Context<'_>,
    call: &Call<'_>,
    more: Vec<Statement>,
) -> Result<(TemplateView, bool, Vec<Vec<Row>>), AppError> {
    let id = call.params.get("templateId")?;
    let system = t::system_template(id);
    let mut reads = Vec::with_capacity(more.len() + 1);
    if system.is_none() {
        reads.push(store::usable_read(call.params.get("workspaceId")?, &call.caller()?.user_id, id));
    }
    reads.extend(more);
    let (member, answers) = call.admitted_reads(ctx.db, reads).await?;
    if let Some(system) = system {
        return Ok((TemplateView::from(system), false, answers));
    }
    let mut answers = answers.into_iter();
    let rows = answers.next().unwrap_or_default();
    let row = rows.first().ok_or_else(|| AppError::not_found("template"))?;
    Ok((store::decode(row)?, row.text("workspace_id")? == member.workspace_id, answers.collect()))
}

/// A template of this workspace's the caller may change.
async fn changeable(ctx: &Context<'_>, call: &Call<'_>) -> Result<TemplateView, AppError> {
    let (template, own) = visible(ctx, call).await?;
    if template.scope == "system" || !own {
        return Err(AppError::Forbidden("a built-in or another workspace's template cannot be changed".into()));
    }
    may_change(call, &template)?;
    Ok(template)
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ai/templates/{templateId}", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("templateId" = String, Path)),
    responses((status = 200, description = "A built-in template, one of the workspace's or the caller's, or a shared one", body = Envelope<TemplateView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    Ok(json::ok(200, visible(ctx, call).await?.0))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/ai/templates/{templateId}", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("templateId" = String, Path)), request_body = t::TemplatePatch,
    responses((status = 200, description = "Changed; a new version when its text changed", body = Envelope<TemplateView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: built-in and other workspaces' templates, and the workspace's for all but owners and admins", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: changed by someone else meanwhile", body = ErrorEnvelope)))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: t::TemplatePatch = json::parse(&call.req.body)?;
    let mut errors = Vec::new();
    let name = input.name.map(|n| validate::line(&n, 100).map_err(|e| errors.push(FieldError::new("name", &e))).ok());
    let system = input.system.map(|s| t::check(&s, "system", SYSTEM_MAX, &mut errors));
    let prompt = input.prompt.map(|p| t::check(&p, "prompt", PROMPT_MAX, &mut errors));
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let before = changeable(ctx, call).await?;
    let mut after = before.clone();
    after.name = name.flatten().unwrap_or(after.name);
    after.system = system.flatten().unwrap_or(after.system);
    after.prompt = prompt.flatten().unwrap_or(after.prompt);
    let new_version = after.system != before.system || after.prompt != before.prompt;
    if new_version {
        after.version += 1;
    }
    let now = ctx.clock.now_ms();
    after.updated_at = Some(rfc3339(now));
    let member = call.member()?;
    let counts = ctx
        .db
        .batch(&store::update(&member.workspace_id, &after, before.version, new_version, &call.caller()?.user_id, now))
        .await?;
    if counts.first() != Some(&1) {
        return Err(AppError::Conflict("the template changed meanwhile: read it again".into()));
    }
    Ok(json::ok(200, after))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/ai/templates/{templateId}", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("templateId" = String, Path)),
    responses((status = 204, description = "Deleted with its versions and ratings (generations keep its id)"),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn delete(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let template = changeable(ctx, call).await?;
    ctx.db.batch(&[store::delete(&call.member()?.workspace_id, &template.id)]).await?;
    Ok(Response::empty(204))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ai/templates/{templateId}/versions", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("templateId" = String, Path)),
    responses((status = 200, description = "Its versions, newest first (100 at most); a built-in template has its one", body = Envelope<Vec<t::TemplateVersionView>>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: no such template, or another workspace's (its versions are its own)", body = ErrorEnvelope)))]
pub async fn versions(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check, the template and the workspace's own versions of it: one round trip
    // (another workspace's template has none here).
    let read = store::versions_read(call.params.get("workspaceId")?, call.params.get("templateId")?);
    let (template, own, answers) = visible_with(ctx, call, vec![read]).await?;
    if template.scope == "system" {
        let one = t::TemplateVersionView {
            number: 1,
            system: template.system,
            prompt: template.prompt,
            created_by: "system".into(),
            created_at: rfc3339(0),
        };
        return Ok(json::ok(200, vec![one]));
    }
    if !own {
        return Err(AppError::not_found("template"));
    }
    let rows = answers.first().map_or(&[][..], Vec::as_slice);
    Ok(json::ok(200, rows.iter().map(store::version_of).collect::<Result<Vec<_>, _>>()?))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspaceId}/ai/templates/{templateId}/sharing", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("templateId" = String, Path)), request_body = t::SharingInput,
    responses((status = 200, description = "In the catalogue every workspace sees (with its author's name), or out of it", body = Envelope<TemplateView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn sharing(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: t::SharingInput = json::parse(&call.req.body)?;
    let template = changeable(ctx, call).await?;
    let at = input.shared.then_some(ctx.clock.now_ms());
    let workspace_id = call.member()?.workspace_id.clone();
    ctx.db.batch(&[store::share(&workspace_id, &template.id, at)]).await?;
    // As it now stands, with its author's name.
    let read = store::own_read(&workspace_id, &call.caller()?.user_id, &template.id);
    let rows = ctx.db.query(&read.sql, &read.params).await?;
    Ok(json::ok(200, store::decode(rows.first().ok_or_else(|| AppError::not_found("template"))?)?))
}

#[utoipa::path(get, path = "/api/v1/ai/catalogue", tag = "ai", security(("bearer" = [])),
    params(("kind" = Option<String>, Query, description = "`post` or `reel`; both when absent"),
           ("sort" = Option<String>, Query, description = "`rating` (the default) or `uses`"), PageQuery),
    responses((status = 200, description = "Templates shared by every workspace, best rated (or most used) first, with the caller's own rating", body = Envelope<Page<t::CatalogueEntry>>),
              (status = 400, description = "VALIDATION_ERROR: kind, sort, limit or cursor", body = ErrorEnvelope),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope)))]
pub async fn catalogue(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let kind = call.req.query_param("kind").unwrap_or_default();
    let sort = call.req.query_param("sort").unwrap_or_else(|| "rating".into());
    let mut errors = Vec::new();
    if !matches!(kind.as_str(), "" | "post" | "reel") {
        errors.push(FieldError::new("kind", "must be post or reel"));
    }
    if sort != "rating" && sort != "uses" {
        errors.push(FieldError::new("sort", "must be rating or uses"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let paging = paging::by_key(call.req)?;
    let by_uses = sort == "uses";
    let after = match paging.after {
        Some((key, id)) => Some((
            store::catalogue_after(&key)
                .ok_or_else(|| AppError::field("cursor", "must be the nextCursor of an earlier page"))?,
            id,
        )),
        None => None,
    };
    let user_id = call.caller()?.user_id.clone();
    // Across every workspace: the read names its rows (shared ones) itself.
    ctx.db.set_scope(Scope { user_id: Some(user_id.clone()), system: true, ..Scope::default() });
    let read = store::catalogue_read(&user_id, by_uses, &kind, after, paging.limit);
    let rows = ctx.db.query(&read.sql, &read.params).await?;
    let (items, next_cursor) = paging::page(&rows, paging.limit, store::catalogue_entry, |r| {
        Ok(paging::keyed(&store::catalogue_cursor(r, by_uses)?, &r.text("id")?))
    })?;
    Ok(json::ok(200, Page { items, next_cursor }))
}

#[utoipa::path(put, path = "/api/v1/ai/catalogue/{templateId}/rating", tag = "ai", security(("bearer" = [])),
    params(("templateId" = String, Path)), request_body = t::RatingInput,
    responses((status = 204, description = "Rated (a second rating replaces the first)"),
              (status = 400, description = "VALIDATION_ERROR: stars", body = ErrorEnvelope),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: no such shared template", body = ErrorEnvelope)))]
pub async fn rate(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: t::RatingInput = json::parse(&call.req.body)?;
    if !(1..=5).contains(&input.stars) {
        return Err(AppError::field("stars", "must be from 1 to 5"));
    }
    let user_id = call.caller()?.user_id.clone();
    ctx.db.set_scope(Scope { user_id: Some(user_id.clone()), system: true, ..Scope::default() });
    let id = call.params.get("templateId")?;
    ctx.db.batch(&store::rate(id, &user_id, input.stars, ctx.clock.now_ms())).await.map_err(|e| match e {
        crate::sql::DbError::Constraint(_) => AppError::not_found("template"),
        other => other.into(),
    })?;
    Ok(Response::empty(204))
}
