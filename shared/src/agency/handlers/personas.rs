//! Persona handlers: ideal customer profiles, per workspace or per client (SPEC AG-2).

use crate::activity::{self, Change};
use crate::agency::model::personas::*;
use crate::agency::{clients, store};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::validate::{self, rfc3339, Fields};

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/personas", tag = "personas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("clientId" = Option<String>, Query, description = "Only this client's personas"), PageQuery),
    responses((status = 200, description = "Personas by name", body = Envelope<Page<PersonaView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_key(call.req)?;
    let client = call.req.query_param("clientId").unwrap_or_default();
    // The membership check and the page: one round trip.
    let read = store::personas::page_read(call.params.get("workspaceId")?, &call.caller()?.user_id, &client, &paging);
    let (_, answers) = call.admitted_reads(ctx.db, vec![read]).await?;
    Ok(json::ok(200, store::personas::page_of(answers.first().map_or(&[][..], Vec::as_slice), &paging)?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/personas", tag = "personas", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = PersonaInput,
    responses((status = 201, description = "Created", body = Envelope<PersonaView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: PersonaInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let mut f = Fields::default();
    let name = f.take("name", validate::name(&input.name));
    let profile = f.take("profile", input.profile.unwrap_or_default().parse());
    if let Some(client_id) = &input.client_id {
        f.take("clientId", clients::ensure_active(ctx.db, &member.workspace_id, client_id).await);
    }
    let (Some(name), Some(profile)) = (name, profile) else { return Err(f.error()) };
    if !f.is_ok() {
        return Err(f.error());
    }
    let now = ctx.clock.now_ms();
    let view = PersonaView {
        id: ctx.new_id(),
        name,
        client_id: input.client_id,
        profile,
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
    };
    let insert = store::personas::insert(&member.workspace_id, &view, now)?;
    let change = Change {
        action: "persona.create",
        entity_type: "persona",
        entity_id: &view.id,
        before: None,
        after: Some(activity::snapshot(&view)),
    };
    ctx.db.batch(&[insert, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(201, view))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/personas/{personaId}", tag = "personas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("personaId" = String, Path)),
    responses((status = 200, description = "The persona", body = Envelope<PersonaView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check and the persona: one round trip.
    let read = store::personas::one_read(
        call.params.get("workspaceId")?,
        &call.caller()?.user_id,
        call.params.get("personaId")?,
    );
    let (_, found) = call.admitted_one(ctx.db, read, store::personas::one_of).await?;
    Ok(json::ok(200, found))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/personas/{personaId}", tag = "personas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("personaId" = String, Path)), request_body = PersonaPatch,
    responses((status = 200, description = "Updated", body = Envelope<PersonaView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: PersonaPatch = json::parse(&call.req.body)?;
    let member = call.member()?;
    let before = store::personas::visible(ctx.db, &member.workspace_id, "", call.params.get("personaId")?).await?;
    let mut f = Fields::default();
    let name = f.take_opt("name", input.name, |n| validate::name(&n));
    let profile = f.take_opt("profile", input.profile, PersonaProfile::parse);
    if !f.is_ok() {
        return Err(f.error());
    }
    let now = ctx.clock.now_ms();
    let mut after = before.clone();
    after.name = name.unwrap_or(after.name);
    after.profile = profile.unwrap_or(after.profile);
    after.updated_at = rfc3339(now);
    let write = store::personas::update(&member.workspace_id, &after, now)?;
    let change = Change {
        action: "persona.update",
        entity_type: "persona",
        entity_id: &after.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, after))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/personas/{personaId}", tag = "personas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("personaId" = String, Path)),
    responses((status = 200, description = "Deleted", body = Envelope<PersonaView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn delete(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let before = store::personas::visible(ctx.db, &member.workspace_id, "", call.params.get("personaId")?).await?;
    let write = store::personas::delete(&member.workspace_id, &before.id);
    let change = Change {
        action: "persona.delete",
        entity_type: "persona",
        entity_id: &before.id,
        before: Some(activity::snapshot(&before)),
        after: None,
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, before))
}
