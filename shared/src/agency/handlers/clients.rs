//! Client handlers: the clients of a workspace and the Client members attached to them.

use serde_json::json;

use crate::activity::{self, Change};
use crate::agency::model::clients::*;
use crate::agency::{clients, store};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Member, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::validate::{self, opt_text, rfc3339, Fields};

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/clients", tag = "clients", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("includeArchived" = Option<bool>, Query), PageQuery),
    responses(
        (status = 200, description = "Clients by name; a Client member sees only its own", body = Envelope<Page<ClientView>>),
        (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_key(call.req)?;
    let archived = call.req.query_flag("includeArchived")?;
    // The membership check and the page: one round trip.
    let read = store::clients::page_read(call.params.get("workspaceId")?, &call.caller()?.user_id, archived, &paging);
    let (_, answers) = call.admitted_reads(ctx.db, vec![read]).await?;
    Ok(json::ok(200, store::clients::page_of(answers.first().map_or(&[][..], Vec::as_slice), &paging)?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/clients", tag = "clients", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = ClientInput,
    responses(
        (status = 201, description = "Created", body = Envelope<ClientView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: owners, admins and editors only", body = ErrorEnvelope),
    ))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ClientInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let mut f = Fields::default();
    let name = f.take("name", validate::name(&input.name));
    let website = f.take("website", opt_text(input.website, 500));
    let industry = f.take("industry", opt_text(input.industry, 100));
    let profile = f.take("brandProfile", input.brand_profile.unwrap_or_default().parse());
    let (Some(name), Some(website), Some(industry), Some(profile)) = (name, website, industry, profile) else {
        return Err(f.error());
    };
    let id = ctx.new_id();
    let now = ctx.clock.now_ms();
    let view = ClientView {
        id: id.clone(),
        name,
        website,
        industry,
        brand_profile: profile,
        archived: false,
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
    };
    let insert = store::clients::insert(&member.workspace_id, &view, now)?;
    let change = Change {
        action: "client.create",
        entity_type: "client",
        entity_id: &id,
        before: None,
        after: Some(activity::snapshot(&view)),
    };
    ctx.db.batch(&[insert, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(201, view))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/clients/{clientId}", tag = "clients", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("clientId" = String, Path)),
    responses(
        (status = 200, description = "The client", body = Envelope<ClientView>),
        (status = 404, description = "NOT_FOUND, also for a client a Client member is not attached to", body = ErrorEnvelope),
    ))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check and the client: one round trip.
    let read = store::clients::one_read(
        call.params.get("workspaceId")?,
        &call.caller()?.user_id,
        call.params.get("clientId")?,
    );
    let (_, found) = call.admitted_one(ctx.db, read, store::clients::one_of).await?;
    Ok(json::ok(200, found))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/clients/{clientId}", tag = "clients", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("clientId" = String, Path)), request_body = ClientPatch,
    responses(
        (status = 200, description = "Updated", body = Envelope<ClientView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (member, before) = admitted_client(ctx, call).await?;
    let member = &member;
    let input: ClientPatch = json::parse(&call.req.body)?;
    let mut f = Fields::default();
    let name = f.take_opt("name", input.name, |n| validate::name(&n));
    let website = f.take("website", opt_text(input.website.clone(), 500));
    let industry = f.take("industry", opt_text(input.industry.clone(), 100));
    let profile = f.take_opt("brandProfile", input.brand_profile, BrandProfile::parse);
    if !f.is_ok() {
        return Err(f.error());
    }
    let mut after = before.clone();
    after.name = name.unwrap_or(after.name);
    // A field sent as "" clears it; a field not sent stays.
    if input.website.is_some() {
        after.website = website.flatten();
    }
    if input.industry.is_some() {
        after.industry = industry.flatten();
    }
    after.brand_profile = profile.unwrap_or(after.brand_profile);
    let now = ctx.clock.now_ms();
    after.updated_at = rfc3339(now);
    let write = store::clients::update(&member.workspace_id, &after, now)?;
    let change = Change {
        action: "client.update",
        entity_type: "client",
        entity_id: &after.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, after))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/clients/{clientId}", tag = "clients", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("clientId" = String, Path)),
    responses(
        (status = 200, description = "Archived; its campaigns and posts are kept", body = Envelope<ClientView>),
        (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn archive(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (member, before) = admitted_client(ctx, call).await?;
    let member = &member;
    if before.archived {
        return Ok(json::ok(200, before));
    }
    let now = ctx.clock.now_ms();
    let mut after = before.clone();
    after.archived = true;
    after.updated_at = rfc3339(now);
    let write = store::clients::archive(&member.workspace_id, &before.id, now);
    let change = Change {
        action: "client.archive",
        entity_type: "client",
        entity_id: &before.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, after))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/clients/{clientId}/members", tag = "clients", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("clientId" = String, Path)), request_body = AttachInput,
    responses(
        (status = 200, description = "The Client member now sees this client", body = Envelope<ClientView>),
        (status = 400, description = "VALIDATION_ERROR: not a member with the Client role", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN; EMAIL_NOT_VERIFIED: the member has not verified their email address (when verification is on)", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn attach(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: AttachInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let client = clients::visible(ctx.db, &member.workspace_id, "", call.params.get("clientId")?).await?;
    clients::ensure_attachable(ctx, &member.workspace_id, &input.user_id).await?;
    let write = store::clients::attach(&member.workspace_id, &client.id, &input.user_id, ctx.clock.now_ms());
    let change = Change {
        action: "client.member.attach",
        entity_type: "client",
        entity_id: &client.id,
        before: None,
        after: Some(json!({ "userId": input.user_id })),
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, client))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/clients/{clientId}/members/{userId}", tag = "clients", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("clientId" = String, Path), ("userId" = String, Path)),
    responses(
        (status = 200, description = "Detached", body = Envelope<ClientView>),
        (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn detach(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let client = clients::visible(ctx.db, &member.workspace_id, "", call.params.get("clientId")?).await?;
    let user_id = call.params.get("userId")?;
    if !store::clients::is_attached(ctx.db, &member.workspace_id, &client.id, user_id).await? {
        return Err(AppError::not_found("attachment"));
    }
    let write = store::clients::detach(&member.workspace_id, &client.id, user_id);
    let change = Change {
        action: "client.member.detach",
        entity_type: "client",
        entity_id: &client.id,
        before: Some(json!({ "userId": user_id })),
        after: None,
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, client))
}

/// The caller's membership check and the client in the path: one round trip.
async fn admitted_client(ctx: &Context<'_>, call: &Call<'_>) -> Result<(Member, ClientView), AppError> {
    let (workspace_id, id) = (call.params.get("workspaceId")?, call.params.get("clientId")?);
    let read = store::clients::one_read(workspace_id, &call.caller()?.user_id, id);
    call.admitted_one(ctx.db, read, store::clients::one_of).await
}
