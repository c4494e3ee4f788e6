//! Campaign handlers (SPEC AG-3).

use crate::activity::{self, Change};
use crate::agency::model::campaigns::*;
use crate::agency::store::campaigns::CampaignFilter;
use crate::agency::{campaigns, store};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Member, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::validate::rfc3339;

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/campaigns", tag = "campaigns", security(("bearer" = [])),
    params(("workspaceId" = String, Path), CampaignQuery),
    responses((status = 200, description = "Campaigns, newest first", body = Envelope<CampaignPage>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let q = |n: &str| call.req.query_param(n).unwrap_or_default();
    let limit = crate::api::paging::limit(call.req)?;
    let filter = CampaignFilter { status: q("status"), client_id: q("clientId"), cursor: q("cursor"), limit };
    // The membership check and the page: one round trip.
    let read = store::campaigns::list_read(call.params.get("workspaceId")?, &call.caller()?.user_id, &filter);
    let (_, mut items) = call.admitted_one(ctx.db, read, store::campaigns::decode_all).await?;
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
    campaigns::apply(ctx, member, &mut c, input).await?;
    let change = Change {
        action: "campaign.create",
        entity_type: "campaign",
        entity_id: &c.id,
        before: None,
        after: Some(activity::snapshot(&c)),
    };
    let insert = store::campaigns::insert(&member.workspace_id, &c, now)?;
    ctx.db.batch(&[insert, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(201, c))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", tag = "campaigns", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path)),
    responses((status = 200, description = "The campaign", body = Envelope<CampaignView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check and the campaign: one round trip.
    let read = store::campaigns::one_read(
        call.params.get("workspaceId")?,
        &call.caller()?.user_id,
        call.params.get("campaignId")?,
    );
    let (_, found) = call.admitted_one(ctx.db, read, store::campaigns::decode_all).await?;
    Ok(json::ok(200, found.into_iter().next().ok_or_else(|| AppError::not_found("campaign"))?))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", tag = "campaigns", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path)), request_body = CampaignInput,
    responses((status = 200, description = "Updated", body = Envelope<CampaignView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: archived campaigns are read-only", body = ErrorEnvelope)))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (member, before) = admitted_campaign(ctx, call).await?;
    let member = &member;
    let input: CampaignInput = json::parse(&call.req.body)?;
    if before.status == "archived" {
        return Err(AppError::Conflict("an archived campaign cannot be changed".into()));
    }
    let mut after = before.clone();
    campaigns::apply(ctx, member, &mut after, input).await?;
    let now = ctx.clock.now_ms();
    after.updated_at = rfc3339(now);
    let change = Change {
        action: "campaign.update",
        entity_type: "campaign",
        entity_id: &after.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    let write = store::campaigns::update(&member.workspace_id, &after, now)?;
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, after))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", tag = "campaigns", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path)),
    responses((status = 200, description = "Archived", body = Envelope<CampaignView>),
              (status = 403, description = "FORBIDDEN: owners, admins and editors only", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn archive(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (member, before) = admitted_campaign(ctx, call).await?;
    let member = &member;
    if before.status == "archived" {
        return Ok(json::ok(200, before));
    }
    let now = ctx.clock.now_ms();
    let mut after = before.clone();
    after.status = "archived".into();
    after.updated_at = rfc3339(now);
    let archive = store::campaigns::archive(&member.workspace_id, &before.id, now);
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

/// The caller's membership check and the campaign in the path: one round trip.
async fn admitted_campaign(ctx: &Context<'_>, call: &Call<'_>) -> Result<(Member, CampaignView), AppError> {
    let (workspace_id, id) = (call.params.get("workspaceId")?, call.params.get("campaignId")?);
    let read = store::campaigns::one_read(workspace_id, &call.caller()?.user_id, id);
    call.admitted_one(ctx.db, read, store::campaigns::one_of).await
}
