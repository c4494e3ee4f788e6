//! Idea handlers (SPEC AG-4): proposing, listing and reworking ideas; deciding them is
//! approvals' (`approvals::ideas`).

use crate::activity::{self, Change};
use crate::agency::model::ideas::*;
use crate::agency::{campaigns, ideas, store};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::validate::rfc3339;

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}/ideas", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path), ("status" = Option<String>, Query), PageQuery),
    responses((status = 200, description = "The campaign's ideas, oldest first", body = Envelope<Page<IdeaView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_id(call.req)?;
    let status = call.req.query_param("status").unwrap_or_default().to_lowercase();
    // The membership check, the campaign behind the caller's wall and the page: one round trip.
    let (ws, campaign) = (call.params.get("workspaceId")?, call.params.get("campaignId")?);
    let reads = vec![
        store::campaigns::one_read(ws, &call.caller()?.user_id, campaign),
        store::ideas::page_read(ws, campaign, &status, &paging),
    ];
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    if store::campaigns::decode_all(answers.first().map_or(&[][..], Vec::as_slice))?.is_empty() {
        return Err(AppError::not_found("campaign"));
    }
    Ok(json::ok(200, store::ideas::page_of(answers.get(1).map_or(&[][..], Vec::as_slice), &paging)?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}/ideas", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path)), request_body = IdeaInput,
    responses((status = 201, description = "Proposed (GENERATED)", body = Envelope<IdeaView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: IdeaInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let campaign = campaigns::visible(ctx.db, &member.workspace_id, "", call.params.get("campaignId")?).await?;
    if campaign.status == "archived" {
        return Err(AppError::Conflict("an archived campaign takes no new ideas".into()));
    }
    let now = ctx.clock.now_ms();
    let mut idea = IdeaView {
        id: ctx.new_id(),
        campaign_id: campaign.id.clone(),
        client_id: campaign.client_id.clone(),
        kind: "post".into(),
        title: String::new(),
        hook: None,
        caption: None,
        hashtags: Vec::new(),
        platforms: campaign.target_platforms.clone(),
        details: IdeaDetails::default(),
        source: "manual".into(),
        generation_id: None,
        status: IdeaStatus::Generated,
        post_id: None,
        decisions: Vec::new(),
        created_by: call.caller()?.user_id.clone(),
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
        stage_opened_at: now,
        stage_round: 0,
    };
    let mut errors = Vec::new();
    if input.title.is_none() {
        errors.push(FieldError::new("title", "is required"));
    }
    parse(input, &mut idea, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let insert = store::ideas::insert(&member.workspace_id, &idea, now);
    let change = Change {
        action: "idea.create",
        entity_type: "idea",
        entity_id: &idea.id,
        before: None,
        after: Some(activity::snapshot(&idea)),
    };
    ctx.db.batch(&[insert, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(201, idea))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path)),
    responses((status = 200, description = "The idea with every decision", body = Envelope<IdeaView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check, the idea and its decisions: one round trip.
    let reads =
        store::ideas::load_reads(call.params.get("workspaceId")?, &call.caller()?.user_id, call.params.get("ideaId")?);
    let (_, answers) = call.admitted_reads(ctx.db, reads.into()).await?;
    Ok(json::ok(200, store::ideas::idea_of(&answers)?))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path)), request_body = IdeaInput,
    responses((status = 200, description = "Updated; a rejected idea reworked is proposed again", body = Envelope<IdeaView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: approved ideas are not edited", body = ErrorEnvelope)))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: IdeaInput = json::parse(&call.req.body)?;
    let ws = call.member()?.workspace_id.clone();
    let before = ideas::load(ctx, call).await?;
    let mut idea = before.clone();
    idea.status = before.status.apply(IdeaEvent::Revise).map_err(AppError::Conflict)?;
    let mut errors = Vec::new();
    parse(input, &mut idea, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = ctx.clock.now_ms();
    idea.updated_at = rfc3339(now);
    // A reworked idea is proposed afresh: approvals given to the old wording no longer count.
    idea.stage_opened_at = now;
    idea.stage_round = before.stage_round + 1;
    let change = Change {
        action: "idea.update",
        entity_type: "idea",
        entity_id: &idea.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&idea)),
    };
    let [w, g] = ideas::write(&ws, &idea, &before, now);
    ctx.db.batch(&[w, g, activity::record(ctx, call, &ws, change)]).await.map_err(ideas::raced)?;
    Ok(json::ok(200, idea))
}
