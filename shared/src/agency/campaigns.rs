//! Campaigns (SPEC AG-3): objective, dates, budget, brand tone, themes, target platforms, how
//! many posts and reels are planned, and a status; archived rather than deleted.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{client_limit, clients};
use crate::activity::{self, Change};
use crate::api::documented::{field, required, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Member, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::{self, labels, opt_text, rfc3339, Fields};

/// The platforms a campaign may target.
pub const PLATFORMS: [&str; 8] = ["x", "linkedin", "facebook", "instagram", "threads", "tiktok", "bluesky", "mastodon"];
const STATUSES: [&str; 4] = ["draft", "active", "paused", "completed"];

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Budget {
    /// In the currency's minor unit (cents).
    pub amount_cents: i64,
    /// ISO 4217, e.g. `EUR`.
    pub currency: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CampaignInput {
    pub name: Option<String>,
    pub client_id: Option<String>,
    pub objective: Option<String>,
    /// `YYYY-MM-DD`
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`, not before the start.
    pub end_date: Option<String>,
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub budget: Option<Budget>,
    pub brand_tone: Option<String>,
    pub themes: Option<Vec<String>>,
    /// x, linkedin, facebook, instagram, threads, tiktok, bluesky, mastodon
    pub target_platforms: Option<Vec<String>>,
    pub posts_planned: Option<i64>,
    pub reels_planned: Option<i64>,
    /// draft, active, paused or completed (archive with DELETE).
    pub status: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub client_id: Option<String>,
    pub objective: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub budget: Option<Budget>,
    pub brand_tone: Option<String>,
    pub themes: Vec<String>,
    pub target_platforms: Vec<String>,
    pub posts_planned: i64,
    pub reels_planned: i64,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignPage {
    pub items: Vec<CampaignView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
struct CampaignQuery {
    /// draft, active, paused, completed or archived; archived ones are listed only when asked.
    status: Option<String>,
    client_id: Option<String>,
    cursor: Option<String>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

const COLUMNS: &str = "id, name, client_id, objective, start_date, end_date, budget_cents, currency, brand_tone, \
     themes, target_platforms, posts_planned, reels_planned, status, created_by, created_at, updated_at";
const VISIBLE: &str = crate::client_visible!("client_id", "?2");

fn decode(r: &Row) -> Result<CampaignView, AppError> {
    let list =
        |col: &str| -> Result<Vec<String>, AppError> { Ok(serde_json::from_value(r.json(col)?).unwrap_or_default()) };
    let budget = match (r.opt_int("budget_cents")?, r.opt_text("currency")?) {
        (Some(amount_cents), Some(currency)) => Some(Budget { amount_cents, currency }),
        _ => None,
    };
    Ok(CampaignView {
        id: r.text("id")?,
        name: r.text("name")?,
        client_id: r.opt_text("client_id")?,
        objective: r.opt_text("objective")?,
        start_date: r.opt_text("start_date")?,
        end_date: r.opt_text("end_date")?,
        budget,
        brand_tone: r.opt_text("brand_tone")?,
        themes: list("themes")?,
        target_platforms: list("target_platforms")?,
        posts_planned: r.int("posts_planned")?,
        reels_planned: r.int("reels_planned")?,
        status: r.text("status")?,
        created_by: r.text("created_by")?,
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

pub async fn visible(db: &dyn Sql, workspace_id: &str, limit_to: &str, id: &str) -> Result<CampaignView, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE workspace_id = ?1 AND {VISIBLE} AND id = ?3");
    decode(
        &db.query_one(&sql, &params![workspace_id, limit_to, id])
            .await?
            .ok_or_else(|| AppError::not_found("campaign"))?,
    )
}

fn date(input: String) -> Result<String, String> {
    input.parse::<jiff::civil::Date>().map(|d| d.to_string()).map_err(|_| "must be a date as YYYY-MM-DD".into())
}

fn count(n: i64) -> Result<i64, String> {
    if (0..=10_000).contains(&n) {
        Ok(n)
    } else {
        Err("must be 0 to 10000".into())
    }
}

fn budget(b: Budget) -> Result<Budget, String> {
    if b.amount_cents < 0 || b.amount_cents > 1_000_000_000_000 {
        return Err("amountCents must be 0 to 10^12".into());
    }
    if b.currency.len() != 3 || !b.currency.bytes().all(|c| c.is_ascii_alphabetic()) {
        return Err("currency must be an ISO 4217 code such as EUR".into());
    }
    Ok(Budget { amount_cents: b.amount_cents, currency: b.currency.to_ascii_uppercase() })
}

fn platforms(input: Vec<String>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for p in input {
        let p = p.trim().to_ascii_lowercase();
        if !PLATFORMS.contains(&p.as_str()) {
            return Err(format!("`{p}` is not one of {}", PLATFORMS.join(", ")));
        }
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Applies `input` onto `c`, reporting every invalid field.
async fn apply(ctx: &Context<'_>, member: &Member, c: &mut CampaignView, input: CampaignInput) -> Result<(), AppError> {
    let mut f = Fields::default();
    if let Some(name) = f.take_opt("name", input.name, |n| validate::name(&n)) {
        c.name = name;
    }
    if let Some(client_id) = input.client_id {
        let client_id = client_id.trim().to_string();
        if client_id.is_empty() {
            c.client_id = None;
        } else if f.take("clientId", clients::ensure_active(ctx.db, &member.workspace_id, &client_id).await).is_some() {
            c.client_id = Some(client_id);
        }
    }
    if let Some(v) = f.take_opt("objective", input.objective.map(Some), |o| opt_text(o, 2000)) {
        c.objective = v;
    }
    if let Some(d) = f.take_opt("startDate", input.start_date, date) {
        c.start_date = Some(d);
    }
    if let Some(d) = f.take_opt("endDate", input.end_date, date) {
        c.end_date = Some(d);
    }
    if let (Some(start), Some(end)) = (&c.start_date, &c.end_date) {
        if end < start {
            f.take::<()>("endDate", Err("must not be before startDate".into()));
        }
    }
    if let Some(b) = f.take_opt("budget", input.budget, budget) {
        c.budget = Some(b);
    }
    if let Some(v) = f.take_opt("brandTone", input.brand_tone.map(Some), |t| opt_text(t, 500)) {
        c.brand_tone = v;
    }
    if let Some(v) = f.take_opt("themes", input.themes, |t| labels(t, 50)) {
        c.themes = v;
    }
    if let Some(v) = f.take_opt("targetPlatforms", input.target_platforms, platforms) {
        c.target_platforms = v;
    }
    if let Some(v) = f.take_opt("postsPlanned", input.posts_planned, count) {
        c.posts_planned = v;
    }
    if let Some(v) = f.take_opt("reelsPlanned", input.reels_planned, count) {
        c.reels_planned = v;
    }
    let status = input.status.map(|s| s.trim().to_ascii_lowercase());
    if let Some(s) = f.take_opt("status", status, |s| {
        if STATUSES.contains(&s.as_str()) {
            Ok(s)
        } else {
            Err(format!("must be one of {}; archive with DELETE", STATUSES.join(", ")))
        }
    }) {
        c.status = s;
    }
    if f.is_ok() {
        Ok(())
    } else {
        Err(f.error())
    }
}

/// The insert or update of `c`; both bind the same 16 values.
fn write(member: &Member, c: &CampaignView, now: i64, insert: bool) -> Result<Statement, AppError> {
    let themes = serde_json::to_string(&c.themes).map_err(|e| AppError::Internal(e.to_string()))?;
    let platforms = serde_json::to_string(&c.target_platforms).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut values = params![
        c.id.as_str(),
        member.workspace_id.as_str(),
        c.name.as_str(),
        c.client_id.clone(),
        c.objective.clone(),
        c.start_date.clone(),
        c.end_date.clone(),
        c.budget.as_ref().map(|b| b.amount_cents),
        c.budget.as_ref().map(|b| b.currency.clone()),
        c.brand_tone.clone(),
        themes,
        platforms,
        c.posts_planned,
        c.reels_planned,
        c.status.as_str(),
        now
    ];
    let sql = if insert {
        values.push(c.created_by.as_str().into());
        "INSERT INTO campaigns (id, workspace_id, name, client_id, objective, start_date, end_date, budget_cents, currency, \
         brand_tone, themes, target_platforms, posts_planned, reels_planned, status, updated_at, created_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?16)"
    } else {
        "UPDATE campaigns SET name = ?3, client_id = ?4, objective = ?5, start_date = ?6, end_date = ?7, budget_cents = ?8, \
         currency = ?9, brand_tone = ?10, themes = ?11, target_platforms = ?12, posts_planned = ?13, reels_planned = ?14, \
         status = ?15, updated_at = ?16 WHERE id = ?1 AND workspace_id = ?2"
    };
    Ok(Statement::new(sql, values))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/campaigns", tag = "campaigns", security(("bearer" = [])),
    params(("workspaceId" = String, Path), CampaignQuery),
    responses((status = 200, description = "Campaigns, newest first", body = Envelope<CampaignPage>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let q = |n: &str| call.req.query_param(n).unwrap_or_default();
    let limit = crate::api::paging::limit(call.req)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM campaigns WHERE workspace_id = ?1 AND {VISIBLE} \
         AND ((?3 = '' AND status <> 'archived') OR status = ?3) AND (?4 = '' OR client_id = ?4) \
         AND (?5 = '' OR id < ?5) ORDER BY id DESC LIMIT ?6"
    );
    let rows = ctx
        .db
        .query(
            &sql,
            &params![
                member.workspace_id.as_str(),
                client_limit(call, member)?,
                q("status"),
                q("clientId"),
                q("cursor"),
                limit + 1
            ],
        )
        .await?;
    let mut items = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = crate::api::paging::next_cursor(&mut items, limit, |c| &c.id);
    Ok(json::ok(200, CampaignPage { items, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/campaigns", tag = "campaigns", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = CampaignInput,
    responses((status = 201, description = "Created", body = Envelope<CampaignView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: CampaignInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    if input.name.is_none() {
        return Err(AppError::field("name", "is required"));
    }
    let now = ctx.clock.now_ms();
    let mut c = CampaignView {
        id: ctx.new_id(),
        name: String::new(),
        client_id: None,
        objective: None,
        start_date: None,
        end_date: None,
        budget: None,
        brand_tone: None,
        themes: Vec::new(),
        target_platforms: Vec::new(),
        posts_planned: 0,
        reels_planned: 0,
        status: "draft".into(),
        created_by: call.caller()?.user_id.clone(),
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
    };
    apply(ctx, member, &mut c, input).await?;
    let change = Change {
        action: "campaign.create",
        entity_type: "campaign",
        entity_id: &c.id,
        before: None,
        after: Some(activity::snapshot(&c)),
    };
    ctx.db.batch(&[write(member, &c, now, true)?, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(201, c))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", tag = "campaigns", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path)),
    responses((status = 200, description = "The campaign", body = Envelope<CampaignView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    Ok(json::ok(
        200,
        visible(ctx.db, &member.workspace_id, &client_limit(call, member)?, call.params.get("campaignId")?).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", tag = "campaigns", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path)), request_body = CampaignInput,
    responses((status = 200, description = "Updated", body = Envelope<CampaignView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: archived campaigns are read-only", body = ErrorEnvelope)))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: CampaignInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let before = visible(ctx.db, &member.workspace_id, "", call.params.get("campaignId")?).await?;
    if before.status == "archived" {
        return Err(AppError::Conflict("an archived campaign cannot be changed".into()));
    }
    let mut after = before.clone();
    apply(ctx, member, &mut after, input).await?;
    let now = ctx.clock.now_ms();
    after.updated_at = rfc3339(now);
    let change = Change {
        action: "campaign.update",
        entity_type: "campaign",
        entity_id: &after.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    ctx.db
        .batch(&[write(member, &after, now, false)?, activity::record(ctx, call, &member.workspace_id, change)])
        .await?;
    Ok(json::ok(200, after))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", tag = "campaigns", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path)),
    responses((status = 200, description = "Archived", body = Envelope<CampaignView>),
              (status = 403, description = "FORBIDDEN: owners, admins and editors only", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn archive(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let before = visible(ctx.db, &member.workspace_id, "", call.params.get("campaignId")?).await?;
    if before.status == "archived" {
        return Ok(json::ok(200, before));
    }
    let now = ctx.clock.now_ms();
    let mut after = before.clone();
    after.status = "archived".into();
    after.updated_at = rfc3339(now);
    let archive = Statement::new(
        "UPDATE campaigns SET status = 'archived', archived_at = ?3, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2",
        params![member.workspace_id.as_str(), before.id.as_str(), now],
    );
    let change = Change {
        action: "campaign.archive",
        entity_type: "campaign",
        entity_id: &before.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    ctx.db.batch(&[archive, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, after))
}

/// What `apply` and its parsers check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("CampaignInput", "name", Rule::Line(100)),
    field("CampaignInput", "clientId", Rule::IdOrEmpty),
    field("CampaignInput", "objective", Rule::Text(2000)),
    field("CampaignInput", "startDate", Rule::Date),
    field("CampaignInput", "endDate", Rule::Date),
    field("CampaignInput", "brandTone", Rule::Text(500)),
    field("CampaignInput", "themes", Rule::Items(0, 50, &Rule::NonBlank(100))),
    field("CampaignInput", "targetPlatforms", Rule::Each(&Rule::OneOf(&PLATFORMS))),
    field("CampaignInput", "postsPlanned", Rule::Range(0, 10_000)),
    field("CampaignInput", "reelsPlanned", Rule::Range(0, 10_000)),
    field("CampaignInput", "status", Rule::OneOf(&STATUSES)),
    field("Budget", "amountCents", Rule::Range(0, 1_000_000_000_000)),
    field("Budget", "currency", Rule::Pattern("^[A-Za-z]{3}$", 3)),
    required("createCampaign", &["name"]),
];
