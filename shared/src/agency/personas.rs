//! Personas — ideal customer profiles — per workspace or per client (SPEC AG-2).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{client_limit, clients};
use crate::activity::{self, Change};
use crate::api::documented::{field, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::{self, labels, opt_text, rfc3339, Fields};

/// Everything about a persona besides its name and client.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct PersonaProfile {
    pub description: Option<String>,
    /// Free text: age range, location, job, income…
    pub demographics: Option<String>,
    pub goals: Vec<String>,
    pub pain_points: Vec<String>,
    pub interests: Vec<String>,
    /// Where this persona spends time, e.g. `linkedin`, `instagram`.
    pub channels: Vec<String>,
}

impl PersonaProfile {
    fn parse(self) -> Result<PersonaProfile, String> {
        Ok(PersonaProfile {
            description: opt_text(self.description, 2000)?,
            demographics: opt_text(self.demographics, 1000)?,
            goals: labels(self.goals, 50)?,
            pain_points: labels(self.pain_points, 50)?,
            interests: labels(self.interests, 50)?,
            channels: labels(self.channels, 20)?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonaInput {
    pub name: String,
    /// The client this persona belongs to; none means the whole workspace.
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub profile: Option<PersonaProfile>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonaPatch {
    pub name: Option<String>,
    /// Replaces the whole profile.
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub profile: Option<PersonaProfile>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonaView {
    pub id: String,
    pub name: String,
    pub client_id: Option<String>,
    pub profile: PersonaProfile,
    pub created_at: String,
    pub updated_at: String,
}

fn decode(r: &Row) -> Result<PersonaView, AppError> {
    Ok(PersonaView {
        id: r.text("id")?,
        name: r.text("name")?,
        client_id: r.opt_text("client_id")?,
        profile: serde_json::from_value(r.json("profile")?).unwrap_or_default(),
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

const VISIBLE: &str = crate::client_visible!("client_id", "?2");

async fn visible(db: &dyn Sql, workspace_id: &str, limit_to: &str, id: &str) -> Result<PersonaView, AppError> {
    let sql = format!(
        "SELECT id, name, client_id, profile, created_at, updated_at FROM personas \
         WHERE workspace_id = ?1 AND {VISIBLE} AND id = ?3"
    );
    let row = db.query_one(&sql, &params![workspace_id, limit_to, id]).await?;
    decode(&row.ok_or_else(|| AppError::not_found("persona"))?)
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/personas", tag = "personas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("clientId" = Option<String>, Query, description = "Only this client's personas"), PageQuery),
    responses((status = 200, description = "Personas by name", body = Envelope<Page<PersonaView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let paging = paging::by_key(call.req)?;
    let client = call.req.query_param("clientId").unwrap_or_default();
    let (name, after) = paging.after.clone().unwrap_or_default();
    let sql = format!(
        "SELECT id, name, client_id, profile, created_at, updated_at FROM personas \
         WHERE workspace_id = ?1 AND {VISIBLE} AND (?3 = '' OR client_id = ?3) \
         AND (?4 = '' OR name > ?5 OR (name = ?5 AND id > ?4)) ORDER BY name, id LIMIT ?6"
    );
    let values =
        params![member.workspace_id.as_str(), client_limit(call, member)?, client, after, name, paging.limit + 1];
    let rows = ctx.db.query(&sql, &values).await?;
    let (items, next_cursor) =
        paging::page(&rows, paging.limit, decode, |r| Ok(paging::keyed(&r.text("name")?, &r.text("id")?)))?;
    Ok(json::ok(200, Page { items, next_cursor }))
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
    let profile_text = serde_json::to_string(&view.profile).map_err(|e| AppError::Internal(e.to_string()))?;
    let insert = Statement::new(
        "INSERT INTO personas (id, workspace_id, client_id, name, profile, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![view.id.as_str(), member.workspace_id.as_str(), view.client_id.clone(), view.name.as_str(), profile_text, now],
    );
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
    let member = call.member()?;
    Ok(json::ok(
        200,
        visible(ctx.db, &member.workspace_id, &client_limit(call, member)?, call.params.get("personaId")?).await?,
    ))
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
    let before = visible(ctx.db, &member.workspace_id, "", call.params.get("personaId")?).await?;
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
    let profile_text = serde_json::to_string(&after.profile).map_err(|e| AppError::Internal(e.to_string()))?;
    let write = Statement::new(
        "UPDATE personas SET name = ?3, profile = ?4, updated_at = ?5 WHERE workspace_id = ?1 AND id = ?2",
        params![member.workspace_id.as_str(), after.id.as_str(), after.name.as_str(), profile_text, now],
    );
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
    let before = visible(ctx.db, &member.workspace_id, "", call.params.get("personaId")?).await?;
    let write = Statement::new(
        "DELETE FROM personas WHERE workspace_id = ?1 AND id = ?2",
        params![member.workspace_id.as_str(), before.id.as_str()],
    );
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

/// What the persona parsers check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("PersonaInput", "name", Rule::Line(100)),
    field("PersonaInput", "clientId", Rule::Id),
    field("PersonaPatch", "name", Rule::Line(100)),
    field("PersonaProfile", "description", Rule::Text(2000)),
    field("PersonaProfile", "demographics", Rule::Text(1000)),
    field("PersonaProfile", "goals", Rule::Items(0, 50, &Rule::NonBlank(100))),
    field("PersonaProfile", "painPoints", Rule::Items(0, 50, &Rule::NonBlank(100))),
    field("PersonaProfile", "interests", Rule::Items(0, 50, &Rule::NonBlank(100))),
    field("PersonaProfile", "channels", Rule::Items(0, 20, &Rule::NonBlank(100))),
];
