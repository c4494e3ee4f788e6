//! Campaign ideas from the AI (SPEC AG-4, AI-3): proposed into the campaign's idea workflow.

use super::{common_reads, generation, required_ids, Job};
use crate::activity::{self, Change};
use crate::agency::model::ideas::{IdeaStatus, IdeaView};
use crate::agency::store::{campaigns, clients, ideas as idea_store, personas};
use crate::ai::ideas::{self, IdeasBrief, Proposals, Validator, MAX_POSTS, MAX_REELS};
use crate::ai::{IdeasInput, IdeasResult};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::validate::{self, rfc3339};

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ai/campaigns/{campaignId}/ideas", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path)), request_body = IdeasInput,
    responses((status = 201, description = "Post and reel ideas of the fixed structure, proposed (GENERATED) in the campaign's idea workflow: from the first provider whose answer followed the schema (asked once more with the errors when it did not), or built-in ideas (`static`) when none did", body = Envelope<IdeasResult>),
              (status = 200, description = "In privacy mode: the ideas, returned but not kept", body = Envelope<IdeasResult>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's AI credits for this period are spent", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN, or WORKSPACE_SUSPENDED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: no such campaign the caller can see", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: an archived campaign takes no new ideas", body = ErrorEnvelope)))]
pub async fn generate(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: IdeasInput = json::parse(&call.req.body)?;
    let mut errors = Vec::new();
    let posts = input.posts.unwrap_or(3);
    let reels = input.reels.unwrap_or(2);
    if !(0..=MAX_POSTS).contains(&posts) {
        errors.push(FieldError::new("posts", format!("must be from 0 to {MAX_POSTS}")));
    }
    if !(0..=MAX_REELS).contains(&reels) {
        errors.push(FieldError::new("reels", format!("must be from 0 to {MAX_REELS}")));
    }
    if posts == 0 && reels == 0 && errors.is_empty() {
        errors.push(FieldError::new("posts", "posts and reels must not both be 0"));
    }
    let brief = validate::opt_text(input.brief.clone(), 2000).unwrap_or_else(|e| {
        errors.push(FieldError::new("brief", e));
        None
    });
    required_ids(&[("personaId", &input.persona_id)], &mut errors);
    super::asked_providers(ctx, &input.providers, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (posts, reels) = (posts as usize, reels as usize);
    let workspace_id = call.params.get("workspaceId")?;
    let campaign_id = call.params.get("campaignId")?;
    let viewer = call.caller()?.user_id.clone();
    // The membership check, the campaign (behind the caller's wall), its client, the persona and
    // the workspace's name, with the AI settings: one round trip.
    let reads = vec![
        campaigns::one_read(workspace_id, &viewer, campaign_id),
        clients::owner_of_read(workspace_id, "campaigns", campaign_id),
        personas::one_read(workspace_id, &viewer, input.persona_id.as_deref().unwrap_or_default()),
        crate::workspaces::store::name_and_timezone_read(workspace_id),
    ];
    let (member, answers, settings, resting, own_keys) = common_reads(ctx, call, reads).await?;
    let answer = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let campaign = campaigns::one_of(answer(0))?;
    if campaign.status == "archived" {
        return Err(AppError::Conflict("an archived campaign takes no new ideas".into()));
    }
    let client = answer(1).first().map(|_| clients::one_of(answer(1))).transpose()?;
    let persona = match &input.persona_id {
        Some(_) if answer(2).is_empty() => {
            return Err(AppError::field("personaId", "is not a persona of this workspace"))
        }
        Some(_) => Some(personas::one_of(answer(2))?),
        None => None,
    };
    let workspace = answer(3).first().ok_or_else(|| AppError::not_found("workspace"))?.text("name")?;
    let brief_of = IdeasBrief {
        campaign: &campaign,
        client: client.as_ref(),
        persona: persona.as_ref(),
        brief: brief.as_deref(),
        workspace: &workspace,
        posts,
        reels,
    };
    let schema = ideas::schema(posts, reels);
    let validator = Validator::new(&schema).map_err(|e| AppError::Internal(format!("the ideas' schema: {e}")))?;
    let now = ctx.clock.now_ms();
    let job = Job {
        kind: "ideas",
        workspace_id: &member.workspace_id,
        viewer: &viewer,
        now,
        first: ideas::prompt(&brief_of, &schema),
        platform: None,
        providers: input.providers.as_deref(),
        settings,
        resting,
        own_keys,
        private: input.private,
        fallback: ideas::fallback(&brief_of).to_string(),
        template: None,
        check: Some(&validator),
    };
    let (generation, mut statements) = generation(ctx, job).await?;
    let proposals: Proposals = serde_json::from_str(&generation.text)
        .map_err(|e| AppError::Internal(format!("checked ideas that do not decode: {e}")))?;
    let source = if generation.is_static { "static" } else { "ai" };
    let made = |kind: &str, p: &ideas::Proposal| IdeaView {
        id: ctx.new_id(),
        campaign_id: campaign.id.clone(),
        client_id: campaign.client_id.clone(),
        kind: kind.into(),
        title: p.title.trim().to_string(),
        hook: Some(p.hook.trim().to_string()),
        caption: Some(p.caption.trim().to_string()),
        hashtags: hashtags(&p.hashtags),
        platforms: campaign.target_platforms.clone(),
        details: p.details(),
        source: source.into(),
        generation_id: Some(generation.generation_id.clone()),
        status: IdeaStatus::Generated,
        post_id: None,
        decisions: Vec::new(),
        created_by: viewer.clone(),
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
        stage_opened_at: now,
        stage_round: 0,
    };
    let made: Vec<IdeaView> = proposals
        .posts
        .iter()
        .map(|p| made("post", p))
        .chain(proposals.reels.iter().map(|p| made("reel", p)))
        .collect();
    // Kept with the settlement, in one batch; in privacy mode only returned.
    if generation.stored {
        for idea in &made {
            statements.push(idea_store::insert(&member.workspace_id, idea, now));
            let change = Change {
                action: "idea.generate",
                entity_type: "idea",
                entity_id: &idea.id,
                before: None,
                after: Some(activity::snapshot(idea)),
            };
            statements.push(activity::record(ctx, call, &member.workspace_id, change));
        }
    }
    ctx.db.batch(&statements).await?;
    let status = if generation.stored { 201 } else { 200 };
    Ok(json::ok(status, IdeasResult { ideas: made, generation }))
}

/// Hashtags as an idea keeps them: without `#`, without repeats, at most 30.
fn hashtags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().trim_start_matches('#').trim();
        if !tag.is_empty() && !out.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            out.push(tag.to_string());
        }
    }
    out.truncate(30);
    out
}
