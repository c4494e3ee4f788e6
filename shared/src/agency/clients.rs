//! Clients of an agency workspace and their brand profiles (SPEC AG-1), and which Client
//! members are attached to them.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::client_limit;
use crate::activity::{self, Change};
use crate::api::documented::{field, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::identity::users;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::{self, labels, opt_text, rfc3339, Fields};
use crate::workspaces::{members, permissions::Role};

/// How a client's brand speaks (used by writers and by AI generation).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct BrandProfile {
    pub tone: Option<String>,
    pub voice: Option<String>,
    pub themes: Vec<String>,
    pub audience: Option<String>,
    pub words_to_use: Vec<String>,
    pub words_to_avoid: Vec<String>,
}

impl BrandProfile {
    fn parse(self) -> Result<BrandProfile, String> {
        Ok(BrandProfile {
            tone: opt_text(self.tone, 500)?,
            voice: opt_text(self.voice, 500)?,
            themes: labels(self.themes, 50)?,
            audience: opt_text(self.audience, 1000)?,
            words_to_use: labels(self.words_to_use, 200)?,
            words_to_avoid: labels(self.words_to_avoid, 200)?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientInput {
    pub name: String,
    pub website: Option<String>,
    pub industry: Option<String>,
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub brand_profile: Option<BrandProfile>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientPatch {
    pub name: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    /// Replaces the whole brand profile.
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub brand_profile: Option<BrandProfile>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientView {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub brand_profile: BrandProfile,
    pub archived: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AttachInput {
    /// A member of the workspace with the Client role.
    pub user_id: String,
}

fn decode(r: &Row) -> Result<ClientView, AppError> {
    Ok(ClientView {
        id: r.text("id")?,
        name: r.text("name")?,
        website: r.opt_text("website")?,
        industry: r.opt_text("industry")?,
        brand_profile: serde_json::from_value(r.json("brand_profile")?).unwrap_or_default(),
        archived: r.opt_int("archived_at")?.is_some(),
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

const COLUMNS: &str = "id, name, website, industry, brand_profile, archived_at, created_at, updated_at";
const VISIBLE: &str = crate::client_visible!("id", "?2");

/// A client of the workspace the caller may see, or 404.
pub async fn visible(
    db: &dyn Sql,
    workspace_id: &str,
    limit_to: &str,
    client_id: &str,
) -> Result<ClientView, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM clients WHERE workspace_id = ?1 AND {VISIBLE} AND id = ?3");
    let row = db.query_one(&sql, &params![workspace_id, limit_to, client_id]).await?;
    decode(&row.ok_or_else(|| AppError::not_found("client"))?)
}

/// For references from other resources: the client exists in the workspace and is active.
pub async fn ensure_active(db: &dyn Sql, workspace_id: &str, client_id: &str) -> Result<(), String> {
    let row = db
        .query_one(
            "SELECT id FROM clients WHERE workspace_id = ?1 AND id = ?2 AND archived_at IS NULL",
            &params![workspace_id, client_id],
        )
        .await
        .map_err(|_| "could not be checked".to_string())?;
    row.map(|_| ()).ok_or_else(|| "is not an active client of this workspace".to_string())
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/clients", tag = "clients", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("includeArchived" = Option<bool>, Query), PageQuery),
    responses(
        (status = 200, description = "Clients by name; a Client member sees only its own", body = Envelope<Page<ClientView>>),
        (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let paging = paging::by_key(call.req)?;
    let archived = call.req.query_flag("includeArchived")?;
    let (name, after) = paging.after.clone().unwrap_or_default();
    let sql = format!(
        "SELECT {COLUMNS} FROM clients WHERE workspace_id = ?1 AND {VISIBLE} AND (?3 = 1 OR archived_at IS NULL) \
         AND (?4 = '' OR name > ?5 OR (name = ?5 AND id > ?4)) ORDER BY name, id LIMIT ?6"
    );
    let values = params![
        member.workspace_id.as_str(),
        client_limit(call, member)?,
        i64::from(archived),
        after,
        name,
        paging.limit + 1
    ];
    let rows = ctx.db.query(&sql, &values).await?;
    let (items, next_cursor) =
        paging::page(&rows, paging.limit, decode, |r| Ok(paging::keyed(&r.text("name")?, &r.text("id")?)))?;
    Ok(json::ok(200, Page { items, next_cursor }))
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
    let profile_text = serde_json::to_string(&profile).map_err(|e| AppError::Internal(e.to_string()))?;
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
    let insert = Statement::new(
        "INSERT INTO clients (id, workspace_id, name, website, industry, brand_profile, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            id.as_str(),
            member.workspace_id.as_str(),
            view.name.as_str(),
            view.website.clone(),
            view.industry.clone(),
            profile_text,
            now
        ],
    );
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
    let member = call.member()?;
    let view =
        visible(ctx.db, &member.workspace_id, &client_limit(call, member)?, call.params.get("clientId")?).await?;
    Ok(json::ok(200, view))
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
    let input: ClientPatch = json::parse(&call.req.body)?;
    let member = call.member()?;
    let before = visible(ctx.db, &member.workspace_id, "", call.params.get("clientId")?).await?;
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
    let profile_text = serde_json::to_string(&after.brand_profile).map_err(|e| AppError::Internal(e.to_string()))?;
    let write = Statement::new(
        "UPDATE clients SET name = ?3, website = ?4, industry = ?5, brand_profile = ?6, updated_at = ?7 \
         WHERE workspace_id = ?1 AND id = ?2",
        params![
            member.workspace_id.as_str(),
            after.id.as_str(),
            after.name.as_str(),
            after.website.clone(),
            after.industry.clone(),
            profile_text,
            now
        ],
    );
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
    let member = call.member()?;
    let before = visible(ctx.db, &member.workspace_id, "", call.params.get("clientId")?).await?;
    if before.archived {
        return Ok(json::ok(200, before));
    }
    let now = ctx.clock.now_ms();
    let mut after = before.clone();
    after.archived = true;
    after.updated_at = rfc3339(now);
    let write = Statement::new(
        "UPDATE clients SET archived_at = ?3, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND archived_at IS NULL",
        params![member.workspace_id.as_str(), before.id.as_str(), now],
    );
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
    let client = visible(ctx.db, &member.workspace_id, "", call.params.get("clientId")?).await?;
    match members::role_in(ctx.db, &member.workspace_id, &input.user_id).await? {
        Some(Role::Client) => {}
        Some(_) => return Err(AppError::field("userId", "only members with the client role are attached to clients")),
        None => return Err(AppError::field("userId", "is not a member of this workspace")),
    }
    let user = users::by_id(ctx.db, &input.user_id).await?.ok_or_else(|| AppError::not_found("user"))?;
    crate::identity::require_verified(
        ctx,
        &user.view,
        "this member has not verified their email address yet: a client's work is shown only to a proved address",
    )?;
    let write = Statement::new(
        "INSERT INTO client_members (workspace_id, client_id, user_id, created_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (client_id, user_id) DO NOTHING",
        params![member.workspace_id.as_str(), client.id.as_str(), input.user_id.as_str(), ctx.clock.now_ms()],
    );
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
    let client = visible(ctx.db, &member.workspace_id, "", call.params.get("clientId")?).await?;
    let user_id = call.params.get("userId")?;
    let attached = ctx
        .db
        .query_one(
            "SELECT user_id FROM client_members WHERE workspace_id = ?1 AND client_id = ?2 AND user_id = ?3",
            &params![member.workspace_id.as_str(), client.id.as_str(), user_id],
        )
        .await?;
    if attached.is_none() {
        return Err(AppError::not_found("attachment"));
    }
    let write = Statement::new(
        "DELETE FROM client_members WHERE workspace_id = ?1 AND client_id = ?2 AND user_id = ?3",
        params![member.workspace_id.as_str(), client.id.as_str(), user_id],
    );
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

/// What the client parsers check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("ClientInput", "name", Rule::Line(100)),
    field("ClientInput", "website", Rule::Text(500)),
    field("ClientInput", "industry", Rule::Text(100)),
    field("ClientPatch", "name", Rule::Line(100)),
    field("ClientPatch", "website", Rule::Text(500)),
    field("ClientPatch", "industry", Rule::Text(100)),
    field("BrandProfile", "tone", Rule::Text(500)),
    field("BrandProfile", "voice", Rule::Text(500)),
    field("BrandProfile", "themes", Rule::Items(0, 50, &Rule::NonBlank(100))),
    field("BrandProfile", "audience", Rule::Text(1000)),
    field("BrandProfile", "wordsToUse", Rule::Items(0, 200, &Rule::NonBlank(100))),
    field("BrandProfile", "wordsToAvoid", Rule::Items(0, 200, &Rule::NonBlank(100))),
    field("AttachInput", "userId", Rule::Id),
];
